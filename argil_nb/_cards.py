"""The status panel's pieces that are not its state: card and header HTML, card slots, and
the cache of inline thumbnails.

Every piece of user data goes through ``argil_nb._html`` (escaped; only http(s) URLs become
image sources). The HTML holds no time that moves on its own, so a card's string only
changes when its asset does, and the panel can skip assigning an unchanged value.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import ipywidgets as widgets
import requests

from ._html import STATUS_COLOURS, badge, esc, is_web_url, thumbnail
from .models import PROCESSING, STATUSES

__all__ = [
    "THUMB_SIZE",
    "Card",
    "InlineThumbnails",
    "card_html",
    "close_widgets",
    "counts_html",
    "format_duration",
    "set_trait",
]

log = logging.getLogger("argil_nb")

THUMB_SIZE = 96
"""Thumbnail width in pixels (height 9/16 of it)."""
_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
MAX_THUMBNAIL_BYTES = 2_000_000
THUMBNAIL_TIMEOUT = (3.05, 10.0)
_CARD_STYLE = (
    # JupyterLab theme variables, with light fallbacks, so cards read well in dark themes too.
    "display:flex;gap:8px;align-items:center;padding:6px;"
    "border:1px solid var(--jp-border-color2,#e5e7eb);border-radius:6px;"
    "font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;line-height:1.4;"
    "color:var(--jp-ui-font-color1,#111827);overflow:hidden"
)
_MUTED = "color:var(--jp-ui-font-color2,#6b7280)"


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


def format_duration(seconds: float) -> str:
    """``45 s``, ``3 min 05 s``, ``2 h 04 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _created_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ""


def card_html(
    row: Mapping[str, Any],
    *,
    took: float | None = None,
    error: str | None = None,
    with_thumbnail: bool = True,
) -> str:
    """One asset's card.

    Parameters
    ----------
    row
        The asset's schema fields (None for missing ones).
    took
        Seconds it spent processing, when the panel saw it finish.
    error
        Why the last fetch of this asset failed, if it did.
    with_thumbnail
        False when the thumbnail is shown by an image widget beside the card.
    """
    status = row.get("status")
    name = esc(row.get("name"))
    asset_id = esc(row.get("id"))
    short = esc(str(row.get("id") or "")[:8])
    kind = esc(row.get("type"))
    created = _created_text(row.get("created_at"))
    if took is not None and status != PROCESSING:
        timing = f"processed in ~{format_duration(took)}"
    else:
        timing = ""
    edge = STATUS_COLOURS.get(str(status), ("#9ca3af", ""))[0]
    parts = [
        # A status-coloured left edge: a full page of cards scans at a glance.
        f'<div class="argil-card" style="{_CARD_STYLE};border-left:3px solid {edge}">',
        thumbnail(row.get("thumbnail_url"), status, size=THUMB_SIZE) if with_thumbnail else "",
        '<div style="min-width:0;overflow:hidden">',
        f'<div style="font-weight:600;white-space:nowrap;overflow:hidden;'
        f'text-overflow:ellipsis" title="{name}">{name or "<i>unnamed</i>"}</div>',
        f'<div>{badge(status)} <span style="{_MUTED}">{kind}</span></div>',
        f'<div style="{_MUTED}"><code title="{asset_id}">{short}</code>'
        + (f" · {esc(created)}" if created else "")
        + "</div>",
        f'<div style="{_MUTED}">{esc(timing)}</div>' if timing else "",
        f'<div style="color:#991b1b" title="{esc(error)}">not refreshed: {esc(error)[:120]}</div>'
        if error
        else "",
        "</div></div>",
    ]
    return "".join(parts)


