"""Proving one listing complete: page answers, the gaps left between them, and closing them.

The reasoning is in ``argil_nb.listing``'s docstring; this module is its machinery. A
:class:`ListRun` reads one list (one status, or a union of statuses) in offset windows and
keeps every answer. Its :meth:`ListRun.gaps` are the key ranges that no proof covers yet:

* an answer covers the keys from its first to its last (from the start of the list when it
  is at offset 0, to the end when it reached the end): an asset that existed for the whole
  listing and sorts inside that range was in it, since an answer is one snapshot;
* two answers whose key ranges touch or overlap leave no gap between them;
* a *bridge*: a full window A, then the window B just after it read by the same lane once A
  had been received, on a list where assets arrive only in front, with a total in B no
  smaller than in A: the assets sorting before A's last key can only have grown in number,
  so none slipped from B into A's range.

:func:`complete` reads lanes (each in order, so that bridges hold), then asks windows that
straddle each gap left until none is (or a bound is reached). A list whose answers are not
sorted newest first is read again in whole passes until two agree (:meth:`ListRun.passes`).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from ._fetch import run_calls
from ._progress import Progress
from .models import MAX_PAGE_SIZE, TERMINAL_STATUSES, Asset, AssetSource, Page
from .waiting import TRANSIENT

__all__ = [
    "HEAD",
    "TAIL",
    "Answer",
    "Gap",
    "Key",
    "ListRun",
    "Sightings",
    "Ticks",
    "Zone",
    "asset_key",
    "chain_window",
    "complete",
    "page_again",
    "straddle_window",
]

log = logging.getLogger("argil_nb")

Key = tuple[int, int, str]
"""Where an asset sorts: ``(0, -createdAt in microseconds, id)``, newest first, then by id."""
HEAD: Key = (-1, 0, "")
"""Before every asset: the start of a list."""
TAIL: Key = (1, 0, "")
"""After every asset: the end of a list."""

PAGES_PER_LANE = 30
"""A lane (pages read one after another) for about this many pages; every lane after the
first costs one more request (its seam with the lane before is checked once both are read)."""
VERIFY_ROUNDS = 16
"""Rounds of straddling windows before giving up on proving a list complete (a warning)."""
FALLBACK_PASSES = 4
"""Whole passes over a list whose order is not newest first, until two agree."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def asset_key(asset: Asset) -> Key | None:
    """Where ``asset`` sorts in a newest-first list; None without a readable ``createdAt``."""
    if asset.created_at is None:
        return None
    return (0, -((asset.created_at - _EPOCH) // _MICROSECOND), asset.id)


def page_again(client: AssetSource, **kwargs: Any) -> Page:
    """One listing page, asked once more when it failed transiently after its retries."""
    try:
        return client.list_page(**kwargs)
    except TRANSIENT as exc:
        log.debug("a listing page failed (%s); asking once more", type(exc).__name__)
        return client.list_page(**kwargs)


def chain_window(stop: int) -> tuple[int, int]:
    """``(page size, page number)`` of the window that holds offset ``stop - 1`` and reaches
    furthest: it overlaps the items before ``stop`` by one at least."""
    best = (0, MAX_PAGE_SIZE, 1)
    for size in range(MAX_PAGE_SIZE, 0, -1):
        number = (stop - 1) // size + 1
        if size * number > best[0]:
            best = (size * number, size, number)
    return best[1], best[2]


def straddle_window(first: int, last: int) -> tuple[int, int]:
    """``(page size, page number)`` of a window holding offsets ``first`` to ``last`` with
    the most room on both sides; when none can, the one from ``first`` reaching furthest."""
    first = max(first, 0)
    last = max(last, first)
    best: tuple[int, int, int, int] | None = None
    for size in range(MAX_PAGE_SIZE, 0, -1):
        number = first // size + 1
        start, stop = size * (number - 1), size * number
        score = (1, min(first - start, stop - 1 - last)) if stop > last else (0, stop)
        if best is None or score > best[:2]:
            best = (*score, size, number)
    assert best is not None
    return best[2], best[3]


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


@dataclass(eq=False)
class Answer:
    """One page answer: a snapshot of the window ``[offset, offset + size)`` of the list."""

    offset: int
    size: int
    assets: list[Asset] = field(repr=False)
    keys: list[Key] = field(repr=False)
    """The assets' keys; empty when the answer is not sorted newest first."""
    total: int
    """``X-Total-Count`` (-1 when absent)."""
    sent: int
    received: int
    after: Answer | None = field(default=None, repr=False)
    """The answer read just before by the same lane (received before this one was sent)."""

    @property
    def full(self) -> bool:
        """Whether the window was full."""
        return len(self.assets) == self.size

    @property
    def stop(self) -> int:
        """The offset just after the last asset."""
        return self.offset + len(self.assets)

    @property
    def end(self) -> bool:
        """Whether the window reached the end of the list, as the answer itself says."""
        if self.total >= 0:
            return self.stop >= self.total
        return len(self.assets) < self.size


@dataclass(frozen=True)
class Gap:
    """Keys strictly between ``left`` and ``right`` that no proof covers yet."""

    left: Key
    right: Key


@dataclass(frozen=True)
class Zone:
    """Where a READY or FAILED list may gain an asset behind its cursor.

    Such a list gains assets only when PROCESSING ones finish, each at its own key. A bridge
    after key ``k`` holds when no asset that may finish sorts after ``k``: every PROCESSING
    asset known sorts before (``oldest`` is the oldest of them, None when there is none), and
    ``k`` is not newer than ``known_before``, the newest asset that existed before the
    PROCESSING snapshot was taken (an upload made later sorts before it, so before ``k``).
    """

    oldest: Key | None
    known_before: Key

    def clear(self, key: Key) -> bool:
        """Whether no asset can finish behind ``key`` while the list is read."""
        return key >= self.known_before and (self.oldest is None or self.oldest <= key)


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
        self.ordered = True
        self._lock = threading.Lock()

    # -- reading -------------------------------------------------------------------------

    def fetch(self, size: int, number: int, after: Answer | None = None) -> Answer:
        """Read one window and record it."""
        sent = self.ticks()
        page = page_again(
            self.client, page=number, page_size=size, types=self.types, statuses=self.statuses
        )
        received = self.ticks()
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
            if why and self.ordered:
                self.ordered = False
                log.debug("list %s: %s; falling back to whole passes", self.name, why)
        return answer

    def bridges(self, answer: Answer) -> bool:
        """Whether the boundary just after ``answer`` may be proven by a bridge."""
        if not (answer.full and answer.total >= 0 and answer.keys):
            return False
        last = answer.keys[-1]
        return self.front_only or (self.zone is not None and self.zone.clear(last))

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
        """The key ranges no answer, overlap or bridge covers (empty: the list is complete)."""
        with self._lock:
            answers = list(self.answers)
        pieces: list[tuple[Key, Key]] = []
        for answer in answers:
            if not answer.assets:
                if answer.offset == 0:
                    return []  # empty at one instant: no asset existed for the whole listing
                continue
            lo = HEAD if answer.offset == 0 else answer.keys[0]
            pieces.append((lo, TAIL if answer.end else answer.keys[-1]))
            before = answer.after
            if (
                before is not None
                and before.stop == answer.offset
                and self.bridges(before)
                and answer.total >= before.total
            ):
                pieces.append((before.keys[-1], answer.keys[0]))
        gaps: list[Gap] = []
        reach = HEAD
        for lo, hi in sorted(pieces):
            if lo > reach:
                gaps.append(Gap(reach, lo))
            reach = max(reach, hi)
        if pieces and reach != TAIL:
            gaps.append(Gap(reach, TAIL))
        return gaps

    def window_for(self, gap: Gap) -> tuple[int, int]:
        """A window likely to straddle ``gap`` now.

        Where its left key is now is guessed from two answers holding a key at or before it:
        the one whose key is nearest and the latest one; each guess is the position that key
        had, moved by the change of the total since (all of it on a list that gains assets in
        front, a share in proportion to the position elsewhere). The left key is at or after
        both guesses, the right one at or before the guesses made alike from the other side.
        A window that missed is the latest answer on its side: the next guess starts there.
        """
        with self._lock:
            answers = [a for a in self.answers if a.keys]
        known = [a for a in answers if a.total >= 0]
        latest = max(known, key=lambda a: a.received).total if known else -1

        def position(answer: Answer, index: int) -> int:
            at = answer.offset + index
            if latest < 0 or answer.total < 0:
                return at
            shift = latest - answer.total
            if not self.front_only and answer.total:
                shift = shift * at // answer.total
            return max(0, at + shift)

        left = [(a, i - 1) for a in answers if (i := bisect.bisect_right(a.keys, gap.left))]
        right = [
            (a, i) for a in answers if (i := bisect.bisect_left(a.keys, gap.right)) < len(a.keys)
        ]
        first, since = 0, -1  # the left key is at or after `first` (guessed by `since`)
        for answer, index in (
            {
                max(left, key=lambda p: (p[0].keys[p[1]], p[0].received)),
                max(left, key=lambda p: p[0].received),
            }
            if left
            else ()
        ):
            guess = position(answer, index) + (answer.keys[index] < gap.left)
            if guess > first or (guess == first and answer.received > since):
                first, since = guess, answer.received
        if gap.right == TAIL or not right:  # the end: a window reaching past it
            return straddle_window(first, max(latest, first + 1))
        last, until = -1, -1  # the right key is at or before `last` (guessed by `until`)
        for answer, index in {
            min(right, key=lambda p: (p[0].keys[p[1]], -p[0].received)),
            max(right, key=lambda p: p[0].received),
        }:
            guess = position(answer, index) - (answer.keys[index] > gap.right)
            if last < 0 or guess < last or (guess == last and answer.received > until):
                last, until = guess, answer.received
        if last <= first:  # the guesses cross: trust the one made from the later answer
            if since > until:
                last = first + MAX_PAGE_SIZE // 2
            else:
                first = max(0, last - MAX_PAGE_SIZE // 2)
        return straddle_window(first, max(last, first + 1))

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

    def one_pass(self, pool: ThreadPoolExecutor) -> list[Answer]:
        """Every page once, concurrently after the first (and those the list grew by)."""
        self.bar.grow(1)
        first = self.fetch(MAX_PAGE_SIZE, 1)
        answers = [first]
        done = 1
        pages = _pages(first.total) if first.total >= 0 else (1 if first.end else 2)
        while done < pages:
            numbers = range(done + 1, pages + 1)
            self.bar.grow(len(numbers))
            calls = [lambda n=n: self.fetch(MAX_PAGE_SIZE, n) for n in numbers]
            for _index, answer, exc in run_calls(pool, calls):
                if exc is not None:
                    raise exc
                answers.append(answer)
                if answer.total >= 0:  # grew while we paged: those pages too
                    pages = max(pages, _pages(answer.total))
                elif answer.full and answer.offset // MAX_PAGE_SIZE + 1 == pages:
                    pages += 1
            done = len(numbers) + done
        return answers


def _pages(total: int) -> int:
    return max(1, -(-total // MAX_PAGE_SIZE)) if total >= 0 else 2


def _run_all(pool: ThreadPoolExecutor, calls: Sequence[Callable[[], Any]]) -> None:
    for _index, _result, exc in run_calls(pool, calls):
        if exc is not None:
            raise exc


def complete(
    runs: Sequence[ListRun], firsts: Sequence[Answer], pool: ThreadPoolExecutor, workers: int
) -> None:
    """Read the lists of ``runs`` (each with its first page in ``firsts``) until each is
    proven complete: lanes, then windows straddling the gaps left, round after round; a list
    not sorted newest first falls back to :meth:`ListRun.passes`."""
    rests = [max(_pages(first.total) - 1, 1) for first in firsts]
    share = [max(1, workers * rest // sum(rests)) for rest in rests]
    _run_all(pool, [t for r, f, n in zip(runs, firsts, share, strict=True) for t in r.lanes(f, n)])
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
        _run_all(pool, calls)
    else:
        left = [run.name for run in runs if run.ordered and run.gaps()]
        if left:
            log.warning("argil_nb: could not prove the listing of %s complete", ", ".join(left))
    for run in runs:
        if not run.ordered:
            run.passes(pool)
