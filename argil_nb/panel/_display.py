"""How a panel reaches a notebook, and how it leaves a saved view behind.

The panel is displayed under a display id as a bundle of three: the widget (for live front
ends), a static HTML snapshot (for nbviewer and code hosts) and its repr. JupyterLab never
shows the HTML beside a widget, and after the kernel is gone it shows "Error displaying
widget: model not found" for a widget whose state was not saved (its default). So once the
panel is finished, its outputs are replaced by the static bundle alone (:meth:`LiveDisplay.
settle`), the way a closed panel's are: a saved notebook then shows the last state anywhere.

That replacement is an ``update_display_data`` sent by the kernel's own threads only (the
main thread after a cell, or the thread handling the browser's message: ipykernel 7 runs the
widgets' messages in a subshell thread of their own); the panel's background threads never
display (ipykernel routes their output to whatever cell runs then). It is sent twice over:
under the message being handled, for front ends that match display ids across cells
(nbclient, VS Code), and under the cell that displayed the panel, which JupyterLab and
Notebook 7 need (an output area only takes messages of its own cell's request; it keeps
that request's handle until the cell runs again).
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["LiveDisplay"]

Bundle = dict[str, Any]
_displays: weakref.WeakSet[LiveDisplay] = weakref.WeakSet()
_lock = threading.Lock()
_hooked: set[int] = set()  # ids of the shells our post_run_cell hook is registered with


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return get_ipython()


def _parent_of(shell: Any) -> dict[str, Any] | None:
    """The header of the message being handled (the running cell), when in a kernel."""
    header = getattr(getattr(shell, "display_pub", None), "parent_header", None)
    return dict(header) if isinstance(header, dict) and header.get("msg_id") else None


class LiveDisplay:
    """The outputs of one panel: shown live, later replaced by a static bundle.

    Parameters
    ----------
    bundle
        ``bundle(live)``: the mime bundle and its metadata; ``live=False`` leaves the widget
        out.
    done
        True once the panel is finished.
    """

    def __init__(
        self,
        bundle: Callable[[bool], tuple[Bundle, Bundle]],
        done: Callable[[], bool],
    ) -> None:
        self.display_id = f"argil-panel-{uuid.uuid4().hex}"
        self._bundle = bundle
        self._done = done
        self._parents: list[dict[str, Any]] = []  # the cells that displayed it
        self._live = False  # a live view is out there
        self._late = False  # displayed once finished already: live until close()

    @property
    def live(self) -> bool:
        """True while a displayed live view has not been replaced by the static one."""
        return self._live

    def show(self) -> None:
        """Display the panel live (a cell's result, or ``display(panel)``).

        Shown when already finished, it stays live until ``close()``: the user asked to
        filter, search or export it.
        """
        from IPython.display import display

        shell = _shell()
        data, metadata = self._bundle(True)
        display(data, raw=True, metadata=metadata, display_id=self.display_id)
        parent = _parent_of(shell)
        if parent is not None and parent not in self._parents:
            self._parents.append(parent)
        self._live = True
        self._late = self._done()
        _displays.add(self)
        if shell is not None and id(shell) not in _hooked:
            shell.events.register("post_run_cell", _after_cell)
            _hooked.add(id(shell))

    def settle(self, *, force: bool = False) -> bool:
        """Replace the live outputs by the static bundle if the panel is done; True if sent.

        ``force``: whatever the panel's state (it is closing). On the panel's own threads,
        nothing.
        """
        if not self._live or threading.current_thread().name.startswith("argil-panel"):
            return False  # the panel's own threads never display
        if not force and (self._late or not self._done()):
            return False
        with _lock:  # the main thread and a subshell's may both get here
            if not self._live:
                return False
            self._live = False
        data, metadata = self._bundle(False)
        shell = _shell()
        self._publish(shell, data, metadata, None)
        current = _parent_of(shell)
        for parent in self._parents:
            if parent.get("msg_id") != (current or {}).get("msg_id"):
                self._publish(shell, data, metadata, parent)
        return True

    def _publish(
        self, shell: Any, data: Bundle, metadata: Bundle, parent: dict[str, Any] | None
    ) -> None:
        from IPython.display import update_display

        if parent is None:
            update_display(data, raw=True, metadata=metadata, display_id=self.display_id)
            return
        publisher = getattr(shell, "display_pub", None)
        if publisher is None:
            return
        transient = {"display_id": self.display_id}
        set_thread_parent = getattr(publisher, "set_thread_parent", None)
        if set_thread_parent is not None:  # ipykernel >= 7
            token = set_thread_parent({"header": parent})
            try:
                publisher.publish(data, metadata, transient=transient, update=True)
            finally:
                publisher.reset_thread_parent(token)
            return
        set_parent = getattr(publisher, "set_parent", None)  # ipykernel 6
        previous = getattr(publisher, "parent_header", None)
        if set_parent is None or not isinstance(previous, dict):
            return
        set_parent({"header": parent})
        try:
            publisher.publish(data, metadata, transient=transient, update=True)
        finally:
            set_parent({"header": previous})


def _after_cell(*_args: object) -> None:
    """After each cell: every finished panel leaves its saved view."""
    for shown in list(_displays):
        try:
            shown.settle()
        except Exception:  # a hook must never break the user's cell
            import logging

            logging.getLogger("argil_nb").warning(
                "argil_nb: could not leave a saved view of a panel", exc_info=True
            )
