"""The listing: when to list instead of GET, and how to list completely on what Argil documents.

``GET /assets`` lists one ``status`` (READY when none is given) in offset pages: page ``p`` of
size ``s`` (1 to 100) is the *window* of offsets ``[(p - 1) s, p s)``, and ``X-Total-Count``
says how many there are. The listing assumes of it only what Argil documents, plus two
things no listing can do without:

* **Assumed**: an answer is one snapshot of its window; the order is stable: two assets that
  stay in one status's list keep their relative order from one answer to the next, whatever
  the sort key and its tie-break; and a status only moves ``PROCESSING -> READY | FAILED``
  (the documented lifecycle), so an asset in a list at two instants was in it in between.
* **Not assumed**: any particular order (newest first, by id), distinct or millisecond
  ``createdAt`` values, a repeatable ``status`` (each request names exactly one: nothing
  undocumented is ever sent, so nothing needs probing), rate-limit headers, and that
  ``X-Total-Count`` is there (without it the list is read on until a short window).

**The proof** (``list_assets``: every asset there for the whole call is in the result once,
with the latest status seen). Within one status, a *chain* of windows proves the list
complete when its first window starts at offset 0, its last is short (the list ended inside
it), and each next window shares at least one asset with some window before it. Why: an
asset ``p`` there all along but in no window of the chain is, in each window's snapshot,
before or after that window; after the first, before the last; so for two windows sharing an
asset ``x`` it is after the one and before the other, i.e. behind ``x`` in one snapshot and in
front of it in the other, and the order is stable. The chains need no order in time: the
windows can be read all at once. :class:`_Proof` is that check, a union-find over the ids
seen: the start (offset 0), the end (a short window) and each window's assets are joined,
and the list is complete when the start and the end are.

**The windows.** Page 1 (100) first, for ``X-Total-Count``; then, all at once, the windows
that cover the rest, each starting :data:`OVERLAP` assets before the previous one ends
(:func:`window_from`; about 13 % more requests than pages of 100, because a window can only
start at a multiple of its size). Each costs the ones it fails to link (below) and nothing
else: arrivals, finishes, deletions and ties cost nothing where they do not break a link.

* *Repair* (failure prevented: assets lost when removals before a boundary shift the list
  up by more than the overlap between two reads, or the list shrinks past the windows, e.g.
  120 of 150 PROCESSING finish after its page 1: ``test_the_newest_finishing_after_page_one``).
  A window that shares nothing with the one before it, or an empty one, is repaired by a
  window placed back from the previous window's end by what the list shrank since, and
  further back on each failure (by ``OVERLAP * (4**n - 1)``), down to offset 0: a new start.
* *Read on* (the list grew past the last window, or no ``X-Total-Count``): the next window
  after the last one, until one is short.
* *Budget* (a list changing faster than it can be read): at most :data:`REPAIRS` requests
  more than twice its pages per status. Then :class:`IncompleteListing` is warned (how many
  may be missing, what to do) and the result holds what was seen: nothing is claimed.

**Across statuses** (failure prevented: an asset finishing while listed is in neither list:
``test_an_asset_finishing_between_the_statuses_is_seen``). PROCESSING is listed completely
first; READY's and FAILED's requests are all sent after its last answer arrived. An asset
that finished before that is in READY or FAILED for the whole of their listing; one that
finished after it was PROCESSING for the whole of PROCESSING's. The latest sighting wins, a
finished status over PROCESSING.

**Cost.** Static: ~1.13x the pages of 100 (the windows' overlap), one round trip for page 1
and one for the rest per phase (PROCESSING, then READY and FAILED). Changing: one window or
two per broken link, which changes between two reads of neighbouring windows cause (they are
read at about the same time). ``bench/bench_listing.py`` measures both.

**Other callers**, which GET what a listing does not show, so need no proof: ``get_assets``
GETs each id when there are fewer than :data:`PER_ID_BELOW`; else it reads page 1 of every
status and, when the rest of the pages cost fewer requests than the GETs of the ids not seen
(a page costing :data:`PAGE_COST` GETs), reads each page once and GETs the ids it did not
see. A poller (``wait()``, the panel: :class:`PendingFetcher`) lists PROCESSING once, reads
page 1 of READY and FAILED (where fresh outcomes usually are: a heuristic, not an
assumption) and GETs the rest. A page that fails transiently after its retries is asked once
more (:func:`page_again`); an ``AuthenticationError`` stops every listing at once.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd

from ._checks import check_choice
from .batch import Progress, fetch_each, run_all
from .errors import BatchError, IncompleteListing, InvalidArgument, warn
from .frames import ERROR_COLUMN, STRING, assets_frame, empty_frame, ids_of
from .models import (
    ASSET_TYPES,
    FAILED,
    MAX_PAGE_SIZE,
    PROCESSING,
    READY,
    STATUSES,
    TERMINAL_STATUSES,
    Asset,
    AssetSource,
    Page,
    pages_for,
)
from .waiting import TRANSIENT

__all__ = [
    "LISTING_ORDER",
    "OVERLAP",
    "PAGE_COST",
    "PER_ID_BELOW",
    "REPAIRS",
    "IncompleteListing",
    "Listing",
    "PendingFetcher",
    "get_assets",
    "list_assets",
    "list_once",
    "page_again",
    "window_from",
]

log = logging.getLogger("argil_nb")

OVERLAP = 2
"""Assets each planned window shares with the one before it: a link survives one removal
in front of it between the two reads (two cost 1 % more requests than one; three, 2 %)."""
REPAIRS = 10
"""Requests a status may take beyond twice its pages before the listing gives up proving it
complete (:class:`IncompleteListing`)."""
PER_ID_BELOW = 10
"""Below this many ids, per-id GETs always win: the probe costs 3 requests."""
PAGE_COST = 2
"""A page of 100 costs the server about as much as this many single GETs."""
LISTING_ORDER = (PROCESSING, READY, FAILED)
_OUTCOMES = (READY, FAILED)


def page_again(client: AssetSource, **kwargs: Any) -> Page:
    """One listing page, asked once more when it failed transiently after its retries."""
    try:
        return client.list_page(**kwargs)
    except TRANSIENT as exc:
        log.debug("a listing page failed (%s); asking once more", type(exc).__name__)
        return client.list_page(**kwargs)


def window_from(start: int) -> tuple[int, int]:
    """``(page_size, page)`` of the window that starts at offset ``start`` or before and
    reaches furthest (the largest such size on a tie); page 1 of 100 for ``start <= 0``."""
    if start <= 0:
        return MAX_PAGE_SIZE, 1
    sizes = range(MAX_PAGE_SIZE, 0, -1)
    return max(((size, start // size + 1) for size in sizes), key=lambda w: w[0] * w[1])


# -- one status, read until proven complete ----------------------------------------------


@dataclass(eq=False)
class _Window:
    """One answer: a snapshot of offsets ``[offset, offset + size)`` of one status's list."""

    size: int
    page: int
    ids: list[str]
    total: int  # X-Total-Count; -1 when absent
    tries: int = 0  # failed attempts to link the window after this one

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def end(self) -> int:
        return self.offset + len(self.ids)

    @property
    def short(self) -> bool:
        return len(self.ids) < self.size


