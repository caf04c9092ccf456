"""Many assets at once: ``get_assets`` and ``list_assets``.

Uses the client through ``models.AssetSource``; the client never imports this module at
import time (its batch methods delegate here lazily). Which requests to send is the listing
strategy's (``argil_nb.listing``); per-id GETs, their second try and the breaker are in
``argil_nb._fetch`` and ``argil_nb.waiting``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from ._checks import check_choice
from ._fetch import fetch_each
from ._progress import Progress
from .errors import BatchError, InvalidArgument
from .frames import ERROR_COLUMN, STRING, assets_frame, empty_frame, ids_of
from .listing import LISTING_ORDER, PAGE_COST, PER_ID_BELOW, Listing
from .models import ASSET_TYPES, STATUSES, Asset, AssetSource
from .waiting import TRANSIENT

__all__ = ["get_assets", "list_assets"]

log = logging.getLogger("argil_nb")


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
        ``None``: a tqdm bar for batches of ``PROGRESS_THRESHOLD`` (50) requests or more.
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
    :func:`argil_nb._transport.request_seconds`): a listing page asked twice (2T), then
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
