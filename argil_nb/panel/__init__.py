"""``StatusPanel``: one anywidget that shows assets while they process, in every front end.

**The model is the kernel's, the view is the browser's.** ``panel.js`` and ``panel.css``
(package files beside this one, no build step) draw the header, the cards or list rows and
the pager, and do filter, search, order, view and page themselves. The kernel keeps the
rows (``_tracker.Tracker``) and sends the browser only what changed, by id:

* Traits are small and rarely change: ``_settings`` (interval, page size), ``_query`` (what
  the browser shows: it writes it, the kernel reads it for :attr:`StatusPanel.shown`,
  ``export_csv()`` and the saved view) and ``_notify``. No trait holds the rows: a trait is
  re-sent whole on any change (ipywidgets issue 2922).
* Rows travel in custom messages, ``{"k": "state", "r": R, "h": H, "rows": [...], "head":
  {...}}``: the rows changed after the version the browser has (each change of a row is
  stamped with a version), and the header when it changed. A refresh in which nothing
  changed sends nothing; one in which k assets changed sends k rows, whatever the panel's
  size. The browser asks for the rows it lacks (``{"k": "sync", "r": ..., "h": ...}``),
  everything when it has nothing.
* Two paths bring new state to the screen. The worker sends it as soon as a poll has it
  (JupyterLab, Notebook 7, VS Code, marimo repaint that); and the browser asks on its own
  timer, which the kernel answers at once, on its main thread, from what it has, with no
  request to the API: Colab repaints only that (googlecolab/colabtools 3373).
* Clicks are messages too: pause, resume, refresh, export, close. No handler waits on the
  network or on a lock held across it: "refresh" wakes the worker, "export" writes a local
  file and sends it back for download.

**Threads.** One daemon thread per polling panel (``_ticker.Ticker``, named
``argil-panel``) polls through ``listing.PendingFetcher`` on one thread pool kept for the
panel's life, and sends the new rows; it never prints nor displays. Polling stops when every
asset is final, when the API refuses the key, after ``idle_timeout`` seconds without a
change, on :meth:`StatusPanel.stop` and on :meth:`StatusPanel.close`. What is displayed
(and the saved view that replaces a finished panel's output, ``_display``) is sent from the
main thread only.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anywidget
import pandas as pd
import requests
import traitlets

from .._checks import check_choice, check_int, check_number, invalid
from .._transport import fetch_image
from ..csvio import to_csv
from ..display import inline_sources, trust_origin
from ..errors import InvalidArgument
from ..models import AssetSource
from ._display import LiveDisplay
from ._snapshot import MAX_DOWNLOAD_BYTES, download_html, snapshot_html
from ._ticker import JOIN_TIMEOUT, Ticker
from ._tracker import REFUSED, Tracker, Transition
from ._view import (
    LAYOUTS,
    STATUS_FILTERS,
    PanelView,
    Query,
    format_duration,
    header_wire,
    state_text,
    timing_line,
)

__all__ = ["STATUS_FILTERS", "StatusPanel"]

log = logging.getLogger("argil_nb")

REFRESH_WAIT = 120.0
"""Seconds :meth:`StatusPanel.refresh` waits for a poll already running (never a click)."""
LIST_FROM = 48
"""``layout=None``: cards up to this many assets, the compact list beyond."""
INLINE_PER_POLL = 24
MAX_INLINE = 500
"""``inline_thumbnails``: thumbnails fetched per poll, and in all (the rest keep their URL)."""
_HERE = Path(__file__).parent

Callback = Callable[[str, Any, Any], object]


def _free_name(target: Path) -> Path:
    """``target``, or the first numbered name beside it that does not exist."""
    for number in range(10_000):
        candidate = target if number == 0 else target.with_stem(f"{target.stem}-{number}")
        if not candidate.exists():
            return candidate
    raise InvalidArgument(f"cannot export: {target} and 10000 numbered names are taken")


class StatusPanel(anywidget.AnyWidget):
    """A live panel of asset statuses: counts, progress, controls and paged asset cards.

    Parameters
    ----------
    ids_or_frame
        Asset ids (list or Series), or a frame with an ``id`` column; at least one. A frame
        with the full argil_nb schema also gives the starting rows; its READY/FAILED rows
        are never fetched.
    client
        The :class:`argil_nb.Client` to poll with.
    interval
        Seconds between polls; doubles after each failed poll, up to
        ``waiting.PANEL_MAX_BACKOFF`` (60 s). The browser asks for news as often.
    page_size
        Cards (or list rows) per page.
    layout
        ``"cards"`` (a grid) or ``"list"`` (one line per asset); None: cards up to 48
        assets, the list beyond. The panel's toggle switches it.
    inline_thumbnails
        Fetch READY thumbnails in the kernel (without the API key) and send them as
        ``data:`` URIs, for browsers that cannot reach the thumbnail host (Colab and a
        sandbox on the kernel's machine); at most 500.
    export_path
        Where "export CSV" writes the rows shown (numbered when the file exists).
    notify
        Start with "notify me when done" on (the browser's notification, where allowed,
        and the progress in the tab's title).
    idle_timeout
        Stop polling after this many seconds without any status change (resume goes on):
        a panel left open never polls forever.
    clock
        Epoch seconds, for :attr:`history` and the times in the header.

    Notes
    -----
    Shown in a notebook, the panel is live while it polls. Once every asset is final, its
    output is replaced by a saved view (the header, the page shown and a link that downloads
    the table as CSV), as :meth:`close` does: a notebook saved then shows its last state
    after the kernel is gone, where a widget would show "model not found". Display the panel
    again (``panel`` in a cell) for a live view of the finished panel: that one stays live
    until :meth:`close`, which leaves the saved view in its place.
    """

    _esm = _HERE / "panel.js"
    _css = _HERE / "panel.css"
    _settings = traitlets.Dict().tag(sync=True)
    _query = traitlets.Dict().tag(sync=True)
    _notify = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        ids_or_frame: Any,
        *,
        client: AssetSource,
        interval: float = 2.0,
        page_size: int = 24,
        layout: str | None = None,
        inline_thumbnails: bool = False,
        export_path: str | os.PathLike[str] = "argil-status.csv",
        notify: bool = False,
        idle_timeout: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(client, AssetSource):
            raise invalid("client", "an argil_nb.Client", type(client))
        interval = check_number("interval", interval, above=0, unit="seconds")
        check_int("page_size", page_size, minimum=1)
        if layout is not None:
            check_choice("layout", layout, LAYOUTS)
        if not isinstance(export_path, (str, os.PathLike)):
            raise invalid("export_path", "a str or a Path", type(export_path))
        self._idle_timeout = check_number("idle_timeout", idle_timeout, above=0, unit="seconds")
        self._data = Tracker(ids_or_frame, clock, interval)
        self._clock = clock
        self._client = client
        trust_origin(getattr(client, "base_url", None))  # a sandbox's thumbnails get saved
        self._interval = interval
        self._page_size = page_size
        self.export_path = os.fspath(export_path)
        self._inline_thumbs = requests.Session() if inline_thumbnails else None
        self._tried: set[str] = set()  # thumbnails fetched (or failed) for inline_thumbnails
        self._saved_thumbs: dict[str, str] = {}  # data: URIs for the saved view (loopback)
        self._refresh_lock = threading.Lock()  # one poll at a time (held across I/O)
        self._lock = threading.Lock()  # the header's version (never held across I/O)
        self._callbacks: list[Callback] = []
        self._head: dict[str, Any] | None = None
        self._head_version = 0
        self._pushed = (0, 0)  # a browser asks for the rows it lacks; pushes carry changes
        self._pool: ThreadPoolExecutor | None = None
        self._watching = self._once = self._closed = False
        self._stopped = ""  # why polling stopped by itself (no key, idle), for the header
        self._ticker = Ticker(self._tick, interval, name="argil-panel")
        self._display = LiveDisplay(self._bundle, lambda: self._data.done)
        if layout is None:
            layout = "cards" if len(self._data.ids) <= LIST_FROM else "list"
        query = {"status": "all", "search": "", "sort": "as given", "layout": layout, "page": 0}
        super().__init__(
            _settings={"interval": interval, "page_size": page_size},
            _query=query,
            _notify=bool(notify),
        )
        self.on_msg(self._on_message)

    # -- public API --------------------------------------------------------------------------

    @property
    def frame(self) -> pd.DataFrame:
        """The current table (argil_nb schema, one row per asset, in the order given).

        An asset the API answers 404 for has status ``NOT_FOUND`` (its other fields are the
        last known ones).
        """
        return self._data.frame()

    @property
    def shown(self) -> pd.DataFrame:
        """The rows the browser selects (status filter and search), every page, in its order."""
        return self._data.frame(self._current_query(page=0))

    @property
    def history(self) -> pd.DataFrame:
        """Every status transition seen, one row each.

        Columns: ``id``, ``from_status``, ``to_status`` (string); ``seen_at``, when the
        panel saw the new status, and ``checked_before``, when it last saw the old one
        (both UTC; NaT when the old status came from the starting frame). The transition
        happened in between, so ``seen_at - created_at`` is an upper bound of a processing
        time and ``checked_before - created_at`` a lower one; a pause or an outage widens
        the gap. The first status seen of an asset is its starting point, not a transition.
        """
        return self._data.history()

    @property
    def done(self) -> bool:
        """True once every asset is READY, FAILED or not found."""
        return self._data.done

    @property
    def running(self) -> bool:
        """True while the panel polls in the background."""
        return self._watching and self._ticker.running

    @property
    def interval(self) -> float:
        """Seconds between polls (while they work)."""
        return self._interval

    def on_change(self, callback: Callback, remove: bool = False) -> Callback:
        """Call ``callback(id, old_status, new_status)`` once per status transition.

        Parameters
        ----------
        callback
            Called with the asset id, its old and its new status (``"NOT_FOUND"`` for an
            asset deleted while watched).
        remove
            Unregister ``callback`` instead.

        Returns
        -------
        callable
            ``callback``, so that this works as a decorator.

        Notes
        -----
        It runs on the thread that polled: the panel's background thread, or the caller
        of :meth:`refresh`. Do not print or call ``display()`` there (the kernel sends such
        output to whatever cell runs at that moment), nor block: append to a list, set a
        flag, or read :attr:`history` later. An exception it raises is logged and does not
        stop the panel.
        """
        with self._lock:
            if remove:
                self._callbacks = [c for c in self._callbacks if c is not callback]
            else:
                self._callbacks.append(callback)
        return callback

    def refresh(self) -> None:
        """Fetch the unfinished assets once and update the panel, synchronously.

        Blocks the caller for the requests (and for a poll already running, up to 120 s):
        call it from code, as a script would. The panel's "refresh now" button does not:
        it wakes the background thread.
        """
        if self._closed:
            return
        if not self._refresh_lock.acquire(timeout=REFRESH_WAIT):
            log.warning("argil_nb: a panel refresh is still running; skipped this one")
            return
        try:
            was_failing = self._data.failures > 0
            transitions = self._data.poll(self._client, self._executor())
            self._thumbnails()
        finally:
            self._refresh_lock.release()
        self._push()
        if was_failing and self._data.failures == 0 and self._watching:
            self._ticker.wake()  # back in touch: leave the backoff wait for the interval
        self._notify_all(transitions)

    def start(self) -> None:
        """Poll in the background every ``interval`` seconds; a no-op when running."""
        if self._closed:
            return
        self._watching, self._stopped = True, ""
        self._ticker.start()
        self._push()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop polling (pause); :meth:`start` resumes.

        Parameters
        ----------
        timeout
            Seconds to wait for a poll in flight to finish (it finishes in any case).
        """
        self._watching = False
        self._ticker.stop(timeout)
        self._push()

    def export_csv(
        self, path: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> Path:
        """Write the rows shown (:attr:`shown`) as CSV; return the absolute path written.

        Parameters
        ----------
        path
            Where (``export_path`` by default); must end in ``.csv``, in a folder that
            exists. An existing file is never replaced unless ``overwrite``: the next free
            numbered name is used (``argil-status-1.csv``).
        overwrite
            Replace the status table at ``path``.

        Raises
        ------
        InvalidArgument
            For a bad path, or when the filter and search show no row (a CSV of a header
            alone is never written).
        """
        query = self._current_query(page=0)
        frame = self._data.frame(query)
        if frame.empty:
            raise InvalidArgument(f"nothing to export: no asset is shown ({_what(query)})")
        if not isinstance(path, (str, os.PathLike, type(None))):
            raise invalid("path", "a str or a Path", type(path))
        target = Path(self.export_path if path is None else path).expanduser().absolute()
        if target.suffix.lower() != ".csv":
            raise InvalidArgument(f"path must end in .csv, got {str(target.name)!r}")
        if not target.parent.is_dir():
            raise InvalidArgument(f"cannot export to {str(target)!r}: its folder does not exist")
        return to_csv(
            frame, target if overwrite else _free_name(target), overwrite=overwrite
        ).absolute()

    def close(self, timeout: float = JOIN_TIMEOUT) -> None:
        """Stop polling and close the widget; its output keeps a saved view of its last state.

        Parameters
        ----------
        timeout
            Seconds to wait for the background thread (a poll in flight ends on its own).
        """
        if getattr(self, "_closed", True):  # closed already, or a failed __init__
            super().close()
            return
        self._watching = False
        self._ticker.stop(timeout)
        self._closed = True
        try:
            self._display.settle(force=True)
        except Exception:  # closing must not fail because a front end went away
            log.warning("argil_nb: could not leave a saved view of the panel", exc_info=True)
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        if self._inline_thumbs is not None:
            self._inline_thumbs.close()
        super().close()

    def __repr__(self) -> str:
        # Deterministic (no counts that change): a saved notebook output stays stable.
        return f"StatusPanel(assets={len(self._data.ids)}, interval={self._interval!r})"

    # -- display -------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        self._display.show()

    def _display_(self) -> Any:
        """marimo's display protocol: the live panel as marimo's anywidget element."""
        import marimo

        return marimo.ui.anywidget(self)

    def _bundle(self, live: bool) -> tuple[dict[str, Any], dict[str, Any]]:
        """The mime bundle: live (widget, snapshot, repr) or saved (snapshot, repr)."""
        query = self._current_query()
        view = self._data.view(query)
        download = ""
        if not live and view.matching:
            with tempfile.TemporaryDirectory() as folder:  # a local disk, never the network
                written = to_csv(self._data.frame(), Path(folder) / Path(self.export_path).name)
                download = download_html(written.read_bytes(), written.name, self.export_path)
        html = snapshot_html(
            view,
            self._state_text(view) if live or not self._closed else "closed",
            timing_line(view, self._watching),
            rows=query.layout == "list",
            inline={**self._data.inlined(), **self._saved_thumbs},
            download=download,
        )
        data: dict[str, Any] = {"text/plain": repr(self), "text/html": html}
        metadata: dict[str, Any] = {}
        if live:
            widget, metadata = super()._repr_mimebundle_() or ({}, {})
            data.update({k: v for k, v in widget.items() if k != "text/plain"})
        return data, metadata

    # -- state for the browser -----------------------------------------------------------------

    def _current_query(self, page: int | None = None) -> Query:
        query = Query.of(self._query, self._page_size)
        return query if page is None else Query.of({**self._query, "page": page}, self._page_size)

    def _state_text(self, view: PanelView) -> str:
        return state_text(view, self._watching, self._interval, self._stopped)

    def _header(self) -> tuple[dict[str, Any], int]:
        view = self._data.view(Query(page_size=self._page_size))
        head = header_wire(view, watching=self._watching, state=self._state_text(view))
        with self._lock:
            if head != self._head:
                self._head, self._head_version = head, self._head_version + 1
            return head, self._head_version

    def _state(self, rows: int, head: int, re: Any = None) -> dict[str, Any]:
        """What a browser that has rows version ``rows`` and header ``head`` lacks."""
        version, changed = self._data.rows_since(rows)
        header, header_version = self._header()
        message: dict[str, Any] = {"k": "state", "f": rows, "r": version, "h": header_version}
        message["re"] = re
        if changed:
            message.update(rows=changed, full=rows < 0)
        if header_version != head:
            message["head"] = header
        return message

    def _push(self) -> None:
        """Send what changed since the last push (from any thread; a no-op when nothing did)."""
        if self._closed:
            return
        with self._lock:
            rows, head = self._pushed
        message = self._state(rows, head)
        if "rows" in message or "head" in message:
            with self._lock:
                self._pushed = (max(rows, message["r"]), max(head, message["h"]))
            self.send(message)

    def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """A message from the browser (the kernel's main thread): answered at once."""
        if not isinstance(content, dict) or self._closed:
            return
        kind = content.get("k")
        try:
            if kind == "sync":
                rows, head = content.get("r"), content.get("h")
                rows = rows if isinstance(rows, int) else -1
                self.send(
                    self._state(rows, head if isinstance(head, int) else -1, content.get("seq"))
                )
                self._display.settle()
            elif kind == "pause":
                self.stop(timeout=0)
            elif kind == "resume":
                self.start()
            elif kind == "refresh":
                self._refresh_soon()
            elif kind == "export":
                self._export_clicked(content.get("seq"))
            elif kind == "close":
                self.close(timeout=0)
        except Exception:  # a handler has nowhere to raise to
            log.warning("argil_nb: panel message %r failed", kind, exc_info=True)

    # -- the loop ------------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                workers = getattr(self._client, "max_workers", 8)
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="argil-panel-fetch")
            return self._pool

    def _refresh_soon(self) -> None:
        """ "Refresh now": the worker polls now (started for one poll when paused)."""
        if self.running:
            self._ticker.wake()
        elif not self._data.done:
            self._once = True
            self._ticker.start()

    def _tick(self) -> float | None:
        """The loop's body: one refresh, then the delay before the next (None: finished)."""
        if self._closed or not (self._watching or self._once):
            return None
        self._once = False
        self.refresh()
        if self._closed:
            return None
        view = self._data.view(Query(page_size=1))
        if self._data.refused and view.error is not None:
            self._stopped = (
                f"{REFUSED}, polling stopped: check ARGIL_API_KEY (or the client's api_key), "
                f"then resume · {view.error[1]}"
            )
        elif self._watching and view.now - (view.last_change or view.started) > self._idle_timeout:
            self._stopped = (
                f"stopped: no change in {format_duration(self._idle_timeout)}; resume to go on"
            )
        if view.final or self._stopped or not self._watching:
            self._watching = False
            self._push()
            return None
        return self._data.delay

    def _thumbnails(self) -> None:
        """After a poll (its thread): thumbnails as ``data:`` URIs, never on the main thread.

        The saved view embeds a sandbox's thumbnails of the page shown (they die with it);
        ``inline_thumbnails`` inlines READY ones for the browser, a few per poll.
        """
        session = self._inline_thumbs
        if session is not None and len(self._tried) < MAX_INLINE:
            todo = [u for u in self._data.thumbnails() if u not in self._tried][:INLINE_PER_POLL]
            self._tried.update(todo)
            found = self._executor().map(lambda url: fetch_image(session, url), todo)
            self._data.inline(
                {
                    url: f"data:image/{got[1]};base64,{_b64(got[0])}"
                    for url, got in zip(todo, found, strict=True)
                    if got is not None
                }
            )
        page = [c.id for c in self._data.view(self._current_query()).cards]
        todo = [u for u in self._data.thumbnails(page) if u not in self._saved_thumbs]
        self._saved_thumbs.update(inline_sources(todo))

    def _notify_all(self, transitions: list[Transition]) -> None:
        if not transitions:
            return
        with self._lock:
            callbacks = list(self._callbacks)
        for asset_id, before, after in transitions:
            for callback in callbacks:
                try:
                    callback(asset_id, before, after)
                except Exception:
                    log.exception("argil_nb: on_change callback %r failed", callback)

    def _export_clicked(self, seq: Any) -> None:
        """The "export CSV" button: write the file, send it back for the browser to save."""
        reply: dict[str, Any] = {"k": "export", "re": seq, "ok": False}
        buffers: list[bytes] = []
        try:
            path = self.export_csv()
        except Exception as exc:  # said in the panel: a click has nowhere to raise to
            reply["text"] = f"export failed: {exc}"
        else:
            rows = len(self._data.frame(self._current_query(page=0)))
            reply.update(ok=True, text=f"wrote {rows} row{'s' * (rows != 1)} to {path}")
            reply["name"] = path.name
            size = path.stat().st_size
            if size <= MAX_DOWNLOAD_BYTES:
                buffers = [path.read_bytes()]
            else:
                reply["text"] += f" ({size // 1_000_000} MB: too large to download here)"
        self.send(reply, buffers)


def _what(query: Query) -> str:
    chosen = [] if query.status == "all" else [query.status]
    chosen += [f"search {query.search.strip()!r}"] if query.search.strip() else []
    return ", ".join(chosen) or "nothing matches"


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")
