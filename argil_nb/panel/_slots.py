"""The panel's widget plumbing: assign a trait only when it differs, close widgets with their
parts, and the fixed pool of card slots that pages reuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

__all__ = ["Slot", "close_widgets", "set_trait"]


def set_trait(widget: widgets.Widget, name: str, value: Any) -> bool:
    """Assign a trait only when its value differs: an unchanged one sends no message."""
    if getattr(widget, name) == value:
        return False
    setattr(widget, name, value)
    return True


def close_widgets(items: Iterable[widgets.Widget]) -> None:
    """Close widgets with their layout and style widgets, each once."""
    seen: set[int] = set()
    for widget in items:
        for part in (widget, getattr(widget, "layout", None), getattr(widget, "style", None)):
            if isinstance(part, widgets.Widget) and id(part) not in seen:
                seen.add(id(part))
                part.close()


class Slot:
    """One place of the panel's fixed pool: an HTML widget, plus an image box when inline.

    The slot is reused for whichever asset the current page shows at its position.
    """

    def __init__(self, inline: bool) -> None:
        self.html = widgets.HTML(value="")
        self.thumb: widgets.Box | None = None
        if inline:
            self.thumb = widgets.Box(layout=widgets.Layout(flex="0 0 auto"))
            self.widget: widgets.Widget = widgets.HBox(
                [self.thumb, self.html], layout=widgets.Layout(align_items="center")
            )
        else:
            self.widget = self.html
        self.widget.layout.display = "none"

    def size_thumb(self, width: int) -> None:
        """The image box's size (16:9), when inline: a card's or a list row's thumbnail."""
        if self.thumb is not None:
            set_trait(self.thumb.layout, "width", f"{width}px")
            set_trait(self.thumb.layout, "height", f"{width * 9 // 16}px")

    def show(self, value: str | None, image: widgets.Image | None = None) -> None:
        """Show ``value`` (None: hide the slot); ``image`` goes in the thumbnail box."""
        if value is None:
            set_trait(self.widget.layout, "display", "none")
            return
        set_trait(self.html, "value", value)
        if self.thumb is not None:
            set_trait(self.thumb, "children", (image,) if image is not None else ())
        set_trait(self.widget.layout, "display", "")

    @property
    def shown(self) -> bool:
        """True while the slot shows an asset."""
        return self.widget.layout.display != "none"

    def widgets(self) -> list[widgets.Widget]:
        """Every widget of this slot (to close them)."""
        return [self.html] if self.thumb is None else [self.html, self.thumb, self.widget]
