"""``StatusPanel``: a live ipywidgets view of assets while they process.

Its parts: ``_tracker.Tracker`` holds the data and does one poll; ``_ticker.Ticker`` is the
loop that decides when; ``_widgets.PanelWidgets`` is the widget tree; ``_display`` puts it
in the notebook beside a static snapshot. This module ties them together.

The walk from data to screen goes one way: the tracker hands out an immutable
``_view.PanelView`` (taken under its own lock, which never leaves ``_tracker``), ``_cards``
and ``_header`` turn it into HTML, and ``_widgets`` assigns what differs. Hence the header
shows the time of the last *change*, not of the last check, which would cost one message
per refresh.

Threads: the loop only sets widget values (it never prints nor calls ``display``; the
snapshot is sent from the main thread, after each cell and on ``close()``). Refreshes are
serialised by one lock and widget writes by another. ``on_change`` callbacks run on the
refreshing thread, outside every lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .._checks import check_choice, check_int, check_number, invalid
from ..display import inline_sources, trust_origin
from ..models import READY, AssetSource
from ._display import LiveDisplay
from ._export import download_html, export_frame
from ._header import export_hint, snapshot_html, state_text
from ._slots import close_widgets, set_trait
from ._thumbs import InlineThumbnails
from ._ticker import JOIN_TIMEOUT, Ticker
from ._tracker import Tracker, Transition
from ._view import STATUS_FILTERS, PanelView, Query
from ._widgets import LAYOUTS, Actions, PanelWidgets

__all__ = ["STATUS_FILTERS", "StatusPanel"]

log = logging.getLogger("argil_nb")

REFRESH_WAIT = 120.0
"""Seconds a refresh waits for one already running before giving up."""
LIST_FROM = 48
"""``layout=None``: cards up to this many assets, the compact list beyond."""

Callback = Callable[[str, Any, Any], object]


class StatusPanel(widgets.VBox):
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
        ``waiting.PANEL_MAX_BACKOFF`` (60 s).
    page_size
        Cards (or list rows) per page.
    layout
        ``"cards"`` (a grid) or ``"list"`` (one line per asset); None: cards up to 48
        assets, the list beyond. The panel's toggle switches it.
    inline_thumbnails
        Fetch READY thumbnails in the kernel (once per URL, without the API key) and send
        them as image widgets, for front ends that cannot reach the thumbnail host (in
        either layout).
    export_path
        Where the "export CSV" button writes the rows shown (numbered when it exists).
    clock
        Epoch seconds, for ``history`` and the times in the header.

    Attributes
    ----------
    counts_html, progress_bar, progress_text, timing_label, close_button
        The header: badges with counts, the bar (READY, FAILED and not found in their
        colours), "3/8 finished", and the elapsed time, rate and time left as of the last
        change.
    state_label, change_label
        The state in words and the time of the last change.
    pause_button, refresh_button, filter_dropdown, sort_dropdown, search_box, layout_toggle
        The controls.
    export_button, export_label, download_link
        Export: what it writes, then where it wrote, and a link to download the file.
    cards, prev_button, next_button, page_label
        The ``page_size`` card widgets (``ipywidgets.HTML``) and the pager.
    """

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
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(client, AssetSource):
            raise invalid("client", "an argil_nb.Client", type(client))
        self.interval = check_number("interval", interval, above=0, unit="seconds")
        check_int("page_size", page_size, minimum=1)
        if layout is not None:
            check_choice("layout", layout, LAYOUTS)
        if not isinstance(export_path, (str, os.PathLike)):
            raise invalid("export_path", "a str or a Path", type(export_path))
        self._data = Tracker(ids_or_frame, clock, self.interval)
        self._client = client
        trust_origin(getattr(client, "base_url", None))  # a sandbox's thumbnails get embedded
        self.page_size = page_size
        self.export_path = os.fspath(export_path)
        self._refresh_lock = threading.Lock()  # one poll at a time
        self._render_lock = threading.Lock()  # one writer of widget values at a time
        self._callback_lock = threading.Lock()
        self._callbacks: list[Callback] = []
        self._watching = False
        self._closed = False
        self._page = 0
        self._exported: tuple[Query, str] | None = None
        self._thumbs = InlineThumbnails() if inline_thumbnails else None
        self._ticker = Ticker(self._tick, self.interval, name="argil-panel")
        if layout is None:
            layout = "cards" if len(self._data.ids) <= LIST_FROM else "list"
        actions = Actions(
            self._toggle, self.refresh, self._export_clicked, self.close, self._turn, self._changed
        )
        ui = PanelWidgets(page_size, layout, self._thumbs, actions)
        self._ui = ui
        self.counts_html, self.progress_bar = ui.counts_html, ui.progress_bar
        self.progress_text, self.timing_label = ui.progress_text, ui.timing_label
        self.close_button, self.state_label = ui.close_button, ui.state_label
        self.change_label, self.pause_button = ui.change_label, ui.pause_button
        self.refresh_button, self.filter_dropdown = ui.refresh_button, ui.filter_dropdown
        self.sort_dropdown, self.search_box = ui.sort_dropdown, ui.search_box
        self.layout_toggle, self.export_button = ui.layout_toggle, ui.export_button
        self.export_label, self.download_link = ui.export_label, ui.download_link
        self.cards = [slot.html for slot in ui.slots]
        self.prev_button, self.next_button = ui.prev_button, ui.next_button
        self.page_label = ui.page_label
        self._display = LiveDisplay(self._bundle, self._snapshot_key)
        super().__init__(ui.rows)
        self.add_class("argil-panel")
        self._render()

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
        """The rows the controls select: status filter and search, every page, their order."""
        return self._data.frame(self._ui.query(0))

    @property
    def history(self) -> pd.DataFrame:
        """Every status transition seen, one row each.

        Columns: ``id``, ``from``, ``to`` (string); ``seen_at``, when the panel saw the new
        status, and ``checked_before``, when it last saw the old one (both UTC; NaT when
        the old status came from the starting frame). The transition happened in between,
        so ``seen_at - created_at`` is an upper bound of a processing time and
        ``checked_before - created_at`` a lower one; a pause or an outage widens the gap.
        The first status seen of an asset is its starting point, not a transition.
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

    def on_change(self, callback: Callback, remove: bool = False) -> Callback:
        """Call ``callback(id, old_status, new_status)`` once per status transition.

        ``new_status`` is ``"NOT_FOUND"`` for an asset deleted while watched. It runs on the
        refreshing thread (the background loop, or the caller of :meth:`refresh`); an
        exception it raises is logged and does not stop the panel. Returns the callback, so
        that this works as a decorator.
        """
        with self._callback_lock:
            if remove:
                self._callbacks = [c for c in self._callbacks if c is not callback]
            else:
                self._callbacks.append(callback)
        return callback

    def refresh(self) -> None:
        """Fetch the unfinished assets once and update the panel (synchronous)."""
        if self._closed:
            return
        if not self._refresh_lock.acquire(timeout=REFRESH_WAIT):
            log.warning("argil_nb: a panel refresh is still running; skipped this one")
            return
        try:
            was_failing = self._data.failures > 0
            transitions = self._data.poll(self._client)
            self._render()
        finally:
            self._refresh_lock.release()
        if was_failing and self._data.failures == 0 and self._watching:
            self._ticker.wake()  # back in touch: leave the backoff wait for the interval
        self._notify(transitions)

    def start(self) -> None:
        """Poll in the background every ``interval`` seconds; a no-op when running."""
        if self._closed:
            return
        self._watching = True
        self._ticker.start()
        self._render()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop polling (pause); :meth:`start` resumes. A poll in flight finishes first."""
        self._watching = False
        self._ticker.stop(timeout)
        self._render()

    def export_csv(
        self, path: str | os.PathLike[str] | None = None, *, overwrite: bool = False
    ) -> Path:
        """Write the rows shown (:attr:`shown`) as CSV; return the absolute path written.

        Parameters
        ----------
        path
            Where (``export_path`` by default). An existing file is never replaced unless
            ``overwrite``: the next free numbered name is used (``argil-status-1.csv``).
        overwrite
            Replace an existing status table at ``path``.
        """
        query = self._ui.query(0)
        frame = self._data.frame(query)
        target = export_frame(
            frame, self.export_path if path is None else path, overwrite=overwrite
        )
        rows = "row" if len(frame) == 1 else "rows"
        self._exported = (query, f"wrote {len(frame)} {rows} to {target}")
        with self._render_lock:
            set_trait(self.download_link, "value", download_html(target))
        self._render()
        return target

    def close(self) -> None:
        """Stop polling, wait for the loop's thread, and close every widget of the panel.

        Where the panel was displayed, its output keeps a static snapshot of its last state.
        """
        if getattr(self, "_closed", True):  # closed already, or a failed __init__
            super().close()
            return
        self._watching = False
        self._ticker.stop(JOIN_TIMEOUT)
        try:
            self._display.update(live=False, force=True)
        except Exception:  # closing must not fail because a front end went away
            log.warning("argil_nb: could not leave a snapshot of the panel", exc_info=True)
        self._display.forget()
        self._closed = True
        with self._render_lock:
            close_widgets([*self._ui.owned(), self.layout])
            if self._thumbs is not None:
                self._thumbs.close()
        super().close()

    def __repr__(self) -> str:
        # Deterministic (no counts that change): a saved notebook output stays stable.
        return f"StatusPanel(assets={len(self._data.ids)}, interval={self.interval!r})"

    # -- display -----------------------------------------------------------------------------

    def _ipython_display_(self) -> None:
        self._display.show()

    def _view(self) -> PanelView:
        return self._data.view(self._ui.query(self._page))

    def _state(self, view: PanelView) -> str:
        return "closed" if self._closed else state_text(view, self._watching, self.interval)

    def _snapshot_key(self) -> object:
        view = self._view()
        return (view.version, self._state(view), self._ui.query(view.page), self._ui.layout_name)

    def _bundle(self, live: bool) -> dict[str, Any]:
        view = self._view()
        state = "closed" if not live else self._state(view)
        urls = [c.thumbnail_url for c in view.cards if c.thumbnail_url]
        html = snapshot_html(
            view, state, grid=self._ui.layout_name == "cards", inline=inline_sources(urls)
        )
        bundle: dict[str, Any] = {"text/plain": repr(self), "text/html": html}
        if live:
            bundle.update(self._repr_mimebundle_())
        return bundle

    # -- the loop ----------------------------------------------------------------------------

    def _tick(self) -> float | None:
        """The loop's body: one refresh, then the delay before the next (None: finished)."""
        if self._closed or not self._watching:
            return None
        self.refresh()
        if self._closed or not self._watching:
            return None
        if self.done:
            self._watching = False
            self._render()
            return None
        return self._data.delay

    def _notify(self, transitions: list[Transition]) -> None:
        if not transitions:
            return
        with self._callback_lock:
            callbacks = list(self._callbacks)
        for asset_id, before, after in transitions:
            for callback in callbacks:
                try:
                    callback(asset_id, before, after)
                except Exception:
                    log.exception("argil_nb: on_change callback %r failed", callback)

    # -- widgets -----------------------------------------------------------------------------

    def _hint(self, view: PanelView, query: Query) -> str:
        if self._exported is not None and self._exported[0] == query:
            return self._exported[1]  # what the last export did, until the query changes
        return export_hint(view, query)

    def _render(self) -> None:
        """Bring every widget in line with the data, assigning only what differs."""
        if self._closed:
            return
        with self._render_lock:
            if self._closed:  # closed while this thread waited for the lock
                return
            if self._thumbs is not None:
                cards = self._view().cards
                # network, so before the view that is rendered
                self._thumbs.ensure(c.thumbnail_url for c in cards if c.status == READY)
            query = self._ui.query(self._page)
            view = self._data.view(query)
            self._page = view.page
            self._ui.render(
                view,
                watching=self._watching,
                interval=self.interval,
                hint=self._hint(view, query),
            )

    def _toggle(self) -> None:
        if self._watching:
            self.stop()
        else:
            self.start()

    def _turn(self, step: int) -> None:
        self._page = max(0, self._page + step)
        self._render()

    def _changed(self) -> None:
        self._page = 0
        self._render()

    def _export_clicked(self) -> None:
        # A button callback has nowhere to raise to: say what went wrong in the panel.
        try:
            self.export_csv()
        except Exception as exc:
            self._exported = (self._ui.query(0), f"export failed: {exc}")
            self._render()
