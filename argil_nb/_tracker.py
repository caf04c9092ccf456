"""What the status panel knows, without any widget: the latest row of each asset, the
transitions seen, and the outcome of the last poll.

One :meth:`Tracker.poll` fetches the assets not yet READY or FAILED (terminal assets never
change), the way ``wait()`` does (``listing.PendingFetcher``), and merges the answer. Ids
whose fetch failed keep their last known row. When no id at all could be fetched, the poll
counts as a failure of the API (an outage): the pause before the next poll grows
(``waiting.Backoff``) and the table stays as it was.
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

from ._checks import is_missing
from ._view import AssetView, PanelView, Query, select
from .errors import ArgilError
from .frames import COLUMNS, STRING, assets_frame, ids_of, schema_frame
from .listing import PendingFetcher
from .models import TERMINAL_STATUSES, AssetSource, normalize_id
from .waiting import PANEL_GROWTH, PANEL_MAX_BACKOFF, Backoff

__all__ = ["Tracker", "Transition"]

log = logging.getLogger("argil_nb")

Transition = tuple[str, Any, Any]
"""``(id, old_status, new_status)``."""
_ERROR_LABELS = {
    "APIConnectionError": "API unreachable",
    "ServerError": "API server error",
    "RateLimitError": "rate limited",
    "AuthenticationError": "API key refused",
}


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    """Schema fields of one frame record, NA as None (so rows compare with ``==``)."""
    return {c: None if is_missing(v) else v for c, v in ((c, record.get(c)) for c in COLUMNS)}


class Tracker:
    """The assets' latest rows and what happened to them, behind a lock of its own.

    Readers get immutable values (:meth:`view`, :meth:`frame`, :meth:`history`), so the lock
    never leaves this class.

    Parameters
    ----------
    ids_or_frame
        As for ``get_assets``; a frame with the whole schema also gives the starting rows.
    clock
        Epoch seconds, stamped on transitions.
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
        self._clock = clock
        empty = dict.fromkeys(COLUMNS[1:])
        # id -> the schema's fields (None where unknown)
        self._rows: dict[str, dict[str, Any]] = {i: {"id": i, **empty} for i in self.ids}
        if isinstance(ids_or_frame, pd.DataFrame) and set(COLUMNS) <= set(ids_or_frame.columns):
            for record in ids_or_frame.to_dict("records"):
                if not is_missing(record["id"]):
                    self._rows[normalize_id(record["id"])] = _clean(record)
        self._fetch_errors: dict[str, str] = {}  # id -> why its last fetch failed
        self._took: dict[str, float] = {}  # id -> seconds from created_at to seen finished
        self._backoff = Backoff(interval, PANEL_GROWTH, PANEL_MAX_BACKOFF, name="panel")
        self._error: tuple[str, str] | None = None  # the last poll's, when it failed whole
        self._last_change: float | None = None
        self._history: list[tuple[str, Any, Any, float]] = []
        self._version = 0
        self._frame: tuple[int, pd.DataFrame] | None = None
        self._fetcher: PendingFetcher | None = None

    # -- reads: immutable values, taken under the lock -------------------------------------

    def _all_terminal(self) -> bool:
        return all(self._rows[i]["status"] in TERMINAL_STATUSES for i in self.ids)

    @property
    def done(self) -> bool:
        """True when every asset is READY or FAILED."""
        with self._lock:
            return self._all_terminal()

    @property
    def failures(self) -> int:
        """Polls that failed in a row (0 after a poll that got any row)."""
        with self._lock:
            return self._backoff.steps

    @property
    def delay(self) -> float:
        """Seconds before the next poll: the interval, longer while polls fail."""
        with self._lock:
            return self._backoff.delay

    def view(self, query: Query) -> PanelView:
        """What the panel shows for ``query``: one consistent, immutable snapshot."""
        with self._lock:
            rows = self._rows
            chosen = select(self.ids, rows, query)
            pages = max(1, -(-len(chosen) // query.page_size))
            page = min(max(query.page, 0), pages - 1)
            start = page * query.page_size
            cards = tuple(
                AssetView(
                    id=i,
                    name=rows[i]["name"],
                    type=rows[i]["type"],
                    status=rows[i]["status"],
                    created_at=rows[i]["created_at"],
                    thumbnail_url=rows[i]["thumbnail_url"],
                    took=self._took.get(i),
                    error=self._fetch_errors.get(i),
                )
                for i in chosen[start : start + query.page_size]
            )
            counts = Counter(rows[i]["status"] for i in self.ids)
            return PanelView(
                cards=cards,
                page=page,
                pages=pages,
                total=len(self.ids),
                counts=tuple(counts.items()),
                finished=sum(counts[s] for s in TERMINAL_STATUSES),
                error=self._error,
                delay=self._backoff.delay,
                unfetched=len(self._fetch_errors),
                last_change=self._last_change,
            )

    def frame(self) -> pd.DataFrame:
        """The current table, a fresh copy (built once per change)."""
        with self._lock:
            if self._frame is None or self._frame[0] != self._version:
                columns = {c: [self._rows[i][c] for i in self.ids] for c in COLUMNS}
                self._frame = (self._version, schema_frame(columns))
            return self._frame[1].copy()

    def history(self) -> pd.DataFrame:
        """One row per transition: ``id``, ``from``, ``to`` (string), ``seen_at`` (UTC)."""
        with self._lock:
            rows = list(self._history)
        seen = pd.to_datetime(pd.Series([r[3] for r in rows], dtype="float64"), unit="s", utc=True)
        return pd.DataFrame(
            {
                "id": pd.array([r[0] for r in rows], dtype=STRING),
                "from": pd.array([r[1] for r in rows], dtype=STRING),
                "to": pd.array([r[2] for r in rows], dtype=STRING),
                "seen_at": seen.dt.as_unit("ns"),
            }
        )

    # -- one poll ----------------------------------------------------------------------------

    def poll(self, client: AssetSource) -> list[Transition]:
        """Fetch the unfinished assets once; return the transitions seen.

        Never raises for an API or network failure: that is recorded in :attr:`error`.
        """
        with self._lock:
            pending = [i for i in self.ids if self._rows[i]["status"] not in TERMINAL_STATUSES]
        if not pending:
            return []
        if self._fetcher is None or self._fetcher.client is not client:
            self._fetcher = PendingFetcher(client)
        try:
            with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-panel") as pool:
                found, failed = self._fetcher.fetch(pending, pool)
        except Exception as exc:  # the panel must survive anything, and say what happened
            if not isinstance(exc, ArgilError):
                log.warning("argil_nb: panel refresh failed", exc_info=True)
            self._fail(type(exc).__name__, str(exc))
            return []
        if not found:  # nothing came back: an outage, not a row-by-row problem
            first = next(iter(failed.values()), None)
            self._fail(type(first).__name__ if first else "InvalidResponse", str(first or ""))
            return []
        records = assets_frame(list(found.values())).to_dict("records")
        rows = {asset_id: _clean(r) for asset_id, r in zip(found, records, strict=True)}
        now = self._clock()
        transitions: list[Transition] = []
        with self._lock:
            self._backoff.reset()
            self._error = None
            for asset_id in pending:
                if asset_id in failed:  # keep the last known row; the card says why
                    error = failed[asset_id]
                    self._fetch_errors[asset_id] = f"{type(error).__name__}: {error}"
                    continue
                self._fetch_errors.pop(asset_id, None)
                new, old = rows[asset_id], self._rows[asset_id]
                if new == old:
                    continue
                self._rows[asset_id] = new
                self._version += 1
                self._last_change = now
                before, after = old["status"], new["status"]
                if before is None or before == after:
                    continue  # a first sighting is a starting point, not a transition
                transitions.append((asset_id, before, after))
                self._history.append((asset_id, before, after, now))
                created = new["created_at"]
                took = now - created.timestamp() if isinstance(created, datetime) else -1.0
                if after in TERMINAL_STATUSES and took >= 0:
                    self._took[asset_id] = took
        return transitions

    def _fail(self, kind: str, message: str) -> None:
        with self._lock:
            self._backoff.grow(f"poll failed ({kind})")
            self._error = (_ERROR_LABELS.get(kind, "refresh failed"), f"{kind}: {message}"[:300])