_HEAD, _TAIL = "<start of the list>", "<end of the list>"  # never an asset id (a uuid)


class _Proof:
    """Union-find over the ids seen: windows sharing an asset are linked; the list is
    complete when the start (a window at offset 0) and the end (a short one) are."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}

    def _find(self, node: str) -> str:
        parent = self._parent.setdefault(node, node)
        while parent != node:
            grand = self._parent[parent]
            self._parent[node] = grand
            node, parent = parent, self._parent[grand]
        return node

    def add(self, window: _Window) -> None:
        nodes = list(window.ids)
        nodes += [_HEAD] if window.offset == 0 else []
        nodes += [_TAIL] if window.short else []
        for node in nodes[1:]:
            a, b = self._find(node), self._find(nodes[0])
            if a != b:
                self._parent[a] = b
                self._size[b] = self._size.get(b, 1) + self._size.get(a, 1)

    def linked(self, a: _Window, b: _Window) -> bool:
        """Whether ``a`` and ``b`` are joined through shared assets (both hold some)."""
        return bool(a.ids and b.ids) and self._find(a.ids[0]) == self._find(b.ids[0])

    @property
    def complete(self) -> bool:
        return self._find(_HEAD) == self._find(_TAIL)

    @property
    def reach(self) -> int:
        """How many assets the windows linked to the start hold."""
        return self._size.get(self._find(_HEAD), 1) - 1 - self.complete


@dataclass(eq=False)
class _Ask:
    """A window to read: planned from page 1's total (``after`` None), or the one after
    ``after`` (repairing the link to the next window of the chain, or reading on)."""

    size: int
    page: int
    after: _Window | None = None


@dataclass(eq=False)
class _StatusRead:
    """What one status's listing has read, and what it asks next (module docstring)."""

    status: str
    proof: _Proof = field(default_factory=_Proof)
    chain: list[_Window] = field(default_factory=list)  # the non-empty windows, in order
    seen: set[str] = field(default_factory=set)
    sent: int = 0
    total: int = -1  # the latest X-Total-Count
    first_total: int = -1

    @property
    def budget(self) -> int:
        """Twice the pages of page 1's total (without one, of the assets linked to the start:
        a list changing faster than it is read does not add to it), and :data:`REPAIRS`."""
        known = self.first_total if self.first_total >= 0 else self.proof.reach
        return REPAIRS + 2 * pages_for(known)

    def wanted(self) -> list[_Ask]:
        """The windows to read next, all at once; none when done (complete or out of budget)."""
        if not self.sent:
            return [_Ask(MAX_PAGE_SIZE, 1)]
        if self.proof.complete:
            return []
        # Page 1 is in the chain (else, empty, it proved the list empty at that instant).
        asks = self._plan(self.chain[0]) if self.sent == 1 and self.total >= 0 else []
        if not asks:
            for before, window in itertools.pairwise(self.chain):
                if not self.proof.linked(before, window):  # repair the link
                    asks.append(_Ask(*self._after(before), after=before))
            if not self.chain[-1].short:  # the list goes on past the last window: read on
                asks.append(_Ask(*self._after(self.chain[-1]), after=self.chain[-1]))
        return asks[: max(self.budget - self.sent, 0)]

    def _plan(self, first: _Window) -> list[_Ask]:
        """The windows after page 1 that cover its total, each overlapping the one before."""
        asks: list[_Ask] = []
        end = first.offset + first.size
        while end <= self.total:
            size, page = window_from(end - OVERLAP)
            asks.append(_Ask(size, page))
            end = size * page
        return asks

    def _after(self, window: _Window) -> tuple[int, int]:
        """The window to read after ``window``: back from its end by the overlap, by what the
        list shrank since it was read, and by more on each failure to link."""
        shrunk = window.total - self.total if min(window.total, self.total) >= 0 else 0
        back = OVERLAP + max(shrunk, 0) + OVERLAP * (4**window.tries - 1)
        return window_from(window.end - back)

    def record(self, answers: Sequence[tuple[_Ask, _Window]]) -> None:
        """Take a round's answers (in the order asked) into the proof and the chain."""
        for ask, window in answers:
            self.sent += 1
            self.total = window.total
            self.first_total = window.total if self.sent == 1 else self.first_total
            self.seen.update(window.ids)
            self.proof.add(window)
            if ask.after is None:  # page 1, or planned: the chain in the order planned
                self.chain += [window] if window.ids else []
            else:
                self._place(ask.after, window)

    def _place(self, before: _Window, window: _Window) -> None:
        """Put a window asked after ``before`` into the chain when it links to a side."""
        if before not in self.chain:  # superseded by a fresh start this round
            return
        at = self.chain.index(before) + 1
        after = self.chain[at] if at < len(self.chain) else None
        if window.ids and window.offset == 0:  # a fresh start: what was before is moot
            self.chain[:at] = [window]
        elif window.ids and self.proof.linked(before, window):
            self.chain.insert(at, window)
        elif window.ids and after is not None and self.proof.linked(window, after):
            self.chain.insert(at, window)
            before.tries += 1
        else:  # empty, or linked to neither side: from further back next time
            before.tries += 1

    def missing(self) -> str:
        """How many assets may be missing, in words, for the warning."""
        if self.total < 0:
            return "an unknown number of"
        return f"about {max(self.total - len(self.seen), 1)} of the {self.total}"


