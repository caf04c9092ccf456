"""``StatusPanel``: a live ipywidgets view of assets while they process.

Three parts: ``_tracker.Tracker`` holds the data and does one poll; ``_ticker.Ticker`` is the
loop that decides when; this module lays the widgets out and brings them in line with the
data. Widget traits are assigned only when their value changes, so a refresh in which
nothing changed sends no message to the front end, and one in which k visible assets
changed sends O(k). That is also why the header shows the time of the last *change*, not of
the last check, which would cost one message per refresh.

The walk from data to screen goes one way: the tracker hands out an immutable
``_view.PanelView`` (taken under its own lock, which never leaves ``_tracker``), ``_cards``
turns it into HTML, and this module assigns the HTML to the widgets (``_slots``).

Threads: the loop only sets widget values (it never prints nor calls ``display``). Refreshes
are serialised by one lock and widget writes by another. ``on_change`` callbacks run on the
refreshing thread, outside every lock.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ._cards import card_html, counts_html, state_text
from ._checks import check_int, check_number, invalid
from ._slots import Slot, close_widgets, set_trait
from ._thumbs import InlineThumbnails
from ._ticker import JOIN_TIMEOUT, Ticker
from ._tracker import Tracker, Transition
from ._view import STATUS_FILTERS, AssetView, Query
from .csvio import to_csv
from .models import READY, AssetSource

__all__ = ["STATUS_FILTERS", "StatusPanel"]

log = logging.getLogger("argil_nb")

REFRESH_WAIT = 120.0
"""Seconds a refresh waits for one already running before giving up."""

Callback = Callable[[str, Any, Any], object]


class StatusPanel(widgets.VBox):
    """A live panel of asset statuses: counts, progress, controls and paged asset cards.

    Parameters
    ----------
    ids_or_frame
        Asset ids (list or Series), or a frame with an ``id`` column. A frame with the full
        argil_nb schema also gives the starting rows; its READY/FAILED rows are never fetched.
    client
        The :class:`argil_nb.Client` to poll with.
    interval
        Seconds between polls; doubles after each failed poll, up to
        ``waiting.PANEL_MAX_BACKOFF`` (60 s).
    page_size
        Cards per page.
    inline_thumbnails
        Fetch READY thumbnails in the kernel (once per URL, without the API key) and send
        them as image widgets, for front ends that cannot reach the thumbnail host.
    export_path
        Where the "export CSV" button writes :attr:`frame`.
    clock
        Epoch seconds, for ``history.seen_at`` and the "last change" time.

    Attributes
    ----------
    counts_html, progress_bar, progress_text, state_label, change_label
        The header widgets.
    pause_button, refresh_button, filter_dropdown, export_button, export_label
        The controls.
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
        inline_thumbnails: bool = False,
        export_path: str | os.PathLike[str] = "argil-status.csv",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(client, AssetSource):
            raise invalid("client", "an argil_nb.Client", type(client))
        self.interval = check_number("interval", interval, above=0, unit="seconds")
        check_int("page_size", page_size, minimum=1)
        self._data = Tracker(ids_or_frame, clock, self.interval)
        self._client = client
        self.page_size = page_size
        self.export_path = os.fspath(export_path)
        self._refresh_lock = threading.Lock()  # one poll at a time
        self._render_lock = threading.Lock()  # one writer of widget values at a time
        self._callback_lock = threading.Lock()
        self._callbacks: list[Callback] = []
        self._watching = False
        self._closed = False
        self._page = 0
        self._thumbs = InlineThumbnails() if inline_thumbnails else None
        self._ticker = Ticker(self._tick, self.interval, name="argil-panel")
        self._build()
        self._render()

    def _build(self) -> None:
        def button(text: str, action: Callable[[], object], icon: str = "") -> widgets.Button:
            made = widgets.Button(description=text, icon=icon, layout=widgets.Layout(width="auto"))
            made.on_click(lambda _: action())
            return made

        total = len(self._data.ids)
        self.counts_html = widgets.HTML()
        self.progress_bar = widgets.IntProgress(value=0, min=0, max=max(total, 1))
        self.progress_text = widgets.Label()
        self.state_label = widgets.Label()
        self.change_label = widgets.Label(value="· no data yet")
        self.pause_button = button("resume", self._toggle, "play")
        self.refresh_button = button("refresh now", self.refresh, "refresh")
        self.filter_dropdown = widgets.Dropdown(
            options=STATUS_FILTERS,
            value="all",
            description="show",
            layout={"width": "auto"},
            style={"description_width": "initial"},
        )
        self.filter_dropdown.observe(self._filter_changed, names="value")
        self.export_button = button("export CSV", self._export_clicked, "download")
        self.export_label = widgets.Label(value=f"to {self.export_path}")
        self._slots = [Slot(self._thumbs is not None) for _ in range(self.page_size)]
        self.cards = [slot.html for slot in self._slots]
        grid = widgets.GridBox(
            [slot.widget for slot in self._slots],
            layout=widgets.Layout(
                grid_template_columns="repeat(auto-fill, minmax(300px, 1fr))", grid_gap="6px"
            ),
        )
        self.prev_button = button("◀ prev", lambda: self._turn(-1))
        self.next_button = button("next ▶", lambda: self._turn(+1))
        self.page_label = widgets.Label()
        self._pager = widgets.HBox([self.prev_button, self.page_label, self.next_button])
        controls = [self.pause_button, self.refresh_button, self.filter_dropdown]
        rows = [
            widgets.HBox([self.counts_html, self.progress_bar, self.progress_text]),
            widgets.HBox([self.state_label, self.change_label]),
            widgets.HBox([*controls, self.export_button, self.export_label]),
            grid,
            self._pager,
        ]
        super().__init__(rows)
        self._owned = [w for row in rows for w in (row, *row.children)]
        self._owned += [w for slot in self._slots for w in slot.widgets()]

    # -- public API --------------------------------------------------------------------------

    @property
    def frame(self) -> pd.DataFrame:
        """The current table (argil_nb schema, one row per asset, in the order given)."""
        return self._data.frame()

    @property
    def history(self) -> pd.DataFrame:
        """Every status transition seen: columns ``id``, ``from``, ``to``, ``seen_at`` (UTC).

        The first status seen of an asset (from the starting frame or the first fetch) is
        its starting point, not a transition.
        """
        return self._data.history()

    @property
    def done(self) -> bool:
        """True once every asset is READY or FAILED."""
        return self._data.done

    @property
    def running(self) -> bool:
        """True while the panel polls in the background."""
        return self._watching and self._ticker.running

    def on_change(self, callback: Callback, remove: bool = False) -> Callback:
        """Call ``callback(id, old_status, new_status)`` once per status transition.

        It runs on the refreshing thread (the background loop, or the caller of
        :meth:`refresh`); an exception it raises is logged and does not stop the panel.
        Returns the callback, so that this works as a decorator.
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

    def export_csv(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write :attr:`frame` with :func:`argil_nb.to_csv` (to ``export_path`` by default)."""
        frame = self.frame
        target = to_csv(frame, self.export_path if path is None else path)
        set_trait(self.export_label, "value", f"wrote {len(frame)} rows to {target}")
        return target

    def close(self) -> None:
        """Stop polling, wait for the loop's thread, and close every widget of the panel."""
        if getattr(self, "_closed", True):  # closed already, or a failed __init__
            super().close()
            return
        self._closed = True
        self._watching = False
        self._ticker.stop(JOIN_TIMEOUT)
        with self._render_lock:
            close_widgets([*self._owned, self.layout])
            if self._thumbs is not None:
                self._thumbs.close()
        super().close()

    def __repr__(self) -> str:
        # Deterministic (no counts that change): a saved notebook output stays stable.
        return f"StatusPanel(assets={len(self._data.ids)}, interval={self.interval!r})"

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

    def _query(self) -> Query:
        return Query(status=self.filter_dropdown.value, page=self._page, page_size=self.page_size)

    def _card_value(self, asset: AssetView) -> tuple[str, widgets.Image | None]:
        """A card's HTML and inline image."""
        image = None
        if self._thumbs is not None and asset.status == READY:
            image = self._thumbs.get(asset.thumbnail_url)
        return card_html(asset, with_thumbnail=image is None), image

    def _render(self) -> None:
        """Bring every widget in line with the data, assigning only what differs."""
        if self._closed:
            return
        with self._render_lock:
            if self._closed:  # closed while this thread waited for the lock
                return
            if self._thumbs is not None:
                cards = self._data.view(self._query()).cards
                # network, so before the view that is rendered
                self._thumbs.ensure(c.thumbnail_url for c in cards if c.status == READY)
            view = self._data.view(self._query())
            self._page = view.page
            finished, total = view.finished, view.total
            set_trait(self.counts_html, "value", counts_html(view.counts))
            set_trait(self.progress_bar, "value", finished)
            set_trait(self.progress_bar, "bar_style", "success" if view.final else "")
            set_trait(self.progress_text, "value", f"{finished}/{total} finished")
            state = state_text(view, self._watching, self.interval)
            set_trait(self.state_label, "value", state)
            if view.last_change is not None:
                when = datetime.fromtimestamp(view.last_change, UTC).strftime("%H:%M:%S")
                set_trait(self.change_label, "value", f"· last change {when} UTC")
            finished_all = view.final
            label = "finished" if finished_all else "pause" if self._watching else "resume"
            icon = "check" if finished_all else "pause" if self._watching else "play"
            set_trait(self.pause_button, "description", label)
            set_trait(self.pause_button, "icon", icon)
            set_trait(self.pause_button, "disabled", finished_all)
            for index, slot in enumerate(self._slots):
                if index < len(view.cards):
                    slot.show(*self._card_value(view.cards[index]))
                else:
                    slot.show(None)
            pages = view.pages
            set_trait(self._pager.layout, "display", "none" if pages == 1 else "flex")
            set_trait(self.page_label, "value", f"page {view.page + 1} of {pages}")
            set_trait(self.prev_button, "disabled", view.page == 0)
            set_trait(self.next_button, "disabled", view.page >= pages - 1)

    def _toggle(self) -> None:
        if self._watching:
            self.stop()
        else:
            self.start()

    def _turn(self, step: int) -> None:
        self._page = max(0, self._page + step)
        self._render()

    def _filter_changed(self, _change: object) -> None:
        self._page = 0
        self._render()

    def _export_clicked(self) -> None:
        # A button callback has nowhere to raise to: say what went wrong in the panel.
        try:
            self.export_csv()
        except Exception as exc:
            set_trait(self.export_label, "value", f"export failed: {exc}")
