"""Small HTML pieces shared by ``Asset._repr_html_``, ``show()`` and the panel.

Every piece of user data goes through :func:`html.escape`; a URL is used as an image source
only when it is http(s) (or a ``data:image`` URI we made ourselves from fetched bytes), so
``javascript:`` or ``data:`` payloads from the data never render.

Colours come from JupyterLab's theme variables with fallbacks for other front ends: text in
the theme's font colours, a status shown by an accent (a border, a dot) and a faint tint of
it, so the same markup reads well in light and dark themes.
"""

from __future__ import annotations

import html
import ipaddress
from urllib.parse import urlsplit

from ._checks import is_missing

__all__ = [
    "FONT",
    "MAX_TEXT",
    "MUTED",
    "TEXT",
    "WARNING",
    "accent",
    "badge",
    "border",
    "clip",
    "esc",
    "is_loopback_url",
    "is_web_url",
    "paint",
    "thumbnail",
    "tint",
]

_ACCENTS = {
    "PROCESSING": ("--jp-warn-color1", "#d97706"),
    "READY": ("--jp-success-color1", "#15803d"),
    "FAILED": ("--jp-error-color1", "#b91c1c"),
    "NOT_FOUND": ("--jp-layout-color4", "#6b7280"),
}
_UNKNOWN_ACCENT = ("--jp-border-color0", "#9ca3af")
_LABELS = {"NOT_FOUND": "NOT FOUND"}
TEXT = "var(--jp-ui-font-color1,#1f2937)"
MUTED = "var(--jp-ui-font-color2,#4b5563)"
WARNING = "var(--jp-error-color1,#b91c1c)"
"""Text that reports a problem: readable on both themes' backgrounds (4.5:1 or more)."""
FONT = "font-family:var(--jp-ui-font-family,system-ui,sans-serif)"


def accent(status: object) -> str:
    """The CSS colour that stands for ``status`` (grey for an unknown one)."""
    variable, fallback = _ACCENTS.get(str(status), _UNKNOWN_ACCENT)
    return f"var({variable},{fallback})"


def tint(status: object, percent: int = 16) -> str:
    """A faint, see-through wash of the status colour: a background for either theme."""
    return f"color-mix(in srgb,{accent(status)} {percent}%,transparent)"


def paint(prop: str, status: object, *, width: str = "", percent: int = 0) -> str:
    """``prop`` in the status colour (``width``: a border; ``percent``: a wash), declared twice.

    First plainly, then with the theme's variable: where a sanitizer drops ``var()`` and
    ``color-mix()`` (JupyterLab's, for an untrusted notebook) the plain one remains.
    """
    fallback = _ACCENTS.get(str(status), _UNKNOWN_ACCENT)[1]
    if percent:
        red, green, blue = (int(fallback[i : i + 2], 16) for i in (1, 3, 5))
        plain, themed = f"rgba({red},{green},{blue},{percent / 100:g})", tint(status, percent)
    else:
        plain, themed = fallback, accent(status)
    lead = f"{width} " if width else ""
    return f"{prop}:{lead}{plain};{prop}:{lead}{themed}"


def border(width: str = "1px") -> str:
    """A neutral border, themed, with a plain fallback declared first (see :func:`paint`)."""
    return f"border:{width} solid #d1d5db;border:{width} solid var(--jp-border-color2,#d1d5db)"


def is_web_url(value: object) -> bool:
    """True for an absolute http(s) URL with a host: the only kind we put in ``src``."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_loopback_url(value: object) -> bool:
    """True for an http(s) URL on this machine (localhost, 127.0.0.0/8, ::1).

    Such a thumbnail only shows in a browser on the same machine, and only while its server
    runs (a sandbox): saved outputs embed it instead.
    """
    if not is_web_url(value):
        return False
    host = (urlsplit(str(value).strip()).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def esc(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute; NA and None become ''."""
    return "" if is_missing(value) else html.escape(str(value), quote=True)


MAX_TEXT = 200
"""Characters of one value that :func:`clip` shows; a 1 MB name stays this short."""


def clip(value: object, limit: int = MAX_TEXT) -> str:
    """:func:`esc` of the value's text cut to ``limit`` characters, then an ellipsis.

    The cut comes before the escaping, so it never splits an entity.
    """
    if is_missing(value):
        return ""
    text = str(value)
    return esc(text[:limit] + "…" if len(text) > limit else text)


def badge(status: object) -> str:
    """A pill for a status: its colour as a border and a faint wash, its text escaped."""
    text = clip(_LABELS.get(str(status), status), 40) or "?"
    return (
        f'<span class="argil-badge" style="display:inline-block;padding:0 7px;'
        f"border-radius:9px;font-size:11px;font-weight:600;line-height:15px;"
        f"white-space:nowrap;color:{TEXT};{paint('background', status, percent=16)};"
        f'{paint("border", status, width="1px solid")}">{text}</span>'
    )


def thumbnail(
    url: object, status: object, size: int = 64, *, inline: str | None = None, alt: str = ""
) -> str:
    """An ``<img>`` for a web thumbnail URL, else a placeholder box naming the status.

    Parameters
    ----------
    url
        The thumbnail URL (only http(s) ones become images).
    status
        Named by the placeholder.
    size
        Width in pixels (height 9/16 of it); the box never shrinks.
    inline
        A ``data:image/...`` URI of the same picture, used instead of ``url`` (made by
        argil_nb from fetched bytes, never taken from the data).
    alt
        The image's text alternative (escaped here).
    """
    style = (
        f"display:block;flex:0 0 auto;width:{size}px;height:{size * 9 // 16}px;"
        "object-fit:cover;border-radius:4px"
    )
    label = f"thumbnail of {alt}" if alt else "thumbnail"
    if inline is not None and inline.startswith("data:image/"):
        return f'<img src="{esc(inline)}" alt="{clip(label, 120)}" style="{style}">'
    if is_web_url(url):
        return f'<img src="{esc(url)}" alt="{clip(label, 120)}" loading="lazy" style="{style}">'
    names = {"FAILED": "failed", "PROCESSING": "processing", "NOT_FOUND": "not found"}
    text = names.get(str(status), "none")
    return (
        f'<div class="argil-thumb-placeholder" style="{style};box-sizing:border-box;'
        f"display:flex;align-items:center;justify-content:center;font-size:10px;"
        f"color:{TEXT};{paint('background', status, percent=14)};"
        f'{paint("border", status, width="1px dashed")}">'
        f"{text}</div>"
    )