def _phases(statuses: Sequence[str]) -> list[list[str]]:
    """PROCESSING alone, then the others: each phase's requests are sent after the answers
    of the phase before (an asset finishing meanwhile is in one of them)."""
    return [[s for s in statuses if s == PROCESSING], [s for s in statuses if s != PROCESSING]]


class Listing:
    """Complete listings of some statuses, sharing one record of what was seen.

    Parameters
    ----------
    client
        Sends the pages (``list_page`` with one status each).
    types
        Asset types to list (``type`` repeated in each request); empty: every type.
    pool
        Runs each round's windows at once.
    bar
        Counts the requests (its total grows as totals become known).
    """

    def __init__(
        self,
        client: AssetSource,
        types: Sequence[str],
        pool: ThreadPoolExecutor,
        bar: Progress,
    ) -> None:
        self.client = client
        self.types = tuple(types)
        self.pool = pool
        self.bar = bar
        self.unproven: dict[str, str] = {}
        """Each status that could not be shown complete: how many may be missing, in words."""
        self._best: dict[str, tuple[int, int, Asset]] = {}  # id -> (finished, round, asset)
        self._round = 0

    def run(self, statuses: Iterable[str]) -> dict[str, Asset]:
        """List ``statuses`` completely (PROCESSING first, alone); id -> latest sighting."""
        ordered = [s for s in LISTING_ORDER if s in set(statuses)]
        for phase in _phases(ordered):
            reads = [_StatusRead(status) for status in phase]
            self._rounds(reads)
            for read in reads:
                log.debug("listing %s: %d requests", read.status, read.sent)
                if not read.proof.complete:
                    self.unproven[read.status] = read.missing()
        return {i: best[2] for i, best in self._best.items() if best[2].status in ordered}

    def _rounds(self, reads: Sequence[_StatusRead]) -> None:
        """Round after round, every window the reads want, all at once, until none."""
        while asks := [(read, ask) for read in reads for ask in read.wanted()]:
            self.bar.grow(sum(1 for read, _ in asks if read.sent))  # page 1s were counted
            self._round += 1
            calls = [partial(self._fetch, read.status, ask) for read, ask in asks]
            answers = run_all(self.pool, calls)
            for _, assets in answers:
                self._saw(assets)
            for read in reads:
                mine = zip(asks, answers, strict=True)
                read.record([(ask, window) for (r, ask), (window, _) in mine if r is read])

    def _fetch(self, status: str, ask: _Ask) -> tuple[_Window, list[Asset]]:
        page = page_again(
            self.client, page=ask.page, page_size=ask.size, types=self.types, statuses=[status]
        )
        self.bar.update()
        return _Window(
            ask.size, ask.page, [a.id for a in page.assets], page.total_count
        ), page.assets

    def _saw(self, assets: Sequence[Asset]) -> None:
        """Keep each asset's latest sighting: a finished status over PROCESSING (a status
        only moves that way), then the later round."""
        for asset in assets:
            rank = (int(asset.status in TERMINAL_STATUSES), self._round)
            known = self._best.get(asset.id)
            if known is None or rank >= known[:2]:
                self._best[asset.id] = (*rank, asset)


