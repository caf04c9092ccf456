"""The HTML of one asset in the status panel: a card (grid view) or a row (list view).

Pure: no widget, no HTTP, no lock; input is the tracker's immutable ``AssetView``. Every
piece of user data goes through ``argil_nb._html`` (escaped; only http(s) URLs become image
sources). The HTML holds no time that moves on its own, so a card's string only changes when
its asset does, and the panel can skip assigning an unchanged value.

Both shapes have a fixed size whatever the name, status or theme: every line is one line
(``nowrap``, ellipsis, the full text on hover), so the grid never jumps.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..display import FONT, MUTED, TEXT, WARNING, badge, border, clip, esc, paint, thumbnail
from ..models import FAILED, PROCESSING
from ._view import NOT_FOUND, AssetView, Timing

__all__ = [
    "CARD_HEIGHT",
    "CARD_MIN_WIDTH",
    "ROW_HEIGHT",
    "ROW_THUMB",
    "THUMB_SIZE",
    "card_html",
    "format_duration",
    "note",
    "row_html",
    "timing_text",
]

THUMB_SIZE = 96
"""Thumbnail width in pixels on a card (height 9/16 of it)."""
ROW_THUMB = 48
CARD_HEIGHT = 84
"""Pixels: four lines of 17 px, padding and border."""
CARD_MIN_WIDTH = 300
ROW_HEIGHT = 34
NAME_TITLE = 1000
"""Characters of a name shown on hover (the card shows what fits)."""
_LINE = "white-space:nowrap;overflow:hidden;text-overflow:ellipsis"
_BOX = (
    f"box-sizing:border-box;width:100%;overflow:hidden;{border()};border-radius:6px;"
    f"{FONT};font-size:12px;line-height:17px;color:{TEXT}"
)


def format_duration(seconds: float) -> str:
    """``45 s``, ``3 min 05 s``, ``2 h 04 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def timing_text(took: Timing) -> tuple[str, str]:
    """A processing time in words, honest about its precision, and the bounds spelled out.

    ``~12 s`` when the bounds are close (:attr:`Timing.tight`), else ``≤ 55 s``.
    """
    upper = format_duration(took.upper)
    if took.lower is None:
        return f"≤ {upper}", f"finished at most {upper} after upload (not checked before)"
    lower = format_duration(took.lower)
    title = f"finished between {lower} and {upper} after upload"
    return (f"~{upper}" if took.tight else f"≤ {upper}"), title


def _created_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return ""


def note(asset: AssetView) -> tuple[str, str, bool]:
    """The card's last line: ``(text, hover text, is_a_problem)``; text may be empty."""
    if asset.status == NOT_FOUND:
        if asset.seen:
            return "deleted: the API answers 404", "", False
        return "not found: a wrong id, or another account's?", "", True
    if asset.error is not None:
        prefix = "not fetched yet" if asset.status is None else "not refreshed"
        return f"{prefix}: {asset.error}", asset.error, True
    if asset.took is not None and asset.status != PROCESSING:
        text, title = timing_text(asset.took)
        verb = "failed after" if asset.status == FAILED else "processed in"
        return f"{verb} {text}", title, False
    return "", "", False


def _note_html(asset: AssetView, limit: int) -> str:
    text, title, problem = note(asset)
    colour = WARNING if problem else MUTED
    hover = f' title="{clip(title, 500)}"' if title else ""
    # clip() cuts before escaping: an entity is never split.
    return (
        f'<div class="argil-note" style="{_LINE};color:{colour}"{hover}>'
        f"{clip(text, limit) or '&nbsp;'}</div>"
    )


def _name_html(asset: AssetView) -> str:
    name = clip(asset.name) or "<i>unnamed</i>"
    title = clip(asset.name, NAME_TITLE) or clip(asset.id)
    return f'<div class="argil-name" style="{_LINE};font-weight:600" title="{title}">{name}</div>'


def card_html(asset: AssetView, *, with_thumbnail: bool = True, inline: str | None = None) -> str:
    """One asset's card: thumbnail, name, status and type, id and creation time, a note.

    Parameters
    ----------
    asset
        The asset as the tracker last saw it.
    with_thumbnail
        False when the thumbnail is shown by an image widget beside the card.
    inline
        A ``data:`` URI of the thumbnail, used instead of its URL (saved snapshots).
    """
    created = _created_text(asset.created_at)
    picture = thumbnail(
        asset.thumbnail_url, asset.status, THUMB_SIZE, inline=inline, alt=asset.name or ""
    )
    # A status-coloured left edge: a full page of cards scans at a glance.
    edge = paint("border-left", asset.status, width="4px solid")
    return "".join(
        [
            f'<div class="argil-card" style="{_BOX};display:flex;gap:8px;align-items:center;'
            f'height:{CARD_HEIGHT}px;padding:6px 8px;{edge}">',
            picture if with_thumbnail else "",
            # width 0 and grow: the text never widens the card (its min-content stays small),
            # so a long name is cut with an ellipsis instead of pushing the card out.
            '<div style="flex:1 1 0;width:0;min-width:0">',
            _name_html(asset),
            f'<div style="{_LINE}">{badge(asset.status)} <span style="color:{MUTED}">'
            f'{esc(asset.type)} · <code title="{esc(asset.id)}">{esc(asset.id[:8])}</code>'
            "</span></div>",
            f'<div class="argil-created" style="{_LINE};color:{MUTED}">'
            f"{esc(created) or '&nbsp;'}</div>",
            _note_html(asset, 160),
            "</div></div>",
        ]
    )


def row_html(asset: AssetView, *, with_thumbnail: bool = True, inline: str | None = None) -> str:
    """One asset on one line (list view): thumbnail, name, status, creation time, note.

    ``with_thumbnail=False`` leaves the thumbnail to an image widget beside the row.
    """
    created = _created_text(asset.created_at)
    picture = thumbnail(
        asset.thumbnail_url, asset.status, ROW_THUMB, inline=inline, alt=asset.name or ""
    )
    first = f"{ROW_THUMB}px " if with_thumbnail else ""
    return (
        f'<div class="argil-card argil-row" style="{_BOX};display:grid;'
        f"grid-template-columns:{first}minmax(0,2fr) 96px 150px minmax(0,1fr);"
        f"gap:8px;align-items:center;height:{ROW_HEIGHT}px;padding:2px 8px;"
        f'{paint("border-left", asset.status, width="4px solid")}">'
        f"{picture if with_thumbnail else ''}{_name_html(asset)}<div>{badge(asset.status)}</div>"
        f'<div style="{_LINE};color:{MUTED}" title="{esc(asset.id)}">{esc(created)}</div>'
        f"{_note_html(asset, 120)}</div>"
    )
