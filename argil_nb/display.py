"""HTML for people: ``show(frame)``, an Asset's card, and the pieces the panel shares.

* :func:`show` draws a status table with thumbnails and status badges. Every value is
  HTML-escaped and cut to ``MAX_TEXT`` characters, at most ``max_rows`` rows are rendered
  (the last line says how many more, and how to see them), text is left-aligned, ids and
  times stay on one line. The markup holds no generated ids or timestamps, so a notebook's
  saved output is stable.
* :func:`asset_html` is how a notebook shows one :class:`~argil_nb.models.Asset` (registered
  with IPython's HTML formatter when argil_nb is imported in a kernel: ``models`` stays
  pure).
* The pieces (:func:`esc`, :func:`clip`, :func:`badge`, :func:`thumbnail`, the theme
  colours): every piece of user data goes through :func:`html.escape`; a URL is used as an
  image source only when it is http(s) (or a ``data:image`` URI we made ourselves from
  fetched bytes), so ``javascript:`` or ``data:`` payloads from the data never render.
  Colours come from JupyterLab's theme variables with fallbacks for other front ends: text in
  the theme's font colours, a status shown by an accent (a border, a dot) and a faint tint of
  it, so the same markup reads well in light and dark themes.
* :func:`inline_sources` turns thumbnails served by an argil API on this machine (a sandbox)
  into ``data:`` URIs, for HTML that outlives its server or is read on another machine. Only
  origins registered with :func:`trust_origin` are fetched (``connect()`` and the panel
  register their client's, when it is on loopback): a URL that merely points at this machine
  (another local service) is never requested. Fetches (``_transport.fetch_image``) use plain
  sessions of their own, never the client's, so the API key cannot travel to a thumbnail host.
"""

from __future__ import annotations

import base64
import html
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import urlsplit

import pandas as pd
import requests

from ._checks import check_int, is_missing, is_web_url
from ._transport import fetch_image, is_loopback_url
from .errors import InvalidArgument
from .models import Asset

__all__ = [
    "FONT",
    "MAX_INLINE_BYTES",
    "MAX_TEXT",
    "MUTED",
    "TEXT",
    "WARNING",
    "Table",
    "accent",
    "asset_html",
    "badge",
    "border",
    "clip",
    "esc",
    "inline_sources",
    "paint",
    "show",
    "thumbnail",
    "tint",
    "trust_origin",
]

log = logging.getLogger("argil_nb")

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


# -- thumbnails embedded as data: URIs ------------------------------------------------

MAX_INLINE_BYTES = 200_000
"""A loopback thumbnail larger than this is not embedded (saved notebooks stay small)."""
LOOPBACK_TIMEOUT = (0.5, 2.0)
_CACHE_SIZE = 4096

_origins: set[tuple[str, str, int | None]] = set()


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url.strip())
        return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
    except ValueError:
        return None


def trust_origin(url: object) -> bool:
    """Embed thumbnails from the origin of ``url`` (an argil API base URL) when on loopback.

    Returns True when it is (and so is now trusted).
    """
    if not isinstance(url, str) or not is_loopback_url(url):
        return False
    origin = _origin(url)
    if origin is None:
        return False
    with _sources_lock:
        _origins.add(origin)
    return True


_sources: OrderedDict[str, str | None] = OrderedDict()  # url -> data: URI (None: failed)
_sources_lock = threading.Lock()
_loopback = threading.local()  # one session per thread that embeds


def _data_uri(url: str) -> str | None:
    session = getattr(_loopback, "session", None)
    if session is None:
        session = _loopback.session = requests.Session()
        session.trust_env = False  # loopback: never through a proxy
    found = fetch_image(session, url, limit=MAX_INLINE_BYTES, timeout=LOOPBACK_TIMEOUT)
    if found is None:
        return None
    data, fmt = found
    return f"data:image/{fmt};base64,{base64.b64encode(data).decode('ascii')}"


def inline_sources(urls: Iterable[object]) -> dict[str, str]:
    """``data:`` URIs for the thumbnails among ``urls`` on a trusted loopback origin.

    A picture served by a sandbox on this machine shows nowhere else, and nowhere once the
    sandbox stops: HTML meant to be saved embeds it. Each URL is fetched once per process
    (failures too); other URLs are left out.
    """
    with _sources_lock:
        trusted = set(_origins)
    wanted = [
        u
        for u in dict.fromkeys(urls)
        if isinstance(u, str) and is_loopback_url(u) and _origin(u) in trusted
    ]
    found: dict[str, str] = {}
    for url in wanted:
        with _sources_lock:
            known = url in _sources
            source = _sources.get(url)
        if not known:
            source = _data_uri(url)
            with _sources_lock:
                _sources[url] = source
                while len(_sources) > _CACHE_SIZE:
                    _sources.popitem(last=False)
        if source is not None:
            found[url] = source
    return found


