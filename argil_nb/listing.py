"""The listing strategy: when to list instead of GET, and how to list completely.

``GET /assets`` lists one status at a time (the API lists READY when no status is given),
newest first as far as anyone has seen (not promised), in offset pages of at most
``MAX_PAGE_SIZE``. A page costs the server about :data:`PAGE_COST` single GETs, so:

* ``get_assets`` GETs each id when there are fewer than :data:`PER_ID_BELOW`; else it
  probes page 1 of every status and lists them all when that costs fewer requests than the
  GETs of the ids not seen yet (:func:`probe`, :func:`list_status`).
* A poller (``wait()``, the panel; :class:`PendingFetcher`) with many unfinished assets
  lists PROCESSING to see which still are, then reads page 1 of READY and FAILED (where
  fresh outcomes are), and GETs only the rest.
* Pages are offsets: an asset leaving a status while we page shifts the ones after it up,
  and one can slip past a page boundary. :func:`list_status` lists a status again while its
  answers disagree on the total (at most :data:`LISTING_PASSES` times); ``list_assets``
  lists PROCESSING before READY and FAILED, so an asset that finishes meanwhile is seen
  again where it went, and the latest sighting wins.
* A listing page that fails transiently after its retries is asked once more at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ._fetch import fetch_each, run_calls
from ._progress import Progress
from .models import FAILED, MAX_PAGE_SIZE, PROCESSING, READY, Asset, AssetSource, Page
from .waiting import TRANSIENT

__all__ = [
    "LISTING_ORDER",
    "LISTING_PASSES",
    "PAGE_COST",
    "PER_ID_BELOW",
    "PendingFetcher",
    "list_status",
    "page_again",
    "pages_for",
    "probe",
]

log = logging.getLogger("argil_nb")

PER_ID_BELOW = 10
"""Below this many ids, per-id GETs always win: probing the account costs up to 3 requests."""
PAGE_COST = 2
"""A page of 100 costs the server about as much as this many single GETs."""
LISTING_ORDER = (PROCESSING, READY, FAILED)
LISTING_PASSES = 5
"""``list_assets`` lists a status again, at most this often, while it changes under it."""
_OUTCOMES = (READY, FAILED)


def pages_for(count: int) -> int:
    """Pages of ``MAX_PAGE_SIZE`` that hold ``count`` assets (at least 1)."""
    return max(1, -(-count // MAX_PAGE_SIZE))


def page_again(client: AssetSource, **kwargs: Any) -> Page:
    """One listing page, asked once more when it failed transiently after its retries."""
    try:
        return client.list_page(**kwargs)
    except TRANSIENT as exc:
        log.debug("a listing page failed (%s); asking once more", type(exc).__name__)
        return client.list_page(**kwargs)


def _one_pass(
    client: AssetSource,
    status: str,
    types: Sequence[str],
    pool: ThreadPoolExecutor,
    bar: Progress,
    first: Page | None,
) -> tuple[list[Asset], bool]:
    """Every page of one status once; True when every answer reported the same total."""
    size = MAX_PAGE_SIZE
    if first is None:
        first = page_again(client, page=1, page_size=size, types=types, statuses=[status])
        bar.update()
    pages: dict[int, list[Asset]] = {1: first.assets}
    totals = {first.total_count}
    total_pages = first.total_pages
    while True:
        rest = [p for p in range(2, total_pages + 1) if p not in pages]
        if not rest:
            break
        bar.grow(len(rest))
        calls = [
            lambda p=p: page_again(client, page=p, page_size=size, types=types, statuses=[status])
            for p in rest
        ]
        for index, page, exc in run_calls(pool, calls):
            if exc is not None:
                raise exc
            pages[rest[index]] = page.assets
            totals.add(page.total_count)
            # A list that grew while we paged reports more pages: fetch those too.
            total_pages = max(total_pages, page.total_pages)
            bar.update()
    return [asset for number in sorted(pages) for asset in pages[number]], len(totals) == 1


def list_status(
    client: AssetSource,
    status: str,
    types: Sequence[str],
    pool: ThreadPoolExecutor,
    bar: Progress,
    first: Page | None = None,
    *,
    passes: int = 1,
) -> list[Asset]:
    """Every page of one status (first page given or fetched), later pages concurrently.

    When the answers of a pass disagree on the total, the list changed under us and, up to
    ``passes`` times, the status is listed again and merged (the latest sighting of an
    asset wins). A pass whose answers agree saw a stable list, so nothing was lost.
    """
    merged: dict[str, Asset] = {}
    for attempt in range(max(passes, 1)):
        assets, stable = _one_pass(
            client, status, types, pool, bar, first if attempt == 0 else None
        )
        for asset in assets:
            merged[asset.id] = asset
        if stable:
            break
        log.debug("list %s: the list changed while paging (pass %d)", status, attempt + 1)
    return list(merged.values())


def probe(client: AssetSource, pool: ThreadPoolExecutor, bar: Progress) -> dict[str, Page]:
    """First page of every status, concurrently: data plus each status's size."""
    calls = [
        lambda s=s: page_again(client, page=1, page_size=MAX_PAGE_SIZE, statuses=[s])
        for s in LISTING_ORDER
    ]
    firsts: dict[str, Page] = {}
    for index, page, exc in run_calls(pool, calls):
        if exc is not None:
            raise exc
        firsts[LISTING_ORDER[index]] = page
        bar.update()
    return firsts


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
            listed = list_status(self.client, PROCESSING, (), pool, quiet)
            self.processing_pages = pages_for(len(listed))
            still = {a.id: a for a in listed}
            found = {i: still[i] for i in pending if i in still}
            to_get = [i for i in pending if i not in still]
        if len(to_get) > len(_OUTCOMES) * PAGE_COST:
            calls = [
                lambda s=s: self.client.list_page(page=1, page_size=MAX_PAGE_SIZE, statuses=[s])
                for s in _OUTCOMES
            ]
            for _index, page, exc in run_calls(pool, calls):
                if exc is not None:
                    raise exc
                newest = {a.id: a for a in page.assets}
                found.update((i, newest[i]) for i in to_get if i in newest)
            to_get = [i for i in to_get if i not in found]
        # No second try here: the next round is one.
        more, failed = fetch_each(self.client, to_get, pool, quiet, again=False)
        found.update(more)
        return found, failed
