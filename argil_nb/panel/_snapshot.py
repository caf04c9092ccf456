"""The panel as static HTML: what a saved notebook shows without a kernel or widgets.

Pure: input is the tracker's immutable ``PanelView``. Inline styles only (no stylesheet
reaches a saved output), every piece of user data through ``argil_nb.display`` (escaped;
only http(s) URLs, or ``data:image`` URIs argil_nb made, become image sources). The header,
the page of cards (or list rows) as the browser showed it, and a link that downloads the
whole table as CSV (a ``data:`` URI: it works without the kernel).

Cards have a fixed size whatever the name or status: every line is one line (``nowrap``,
ellipsis, the full text on hover).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime

from ..display import FONT, MUTED, TEXT, WARNING, badge, border, clip, esc, paint, thumbnail
from ..models import FAILED, READY
from ._view import COUNT_ORDER, NOT_FOUND, AssetView, PanelView, note

__all__ = ["CARD_HEIGHT", "MAX_DOWNLOAD_BYTES", "card_html", "download_html", "snapshot_html"]

THUMB_SIZE, ROW_THUMB = 96, 48
"""Thumbnail widths in pixels on a card and on a list row (height 9/16 of it)."""
CARD_HEIGHT, ROW_HEIGHT, CARD_MIN_WIDTH = 84, 34, 300
MAX_DOWNLOAD_BYTES = 20_000_000
"""Larger CSV files are not put in the page (the link says where the file is instead)."""
_LINE = "white-space:nowrap;overflow:hidden;text-overflow:ellipsis"
_BOX = (
    f"box-sizing:border-box;width:100%;overflow:hidden;{border()};border-radius:6px;"
    f"{FONT};font-size:12px;line-height:17px;color:{TEXT}"
)
_LABEL = {None: "not fetched"}


def _created(asset: AssetView) -> str:
    value = asset.created_at
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _note_html(asset: AssetView) -> str:
    text, tip, problem = note(asset)
    hover = f' title="{clip(tip, 500)}"' if tip else ""
    return (
        f'<div class="argil-note" style="{_LINE};color:{WARNING if problem else MUTED}"{hover}>'
        f"{clip(text, 160) or '&nbsp;'}</div>"
    )


def _name_html(asset: AssetView) -> str:
    title = clip(asset.name, 1000) or clip(asset.id)
    name = clip(asset.name) or "<i>unnamed</i>"
    return f'<div class="argil-name" style="{_LINE};font-weight:600" title="{title}">{name}</div>'


def card_html(asset: AssetView, *, inline: str | None = None, row: bool = False) -> str:
    """One asset's card (or, ``row=True``, its line in the list view).

    ``inline``: a ``data:`` URI of its thumbnail, used instead of the URL.
    """
    size = ROW_THUMB if row else THUMB_SIZE
    alt = asset.name or ""
    picture = thumbnail(asset.thumbnail_url, asset.status, size, inline=inline, alt=alt)
    edge = paint("border-left", asset.status, width="4px solid")
    if row:
        return (
            f'<div class="argil-card argil-row" style="{_BOX};display:grid;'
            f"grid-template-columns:{ROW_THUMB}px minmax(0,2fr) 96px 150px minmax(0,1fr);"
            f'gap:8px;align-items:center;height:{ROW_HEIGHT}px;padding:2px 8px;{edge}">'
            f"{picture}{_name_html(asset)}<div>{badge(asset.status)}</div>"
            f'<div style="{_LINE};color:{MUTED}" title="{esc(asset.id)}">'
            f"{esc(_created(asset))}</div>{_note_html(asset)}</div>"
        )
    return (
        f'<div class="argil-card" style="{_BOX};display:flex;gap:8px;align-items:center;'
        f'height:{CARD_HEIGHT}px;padding:6px 8px;{edge}">{picture}'
        # width 0 and grow: the text never widens the card, a long name is cut instead.
        f'<div style="flex:1 1 0;width:0;min-width:0">{_name_html(asset)}'
        f'<div style="{_LINE}">{badge(asset.status)} <span style="color:{MUTED}">'
        f'{esc(asset.type)} · <code title="{esc(asset.id)}">{esc(asset.id[:8])}</code>'
        f'</span></div><div class="argil-created" style="{_LINE};color:{MUTED}">'
        f"{esc(_created(asset)) or '&nbsp;'}</div>{_note_html(asset)}</div></div>"
    )


def _bar_html(view: PanelView, width: int = 220) -> str:
    parts = [
        f'<div title="{view.count(s)} {esc(s)}" style="width:'
        f'{100 * view.count(s) / view.total:.3f}%;{paint("background", s)}"></div>'
        for s in (READY, FAILED, NOT_FOUND)
        if view.count(s)
    ]
    return (
        f'<div role="progressbar" aria-label="assets finished" aria-valuemin="0" '
        f'aria-valuemax="{view.total}" aria-valuenow="{view.finished}" '
        f'style="display:flex;width:{width}px;height:10px;margin-top:4px;overflow:hidden;'
        f"border-radius:5px;background:#d1d5db;background:var(--jp-layout-color3,#d1d5db)"
        f'">{"".join(parts)}</div>'
    )


def download_html(csv: bytes, name: str, where: str) -> str:
    """A link that downloads ``csv`` as ``name`` from the page itself, or where it is."""
    if len(csv) > MAX_DOWNLOAD_BYTES:
        return f"{len(csv) // 1_000_000} MB of CSV: too large for the page; see {clip(where, 300)}"
    data = base64.b64encode(csv).decode("ascii")
    return (
        f'<a download="{esc(name)}" href="data:text/csv;charset=utf-8;base64,{data}" '
        f'style="color:var(--jp-content-link-color,#1d4ed8);text-decoration:underline">'
        f"download {clip(name, 120)}</a>"
    )


def snapshot_html(
    view: PanelView,
    state: str,
    timing: str,
    *,
    rows: bool = False,
    inline: Mapping[str, str] | None = None,
    download: str = "",
) -> str:
    """The panel as static HTML: header, the page of cards (or rows), what is not shown.

    Parameters
    ----------
    view
        What the panel shows (its ``cards``: the page the browser showed).
    state, timing
        The state in words and the header's timing line.
    rows
        The list view's rows instead of cards.
    inline
        Thumbnail URL -> ``data:`` URI, for thumbnails that would not load elsewhere.
    download
        HTML of the CSV download link (:func:`download_html`), or "".
    """
    inline = inline or {}
    items = "".join(
        card_html(c, inline=inline.get(c.thumbnail_url or ""), row=rows) for c in view.cards
    )
    columns = "minmax(0,1fr)" if rows else f"repeat(auto-fill,minmax({CARD_MIN_WIDTH}px,1fr))"
    rank = {s: n for n, s in enumerate(COUNT_ORDER)}
    counts = sorted(view.counts, key=lambda c: (rank.get(c[0], len(rank)), str(c[0])))
    pieces = " &nbsp; ".join(f"{badge(_LABEL.get(s, s))}&nbsp;<b>{n}</b>" for s, n in counts if n)
    when = datetime.fromtimestamp(view.now, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    hidden = view.total - len(view.cards)
    more = f"; {hidden} more on other pages or filtered out" if hidden > 0 else ""
    return (
        f'<div class="argil-snapshot" style="{FONT};font-size:12px;color:{TEXT};'
        'max-width:100%;overflow:hidden">'
        '<div style="display:flex;flex-wrap:wrap;gap:10px;align-items:center">'
        f"<span>{pieces}</span>{_bar_html(view)}"
        f"<span>{view.finished}/{view.total} finished</span></div>"
        f'<div style="color:{MUTED};margin:4px 0 6px">{esc(state)}'
        f"{' · ' + esc(timing) if timing else ''}{' · ' + download if download else ''}</div>"
        f'<div style="display:grid;grid-template-columns:{columns};gap:6px">{items}</div>'
        f'<div style="color:{MUTED};margin-top:4px">a saved view of an argil_nb StatusPanel, '
        f"as of {when}{esc(more)}</div></div>"
    )
