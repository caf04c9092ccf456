"""Many assets at once: concurrent per-id GETs or bulk listing, whichever costs fewer requests.

Uses the client; the client never imports this module at import time (its batch methods
delegate here lazily).

Listing loses nothing while assets change status. ``GET /assets`` pages are offsets into a
list: an asset leaving a status list while we page shifts the ones after it up, and one can
slip past a page boundary. Each status is listed again while its answers disagree on the
total (see :func:`list_status`). PROCESSING is listed before READY and FAILED, so an asset
that finishes meanwhile is seen again where it went, and the latest sighting wins.

Transient failures that outlive one request's retries get one more try: a listing page is
asked once more at once (:func:`_page`); per-id GETs, their second try and the breaker that
cuts an outage short are in ``argil_nb._fetch``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._fetch import (
    BREAKER,
    PROGRESS_THRESHOLD,
    TRANSIENT,
    AssetSource,
    _Progress,
    _run,
    fetch_each,
)
from .errors import BatchError, InvalidArgument
from .frames import ERROR_COLUMN, STRING, assets_frame, empty_frame
from .models import ASSET_TYPES, FAILED, PROCESSING, READY, STATUSES, Asset, normalize_ids

if TYPE_CHECKING:
    from .client import Page

__all__ = ["BREAKER", "PROGRESS_THRESHOLD", "TRANSIENT", "get_assets", "ids_of", "list_assets"]

log = logging.getLogger("argil_nb")

PAGE_SIZE = 100
PROBE_THRESHOLD = 10
"""Below this many ids, per-id GETs always win: probing the account costs up to 3 requests."""
PAGE_COST = 2
"""A page of 100 costs the server about as much as this many single GETs."""
LISTING_ORDER = (PROCESSING, READY, FAILED)
LISTING_PASSES = 5
"""``list_assets`` lists a status again, at most this often, while it changes under it."""


def ids_of(ids: Any) -> list[str]:
    """Normalise ids from a list, a Series or a frame with an ``id`` column.

    First-seen order, duplicates dropped, every bad id reported at once
    (:class:`~argil_nb.errors.InvalidAssetId`).
    """
    if isinstance(ids, pd.DataFrame):
        if "id" not in ids.columns:
            raise InvalidArgument(
                f"the frame has no 'id' column (columns: {list(ids.columns)[:8]})"
            )
        ids = ids["id"]
    if ids is None or isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise InvalidArgument(
            f"ids must be a list of asset ids, a Series, or a frame with an 'id' column; got "
            f"{type(ids).__name__}"
            + (" (wrap a single id in a list)" if isinstance(ids, str) else "")
        )
    return normalize_ids(ids)


def _page(client: AssetSource, **kwargs: Any) -> Page:
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
    bar: _Progress,
    first: Page | None,
) -> tuple[list[Asset], bool]:
    """Every page of one status once; True when every answer reported the same total."""
    if first is None:
        first = _page(client, page=1, page_size=PAGE_SIZE, types=types, statuses=[status])
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
            lambda p=p: _page(client, page=p, page_size=PAGE_SIZE, types=types, statuses=[status])
            for p in rest
        ]
        for index, page, exc in _run(pool, calls):
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
    bar: _Progress,
    first: Page | None = None,
    *,
    passes: int = 1,
) -> list[Asset]:
    """Every page of one status (first page given or fetched), later pages concurrently.

    Pages are offsets: an asset leaving the list while we page shifts the ones after it up,
    so one can slip past a page boundary unseen. When the answers of a pass disagree on the
    total, the list changed under us and, up to ``passes`` times, the status is listed again
    and merged (the latest sighting of an asset wins). A pass whose answers agree saw a
    stable list, so nothing was lost.
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


