"""The asset store: records, the simulated processing clock, filtering and pages.

Statuses are lazy: a PROCESSING record sits in a heap keyed by the simulated time it ends,
and every read first settles the records whose time has come, after the changes that come
with time (``events``: the live account of ``faults.live``, when it runs). Filtered listings
are cached until the next change, so paging through 20,000 assets costs a slice per page.
"""

from __future__ import annotations

import bisect
import contextlib
import heapq
import itertools
import math
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from .records import Record, format_ts, parse_ts
from .seed import random_id, seed_records

__all__ = ["AssetStore"]

Clock = Callable[[], float]
Events = Callable[["AssetStore", float], None]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AssetStore:
    """Thread-safe store of sandbox assets.

    Parameters
    ----------
    rng : random.Random
        Draws ids, processing times and outcomes (seeded for determinism).
    clock : callable
        Returns seconds (monotonic); simulated time is ``(clock() - start) * speed``.
    speed : float
        How much faster than ``clock`` processing runs.
    processing_seconds : tuple of float
        ``(min, max)`` simulated seconds an upload takes.
    failure_rate : float
        Chance that an upload ends FAILED.
    now : callable or None
        Wall clock (aware datetimes) for the createdAt of uploads; None: the real UTC time.
    upload_salt : int
        XORed into the ids of uploads (not of seeded assets), so that two stores with the
        same seed hand out different upload ids; 0 keeps the plain seeded sequence.
    documented : bool
        Keep to what Argil documents (``Sandbox(mode="documented")``): ``createdAt`` in whole
        seconds as uploads come (several may share one), listed newest first with ties in
        insertion order. False (the friendly mode): milliseconds, every upload strictly
        newer than the newest asset, ties broken by id.
    events : callable or None
        Called as ``events(store, now)`` at each settling, before the processing outcomes,
        with the lock held and the simulated time: the changes due by then (the live
        account's arrivals and deletions) are made there, through the methods that settle
        nothing. None: nothing changes but by request.
    """

    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        *,
        speed: float = 1.0,
        processing_seconds: tuple[float, float] = (2.0, 20.0),
        failure_rate: float = 0.1,
        now: Callable[[], datetime] | None = None,
        upload_salt: int = 0,
        documented: bool = False,
        events: Events | None = None,
    ) -> None:
        self._lock = threading.RLock()
        self.documented = documented
        self._key: Callable[[Record], tuple[float, float]] = (
            Record.insertion_key if documented else Record.sort_key  # type: ignore[assignment]
        )
        self._seq = itertools.count()
        self._rng = rng
        self._clock = clock
        self._speed = float(speed)
        self._clock_base = clock()
        self._sim_base = 0.0
        self.processing_seconds = processing_seconds
        self.failure_rate = failure_rate
        self._now = now or _utc_now
        self._by_id: dict[str, Record] = {}
        self._order: list[Record] = []  # listing order: self._key
        self._pending: list[tuple[float, str]] = []  # heap of (done_at, id)
        self._version = 0
        self._cache: dict[tuple[frozenset[str] | None, frozenset[str]], list[Record]] = {}
        self._cache_version = -1
        self._upload_salt = upload_salt
        self._events = events
        self._deleted: list[str] = []

    # -- time -------------------------------------------------------------------------

    @property
    def speed(self) -> float:
        """Processing speed factor; changing it keeps the simulated time continuous."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value <= 0:
            raise ValueError("speed must be positive")
        with self._lock:
            self._sim_base = self.sim_time()
            self._clock_base = self._clock()
            self._speed = float(value)

    def sim_time(self) -> float:
        """Simulated seconds since the store was made."""
        return self._sim_base + (self._clock() - self._clock_base) * self._speed

    def _settle(self) -> None:
        """Make the changes due (``events``), then every processing outcome whose time has
        come. The lock must be held.
        """
        now = self.sim_time()
        if self._events is not None:
            self._events(self, now)
        while self._pending and self._pending[0][0] <= now:
            done_at, asset_id = heapq.heappop(self._pending)
            record = self._by_id.get(asset_id)
            # Skip entries made stale by delete or set_status.
            if record is not None and record.done_at == done_at and record.status == "PROCESSING":
                record.status = record.outcome
                record.done_at = None
                self._version += 1

    def advance(self) -> None:
        """Make the changes and apply the processing outcomes due by now."""
        with self._lock:
            self._settle()

    @contextlib.contextmanager
    def settled(self) -> Iterator[None]:
        """Hold the store, settled, for several changes that readers see at once."""
        with self._lock:
            self._settle()
            yield

    # -- writes -----------------------------------------------------------------------

    def _insert(self, record: Record) -> None:
        old = self._by_id.pop(record.id, None)
        if old is not None:
            self._order.remove(old)
        record.seq = next(self._seq)
        self._by_id[record.id] = record
        bisect.insort(self._order, record, key=self._key)
        if record.done_at is not None:
            heapq.heappush(self._pending, (record.done_at, record.id))
        self._version += 1

    def seed(self, count: int) -> None:
        """Add ``count`` deterministic seeded assets."""
        with self._lock:
            records = seed_records(self._rng, count, self.processing_seconds, self.failure_rate)
            if self.documented:  # the same assets, their times in whole seconds
                for record in records:
                    record.sort_ts = float(math.floor(record.sort_ts))
                    record.created_at = format_ts(record.sort_ts, whole_seconds=True)
            if self._order:
                for record in records:
                    self._insert(record)
                return
            # Fast path for a fresh store: records already come sorted.
            for record in records:
                record.seq = next(self._seq)
            self._order = sorted(records, key=self._key)
            self._by_id = {record.id: record for record in records}
            self._pending = [(r.done_at, r.id) for r in records if r.done_at is not None]
            heapq.heapify(self._pending)
            self._version += 1

    def create(self, name: str, asset_type: str, url: str) -> Record:
        """Create an uploaded asset: PROCESSING, with its outcome drawn now."""
        with self._lock:
            self._settle()
            return self.upload(self._rng, name, asset_type, url, self.sim_time())

    def upload(
        self, rng: random.Random, name: str, asset_type: str, url: str, started: float
    ) -> Record:
        """Insert an upload that started at simulated time ``started``: PROCESSING, its id,
        processing time and outcome drawn from ``rng``; settles nothing."""
        with self._lock:
            low, high = self.processing_seconds
            asset_id = random_id(rng, self._upload_salt)
            duration = rng.uniform(low, high)
            outcome = "FAILED" if rng.random() < self.failure_rate else "READY"
            # Dated when it started, not now: a live arrival is made at the next request.
            late = max(0.0, (self.sim_time() - started) / self._speed)
            if self.documented:  # whole seconds, as they come: uploads may tie
                ts = float(math.floor(self._now().timestamp() - late))
            else:
                ts = round(self._now().timestamp() - late, 3)
                if self._order and ts <= self._order[0].sort_ts:
                    ts = round(self._order[0].sort_ts + 0.001, 3)  # uploads list first
            record = Record(
                id=asset_id,
                name=name,
                type=asset_type,
                status="PROCESSING",
                created_at=format_ts(ts, whole_seconds=self.documented),
                sort_ts=ts,
                done_at=started + duration,
                outcome=outcome,
                source_url=url,
            )
            self._insert(record)
            return record

    def add_raw(self, raw: dict[str, Any]) -> None:
        """Insert an asset verbatim (replacing one with the same id)."""
        asset_id = raw.get("id")
        if not isinstance(asset_id, str) or not asset_id:
            raise ValueError("the raw asset needs a non-empty string 'id'")
        with self._lock:
            ts = parse_ts(raw.get("createdAt"))
            if ts is None:  # odd createdAt: list it as the newest
                ts = self._order[0].sort_ts + 0.001 if self._order else 0.0
            name, kind, status = raw.get("name"), raw.get("type"), raw.get("status")
            record = Record(
                id=asset_id,
                name=name if isinstance(name, str) else None,
                type=kind if isinstance(kind, str) else None,
                status=status if isinstance(status, str) else None,
                created_at=str(raw.get("createdAt")),
                sort_ts=ts,
                raw=dict(raw),
            )
            self._insert(record)

    def set_status(self, asset_id: str, status: str) -> None:
        """Force a status; it cancels any scheduled processing outcome."""
        with self._lock:
            self._settle()
            record = self._by_id.get(asset_id)
            if record is None:
                raise KeyError(asset_id)
            record.status = status
            record.done_at = None
            if record.raw is not None:
                record.raw["status"] = status
            self._version += 1

    def delete(self, asset_id: str) -> bool:
        """Delete an asset; False when there is none with that id."""
        with self._lock:
            self._settle()
            record = self._by_id.get(asset_id)
            if record is None:
                return False
            self._remove(record)
            return True

    def _remove(self, record: Record) -> None:
        """Take ``record`` out and note its id as deleted (lock held)."""
        del self._by_id[record.id]
        index = bisect.bisect_left(self._order, self._key(record), key=self._key)
        if index < len(self._order) and self._order[index] is record:
            del self._order[index]
        else:  # raw records may share a key: fall back to a scan
            self._order.remove(record)
        self._deleted.append(record.id)
        self._version += 1

    # -- random changes (the live account's): they settle nothing, so ``events`` may make them

    def finish_random(self, rng: random.Random) -> bool:
        """Finish one PROCESSING upload drawn from ``rng`` now; False when there is none."""
        with self._lock:
            processing = [
                r for r in self._order if r.status == "PROCESSING" and r.done_at is not None
            ]
            if not processing:
                return False
            record = processing[rng.randrange(len(processing))]
            record.status, record.done_at = record.outcome, None
            self._version += 1
            return True

    def delete_random(self, rng: random.Random) -> None:
        """Delete one asset drawn from ``rng``, if there is any."""
        with self._lock:
            if self._order:
                self._remove(self._order[rng.randrange(len(self._order))])

    # -- reads ------------------------------------------------------------------------

    def get_json(self, asset_id: str, origin: str) -> dict[str, Any] | None:
        """Return one asset's JSON, or None."""
        with self._lock:
            self._settle()
            record = self._by_id.get(asset_id)
            return None if record is None else record.to_json(origin)

    def __contains__(self, asset_id: object) -> bool:
        with self._lock:
            return asset_id in self._by_id

    def ready_type(self, asset_id: str) -> str | None:
        """Return the type of a READY asset (``""`` when it has none), None otherwise."""
        with self._lock:
            self._settle()
            record = self._by_id.get(asset_id)
            if record is None or record.status != "READY":
                return None
            return record.type or ""

    def page(
        self,
        types: Iterable[str] | None,
        statuses: Iterable[str],
        page: int,
        page_size: int,
        origin: str,
    ) -> tuple[list[dict[str, Any]], int]:
        """Return one page of matching assets as JSON, and the total number of matches.

        ``types=None`` matches every type, including odd ones from ``add_raw``.
        """
        key = (None if types is None else frozenset(types), frozenset(statuses))
        with self._lock:
            self._settle()
            if self._cache_version != self._version:
                self._cache.clear()
                self._cache_version = self._version
            matches = self._cache.get(key)
            if matches is None:
                wanted_types, wanted_statuses = key
                matches = [
                    r
                    for r in self._order
                    if r.status in wanted_statuses
                    and (wanted_types is None or r.type in wanted_types)
                ]
                self._cache[key] = matches
            start = (page - 1) * page_size
            return [r.to_json(origin) for r in matches[start : start + page_size]], len(matches)

    def snapshot(self, origin: str) -> list[dict[str, Any]]:
        """Every asset's current JSON, in listing order."""
        with self._lock:
            self._settle()
            return [r.to_json(origin) for r in self._order]

    def deleted_ids(self) -> list[str]:
        """Ids deleted so far (by ``delete`` or random changes), oldest deletion first."""
        with self._lock:
            self._settle()
            return list(self._deleted)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)
