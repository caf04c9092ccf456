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
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pandas as pd

from ._checks import check_choice
from .batch import Progress, fetch_each, run_all
from .errors import APIError, AuthenticationError, BatchError, InvalidArgument
from .frames import ERROR_COLUMN, STRING, assets_frame, empty_frame, ids_of
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
from .models import (
    ASSET_TYPES,
    FAILED,
    MAX_PAGE_SIZE,
    PROCESSING,
    READY,
    STATUSES,
    Asset,
    AssetSource,
    pages_for,
)
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
    "get_assets",
    "list_assets",
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
    BatchError
        With ``errors="raise"``, when any id failed: ``.frame`` holds the rows fetched,
        ``.errors`` each failed id's exception. Transport errors (an unreachable API, 5xx,
        429) never escape on their own: they are per-id errors here too.

    Notes
    -----
    Plans (``argil_nb.listing``): per-id GETs, or listing every status when the account is
    small relative to the ids asked, then per-id GETs for ids the listing did not show (so
    an asset that slipped between pages while the account changed costs one GET). Both
    plans give the same frame. A listing page that fails twice (after its retries each
    time) makes the ids not yet seen go the per-id way.

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
            listing = Listing(client, LISTING_ORDER, (), pool, bar, exact=False)
            try:
                listing.probe()
                still = sum(1 for i in wanted if i not in listing.seen())
                if plan == "list" or listing.pages_left * PAGE_COST < still:
                    log.debug("get_assets: listing plan, %d pages left", listing.pages_left)
                    listing.run()
            except TRANSIENT as exc:
                log.debug("get_assets: listing failed (%s), per-id GETs", type(exc).__name__)
            finally:
                bar.close()
            seen = listing.seen()
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
    """Every asset of the account into a frame: every page of every requested status.

    Parameters
    ----------
    type
        One type or several (``"IMAGE"``, ``"VIDEO"``, ``"AUDIO"``); None: all.
    status
        One status or several; None: every status (the API alone lists only READY).
    progress
        As for :func:`get_assets`, counted in pages.

    Returns
    -------
    pandas.DataFrame
        One row per asset, newest first. Every asset that exists for the whole call is in
        it exactly once, with the latest status seen, even while assets are uploaded, finish
        and are deleted (``argil_nb.listing`` says how, and what it costs).
    """
    types = _choices(type, ASSET_TYPES, "type")
    statuses = _choices(status, STATUSES, "status") or list(LISTING_ORDER)
    ordered = [s for s in LISTING_ORDER if s in statuses]
    bar = Progress(progress, len(ordered), "argil listing", limiter=client.rate_limiter)
    try:
        with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-list") as pool:
            seen = Listing(client, ordered, types, pool, bar).run()
    finally:
        bar.close()
    if not seen:
        return empty_frame()
    frame = assets_frame(seen.values())
    frame = frame.sort_values(["created_at", "id"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)
