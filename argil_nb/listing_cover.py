"""Reading one listing until it is proven complete: lanes, straddling windows, passes.

The reasoning is in ``argil_nb.listing``'s docstring, the proof in ``listing_proof``. A
:class:`ListRun` reads one list (one status, or a union of statuses) in offset windows and
keeps every answer; :func:`complete` reads lanes (each in order, so that bridges hold),
then asks windows that straddle each gap left until none is (or :data:`VERIFY_ROUNDS`). A
list whose answers are not sorted newest first is read again in whole passes until two
agree (:meth:`ListRun.passes`).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from .batch import Progress, run_all
from .listing_proof import Answer, Gap, Zone, asset_key, chain_window, gaps, straddle
from .models import MAX_PAGE_SIZE, TERMINAL_STATUSES, Asset, AssetSource, Page, pages_for
from .waiting import TRANSIENT

__all__ = [
    "FALLBACK_PASSES",
    "LANE_RATE",
    "PAGES_PER_LANE",
    "VERIFY_ROUNDS",
    "ListRun",
    "Sightings",
    "Ticks",
    "complete",
    "page_again",
]

log = logging.getLogger("argil_nb")

PAGES_PER_LANE = 20
"""A lane (pages read one after another) for about this many pages at least; every lane
after the first costs a request (its seam with the lane before is checked once both are
read), and a removal before the cursors costs one per lane (each loses its next asset)."""
LANE_RATE = 20.0
"""Lanes: as many as it takes to send the client's read pace (its rate limiter's), or this
many requests per second when it has none, given the round trips seen so far (at most
``max_workers``): more lanes would wait for the limiter, not go faster."""
VERIFY_ROUNDS = 16
"""Rounds of straddling windows before giving up on proving a list complete (a warning)."""
FALLBACK_PASSES = 4
"""Whole passes over a list whose order is not newest first, until two agree."""


def page_again(client: AssetSource, **kwargs: Any) -> Page:
    """One listing page, asked once more when it failed transiently after its retries."""
    try:
        return client.list_page(**kwargs)
    except TRANSIENT as exc:
        log.debug("a listing page failed (%s); asking once more", type(exc).__name__)
        return client.list_page(**kwargs)


class Ticks:
    """A counter of sends and receipts: ``a.received < b.sent`` means a was answered first."""

    def __init__(self) -> None:
        self._count = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            return next(self._count)


class Sightings:
    """The latest sighting of each asset: a finished status beats PROCESSING (a status only
    moves that way), then the later answer."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._best: dict[str, tuple[int, int, Asset]] = {}

    def add(self, assets: Sequence[Asset], tick: int) -> None:
        """Record the assets of one answer received at ``tick``."""
        with self._lock:
            for asset in assets:
                rank = 1 if asset.status in TERMINAL_STATUSES else 0
                known = self._best.get(asset.id)
                if known is None or (rank, tick) > known[:2]:
                    self._best[asset.id] = (rank, tick, asset)

    def assets(self) -> dict[str, Asset]:
        """id -> the latest sighting."""
        with self._lock:
            return {asset_id: best[2] for asset_id, best in self._best.items()}