def _warn_incomplete(unproven: dict[str, str]) -> None:
    what = "; ".join(f"{status}: {words} may be missing" for status, words in unproven.items())
    message = (
        f"list_assets could not show the listing complete: the account changed faster than it "
        f"could be read ({what}). The frame holds every asset seen. Call list_assets() again "
        f"when the account is quieter, or get_assets(ids) for the ids you need (it GETs what "
        f"a listing misses)."
    )
    warn(message, IncompleteListing)


# -- listings for callers that GET what they do not see ----------------------------------


def _pages_after(
    client: AssetSource, firsts: dict[str, Page], types: Sequence[str], pool: ThreadPoolExecutor
) -> list[Page]:
    """The pages of each status after its page 1 (of 100), each once and with no proof: all
    at once where ``X-Total-Count`` says how many, else one after another while full."""
    ask = partial(page_again, client, page_size=MAX_PAGE_SIZE, types=tuple(types))
    calls = [
        partial(ask, page=number, statuses=[status])
        for status, first in firsts.items()
        if first.total_count >= 0
        for number in range(2, pages_for(first.total_count) + 1)
    ]
    pages: list[Page] = run_all(pool, calls)
    for status, first in firsts.items():
        last, number, seen = first, 1, {a.id for a in first.assets}
        while first.total_count < 0 and len(last.assets) >= MAX_PAGE_SIZE:
            number += 1
            last = ask(page=number, statuses=[status])
            if seen.issuperset(a.id for a in last.assets):
                break  # nothing new: a server ignoring ``page`` would go on for ever
            seen.update(a.id for a in last.assets)
            pages.append(last)
    return pages


