"""The status panel's widget tree, and the one function that brings it in line with a view.

Stock ipywidgets only. :meth:`PanelWidgets.render` takes the tracker's immutable
``PanelView`` and assigns each trait only when its value differs, so a refresh in which
nothing changed sends no message to the front end, and one in which k visible assets changed
sends O(k).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import ipywidgets as widgets

from ..models import READY
from ._cards import CARD_MIN_WIDTH, ROW_THUMB, THUMB_SIZE, card_html, row_html
from ._header import STALE_HTML, bar_html, counts_html, progress_text, state_text, timing_line
from ._slots import Slot, set_trait
from ._thumbs import InlineThumbnails
from ._view import NOT_FOUND, SORTS, STATUS_FILTERS, AssetView, PanelView, Query

__all__ = ["LAYOUTS", "Actions", "PanelWidgets"]

LAYOUTS = ("cards", "list")
_FILTER_LABELS = {"all": "all", NOT_FOUND: "not found"}
_GRID = {
    "cards": f"repeat(auto-fill, minmax({CARD_MIN_WIDTH}px, 1fr))",
    "list": "minmax(0, 1fr)",
}


@dataclass(frozen=True)
class Actions:
    """What the controls do (the panel's methods)."""

    toggle: Callable[[], object]
    refresh: Callable[[], object]
    export: Callable[[], object]
    close: Callable[[], object]
    turn: Callable[[int], object]
    changed: Callable[[], object]


def _button(text: str, action: Callable[[], object], icon: str, tip: str) -> widgets.Button:
    made = widgets.Button(
        description=text, icon=icon, tooltip=tip, layout=widgets.Layout(width="auto")
    )
    made.on_click(lambda _: action())
    return made


def _row(children: list[widgets.Widget]) -> widgets.HBox:
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap", align_items="center"))


class PanelWidgets:
    """Every widget of one panel (see ``StatusPanel`` for the public ones)."""

    def __init__(
        self,
        page_size: int,
        layout: str,
        thumbs: InlineThumbnails | None,
        actions: Actions,
    ) -> None:
        self._thumbs = thumbs
        self.counts_html = widgets.HTML()
        self.progress_bar = widgets.HTML()
        self.progress_text = widgets.Label()
        self.timing_label = widgets.Label()
        self.close_button = _button("close", actions.close, "times", "stop and close the panel")
        self.state_label = widgets.Label()
        self.change_label = widgets.Label(value="· no data yet")
        self.stale_note = widgets.HTML(value=STALE_HTML)
        for live in (self.state_label, self.timing_label):
            live.add_class("argil-live")  # hidden once the kernel is gone (see _header)
        self.pause_button = _button("resume", actions.toggle, "play", "pause or resume polling")
        self.refresh_button = _button("refresh now", actions.refresh, "refresh", "poll once now")
        self.filter_dropdown = widgets.Dropdown(
            options=[(_FILTER_LABELS.get(s, s), s) for s in STATUS_FILTERS],
            value="all",
            description="show",
            layout={"width": "auto"},
            style={"description_width": "initial"},
        )
        self.sort_dropdown = widgets.Dropdown(
            options=SORTS,
            value=SORTS[0],
            description="order",
            layout={"width": "auto"},
            style={"description_width": "initial"},
        )
        self.search_box = widgets.Text(
            value="",
            placeholder="name or id",
            description="search",
            continuous_update=True,
            layout={"width": "200px"},
            style={"description_width": "initial"},
        )
        self.layout_toggle = widgets.ToggleButtons(
            options=LAYOUTS,
            value=layout,
            tooltips=["cards in a grid", "one line per asset"],
            style={"button_width": "auto"},
        )
        for control in (self.filter_dropdown, self.sort_dropdown, self.search_box):
            control.observe(lambda _: actions.changed(), names="value")
        self.layout_toggle.observe(lambda _: actions.changed(), names="value")
        self.export_button = _button(
            "export CSV", actions.export, "download", "write the rows shown to a CSV file"
        )
        self.export_label = widgets.Label()
        self.download_link = widgets.HTML()
        self.slots = [Slot(thumbs is not None) for _ in range(page_size)]
        for slot in self.slots:
            # min-width 0: a long name must not widen its grid cell.
            slot.widget.layout.min_width = "0"
            slot.widget.layout.overflow = "hidden"
            slot.widget.layout.margin = "0"
        self.grid = widgets.GridBox(
            [slot.widget for slot in self.slots],
            layout=widgets.Layout(grid_template_columns=_GRID[layout], grid_gap="6px"),
        )
        self.prev_button = _button("◀ prev", lambda: actions.turn(-1), "", "previous page")
        self.next_button = _button("next ▶", lambda: actions.turn(+1), "", "next page")
        self.page_label = widgets.Label()
        self.pager = widgets.HBox([self.prev_button, self.page_label, self.next_button])
        self.rows = [
            _row(
                [
                    self.counts_html,
                    self.progress_bar,
                    self.progress_text,
                    self.timing_label,
                    self.close_button,
                ]
            ),
            _row([self.state_label, self.change_label, self.stale_note]),
            _row(
                [
                    self.pause_button,
                    self.refresh_button,
                    self.filter_dropdown,
                    self.sort_dropdown,
                    self.search_box,
                    self.layout_toggle,
                ]
            ),
            _row([self.export_button, self.export_label, self.download_link]),
            self.grid,
            self.pager,
        ]

    @property
    def layout_name(self) -> str:
        """``cards`` or ``list``."""
        return str(self.layout_toggle.value)

    def owned(self) -> list[widgets.Widget]:
        """Every widget of the tree (to close them)."""
        found: list[widgets.Widget] = []
        for row in self.rows:
            found += [row, *getattr(row, "children", ())]
        found += [w for slot in self.slots for w in slot.widgets()]
        return found

    def query(self, page: int) -> Query:
        """What the controls ask to see."""
        return Query(
            status=str(self.filter_dropdown.value),
            search=str(self.search_box.value),
            sort=str(self.sort_dropdown.value),
            page=page,
            page_size=len(self.slots),
        )

    def _slot_value(self, asset: AssetView) -> tuple[str, widgets.Image | None]:
        image = None
        if self._thumbs is not None and asset.status == READY:
            image = self._thumbs.get(asset.thumbnail_url)
        if self.layout_name == "list":
            return row_html(asset, with_thumbnail=image is None), image
        return card_html(asset, with_thumbnail=image is None), image

    def render(self, view: PanelView, *, watching: bool, interval: float, hint: str) -> None:
        """Bring every widget in line with ``view``, assigning only what differs."""
        set_trait(self.counts_html, "value", counts_html(view))
        set_trait(self.progress_bar, "value", bar_html(view))
        set_trait(self.progress_text, "value", progress_text(view))
        set_trait(self.timing_label, "value", timing_line(view, watching))
        set_trait(self.state_label, "value", state_text(view, watching, interval))
        if view.last_change is not None:
            when = datetime.fromtimestamp(view.last_change, UTC).strftime("%H:%M:%S")
            set_trait(self.change_label, "value", f"· last change {when} UTC")
        label = "finished" if view.final else "pause" if watching else "resume"
        icon = "check" if view.final else "pause" if watching else "play"
        set_trait(self.pause_button, "description", label)
        set_trait(self.pause_button, "icon", icon)
        set_trait(self.pause_button, "disabled", view.final)
        set_trait(self.export_label, "value", hint)
        set_trait(self.grid.layout, "grid_template_columns", _GRID[self.layout_name])
        thumb = ROW_THUMB if self.layout_name == "list" else THUMB_SIZE
        for index, slot in enumerate(self.slots):
            slot.size_thumb(thumb)
            if index < len(view.cards):
                slot.show(*self._slot_value(view.cards[index]))
            else:
                slot.show(None)
        pages = view.pages
        set_trait(self.pager.layout, "display", "none" if pages == 1 else "flex")
        set_trait(self.page_label, "value", f"page {view.page + 1} of {pages}")
        set_trait(self.prev_button, "disabled", view.page == 0)
        set_trait(self.next_button, "disabled", view.page >= pages - 1)