def counts_html(counts: Mapping[Any, int]) -> str:
    """Status badges with their counts, known statuses first, then any others."""
    order = [s for s in STATUSES if counts.get(s)]
    order += sorted((s for s in counts if s not in STATUSES and counts[s]), key=str)
    if not order:
        return '<span style="color:#6b7280;font-family:sans-serif;font-size:12px">no assets</span>'
    pieces = [f"{badge(s if s is not None else 'unknown')}&nbsp;<b>{counts[s]}</b>" for s in order]
    return (
        '<span style="font-family:sans-serif;font-size:12px">'
        + " &nbsp; ".join(pieces)
        + ("</span>")
    )


class Card:
    """One slot of the panel's fixed pool: an HTML widget, plus an image slot when inline.

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

    def show(self, value: str | None, image: widgets.Image | None = None) -> None:
        """Show ``value`` (None: hide the slot); ``image`` goes in the thumbnail slot."""
        if value is None:
            set_trait(self.widget.layout, "display", "none")
            return
        set_trait(self.html, "value", value)
        if self.thumb is not None:
            set_trait(self.thumb, "children", (image,) if image is not None else ())
        set_trait(self.widget.layout, "display", "")

    def widgets(self) -> list[widgets.Widget]:
        """Every widget of this card (to close them)."""
        return [self.html] if self.thumb is None else [self.html, self.thumb, self.widget]


class InlineThumbnails:
    """READY thumbnails fetched once per URL, each held in one ``widgets.Image``.

    The bytes reach the front end once, when the image widget opens; cards then only point
    at it. Fetches use a plain session of their own, never the client's, so the API key
    header cannot travel to a thumbnail host.

    Parameters
    ----------
    session
        Sends the GETs; a fresh ``requests.Session`` by default.
    """

    def __init__(self, session: requests.Session | None = None) -> None:
        self._session = session if session is not None else requests.Session()
        self._images: dict[str, widgets.Image | None] = {}
        self._lock = threading.Lock()

    def get(self, url: object) -> widgets.Image | None:
        """The image widget for ``url``, when fetched successfully."""
        with self._lock:
            return self._images.get(url) if isinstance(url, str) else None

    def ensure(self, urls: Iterable[object]) -> None:
        """Fetch, a few at a time, every http(s) URL not tried before (failures included)."""
        with self._lock:
            todo = [
                u
                for u in dict.fromkeys(urls)
                if isinstance(u, str) and is_web_url(u) and u not in self._images
            ]
        if not todo:
            return
        with ThreadPoolExecutor(min(4, len(todo)), thread_name_prefix="argil-thumbs") as pool:
            fetched = list(pool.map(self._fetch, todo))
        with self._lock:
            for url, found in zip(todo, fetched, strict=True):
                if found is None:
                    self._images.setdefault(url, None)
                elif url not in self._images:
                    data, fmt = found
                    self._images[url] = widgets.Image(
                        value=data,
                        format=fmt,
                        layout=widgets.Layout(
                            width=f"{THUMB_SIZE}px",
                            height=f"{THUMB_SIZE * 9 // 16}px",
                            object_fit="cover",
                        ),
                    )

    def _fetch(self, url: str) -> tuple[bytes, str] | None:
        try:
            with self._session.get(url, timeout=THUMBNAIL_TIMEOUT, stream=True) as response:
                ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                fmt = _IMAGE_FORMATS.get(ctype)
                if response.status_code != 200 or fmt is None:
                    log.debug("thumbnail %s: HTTP %s, %s", url, response.status_code, ctype)
                    return None
                data = response.raw.read(MAX_THUMBNAIL_BYTES + 1, decode_content=True)
        except (requests.RequestException, OSError) as exc:
            log.debug("thumbnail %s: %s", url, type(exc).__name__)
            return None
        return (data, fmt) if 0 < len(data) <= MAX_THUMBNAIL_BYTES else None

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for image in self._images.values() if image is not None)

    def close(self) -> None:
        """Close every image widget and the session."""
        with self._lock:
            images, self._images = list(self._images.values()), {}
        close_widgets(image for image in images if image is not None)
        self._session.close()