def list_once(
    client: AssetSource, status: str, types: Sequence[str], pool: ThreadPoolExecutor
) -> list[Asset]:
    """Every page of one status once, concurrently when ``X-Total-Count`` says how many: no
    proof that no asset slipped between pages (for a caller that GETs what it misses)."""
    first = page_again(
        client, page=1, page_size=MAX_PAGE_SIZE, types=tuple(types), statuses=[status]
    )
    pages = [first, *_pages_after(client, {status: first}, types, pool)]
    return list({a.id: a for page in pages for a in page.assets}.values())


class PendingFetcher:
    """Fetches the unfinished assets of one poller (``wait()``, the panel) each round.

    See the module docstring for the strategy. When the pending ids are few next to the
    PROCESSING pages last seen, per-id GETs.
    """

    def __init__(self, client: AssetSource) -> None:
        self.client = client
        self.processing_pages: int | None = None

    def _use_listing(self, pending: int) -> bool:
        if self.processing_pages is None:
            return pending >= PER_ID_BELOW
        return self.processing_pages * PAGE_COST < pending

    def fetch(
        self, pending: list[str], pool: ThreadPoolExecutor
    ) -> tuple[dict[str, Asset], dict[str, Exception]]:
        """The latest of each pending id, and the errors of those that could not be had.

        Raises what a failed listing raises (after its retries); per-id errors are returned.
        """
        found: dict[str, Asset] = {}
        to_get = pending
        quiet = Progress(False, 0, "")
        if self._use_listing(len(pending)):
            listed = list_once(self.client, PROCESSING, (), pool)
            self.processing_pages = pages_for(len(listed))
            still = {a.id: a for a in listed}
            found = {i: still[i] for i in pending if i in still}
            to_get = [i for i in pending if i not in still]
        if len(to_get) > len(_OUTCOMES) * PAGE_COST:
            calls = [
                partial(page_again, self.client, page=1, page_size=MAX_PAGE_SIZE, statuses=[s])
                for s in _OUTCOMES
            ]
            for page in run_all(pool, calls):
                newest = {a.id: a for a in page.assets}
                found.update((i, newest[i]) for i in to_get if i in newest)
            to_get = [i for i in to_get if i not in found]
        # No second try here: the next round is one.
        more, failed = fetch_each(self.client, to_get, pool, quiet, again=False)
        found.update(more)
        return found, failed


