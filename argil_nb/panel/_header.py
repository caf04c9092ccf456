"""The HTML and text of the status panel's header, and its static snapshot.

Pure: no widget, no HTTP, no lock; input is the tracker's immutable ``PanelView``.

The snapshot is what a saved notebook shows where widgets do not render (a code host,
nbviewer, a notebook opened without its kernel): the header and the page of cards as they
last were, as plain HTML with inline styles.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..display import FONT, MUTED, TEXT, badge, esc, paint
from ..models import FAILED, READY, STATUSES
from ._cards import CARD_MIN_WIDTH, card_html, format_duration, row_html
from ._view import NOT_FOUND, PanelView, Query

__all__ = [
    "PANEL_CSS",
    "STALE_HTML",
    "bar_html",
    "counts_html",
    "export_hint",
    "progress_text",
    "snapshot_html",
    "state_text",
    "timing_line",
]

_ORDER = (*STATUSES, NOT_FOUND)
_LABEL: dict[Any, str] = {None: "not fetched"}
PANEL_CSS = (
    # After a kernel restart ipywidgets marks each view "jupyter-widgets-disconnected": hide
    # the words that claim the panel is live, show the note that it is not.
    "<style>.argil-stale{display:none}"
    ".jupyter-widgets-disconnected .argil-stale{display:inline}"
    ".jupyter-widgets-disconnected.argil-live{display:none!important}"
    # ipywidgets' broken-link icon on every view would land in the grid as items: keep one,
    # on the panel itself.
    ".argil-panel .jupyter-widgets-disconnected::before{display:none}</style>"
)
STALE_HTML = (
    f'{PANEL_CSS}<span class="argil-stale" style="{FONT};font-size:12px;color:{MUTED}">'
    "kernel disconnected: this panel no longer updates</span>"
)


def counts_html(view: PanelView) -> str:
    """Status badges with their counts, known statuses first, then any others."""
    counts = dict(view.counts)
    order = [s for s in _ORDER if counts.get(s)]
    order += sorted((s for s in counts if s not in _ORDER and counts[s]), key=str)
    pieces = [f"{badge(_LABEL.get(s, s))}&nbsp;<b>{counts[s]}</b>" for s in order]
    return (
        f'<span style="{FONT};font-size:12px;color:{TEXT}">' + " &nbsp; ".join(pieces) + "</span>"
    )


def progress_text(view: PanelView) -> str:
    """``3/8 finished``."""
    return f"{view.finished}/{view.total} finished"


def bar_html(view: PanelView, width: int = 220) -> str:
    """A progress bar whose finished part shows READY, FAILED and not found in their colours."""
    parts = [
        f'<div title="{view.count(s)} {esc(_LABEL.get(s, s))}" style="width:'
        f'{100 * view.count(s) / view.total:.3f}%;{paint("background", s)}"></div>'
        for s in (READY, FAILED, NOT_FOUND)
        if view.count(s)
    ]
    return (
        f'<div role="progressbar" aria-label="assets finished" aria-valuemin="0" '
        f'aria-valuemax="{view.total}" aria-valuenow="{view.finished}" '
        f'style="display:flex;width:{width}px;height:10px;margin-top:9px;overflow:hidden;'
        f"border-radius:5px;background:#d1d5db;background:var(--jp-layout-color3,#d1d5db)"
        f'">{"".join(parts)}</div>'
    )


def timing_line(view: PanelView, watching: bool) -> str:
    """Like tqdm: elapsed time, assets finished per minute and an estimate of the time left.

    As of the last change (like tqdm, which redraws on updates): a refresh that changed
    nothing sends nothing. Empty before any data came.
    """
    end = view.done_at if view.done_at is not None else view.last_change
    if end is None:
        return ""
    elapsed = max(0.0, end - view.started)
    parts = [f"· elapsed {format_duration(elapsed)}"]
    if view.finished_here and elapsed > 0:
        rate = view.finished_here / elapsed * 60
        parts.append(f"{rate:.1f}/min" if rate < 10 else f"{rate:.0f}/min")
        left = view.total - view.finished
        if left and watching:
            parts.append(f"~{format_duration(left / rate * 60)} left")
    return " · ".join(parts)


def export_hint(view: PanelView, query: Query) -> str:
    """What "export CSV" would write: every row, or the rows the filter and search leave."""
    if view.matching == view.total:
        return f"exports all {view.total} rows"
    chosen = [] if query.status == "all" else [query.status]
    chosen += [f"search {query.search.strip()!r}"] if query.search.strip() else []
    rows = "row" if view.matching == 1 else "rows"
    return f"exports the {view.matching} {rows} shown ({', '.join(chosen)})"


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


def snapshot_html(
    view: PanelView,
    state: str,
    *,
    grid: bool = True,
    inline: Mapping[str, str] | None = None,
) -> str:
    """The panel as static HTML: header, the page of cards (or rows), what is not shown.

    Parameters
    ----------
    view
        What the panel shows.
    state
        The state in words (``state_text``, or "closed").
    grid
        Cards in a grid, else the list view's rows.
    inline
        Thumbnail URL -> ``data:`` URI, for thumbnails that would not load elsewhere.
    """
    inline = inline or {}
    items = [
        card_html(c, inline=inline.get(c.thumbnail_url or ""))
        if grid
        else row_html(c, inline=inline.get(c.thumbnail_url or ""))
        for c in view.cards
    ]
    columns = f"repeat(auto-fill,minmax({CARD_MIN_WIDTH}px,1fr))" if grid else "minmax(0,1fr)"
    when = datetime.fromtimestamp(view.now, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    hidden = view.total - len(view.cards)
    more = f"; {hidden} more on other pages or filtered out" if hidden > 0 else ""
    return (
        f'<div class="argil-snapshot" style="{FONT};font-size:12px;color:{TEXT};'
        'max-width:100%;overflow:hidden">'
        '<div style="display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start">'
        f"{counts_html(view)}{bar_html(view)}<span>{esc(progress_text(view))}</span></div>"
        f'<div style="color:{MUTED};margin:4px 0 6px">{esc(state)} '
        f"{esc(timing_line(view, watching=False))}</div>"
        f'<div style="display:grid;grid-template-columns:{columns};gap:6px">{"".join(items)}</div>'
        f'<div style="color:{MUTED};margin-top:4px">a saved view of an argil_nb StatusPanel, '
        f"as of {when}{esc(more)}</div></div>"
    )