# -- the table and the card -------------------------------------------------------------

_TEXT_COLUMNS = ("name", "type", "id", "created_at")
_CELL = "text-align:left;vertical-align:middle;padding:3px 10px 3px 0"
_ONE_LINE = f"{_CELL};white-space:nowrap"
_NAME = f"{_CELL};max-width:40ch;overflow-wrap:anywhere"  # a name without spaces wraps too


class Table:
    """A frame to display: ``_repr_html_`` in notebooks, the plain frame elsewhere.

    Parameters
    ----------
    frame
        The rows.
    max_rows
        Rows rendered; None renders them all.
    """

    def __init__(self, frame: pd.DataFrame, max_rows: int | None = 50) -> None:
        self.frame = frame
        self.max_rows = max_rows

    def __repr__(self) -> str:
        return repr(self.frame)

    def _repr_html_(self) -> str:
        frame = self.frame
        extra = [
            c
            for c in frame.columns
            if c not in (*_TEXT_COLUMNS, "status", "thumbnail_url", "file_url")
        ]
        head = "".join(
            f'<th scope="col" style="{_ONE_LINE}">{clip(c)}</th>'
            for c in ("thumbnail", "name", "status", "type", "id", "created", *extra)
        )
        shown = frame if self.max_rows is None else frame.head(self.max_rows)
        records = shown.to_dict("records")
        inline = inline_sources(r.get("thumbnail_url") for r in records)
        rows = []
        for record in records:
            created = record.get("created_at")
            created_text = (
                created.strftime("%Y-%m-%d %H:%M:%S UTC")
                if isinstance(created, pd.Timestamp)
                else ""
            )
            url = record.get("thumbnail_url")
            name = record.get("name")
            cells = [
                (
                    _CELL,
                    thumbnail(
                        url,
                        record.get("status"),
                        inline=inline.get(url) if isinstance(url, str) else None,
                        alt=name if isinstance(name, str) else "",
                    ),
                ),
                (_NAME, f"<b>{clip(name)}</b>"),
                (_ONE_LINE, badge(record.get("status"))),
                (_ONE_LINE, clip(record.get("type"))),
                (_ONE_LINE, f"<code>{clip(record.get('id'))}</code>"),
                (_ONE_LINE, esc(created_text)),
                *((_CELL, clip(record.get(c))) for c in extra),
            ]
            rows.append("<tr>" + "".join(f'<td style="{s}">{c}</td>' for s, c in cells) + "</tr>")
        more = len(frame) - len(shown)
        foot = (
            f'<tr><td colspan="99" style="{_CELL};color:{MUTED}">… {more} more rows: '
            f"an.show(frame, max_rows=None) shows them all</td></tr>"
            if more > 0
            else ""
        )
        return (
            f'<table class="argil-table" style="border-collapse:collapse;font-size:12px;'
            f'{FONT};color:{TEXT}">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}{foot}</tbody></table>"
            f'<div style="color:{MUTED};font-size:11px;{FONT}">{len(frame)} assets</div>'
        )


def show(frame: pd.DataFrame, max_rows: int | None = 50) -> Table:
    """Display a status table with thumbnails and status badges.

    Parameters
    ----------
    frame
        A frame from argil_nb (``get_assets``, ``list_assets``, ``read_csv`` ...).
    max_rows
        Rows shown (50 by default); the rest are counted in a last line. None shows them all.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgument(f"show takes a pandas DataFrame, got {type(frame).__name__}")
    if max_rows is not None:
        check_int("max_rows", max_rows, minimum=0)
    return Table(frame, max_rows)


def asset_html(asset: Asset) -> str:
    """One asset as a small card: thumbnail, name, status badge, type, id and creation time."""
    url = asset.thumbnail_url
    inline = inline_sources([url]).get(url) if url else None
    created = asset.created_at.strftime("%Y-%m-%d %H:%M UTC") if asset.created_at else ""
    picture = thumbnail(url, asset.status, size=96, inline=inline, alt=asset.name or "")
    return (
        f'<div class="argil-asset" style="display:flex;gap:10px;align-items:center;'
        f'{FONT};font-size:13px;color:{TEXT}">{picture}'
        f"<div><div><b>{clip(asset.name) or '<i>unnamed</i>'}</b> {badge(asset.status)}</div>"
        f'<div style="color:{MUTED}">{clip(asset.type)} · <code>{clip(asset.id)}</code>'
        f" · {esc(created)}</div></div></div>"
    )


def register_formatter() -> bool:
    """Show Assets as :func:`asset_html` in the running IPython kernel; False outside one."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    shell.display_formatter.formatters["text/html"].for_type(Asset, asset_html)
    return True