class ListRun:
    """The answers of one list (one status or a union of statuses) and what they prove.

    Parameters
    ----------
    front_only
        Whether assets join the list only in front: new uploads, for a list that holds
        PROCESSING (finishing moves an asset to another list or keeps it in this one).
    zone
        For a list that gains assets elsewhere (READY, FAILED): where it may, or None when
        that is unknown (then no bridge: every boundary is proven by windows that overlap).
    """

    def __init__(
        self,
        client: AssetSource,
        statuses: Sequence[str],
        types: Sequence[str],
        *,
        ticks: Ticks,
        sightings: Sightings,
        bar: Progress,
        front_only: bool,
        zone: Zone | None = None,
    ) -> None:
        self.client = client
        self.statuses = tuple(statuses)
        self.types = tuple(types)
        self.name = "+".join(self.statuses)
        self.ticks = ticks
        self.sightings = sightings
        self.bar = bar
        self.front_only = front_only
        self.zone = zone
        self.answers: list[Answer] = []
        self.seconds: list[float] = []
        self.ordered = True
        self._lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------

    def fetch(self, size: int, number: int, after: Answer | None = None) -> Answer:
        """Read one window and record it."""
        sent, began = self.ticks(), time.monotonic()
        page = page_again(
            self.client, page=number, page_size=size, types=self.types, statuses=self.statuses
        )
        received, took = self.ticks(), time.monotonic() - began
        self.bar.update()
        found = [asset_key(asset) for asset in page.assets]
        keys = [key for key in found if key is not None]
        why = None
        if len(keys) < len(found):
            why = "an asset has no readable createdAt"
        elif any(a >= b for a, b in itertools.pairwise(keys)):
            why = f"page {number} (size {size}) is not sorted by createdAt descending, then id"
        answer = Answer(
            offset=size * (number - 1),
            size=size,
            assets=list(page.assets),
            keys=[] if why else keys,
            total=page.total_count,
            sent=sent,
            received=received,
            after=after,
        )
        self.sightings.add(answer.assets, received)
        with self._lock:
            self.answers.append(answer)
            self.seconds.append(took)
            if why and self.ordered:
                self.ordered = False
                log.debug("list %s: %s; falling back to whole passes", self.name, why)
        return answer

    def bridges(self, answer: Answer) -> bool:
        """Whether the boundary just after ``answer`` may be proven by a bridge."""
        if not (answer.full and answer.total >= 0 and answer.keys):
            return False
        return self.front_only or (self.zone is not None and self.zone.clear(answer))

    def next_window(self, answer: Answer) -> tuple[int, int]:
        """The window a lane reads after ``answer``: the next page when a bridge may prove
        the boundary, else one that overlaps ``answer`` (then the overlap proves it)."""
        stop = answer.stop
        if not self.bridges(answer):
            return chain_window(stop)
        if stop % MAX_PAGE_SIZE == 0:  # the next page
            return MAX_PAGE_SIZE, stop // MAX_PAGE_SIZE + 1
        return MAX_PAGE_SIZE, (stop - 1) // MAX_PAGE_SIZE + 1  # back on pages, overlapping

    def lane(
        self, window: tuple[int, int], after: Answer | None, stop: int | None, planned: int
    ) -> None:
        """Read windows one after another from ``window`` until the end of the list, or
        until one reaches offset ``stop`` (where the next lane starts)."""
        for count in itertools.count(1):
            if count > planned:
                self.bar.grow(1)
            answer = self.fetch(*window, after=after)
            if not self.ordered or not answer.assets or answer.end:
                return
            if stop is not None and answer.offset + answer.size >= stop:
                return
            if count > 4 * planned + MAX_PAGE_SIZE:  # a list growing faster than we read
                return  # what is left is a gap: checked like the others
            window, after = self.next_window(answer), answer

    def lanes(self, first: Answer, count: int) -> list[Callable[[], None]]:
        """Lanes over the rest of the list after its first page, at most ``count``."""
        if not self.ordered or not first.assets or first.end:
            return []
        rest = max(_pages(first.total) - 1, 1)
        count = max(1, min(count, -(-rest // PAGES_PER_LANE)))
        self.bar.grow(rest)
        starts = [MAX_PAGE_SIZE * (1 + rest * j // count) for j in range(count)]
        stops: list[int | None] = [*starts[1:], None]
        ends = [*starts[1:], MAX_PAGE_SIZE * (rest + 1)]
        planned = [(b - a) // MAX_PAGE_SIZE for a, b in zip(starts, ends, strict=True)]
        tasks: list[Callable[[], None]] = [
            partial(self.lane, self.next_window(first), first, stops[0], planned[0])
        ]
        for start, stop, count in zip(starts[1:], stops[1:], planned[1:], strict=True):
            window = (MAX_PAGE_SIZE, start // MAX_PAGE_SIZE + 1)
            tasks.append(partial(self.lane, window, None, stop, count))
        return tasks

    # -- proving -------------------------------------------------------------------------

    def gaps(self) -> list[Gap]:
        """The key ranges no proof covers yet (empty: the list is complete)."""
        with self._lock:
            return gaps(self.answers, self.bridges)

    def window_for(self, gap: Gap) -> tuple[int, int]:
        """A window likely to straddle ``gap`` now (``listing_proof.straddle``)."""
        with self._lock:
            return straddle(self.answers, gap, self.front_only)

    # -- the fallback --------------------------------------------------------------------

    def passes(self, pool: ThreadPoolExecutor) -> None:
        """Whole passes of pages until two in a row see the same assets and the same total,
        at most :data:`FALLBACK_PASSES`: for a list not sorted newest first."""
        before: tuple[frozenset[str], frozenset[int]] | None = None
        for attempt in range(FALLBACK_PASSES):
            answers = self.one_pass(pool)
            ids = frozenset(asset.id for answer in answers for asset in answer.assets)
            totals = frozenset(answer.total for answer in answers)
            if before is not None and ids == before[0] and len(totals | before[1]) == 1:
                return
            before = (ids, totals)
            log.debug("list %s: pass %d changed under us", self.name, attempt + 1)
        log.debug("list %s: no two passes agreed in %d", self.name, FALLBACK_PASSES)

    def one_pass(self, pool: ThreadPoolExecutor, first: Answer | None = None) -> list[Answer]:
        """Every page once, all at once after the first (given, or read first), and those the
        list grew by meanwhile."""
        if first is None:
            self.bar.grow(1)
            first = self.fetch(MAX_PAGE_SIZE, 1)
        answers = [first]
        done = 1
        pages = _pages(first.total) if first.total >= 0 else (1 if first.end else 2)
        while done < pages:
            numbers = range(done + 1, pages + 1)
            self.bar.grow(len(numbers))
            calls = [partial(self.fetch, MAX_PAGE_SIZE, n) for n in numbers]
            for answer in run_all(pool, calls):
                answers.append(answer)
                if answer.total >= 0:  # grew while we paged: those pages too
                    pages = max(pages, _pages(answer.total))
                elif answer.full and answer.offset // MAX_PAGE_SIZE + 1 == pages:
                    pages += 1
            done = len(numbers) + done
        return answers


def _pages(total: int) -> int:
    return pages_for(total) if total >= 0 else 2


def complete(
    runs: Sequence[ListRun], firsts: Sequence[Answer], pool: ThreadPoolExecutor, workers: int
) -> None:
    """Read the lists of ``runs`` (each with its first page in ``firsts``) until each is
    proven complete: lanes, then windows straddling the gaps left, round after round; a list
    not sorted newest first falls back to :meth:`ListRun.passes`."""
    seconds = sorted(s for run in runs for s in run.seconds)
    round_trip = seconds[len(seconds) // 2] if seconds else 0.0
    limiter = runs[0].client.rate_limiter if runs else None
    rate = (limiter.pace("reads") if limiter is not None else None) or LANE_RATE
    lanes = max(1, min(workers, math.ceil(round_trip * rate)))
    rests = [max(_pages(first.total) - 1, 1) for first in firsts]
    share = [max(1, lanes * rest // sum(rests)) for rest in rests]
    run_all(pool, [t for r, f, n in zip(runs, firsts, share, strict=True) for t in r.lanes(f, n)])
    for _round in range(VERIFY_ROUNDS):
        calls: list[Callable[[], Any]] = []
        for run in runs:
            if not run.ordered:
                continue
            windows = dict.fromkeys(run.window_for(gap) for gap in run.gaps())
            calls += [partial(run.fetch, *window) for window in windows]
            if windows:
                log.debug("list %s: %d gap(s) to check", run.name, len(windows))
        if not calls:
            break
        runs[0].bar.grow(len(calls))
        run_all(pool, calls)
    else:
        left = [run.name for run in runs if run.ordered and run.gaps()]
        if left:
            log.warning("argil_nb: could not prove the listing of %s complete", ", ".join(left))
    for run in runs:
        if not run.ordered:
            run.passes(pool)