# -- the batch calls on the listing: get_assets, list_assets ----------------------------


def _frame(
    ids: Sequence[str], found: dict[str, Asset], failed: dict[str, Exception], errors: str
) -> pd.DataFrame:
    rows = [found[i] for i in ids if i in found]
    if errors == "raise":
        frame = assets_frame(rows) if rows else empty_frame()
        if failed:
            raise BatchError(frame, {i: failed[i] for i in ids if i in failed})
        return frame
    records: list[Any] = [found.get(i, {"id": i}) for i in ids]
    frame = assets_frame(records) if records else empty_frame()
    messages = [None if i in found else f"{type(failed[i]).__name__}: {failed[i]}" for i in ids]
    frame[ERROR_COLUMN] = pd.array(messages, dtype=STRING)
    return frame


def _listed(
    client: AssetSource, wanted: Sequence[str], pool: ThreadPoolExecutor, bar: Progress, plan: str
) -> dict[str, Asset]:
    """The listing half of ``get_assets``: page 1 of each status, then, when cheaper than
    the GETs it saves (or ``plan="list"``), every other page once."""
    ask = partial(page_again, client, page=1, page_size=MAX_PAGE_SIZE)
    firsts = run_all(pool, [partial(ask, statuses=[s]) for s in LISTING_ORDER])
    seen = {a.id: a for page in firsts for a in page.assets}
    left = sum(
        pages_for(p.total_count) - 1 if p.total_count >= 0 else int(len(p.assets) >= MAX_PAGE_SIZE)
        for p in firsts
    )
    still = sum(1 for i in wanted if i not in seen)
    if plan == "list" or left * PAGE_COST < still:
        log.debug("get_assets: listing plan, %d pages left", left)
        bar.grow(left)
        pages = _pages_after(client, dict(zip(LISTING_ORDER, firsts, strict=True)), (), pool)
        seen.update((a.id, a) for page in pages for a in page.assets)
    return seen


def get_assets(
    client: AssetSource,
    ids: Any,
    *,
    errors: str = "raise",
    progress: bool | None = None,
    plan: str = "auto",
) -> pd.DataFrame:
    """Fetch many assets into one frame, by the cheaper of two plans.

    Parameters
    ----------
    client
        The client to send through.
    ids
        Asset ids (str or UUID), a Series, or a frame with an ``id`` column. Validated before
        any request; duplicates are fetched once.
    errors
        ``"raise"``: raise :class:`BatchError` after the batch if any id failed, carrying the
        rows that worked. ``"coerce"``: return every row, failed ones with NA fields and a
        message in an ``error`` column.
    progress
        ``None``: a tqdm bar once the call has run ``batch.SHOW_AFTER`` (1 s).
    plan
        ``"auto"`` (below), or force ``"get"`` (per-id GETs) or ``"list"`` (listing).

    Returns
    -------
    pandas.DataFrame
        One row per distinct id, in first-seen order.

    Raises
    ------
    InvalidAssetId, InvalidArgument
        Before any request.
    AuthenticationError
        At once, from the first request refused 401 or 403.
    BatchError
        With ``errors="raise"``, when any id failed: ``.frame`` holds the rows fetched,
        ``.errors`` each failed id's exception. Transport errors (an unreachable API, 5xx,
        429) never escape on their own: they are per-id errors here too.

    Notes
    -----
    Plans (``argil_nb.listing``): per-id GETs, or listing every status when the account is
    small relative to the ids asked (page 1 of each status tells), each page once, then
    per-id GETs for the ids the listing did not show (an asset that slipped between pages
    while the account changed costs one GET, never a wrong answer). Both plans give the same
    frame. A listing page that fails twice (after its retries each time) makes the ids not
    yet seen go the per-id way.

    During an outage the call returns within about four request lifetimes ``T`` (from
    :func:`argil_nb.waiting.request_seconds`): a listing page asked twice (2T), then
    per-id GETs that stop after ``waiting.BREAKER`` failures in a row (2T with
    ``max_workers >= BREAKER``); the ids are reported as ``APIConnectionError`` in
    ``BatchError.errors`` (or the ``error`` column). With the per-id plan alone, 2T. With
    the default client against a refused connection, T is about 8 s
    (``waiting.request_seconds``).
    """
    check_choice("errors", errors, ("raise", "coerce"))
    check_choice("plan", plan, ("auto", "get", "list"))
    wanted = ids_of(ids)
    if not wanted:
        return empty_frame(with_error=errors == "coerce")
    seen: dict[str, Asset] = {}
    with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-batch") as pool:
        if plan == "list" or (plan == "auto" and len(wanted) >= PER_ID_BELOW):
            bar = Progress(
                progress, len(LISTING_ORDER), "argil listing", limiter=client.rate_limiter
            )
            try:
                seen = _listed(client, wanted, pool, bar, plan)
            except TRANSIENT as exc:
                log.debug("get_assets: listing failed (%s), per-id GETs", type(exc).__name__)
            finally:
                bar.close()
        found = {i: seen[i] for i in wanted if i in seen}
        missing = [i for i in wanted if i not in found]
        bar = Progress(progress, len(missing), "argil fetching", limiter=client.rate_limiter)
        try:
            more, failed = fetch_each(client, missing, pool, bar)
        finally:
            bar.close()
        found.update(more)
    return _frame(wanted, found, failed, errors)


