"""The listing strategy: when to list instead of GET, and how to list completely.

``GET /assets`` lists the assets of the statuses asked (READY when none), in offset pages of
at most ``MAX_PAGE_SIZE``. A page costs the server about :data:`PAGE_COST` single GETs, so:

* ``get_assets`` GETs each id when there are fewer than :data:`PER_ID_BELOW`; else it reads
  page 1 of every status (:meth:`Listing.probe`) and, when listing costs fewer requests than
  the GETs of the ids not seen yet, reads every page once (``Listing(exact=False)``) and
  GETs the ids it did not see: an asset that slipped between pages costs one GET.
* A poller (``wait()``, the panel; :class:`PendingFetcher`) with many unfinished assets
  lists PROCESSING once (:func:`list_once`), reads page 1 of READY and FAILED (where fresh
  outcomes are) and GETs the rest: an asset it misses costs a GET, never a loss.
* A listing page that fails transiently after its retries is asked once more at once.

**Complete listing** (``list_assets``): every asset that exists for the whole listing is in
the result exactly once, with the latest status seen (finished over PROCESSING: a status
only moves that way). Each answer is one snapshot of a window of a list sorted newest first
(``createdAt`` descending, then id). *Slips*: read forward, an asset leaving the list before
the cursor (finishing out of PROCESSING, deleted) shifts the later ones up: the first one
after a page boundary moves into the range already read, lost. An arrival before the cursor
shifts them down: a duplicate, harmless (for a window answered before the one ahead of it,
the other way round). So what can be lost at a boundary sorts strictly between the last key
read before it and the first key read after it. The boundary is proven (``listing_proof``):

* by an *overlap*: one answer holds keys on both sides of it (it was one snapshot);
* by a *bridge*, on a list that gains assets only in front (one holding PROCESSING: an
  upload is the newest asset, finishing moves an asset out or keeps it in place), its pages
  read in order (the next asked once the previous was answered): the assets before the
  boundary can only lose what the whole list lost, so a total that did not drop proves it.
  An arrival and a removal cancel in the total but slip nothing: the arrival is in front.

A boundary left unproven (a total that dropped; the seam between two lanes, see below) is
asked again with a window of another size straddling where it is now (guessed from the
answers nearest it and the latest ones): what it shows between the two keys had slipped.
Pages are read in lanes, each in order, as many at once as keep up with the client's read
pace (``LANE_RATE`` without one) given the round trips seen: a removal before the cursors
costs a window per lane (each lane loses the asset after its own boundary). Lists:

* **One list** when the API honours a repeated ``status`` (its first page shows each status
  asked, or the one it lacks is empty): the union of the statuses asked and PROCESSING,
  where finishing keeps an asset in place. Extra requests: that probe, one per lane seam,
  one or two per removal a lane's cursor had passed (arrivals cost nothing).
* **Each status** otherwise: PROCESSING first (bridged), then READY and FAILED, their first
  pages read again when PROCESSING took more than one, so that an asset finishing meanwhile
  is read where it went. They gain assets wherever a PROCESSING one finishes, which can hide
  a deletion before the cursor in an unchanged total and slip an asset newer than the one
  finishing: they are bridged only after the oldest asset PROCESSING when listed (an upload
  made since is newer than every asset there all along; ``listing_proof.Zone``), and read in
  windows overlapping by one before it: ~14 % more pages there, nothing more when PROCESSING
  holds only fresh uploads. READY or FAILED asked alone learn it from a snapshot of
  PROCESSING (one request, from ``ZONE_PROBE_FROM`` pages). Without X-Total-Count every
  boundary is proven by overlap.

Assumed: an answer is one snapshot (its items and headers); createdAt is the creation time
(an upload sorts first); a status moves only PROCESSING -> READY | FAILED (the documented
lifecycle). The order is not documented: every answer is checked (sorted by createdAt
descending, then id; each asset with a createdAt), and a list that fails falls back to whole
passes until two agree, at most ``FALLBACK_PASSES`` (complete when the list holds still for
two passes). Each choice is logged at DEBUG on ``logging.getLogger("argil_nb")``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from ._fetch import fetch_each, run_all
from ._progress import Progress
from .errors import APIError, AuthenticationError
from .listing_cover import (
    FALLBACK_PASSES,
    LANE_RATE,
    PAGES_PER_LANE,
    ListRun,
    Sightings,
    Ticks,
    complete,
    page_again,
)
from .listing_proof import Answer, Zone
from .models import FAILED, MAX_PAGE_SIZE, PROCESSING, READY, Asset, AssetSource, pages_for
from .waiting import TRANSIENT

__all__ = [
    "FALLBACK_PASSES",
    "LANE_RATE",
    "LISTING_ORDER",
    "LISTING_PASSES",
    "PAGES_PER_LANE",
    "PAGE_COST",
    "PER_ID_BELOW",
    "UNION_FROM_PAGES",
    "ZONE_PROBE_FROM",
    "Listing",
    "PendingFetcher",
    "list_once",
    "page_again",
]

log = logging.getLogger("argil_nb")

PER_ID_BELOW = 10
"""Below this many ids, per-id GETs always win: probing the account costs up to 3 requests."""
PAGE_COST = 2
"""A page of 100 costs the server about as much as this many single GETs."""
LISTING_ORDER = (PROCESSING, READY, FAILED)
LISTING_PASSES = 5
"""How often a partial listing (newest first, back to a time: the uploads' search for lost
answers, ``uploads.reconcile.find_lost``) lists a status again while its totals disagree. The
complete listing here needs no passes."""
UNION_FROM_PAGES = 20
"""Try listing the statuses as one list (one request to find out) from this many pages."""
ZONE_PROBE_FROM = 8
"""Listing READY or FAILED without PROCESSING: from this many pages, read PROCESSING's first
page to learn where assets may finish (else windows overlap everywhere, ~14 % more)."""
_OUTCOMES = (READY, FAILED)


class Listing:
    """One complete listing of some statuses (see the module docstring).

    :meth:`probe` reads page 1 of each status, which is what ``get_assets`` needs to choose
    its plan; :meth:`run` lists the rest.

    ``exact=False`` is for a caller that GETs the ids the listing did not show
    (``get_assets``): each status's pages are read once, all at once (PROCESSING's first,
    then READY's and FAILED's), with no proof that nothing slipped: an asset that did costs
    that caller a GET, never a wrong answer, and no page waits for another.
    """

    def __init__(
        self,
        client: AssetSource,
        statuses: Sequence[str],
        types: Sequence[str],
        pool: ThreadPoolExecutor,
        bar: Progress,
        *,
        exact: bool = True,
    ) -> None:
        self.client = client
        self.statuses = [s for s in LISTING_ORDER if s in statuses]
        self.types = tuple(types)
        self.pool = pool
        self.bar = bar
        self.exact = exact
        self.ticks = Ticks()
        self.sightings = Sightings()
        self.runs = {s: self._run([s], front_only=s == PROCESSING) for s in self.statuses}
        self.firsts: dict[str, Answer] = {}

    def _run(self, statuses: Sequence[str], *, front_only: bool) -> ListRun:
        return ListRun(
            self.client,
            statuses,
            self.types,
            ticks=self.ticks,
            sightings=self.sightings,
            bar=self.bar,
            front_only=front_only,
        )

    @property
    def pages_left(self) -> int:
        """Pages after the first of each status, as the probe saw them."""
        return sum(max(pages_for(a.total) - 1, 0 if a.end else 1) for a in self.firsts.values())

    def seen(self) -> dict[str, Asset]:
        """Every asset seen so far, its latest sighting."""
        return self.sightings.assets()

    def probe(self) -> None:
        """Page 1 of each status: PROCESSING first, alone, then READY and FAILED together
        (for ``Zone``); all at once when not ``exact``."""
        first = [s for s in self.statuses if s == PROCESSING]
        rest = [s for s in self.statuses if s != PROCESSING]
        for group in (first, rest) if self.exact else (self.statuses,):
            calls = [lambda s=s: self.runs[s].fetch(MAX_PAGE_SIZE, 1) for s in group]
            self.firsts.update(zip(group, run_all(self.pool, calls), strict=True))

    def run(self) -> dict[str, Asset]:
        """List every status asked completely; id -> its latest sighting (of those statuses)."""
        if not self.firsts:
            self.probe()
        if not self.exact:
            self._once()
        elif not self._as_one_list():
            self._each_status()
        return {i: a for i, a in self.sightings.assets().items() if a.status in self.statuses}

    def _once(self) -> None:
        """Each status's pages once: PROCESSING's, then READY's and FAILED's together (each
        status on a thread of its own, its pages on the pool)."""
        for group in ([PROCESSING], [READY, FAILED]):
            runs = [self.runs[s] for s in group if s in self.runs]
            calls = [partial(run.one_pass, self.pool, self.firsts[run.name]) for run in runs]
            with ThreadPoolExecutor(max(len(calls), 1)) as outer:
                run_all(outer, calls)

    def _as_one_list(self) -> bool:
        pages = self.pages_left + len(self.firsts)
        if len(self.statuses) < 2 or pages < UNION_FROM_PAGES:
            return False
        if not all(run.ordered for run in self.runs.values()):
            return False
        union = [s for s in LISTING_ORDER if s in self.statuses or s == PROCESSING]
        run = self._run(union, front_only=True)
        self.bar.grow(1)
        try:
            first = run.fetch(MAX_PAGE_SIZE, 1)
            shown = {asset.status for asset in first.assets}
            for status in union:
                if status not in shown and self._total(status) != 0:
                    log.debug("listing: %s not shown by a repeated status", status)
                    return False
        except AuthenticationError:
            raise
        except (APIError, *TRANSIENT) as exc:
            log.debug("listing: a repeated status failed (%s)", type(exc).__name__)
            return False
        if not run.ordered:
            return False
        log.debug("listing %s as one list (%d pages)", run.name, pages_for(first.total))
        complete([run], [first], self.pool, self.client.max_workers)
        return True

    def _total(self, status: str) -> int:
        """The total of one status: from its probe, or one page of it (not asked for)."""
        if status in self.firsts:
            return self.firsts[status].total
        self.bar.grow(1)
        return self._run([status], front_only=True).fetch(MAX_PAGE_SIZE, 1).total

    def _each_status(self) -> None:
        workers = self.client.max_workers
        done = 0
        if PROCESSING in self.runs:  # first, alone: see the module docstring
            run = self.runs[PROCESSING]
            complete([run], [self.firsts[PROCESSING]], self.pool, workers)
            done = max(answer.received for answer in run.answers)
        rest = [s for s in self.statuses if s != PROCESSING]
        for status in rest:
            if self.firsts[status].sent < done:  # read before PROCESSING was: read it again
                self.runs[status] = self._run([status], front_only=False)
                self.bar.grow(1)
                self.firsts[status] = self.runs[status].fetch(MAX_PAGE_SIZE, 1)
        if not rest:
            return
        zone = self._zone([self.firsts[s] for s in rest])
        log.debug("listing each status; READY/FAILED bridged in %s", zone)
        for status in rest:
            self.runs[status].zone = zone
        runs = [self.runs[s] for s in rest]
        complete(runs, [self.firsts[s] for s in rest], self.pool, workers)

    def _zone(self, firsts: list[Answer]) -> Zone | None:
        """Where READY and FAILED may gain assets (``listing_proof.Zone``); None: unknown."""
        processing = self.runs.get(PROCESSING)
        if processing is not None:
            # Listed first, complete: every asset PROCESSING then and still when READY and
            # FAILED are read was seen (empty at its first page: none can be).
            if not processing.ordered:
                return None
            keys = [key for answer in processing.answers for key in answer.keys]
            return Zone(max(keys) if keys and processing.answers[0].keys else None)
        # Not asked: a snapshot of it, when READY and FAILED are long enough to be worth it.
        if sum(pages_for(a.total) for a in firsts) < ZONE_PROBE_FROM:
            return None
        self.bar.grow(1)
        snapshot = self._run([PROCESSING], front_only=True)
        answer = snapshot.fetch(MAX_PAGE_SIZE, 1)
        if not (snapshot.ordered and (answer.end or not answer.assets)):
            return None  # more than a page: not one snapshot of them all
        return Zone(max(answer.keys) if answer.keys else None, answer.received)


def list_once(
    client: AssetSource, status: str, types: Sequence[str], pool: ThreadPoolExecutor
) -> list[Asset]:
    """Every page of one status once, concurrently: nothing checks that no asset slipped
    between pages (for a poller, which GETs what it does not find)."""
    sightings = Sightings()
    run = ListRun(
        client,
        [status],
        types,
        ticks=Ticks(),
        sightings=sightings,
        bar=Progress(False, 0, ""),
        front_only=True,
    )
    run.one_pass(pool)
    return list(sightings.assets().values())


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
                lambda s=s: self.client.list_page(page=1, page_size=MAX_PAGE_SIZE, statuses=[s])
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
