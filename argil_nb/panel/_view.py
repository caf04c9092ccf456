"""What the status panel shows, as immutable values: the tracker builds them under its lock,
the panel renders them without it.

Pure: no widget, no HTTP, no lock. Also the panel's choice of what to show (:class:`Query`:
status filter, name search, order, page) and how it picks and orders the assets
(:func:`select`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import FAILED, PROCESSING, READY

__all__ = [
    "FINAL_STATUSES",
    "NOT_FOUND",
    "SORTS",
    "STATUS_FILTERS",
    "TIGHT_SECONDS",
    "TIGHT_SHARE",
    "AssetView",
    "PanelView",
    "Query",
    "Timing",
    "select",
]

NOT_FOUND = "NOT_FOUND"
"""The panel's status for an asset the API answers 404 for (the API never sends it)."""
FINAL_STATUSES = frozenset({READY, FAILED, NOT_FOUND})
"""Statuses the panel stops polling: the API's two outcomes, and gone."""

STATUS_FILTERS: tuple[str, ...] = ("all", PROCESSING, READY, FAILED, NOT_FOUND)
SORTS: tuple[str, ...] = ("as given", "status", "newest first", "oldest first")
_STATUS_ORDER = {FAILED: 0, NOT_FOUND: 1, PROCESSING: 2, None: 3, READY: 5}
"""``sort="status"``: problems first, then what is still moving, READY last."""
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

    Attributes
    ----------
    id, name, type, status, created_at, thumbnail_url
        The last known fields (``status`` is :data:`NOT_FOUND` once the API answered 404;
        None before any answer).
    took
        How long it processed, when the panel saw it finish.
    error
        Why its last fetch failed, when it failed for another reason than 404 (its other
        fields are then the last known ones).
    seen
        True once a fetch or the starting frame described it: a 404 then means deleted,
        else a wrong id (or one of another account).
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
    """What the panel asks to see: a status (or "all"), a name search, an order, a page."""

    status: str = "all"
    search: str = ""
    sort: str = SORTS[0]
    page: int = 0
    page_size: int = 24


@dataclass(frozen=True)
class PanelView:
    """Everything the panel renders at one moment.

    Attributes
    ----------
    cards
        The assets of the requested page, in order.
    page, pages
        The page shown (clamped to the pages there are) and the number of pages.
    matching
        Assets that pass the query's filter and search (on all pages).
    total
        Assets watched.
    counts
        ``(status, count)`` pairs; None counts assets not fetched yet.
    finished
        Assets whose status is final (READY, FAILED or NOT_FOUND).
    finished_here
        Of those, the ones the panel saw reach it (for the rate).
    error
        ``(label, message)`` of the last poll when it failed as a whole, else None.
    delay
        Seconds before the next poll (it grows while polls fail).
    unfetched
        Assets whose last fetch failed for another reason than 404.
    last_change, started, now, done_at
        Clock times: the last poll that changed a row, the tracker's start, this view, and
        the poll that found every asset final (None before).
    version
        Grows with every change of the data (not of the query).
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
    version: int

    @property
    def final(self) -> bool:
        """True when every asset is READY, FAILED or not found."""
        return self.finished == self.total

    def count(self, status: Any) -> int:
        """Assets with this status (None: not fetched yet)."""
        return dict(self.counts).get(status, 0)


def select(ids: Sequence[str], rows: Mapping[str, Mapping[str, Any]], query: Query) -> list[str]:
    """The ids that pass ``query``'s status filter and search, in its order.

    The search matches names (case-insensitive) and id prefixes.
    """
    wanted, needle = query.status, query.search.strip().casefold()
    chosen = [
        i
        for i in ids
        if (wanted == "all" or rows[i]["status"] == wanted)
        and (not needle or needle in str(rows[i]["name"] or "").casefold() or i.startswith(needle))
    ]
    if query.sort == "status":
        chosen.sort(key=lambda i: _STATUS_ORDER.get(rows[i]["status"], 4))
    elif query.sort in ("newest first", "oldest first"):
        dated = [i for i in chosen if isinstance(rows[i]["created_at"], datetime)]
        dated.sort(key=lambda i: rows[i]["created_at"], reverse=query.sort == "newest first")
        undated = set(chosen) - set(dated)
        chosen = dated + [i for i in chosen if i in undated]  # undated ones last
    return chosen