def _probe(client: AssetSource, pool: ThreadPoolExecutor, bar: _Progress) -> dict[str, Page]:
    """First page of every status, concurrently: data plus each status's size."""
    calls = [
        lambda s=s: _page(client, page=1, page_size=PAGE_SIZE, statuses=[s]) for s in LISTING_ORDER
    ]
    firsts: dict[str, Page] = {}
    for index, page, exc in _run(pool, calls):
        if exc is not None:
            raise exc
        firsts[LISTING_ORDER[index]] = page
        bar.update()
    return firsts


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
        ``None``: a tqdm bar for batches of :data:`PROGRESS_THRESHOLD` requests or more.
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
    Plans: per-id GETs, or listing every status in pages of 100 when the account is small
    relative to the ids asked (probed with the first page of each status), then per-id GETs
    for ids the listing did not show. Both plans give the same frame. A listing page that
    fails twice (after its retries each time) makes the ids not yet seen go the per-id way.

    During an outage the call returns within about four request lifetimes ``T`` (from
    :func:`argil_nb._transport.request_seconds`): a listing page asked twice (2T), then
    per-id GETs that stop after :data:`BREAKER` failures in a row (2T with
    ``max_workers >= BREAKER``); the ids are reported as ``APIConnectionError`` in
    ``BatchError.errors`` (or the ``error`` column). With the per-id plan alone, 2T. With
    the default client against a refused connection, T is about 8 s.
    """
    if errors not in ("raise", "coerce"):
        raise InvalidArgument(f"errors must be 'raise' or 'coerce', got {errors!r}")
    if plan not in ("auto", "get", "list"):
        raise InvalidArgument(f"plan must be 'auto', 'get' or 'list', got {plan!r}")
    wanted = ids_of(ids)
    if not wanted:
        return empty_frame(with_error=errors == "coerce")
    seen: dict[str, Asset] = {}
    with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-batch") as pool:
        if plan == "list" or (plan == "auto" and len(wanted) >= PROBE_THRESHOLD):
            bar = _Progress(progress, len(LISTING_ORDER), "argil: listing")
            try:
                firsts = _probe(client, pool, bar)
                listing_cost = sum(max(p.total_pages - 1, 0) for p in firsts.values())
                seen = {a.id: a for p in firsts.values() for a in p.assets}
                still = sum(1 for i in wanted if i not in seen)
                if plan == "list" or listing_cost * PAGE_COST < still:
                    for status in LISTING_ORDER:
                        for asset in list_status(client, status, (), pool, bar, firsts[status]):
                            seen[asset.id] = asset
                    log.debug("get_assets: listing plan, %d pages", listing_cost + 3)
            except TRANSIENT as exc:
                log.debug("get_assets: listing failed (%s), per-id GETs", type(exc).__name__)
            finally:
                bar.close()
        found = {i: seen[i] for i in wanted if i in seen}
        missing = [i for i in wanted if i not in found]
        bar = _Progress(progress, len(missing), "argil: assets")
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
        One row per asset, no duplicates even when assets change status while listing.
    """
    types = _choices(type, ASSET_TYPES, "type")
    statuses = _choices(status, STATUSES, "status") or list(LISTING_ORDER)
    ordered = [s for s in LISTING_ORDER if s in statuses]
    seen: dict[str, Asset] = {}
    bar = _Progress(progress, len(ordered), "argil: listing")
    try:
        with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-list") as pool:
            # PROCESSING alone first; then READY and FAILED together (see module docstring).
            head, tail = ordered[:1], ordered[1:]
            if PROCESSING not in head:
                head, tail = [], ordered
            for group in (head, tail):
                calls = [
                    lambda s=s: list_status(client, s, types, pool, bar, passes=LISTING_PASSES)
                    for s in group
                ]
                results: dict[int, list[Asset]] = {}
                with ThreadPoolExecutor(max(len(group), 1)) as outer:
                    for index, assets, exc in _run(outer, calls):
                        if exc is not None:
                            raise exc
                        results[index] = assets
                for index in sorted(results):
                    for asset in results[index]:
                        seen[asset.id] = asset
    finally:
        bar.close()
    if not seen:
        return empty_frame()
    frame = assets_frame(seen.values())
    frame = frame.sort_values(["created_at", "id"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)
