"""What the status panel shows, as immutable values and as the JSON the browser draws.

Pure: no widget, no HTTP, no lock. The tracker builds :class:`AssetView` and
:class:`PanelView` under its lock; this module turns them into words (honest processing
times, the state, the header's timing) and into the compact JSON of the wire
(:func:`row_wire`, :func:`header_wire`), and picks and orders assets for a :class:`Query`
(:func:`select`) the way ``panel.js`` does in the browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..models import FAILED, PROCESSING, READY, STATUSES

__all__ = [
    "COUNT_ORDER",
    "FINAL_STATUSES",
    "LAYOUTS",
    "NOT_FOUND",
    "SORTS",
    "STATUS_FILTERS",
    "AssetView",
    "PanelView",
    "Query",
    "Timing",
    "format_duration",
    "header_wire",
    "note",
    "row_wire",
    "select",
    "state_text",
    "timing_line",
]

NOT_FOUND = "NOT_FOUND"
"""The panel's status for an asset the API answers 404 for (the API never sends it)."""
FINAL_STATUSES = frozenset({READY, FAILED, NOT_FOUND})
"""Statuses the panel stops polling: the API's two outcomes, and gone."""
STATUS_FILTERS: tuple[str, ...] = ("all", PROCESSING, READY, FAILED, NOT_FOUND)
SORTS: tuple[str, ...] = ("as given", "status", "newest first", "oldest first")
LAYOUTS = ("cards", "list")
COUNT_ORDER = (*STATUSES, NOT_FOUND)
_STATUS_ORDER = {FAILED: 0, NOT_FOUND: 1, PROCESSING: 2, None: 3, READY: 5}
"""``sort="status"``: problems first, then what is still moving, READY last (panel.js too)."""
TIGHT_SECONDS = 2.5
TIGHT_SHARE = 0.25
"""A processing time is "about" its upper bound when the bounds are at most this far apart
(seconds), or this share of it."""


@dataclass(frozen=True)
class Timing:
    """When an asset finished, in seconds after its ``created_at``: within ``[lower, upper]``.

    ``upper`` is when the panel saw it finished; ``lower`` when it last saw it unfinished
    (None when unknown: its earlier status came from a frame, not from a check).
    """

    lower: float | None
    upper: float

    @property
    def tight(self) -> bool:
        """True when the bounds are close enough to say "about ``upper``"."""
        if self.lower is None:
            return False
        return self.upper - self.lower <= max(TIGHT_SECONDS, TIGHT_SHARE * self.upper)


@dataclass(frozen=True)
class AssetView:
    """One asset as the panel shows it.

    ``status`` is :data:`NOT_FOUND` once the API answered 404, None before any answer;
    ``took`` is how long it processed, when the panel saw it finish; ``error`` why its last
    fetch failed for another reason than 404; ``seen`` is True once a fetch or the starting
    frame described it (a 404 then means deleted, else a wrong id).
    """

    id: str
    name: str | None = None
    type: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    thumbnail_url: str | None = None
    took: Timing | None = None
    error: str | None = None
    seen: bool = False


@dataclass(frozen=True)
class Query:
    """What the browser shows: a status (or "all"), a name search, an order, a page."""

    status: str = "all"
    search: str = ""
    sort: str = SORTS[0]
    page: int = 0
    page_size: int = 24
    layout: str = "cards"

    @classmethod
    def of(cls, wire: Mapping[str, Any], page_size: int) -> Query:
        """The query the browser reported (``StatusPanel._query``); unknown values ignored."""
        status = wire.get("status")
        sort = wire.get("sort")
        layout = wire.get("layout")
        page = wire.get("page")
        return cls(
            status=status if status in STATUS_FILTERS else "all",
            search=str(wire.get("search") or "")[:200],
            sort=sort if sort in SORTS else SORTS[0],
            page=page if isinstance(page, int) and page >= 0 else 0,
            page_size=page_size,
            layout=layout if layout in LAYOUTS else "cards",
        )


@dataclass(frozen=True)
class PanelView:
    """Everything the panel shows at one moment (see ``Tracker.view``).

    ``cards`` are the assets of the requested page; ``counts`` are ``(status, count)``
    pairs (None counts assets not fetched yet); ``finished_here`` counts the assets seen to
    finish by this panel (for the rate); ``error`` is ``(label, message)`` of the last poll
    when it failed as a whole; ``unfetched`` counts assets whose last fetch failed; the
    times are clock seconds.
    """

    cards: tuple[AssetView, ...]
    page: int
    pages: int
    matching: int
    total: int
    counts: tuple[tuple[Any, int], ...]
    finished: int
    finished_here: int
    error: tuple[str, str] | None
    delay: float
    unfetched: int
    last_change: float | None
    started: float
    now: float
    done_at: float | None

    @property
    def final(self) -> bool:
        """True when every asset is READY, FAILED or not found."""
        return self.finished == self.total

    def count(self, status: Any) -> int:
        """Assets with this status (None: not fetched yet)."""
        return dict(self.counts).get(status, 0)


