"""What the status panel knows, without any widget: the latest row of each asset, the
transitions seen with the checks around them, and the outcome of the last poll.

Every change of a row is stamped with a version, so that the browser can be sent the rows
changed since the version it has (:meth:`Tracker.rows_since`), never the whole table again.

One :meth:`Tracker.poll` fetches the assets whose status is not final (READY, FAILED and
NOT_FOUND never change), the way ``wait()`` does (``listing.PendingFetcher``), and merges
the answer:

* An id answered 404 is NOT_FOUND, a final status: deleted when it was seen before, else a
  wrong id (or another account's). It never holds up the others.
* An id whose fetch failed otherwise keeps its last known row; the card says why.
* When no id at all could be had (and none was a 404), the poll counts as a failure of the
  API (an outage): the pause before the next poll grows (``waiting.Backoff``) and the table
  stays as it was. A refused key (``AuthenticationError``) is no outage: :attr:`Tracker.
  refused` says so, and the panel stops polling.

Each transition is recorded with the time it was seen and the time of the check before it,
so that a processing time is a bound, not a guess (a pause or an outage widens it).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import pandas as pd

from .._checks import is_missing, is_web_url
from ..errors import ArgilError, AssetNotFound, AuthenticationError, InvalidArgument
from ..frames import COLUMNS, STRING, assets_frame, ids_of, schema_frame
from ..listing import PendingFetcher
from ..models import READY, TERMINAL_STATUSES, AssetSource, normalize_id, pages_for
from ..waiting import PANEL_GROWTH, PANEL_MAX_BACKOFF, Backoff
from ._view import (
    FINAL_STATUSES,
    NOT_FOUND,
    AssetView,
    PanelView,
    Query,
    Timing,
    row_wire,
    select,
)

__all__ = ["HISTORY_COLUMNS", "REFUSED", "Tracker", "Transition"]

log = logging.getLogger("argil_nb")

Transition = tuple[str, Any, Any]
"""``(id, old_status, new_status)``."""
HISTORY_COLUMNS = ("id", "from_status", "to_status", "seen_at", "checked_before")
REFUSED = "API key refused"
_ERROR_LABELS = {
    "APIConnectionError": "API unreachable",
    "ServerError": "API server error",
    "RateLimitError": "rate limited",
    "AuthenticationError": REFUSED,
}


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """Schema fields of one frame record, NA as None (so rows compare with ``==``)."""
    return {c: None if is_missing(v) else v for c, v in ((c, record.get(c)) for c in COLUMNS)}


def _utc(seconds: list[float | None]) -> pd.Series:
    values = pd.Series([float("nan") if s is None else s for s in seconds], dtype="float64")
    return pd.to_datetime(values, unit="s", utc=True).dt.as_unit("ns")


class Tracker:
    """The assets' latest rows and what happened to them, behind a lock of its own.

    Readers get immutable values (:meth:`view`, :meth:`frame`, :meth:`history`), so the lock
    never leaves this class.

    Parameters
    ----------
    ids_or_frame
        As for ``get_assets``, at least one id; a frame with the whole schema also gives
        the starting rows.
    clock
        Epoch seconds, stamped on checks and transitions.
    interval
        Seconds between polls while they work; it grows while they fail.

    Attributes
    ----------
    ids
        The asset ids, normalised, in the order given (never changes).
    """

    def __init__(
        self, ids_or_frame: Any, clock: Callable[[], float], interval: float = 2.0
    ) -> None:
        self._lock = threading.Lock()
        self.ids: tuple[str, ...] = tuple(ids_of(ids_or_frame))
        if not self.ids:
            raise InvalidArgument(
                f"ids_or_frame must be one or more asset ids, got an empty "
                f"{type(ids_or_frame).__name__}"
            )
        self._clock = clock
        empty = dict.fromkeys(COLUMNS[1:])
        self._rows: dict[str, dict[str, Any]] = {i: {"id": i, **empty} for i in self.ids}
        if isinstance(ids_or_frame, pd.DataFrame) and set(COLUMNS) <= set(ids_or_frame.columns):
            for record in ids_or_frame.to_dict("records"):
                if not is_missing(record["id"]):
                    self._rows[normalize_id(record["id"])] = _clean(record)
        self._seen = {i for i in self.ids if self._rows[i]["status"] is not None}
        self._checked: dict[str, float] = {}  # id -> clock time of its last answered fetch
        self._errors: dict[str, str] = {}  # id -> why its last fetch failed (not a 404)
        self._took: dict[str, Timing] = {}
        self._backoff = Backoff(interval, PANEL_GROWTH, PANEL_MAX_BACKOFF, name="panel")
        self._error: tuple[str, str] | None = None  # the last poll's, when it failed whole
        self._started = clock()
        self._last_change: float | None = None
        self._done_at: float | None = None
        self._finished_here = 0
        self._history: list[tuple[str, Any, Any, float, float | None]] = []
        self._version = 0  # grows with every change of a row (of what the browser shows)
        self._stamps = dict.fromkeys(self.ids, 0)  # id -> the version of its last change
        self._inline: dict[str, str] = {}  # thumbnail URL -> data: URI, when inlined
        self._frame: tuple[int, pd.DataFrame] | None = None
        self._fetcher: PendingFetcher | None = None
        self.refused = False
        """True once the API refused the key: polling again would only fail again."""

    # -- reads: immutable values, taken under the lock -------------------------------------

    def _pending(self) -> list[str]:
        return [i for i in self.ids if self._rows[i]["status"] not in FINAL_STATUSES]

    @property
    def done(self) -> bool:
        """True when every asset is READY, FAILED or NOT_FOUND."""
        with self._lock:
            return not self._pending()

    @property
    def failures(self) -> int:
        """Polls that failed in a row (0 after a poll that got any answer)."""
        with self._lock:
            return self._backoff.steps

    @property
    def delay(self) -> float:
        """Seconds before the next poll: the interval, longer while polls fail."""
        with self._lock:
            return self._backoff.delay

    def _asset(self, asset_id: str) -> AssetView:
        row = self._rows[asset_id]
        return AssetView(
            id=asset_id,
            name=row["name"],
            type=row["type"],
            status=row["status"],
            created_at=row["created_at"],
            thumbnail_url=row["thumbnail_url"],
            took=self._took.get(asset_id),
            error=self._errors.get(asset_id),
            seen=asset_id in self._seen,
        )

    def view(self, query: Query) -> PanelView:
        """What the panel shows for ``query``: one consistent, immutable snapshot."""
        now = self._clock()
        with self._lock:
            chosen = select(self.ids, self._rows, query)
            pages = pages_for(len(chosen), query.page_size)
            page = min(max(query.page, 0), pages - 1)
            start = page * query.page_size
            counts = Counter(self._rows[i]["status"] for i in self.ids)
            return PanelView(
                cards=tuple(map(self._asset, chosen[start : start + query.page_size])),
                page=page,
                pages=pages,
                matching=len(chosen),
                total=len(self.ids),
                counts=tuple(counts.items()),
                finished=sum(counts[s] for s in FINAL_STATUSES),
                finished_here=self._finished_here,
                error=self._error,
                delay=self._backoff.delay,
                unfetched=len(self._errors),
                last_change=self._last_change,
                started=self._started,
                now=now,
                done_at=self._done_at,
            )

    def frame(self, query: Query | None = None) -> pd.DataFrame:
        """The current table, a fresh copy; with ``query``, only its rows, in its order."""
        with self._lock:
            if self._frame is None or self._frame[0] != self._version:
                columns = {c: [self._rows[i][c] for i in self.ids] for c in COLUMNS}
                self._frame = (self._version, schema_frame(columns))
            full = self._frame[1]
            if query is None:
                return full.copy()
            position = {asset_id: n for n, asset_id in enumerate(self.ids)}
            chosen = [position[i] for i in select(self.ids, self._rows, query)]
        return full.iloc[chosen].reset_index(drop=True)

    def history(self) -> pd.DataFrame:
        """One row per transition (see ``StatusPanel.history`` for the columns)."""
        with self._lock:
            rows = list(self._history)
        return pd.DataFrame(
            {
                "id": pd.array([r[0] for r in rows], dtype=STRING),
                "from_status": pd.array([r[1] for r in rows], dtype=STRING),
                "to_status": pd.array([r[2] for r in rows], dtype=STRING),
                "seen_at": _utc([r[3] for r in rows]),
                "checked_before": _utc([r[4] for r in rows]),
            }
        )

    def rows_since(self, version: int) -> tuple[int, list[list[Any]]]:
        """The current version and the rows changed after ``version``, in the order given.

        ``version=-1``: every row (what a browser that has nothing needs).
        """
        with self._lock:
            changed = [i for i in self.ids if self._stamps[i] > version]
            return self._version, [row_wire(self._asset(i), self._thumb(i)) for i in changed]

    def _thumb(self, asset_id: str) -> str | None:
        url = self._rows[asset_id]["thumbnail_url"]
        if not isinstance(url, str):
            return None
        return self._inline.get(url) or (url if is_web_url(url) else None)

    def thumbnails(self, ids: Any = None) -> list[str]:
        """The thumbnail URLs of READY assets (of ``ids``, else all) not inlined yet."""
        with self._lock:
            chosen = self.ids if ids is None else [i for i in ids if i in self._rows]
            urls = [
                self._rows[i]["thumbnail_url"] for i in chosen if self._rows[i]["status"] == READY
            ]
            return [u for u in dict.fromkeys(urls) if isinstance(u, str) and u not in self._inline]

    def inline(self, sources: dict[str, str]) -> None:
        """Show these thumbnails as ``data:`` URIs (URL -> URI) from now on."""
        with self._lock:
            self._inline.update(sources)
            for asset_id in self.ids:
                if self._rows[asset_id]["thumbnail_url"] in sources:
                    self._touch(asset_id)

    def inlined(self) -> dict[str, str]:
        """URL -> ``data:`` URI of every thumbnail inlined so far (a copy)."""
        with self._lock:
            return dict(self._inline)

    def _touch(self, asset_id: str) -> None:
        """Stamp a change of what the browser shows of this asset (lock held)."""
        self._version += 1
        self._stamps[asset_id] = self._version

    # -- one poll ----------------------------------------------------------------------------

    def poll(self, client: AssetSource, pool: ThreadPoolExecutor) -> list[Transition]:
        """Fetch the assets not final yet, once, on ``pool``; return the transitions seen.

        Never raises for an API or network failure: that is recorded for the view.
        """
        with self._lock:
            pending = self._pending()
        if not pending:
            return []
        if self._fetcher is None or self._fetcher.client is not client:
            self._fetcher = PendingFetcher(client)
        try:
            found, failed = self._fetcher.fetch(pending, pool)
        except Exception as exc:  # the panel must survive anything, and say what happened
            if not isinstance(exc, ArgilError):
                log.warning("argil_nb: panel refresh failed", exc_info=True)
            self._fail(type(exc).__name__, str(exc))
            return []
        gone = {i for i, e in failed.items() if isinstance(e, AssetNotFound)}
        if not found and not gone:  # no answer at all: an outage, not a row-by-row problem
            first = next(iter(failed.values()), None)
            if isinstance(first, AuthenticationError):
                self._fail(type(first).__name__, str(first))
                return []
            self._fail(type(first).__name__ if first else "InvalidResponse", str(first or ""))
            return []
        records = assets_frame(list(found.values())).to_dict("records") if found else []
        fetched = {asset_id: _clean(r) for asset_id, r in zip(found, records, strict=True)}
        now = self._clock()
        with self._lock:
            self._backoff.reset()
            self._error = None
            self.refused = False
            transitions = [
                t for i in pending if (t := self._merge(i, fetched, failed, now)) is not None
            ]
            if self._done_at is None and not self._pending():
                self._done_at = now
        return transitions

    def _merge(
        self,
        asset_id: str,
        fetched: dict[str, dict[str, Any]],
        failed: dict[str, Exception],
        now: float,
    ) -> Transition | None:
        """Merge one asset's answer (lock held); its transition, if it made one."""
        error = failed.get(asset_id)
        if error is not None and not isinstance(error, AssetNotFound):
            why = f"{type(error).__name__}: {error}"
            if self._errors.get(asset_id) != why:
                self._errors[asset_id] = why
                self._touch(asset_id)
            return None  # keep the last known row; the card says why
        if self._errors.pop(asset_id, None) is not None:
            self._touch(asset_id)
        old = self._rows[asset_id]
        new = {**old, "status": NOT_FOUND} if error is not None else fetched[asset_id]
        checked_before = self._checked.get(asset_id)
        self._checked[asset_id] = now
        if new["status"] != NOT_FOUND:
            self._seen.add(asset_id)
        if new == old:
            return None
        self._rows[asset_id] = new
        self._touch(asset_id)
        self._last_change = now
        before, after = old["status"], new["status"]
        if after in FINAL_STATUSES and before is not None and before not in FINAL_STATUSES:
            self._finished_here += 1  # seen to finish here (not already final at first look)
        if before is None or before == after:
            return None  # a first sighting is a starting point, not a transition
        self._history.append((asset_id, before, after, now, checked_before))
        created = new["created_at"]
        if after in TERMINAL_STATUSES and isinstance(created, datetime):
            upper = now - created.timestamp()
            lower = (
                None if checked_before is None else max(0.0, checked_before - created.timestamp())
            )
            if upper >= 0:
                self._took[asset_id] = Timing(lower, upper)
        return (asset_id, before, after)

    def _fail(self, kind: str, message: str) -> None:
        with self._lock:
            self.refused = kind == "AuthenticationError"
            self._backoff.grow(f"poll failed ({kind})")
            self._error = (_ERROR_LABELS.get(kind, "refresh failed"), f"{kind}: {message}"[:300])
