"""Small HTML pieces shared by ``Asset._repr_html_``, ``show()`` and the panel.

Every piece of user data goes through :func:`html.escape`; a URL is used as an image source
only when it is http(s), so ``javascript:`` or ``data:`` payloads never render.
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from ._checks import is_missing

STATUS_COLOURS = {
    "PROCESSING": ("#92400e", "#fef3c7"),
    "READY": ("#065f46", "#d1fae5"),
    "FAILED": ("#991b1b", "#fee2e2"),
}
_UNKNOWN_COLOURS = ("#374151", "#e5e7eb")


def is_web_url(value: object) -> bool:
    """True for an absolute http(s) URL with a host: the only kind we put in ``src``."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute; NA and None become ''."""
    return "" if is_missing(value) else html.escape(str(value), quote=True)


MAX_TEXT = 200
"""Characters of one value that :func:`clip` shows; a 1 MB name stays this short."""


def clip(value: object, limit: int = MAX_TEXT) -> str:
    """:func:`esc` of the value's text cut to ``limit`` characters, then an ellipsis."""
    if is_missing(value):
        return ""
    text = str(value)
    return esc(text[:limit] + "…" if len(text) > limit else text)


def badge(status: object) -> str:
    """A coloured pill for a status; an unknown status gets a grey one, text escaped."""
    text = clip(status) or "?"
    fg, bg = STATUS_COLOURS.get(str(status), _UNKNOWN_COLOURS)
    return (
        f'<span class="argil-badge" style="display:inline-block;padding:1px 8px;'
        f'border-radius:9px;font-size:11px;font-weight:600;color:{fg};background:{bg}">'
        f"{text}</span>"
    )


def thumbnail(url: object, status: object, size: int = 64) -> str:
    """An ``<img>`` for a web thumbnail URL, else a placeholder box naming the status."""
    style = f"width:{size}px;height:{size * 9 // 16}px;object-fit:cover;border-radius:4px"
    if is_web_url(url):
        return f'<img src="{esc(url)}" alt="thumbnail" loading="lazy" style="{style}">'
    label = "failed" if status == "FAILED" else "processing" if status == "PROCESSING" else "none"
    fg, bg = STATUS_COLOURS.get(str(status), _UNKNOWN_COLOURS)
    return (
        f'<div class="argil-thumb-placeholder" style="{style};display:flex;align-items:center;'
        f'justify-content:center;font-size:10px;color:{fg};background:{bg}">{label}</div>'
    )
