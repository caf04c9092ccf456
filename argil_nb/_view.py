"""What the status panel shows, as immutable values: the tracker builds them under its lock,
the panel renders them without it.

Pure: no widget, no HTTP, no lock. Also the panel's choice of what to show (:class:`Query`)
and how it picks the assets (:func:`select`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import FAILED, PROCESSING, READY

__all__ = ["STATUS_FILTERS", "AssetView", "PanelView", "Query", "select"]

STATUS_FILTERS: tuple[str, ...] = ("all", PROCESSING, READY, FAILED)


@dataclass(frozen=True)
class AssetView:
    """One asset as the panel shows it.

    Attributes
    ----------
    id, name, type, status, created_at, thumbnail_url
        The last known fields (None where unknown).
    took
        Seconds from ``created_at`` to the poll that saw it finish.
    error
        Why its last fetch failed, if it did.
    """

    id: str
    name: str | None = None
    type: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    thumbnail_url: str | None = None
    took: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class Query:
    """What the panel asks to see: a status (or "all") and a page."""

    status: str = "all"
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
    total
        Assets watched.
    counts
        ``(status, count)`` pairs; None is an asset not fetched yet.
    finished
        Assets READY or FAILED.
    error
        ``(label, message)`` of the last poll when it failed as a whole, else None.
    delay
        Seconds before the next poll (it grows while polls fail).
    unfetched
        Assets whose last fetch failed.
    last_change
        Clock time of the last poll that changed a row.
    """

    cards: tuple[AssetView, ...]
    page: int
    pages: int
    total: int
    counts: tuple[tuple[Any, int], ...]
    finished: int
    error: tuple[str, str] | None
    delay: float
    unfetched: int
    last_change: float | None

    @property
    def final(self) -> bool:
        """True when every asset is READY or FAILED."""
        return self.finished == self.total


def select(ids: Sequence[str], rows: Mapping[str, Mapping[str, Any]], query: Query) -> list[str]:
    """The ids that pass ``query``'s status filter, in the order given."""
    if query.status == "all":
        return list(ids)
    return [i for i in ids if rows[i]["status"] == query.status]