def select(ids: Sequence[str], rows: Mapping[str, Mapping[str, Any]], query: Query) -> list[str]:
    """The ids that pass ``query``'s status filter and search, in its order.

    The search matches names (case-insensitive) and id prefixes. ``panel.js`` does the same.
    """
    wanted, needle = query.status, query.search.strip().lower()
    chosen = [
        i
        for i in ids
        if (wanted == "all" or rows[i]["status"] == wanted)
        and (not needle or needle in str(rows[i]["name"] or "").lower() or i.startswith(needle))
    ]
    if query.sort == "status":
        chosen.sort(key=lambda i: _STATUS_ORDER.get(rows[i]["status"], 4))
    elif query.sort in ("newest first", "oldest first"):
        dated = [i for i in chosen if isinstance(rows[i]["created_at"], datetime)]
        dated.sort(key=lambda i: rows[i]["created_at"], reverse=query.sort == "newest first")
        undated = set(chosen) - set(dated)
        chosen = dated + [i for i in chosen if i in undated]  # undated ones last
    return chosen


# -- words --------------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """``45 s``, ``3 min 05 s``, ``2 h 04 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def note(asset: AssetView) -> tuple[str, str, bool]:
    """A card's last line: ``(text, hover text, is_a_problem)``; text may be empty.

    A processing time says how precise it is: ``~12 s`` when the bounds are close
    (:attr:`Timing.tight`), else ``≤ 55 s``; the hover text spells the bounds out. Short
    enough for the narrowest card; the hover text has the rest.
    """
    if asset.status == NOT_FOUND:
        if asset.seen:
            return "deleted (API: 404)", "the API answers 404: deleted while watched", False
        return "not found: wrong id?", "the API answers 404: a wrong id, or another account's", True
    if asset.error is not None:
        prefix = "not fetched yet" if asset.status is None else "not refreshed"
        return f"{prefix}: {asset.error}"[:300], asset.error[:1000], True
    took = asset.took
    if took is not None and asset.status != PROCESSING:
        upper = format_duration(took.upper)
        verb = "failed after" if asset.status == FAILED else "processed in"
        if took.lower is None:
            return f"{verb} ≤ {upper}", f"at most {upper} after upload (not checked before)", False
        text = f"~{upper}" if took.tight else f"≤ {upper}"
        return f"{verb} {text}", f"between {format_duration(took.lower)} and {upper}", False
    return "", "", False


def timing_line(view: PanelView, watching: bool) -> str:
    """Like tqdm: elapsed time, assets finished per minute and an estimate of the time left.

    As of the last change (like tqdm, which redraws on updates): a refresh that changed
    nothing sends nothing. Empty before any data came.
    """
    end = view.done_at if view.done_at is not None else view.last_change
    if end is None:
        return ""
    elapsed = max(0.0, end - view.started)
    parts = [f"elapsed {format_duration(elapsed)}"]
    if view.finished_here and elapsed > 0:
        rate = view.finished_here / elapsed * 60
        parts.append(f"{rate:.1f}/min" if rate < 10 else f"{rate:.0f}/min")
        left = view.total - view.finished
        if left and watching:
            parts.append(f"~{format_duration(left / rate * 60)} left")
    return " · ".join(parts)


def state_text(view: PanelView, watching: bool, interval: float, stopped: str = "") -> str:
    """The state in words: done, watching, paused, why polling stopped, or the last error."""
    if view.final:
        return "done"
    if stopped:
        return stopped
    note = f" ({view.unfetched} could not be fetched)" if view.unfetched else ""
    if view.error is not None:
        label, message = view.error
        if watching:
            return f"{label}, retrying in {view.delay:.0f} s: {message}"
        return f"{label} (paused): {message}"
    return f"watching, every {interval:g} s{note}" if watching else f"paused{note}"


# -- the wire -----------------------------------------------------------------------------

ROW_FIELDS = ("id", "name", "type", "status", "at", "thumb", "note", "tip", "bad")
"""A row on the wire is a list in this order (``panel.js`` reads it so): ``at`` is the
creation time in epoch seconds (None when unknown; the browser writes it out in UTC),
``thumb`` an http(s) or ``data:image`` URL or None, ``bad`` 1 when the note is a problem."""


def row_wire(asset: AssetView, thumb: str | None) -> list[Any]:
    """One asset as the browser gets it (see :data:`ROW_FIELDS`)."""
    text, tip, problem = note(asset)
    created = asset.created_at
    at = round(created.timestamp()) if isinstance(created, datetime) else None
    return [
        asset.id,
        asset.name or "",
        asset.type or "",
        asset.status,
        at,
        thumb,
        text,
        tip,
        int(problem),
    ]


def header_wire(view: PanelView, *, watching: bool, state: str) -> dict[str, Any]:
    """The header as the browser gets it: counts, progress, the state, the timing line."""
    counts = dict(view.counts)
    order = [s for s in COUNT_ORDER if counts.get(s)]
    order += sorted((s for s in counts if s not in COUNT_ORDER and counts[s]), key=str)
    change = view.done_at if view.done_at is not None else view.last_change
    when = "" if change is None else datetime.fromtimestamp(change, UTC).strftime("%H:%M:%S UTC")
    return {
        "counts": [[s, counts[s]] for s in order],
        "finished": view.finished,
        "total": view.total,
        "state": state,
        "timing": timing_line(view, watching),
        "change": when,
        "watching": watching,
        "done": view.final,
        "problem": view.error is not None or state.startswith("API key"),
    }
