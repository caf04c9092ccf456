"""How a panel reaches a notebook: the live widget beside a static HTML snapshot of it, as
rich outputs do, so that a saved notebook shows the panel where widgets do not render.

The output carries a display id. After each cell runs (IPython's ``post_run_cell`` event,
on the main thread: never from the panel's background loop), a snapshot that changed is sent
again as an ``update_display_data`` twice over: once under the running cell, for front ends
that match display ids across cells (nbclient, nbconvert, VS Code), and once under the cell
that displayed the panel, for JupyterLab and Notebook 7, which only update an output from
messages of its own cell.
"""

from __future__ import annotations

import logging
import threading
import uuid
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["LiveDisplay", "refresh_all"]

log = logging.getLogger("argil_nb")

Bundle = dict[str, Any]
_live: weakref.WeakSet[LiveDisplay] = weakref.WeakSet()
_hooked: set[int] = set()  # ids of the shells our hook is registered with


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
    """The outputs of one panel, kept in step with it from the main thread.

    Parameters
    ----------
    bundle
        Makes the mime bundle: ``bundle(live)``; ``live=False`` leaves the widget out (after
        the panel closed, only the snapshot remains).
    key
        Changes whenever the snapshot would: an update is sent only then.
    """

    def __init__(self, bundle: Callable[[bool], Bundle], key: Callable[[], object]) -> None:
        self.display_id = f"argil-panel-{uuid.uuid4().hex}"
        self._bundle = bundle
        self._key = key
        self._parents: list[dict[str, Any]] = []  # the cells that displayed it
        self._sent: object = None

    @property
    def shown(self) -> bool:
        """True once displayed."""
        return bool(self._parents) or self._sent is not None

    def show(self) -> None:
        """Display the panel (a cell's result, or ``display(panel)``)."""
        from IPython.display import display

        shell = _shell()
        self._sent = (self._key(), True)
        display(self._bundle(True), raw=True, display_id=self.display_id)
        parent = _parent_of(shell)
        if parent is not None and parent not in self._parents:
            self._parents.append(parent)
        _live.add(self)
        if shell is not None and id(shell) not in _hooked:
            shell.events.register("post_run_cell", _after_cell)
            _hooked.add(id(shell))

    def update(self, *, live: bool = True, force: bool = False) -> bool:
        """Send the snapshot again if it changed; True when sent.

        Does nothing off the main thread: a background thread never displays.
        """
        if not self.shown or threading.current_thread() is not threading.main_thread():
            return False
        key = (self._key(), live)
        if key == self._sent and not force:
            return False
        self._sent = key
        bundle = self._bundle(live)
        shell = _shell()
        self._publish(shell, bundle, None)
        current = _parent_of(shell)
        for parent in self._parents:
            if parent.get("msg_id") != (current or {}).get("msg_id"):
                self._publish(shell, bundle, parent)
        return True

    def _publish(self, shell: Any, bundle: Bundle, parent: dict[str, Any] | None) -> None:
        from IPython.display import update_display

        if parent is None:
            update_display(bundle, raw=True, display_id=self.display_id)
            return
        publisher = getattr(shell, "display_pub", None)
        set_parent = getattr(publisher, "set_thread_parent", None)  # ipykernel >= 7
        if publisher is None or set_parent is None:
            return
        token = set_parent({"header": parent})
        try:
            publisher.publish(bundle, transient={"display_id": self.display_id}, update=True)
        finally:
            publisher.reset_thread_parent(token)

    def forget(self) -> None:
        """No more updates after cells (the panel closed)."""
        _live.discard(self)


def refresh_all() -> None:
    """Send every displayed panel's changed snapshot (what runs after each cell)."""
    for shown in list(_live):
        try:
            shown.update()
        except Exception:  # a hook must never break the user's cell
            log.warning("argil_nb: could not update a panel's saved view", exc_info=True)


def _after_cell(*_args: object) -> None:
    refresh_all()