def _choices(value: str | Iterable[str] | None, allowed: Sequence[str], label: str) -> list[str]:
    if value is None:
        return []
    values = [value] if isinstance(value, str) else list(value)
    normal = [v.strip().upper() if isinstance(v, str) else v for v in values]
    bad = [v for v, n in zip(values, normal, strict=True) if n not in allowed]
    if bad:
        raise InvalidArgument(f"{label} must be among {list(allowed)}, got {bad}")
    return list(dict.fromkeys(normal))


def list_assets(
    client: AssetSource,
    *,
    type: str | Iterable[str] | None = None,
    status: str | Iterable[str] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Every asset of the account into a frame: every requested status, completely.

    Parameters
    ----------
    client
        The client to send through.
    type
        One type or several (``"IMAGE"``, ``"VIDEO"``, ``"AUDIO"``); None: all.
    status
        One status or several; None: every status (the API alone lists only READY).
    progress
        As for :func:`get_assets`, counted in requests.

    Returns
    -------
    pandas.DataFrame
        One row per asset, newest first (by ``created_at``, then id). Every asset that
        exists for the whole call is in it exactly once, with the latest status seen, even
        while assets are uploaded, finish and are deleted (``argil_nb.listing`` says how,
        what it assumes of the API and what it costs).

    Raises
    ------
    AuthenticationError
        At once, from the first page refused 401 or 403.
    ArgilError
        What a page raises after its retries and one more try (``APIConnectionError``,
        ``ServerError``, ...): a listing with a hole would look complete.

    Warns
    -----
    IncompleteListing
        When a status could not be shown complete within its budget (the account changed
        faster than it could be read): how many assets may be missing, and what to do. The
        frame then holds every asset seen.
    """
    types = _choices(type, ASSET_TYPES, "type")
    statuses = _choices(status, STATUSES, "status") or list(LISTING_ORDER)
    bar = Progress(progress, len(statuses), "argil listing", limiter=client.rate_limiter)
    try:
        with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-list") as pool:
            listing = Listing(client, types, pool, bar)
            seen = listing.run(statuses)
    finally:
        bar.close()
    if listing.unproven:
        _warn_incomplete(listing.unproven)
    if not seen:
        return empty_frame()
    frame = assets_frame(seen.values())
    frame = frame.sort_values(["created_at", "id"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)
