"""The status panel's HTML, from the tracker's immutable views: cards, header, state.

Pure: no widget, no HTTP, no lock. Every piece of user data goes through ``argil_nb._html``
(escaped; only http(s) URLs become image sources). A card's HTML holds no time that moves on
its own, so it only changes when its asset does, and the panel can skip assigning an
unchanged value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ._html import STATUS_COLOURS, badge, esc, thumbnail
from ._view import AssetView, PanelView
from .models import PROCESSING, STATUSES

__all__ = [
    "THUMB_SIZE",
    "card_html",
    "counts_html",
    "format_duration",
    "state_text",
]

THUMB_SIZE = 96
"""Thumbnail width in pixels (height 9/16 of it)."""
_CARD_STYLE = (
    # JupyterLab theme variables, with light fallbacks, so cards read well in dark themes too.
    "display:flex;gap:8px;align-items:center;padding:6px;"
    "border:1px solid var(--jp-border-color2,#e5e7eb);border-radius:6px;"
    "font-family:var(--jp-ui-font-family,sans-serif);font-size:12px;line-height:1.4;"
    "color:var(--jp-ui-font-color1,#111827);overflow:hidden"
)
_MUTED = "color:var(--jp-ui-font-color2,#6b7280)"


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


def card_html(asset: AssetView, *, with_thumbnail: bool = True) -> str:
    """One asset's card.

    Parameters
    ----------
    asset
        The asset as the tracker last saw it.
    with_thumbnail
        False when the thumbnail is shown by an image widget beside the card.
    """
    status, took, error = asset.status, asset.took, asset.error
    name = esc(asset.name)
    asset_id = esc(asset.id)
    short = esc(asset.id[:8])
    kind = esc(asset.type)
    created = _created_text(asset.created_at)
    if took is not None and status != PROCESSING:
        timing = f"processed in ~{format_duration(took)}"
    else:
        timing = ""
    edge = STATUS_COLOURS.get(str(status), ("#9ca3af", ""))[0]
    parts = [
        # A status-coloured left edge: a full page of cards scans at a glance.
        f'<div class="argil-card" style="{_CARD_STYLE};border-left:3px solid {edge}">',
        thumbnail(asset.thumbnail_url, status, size=THUMB_SIZE) if with_thumbnail else "",
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


def counts_html(pairs: Iterable[tuple[Any, int]]) -> str:
    """Status badges with their counts, known statuses first, then any others."""
    counts = dict(pairs)
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


def state_text(view: PanelView, watching: bool, interval: float) -> str:
    """The state in words: done, watching, paused, or the last error."""
    if view.final:
        return "done"
    partial = view.unfetched
    note = f" ({partial} could not be fetched)" if partial else ""
    if view.error is not None:
        label, message = view.error
        if watching:
            return f"{label}, retrying in {view.delay:.0f} s: {message}"
        return f"{label} (paused): {message}"
    if watching:
        return f"watching, every {interval:g} s{note}"
    return f"paused{note}"
