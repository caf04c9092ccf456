"""Finding the uploads whose answer was lost: the server's clock, and a listing back to a time.

An upload is *lost* when its POST may have been acted on but its answer never reached us
(a 5xx, a dropped connection, a read timeout, a process that died). Its intent time ``t``
was recorded before the POST as a lower bound of the server's clock (:class:`ServerClock`,
from the ``Date`` header of the server's answers), so its asset, if any, has
``createdAt >= t``. :func:`find_lost` lists PROCESSING, then READY and FAILED (an asset
that finishes meanwhile is seen where it went), newest first, page by page, and stops a
status once a page ends before the oldest ``t`` less :data:`SERVER_MARGIN`; an asset with
the upload's name and type created since then is its asset.

The API does not promise newest-first order: a page out of order makes that status be
listed to its end. Pages are offsets, so the list moving under us (assets finishing) can
hide an asset across a page boundary: a status whose pages disagree on the total is
listed again (up to ``listing.LISTING_PASSES`` times) and the passes merged, as
``listing.list_status`` does. A page that fails transiently is asked once more
(``listing.page_again``); a failure after that is raised: the caller then must not upload
the row again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ..errors import ArgilError
from ..listing import LISTING_ORDER, LISTING_PASSES, page_again
from ..models import MAX_PAGE_SIZE, PROCESSING, Asset, AssetSource

__all__ = ["LOCAL_MARGIN", "SERVER_MARGIN", "Lost", "ServerClock", "find_lost"]

log = logging.getLogger("argil_nb")

SERVER_MARGIN = 60.0
"""Seconds allowed between the server's ``Date`` and the ``createdAt`` it gives an upload
(two machines' clocks, rounding)."""
LOCAL_MARGIN = 3600.0
"""The same when the server sends no ``Date`` and our own clock was used."""


class ClockSource(AssetSource, Protocol):
    """What :class:`ServerClock` needs of a client: the last ``Date`` seen."""

    @property
    def server_date(self) -> tuple[datetime, float] | None: ...


class ServerClock:
    """A lower bound of the server's clock now, from the last ``Date`` it sent.

    ``Date`` has whole seconds and the answer took time to arrive, so the server's time is
    at least ``date + (wall() - arrived)``.
    """

    def __init__(self, client: ClockSource, wall: Callable[[], float] = time.time) -> None:
        self.client = client
        self._wall = wall
        self._synced = False

    def sync(self) -> None:
        """Ask the server once for its clock when none of its answers was seen yet (a
        failure leaves the local clock, and its larger margin)."""
        if self.client.server_date is None and not self._synced:
            self._synced = True
            try:
                self.client.list_page(page=1, page_size=1, statuses=[PROCESSING])
            except ArgilError as exc:
                log.debug("uploads: no server clock (%s): the local clock is used", exc)

    def now(self) -> tuple[datetime, str]:
        """``(time, "server")``, or the local clock and ``"local"`` without a ``Date``."""
        seen = self.client.server_date
        if seen is None:
            return datetime.fromtimestamp(self._wall(), UTC), "local"
        date, arrived = seen
        return date + timedelta(seconds=max(0.0, self._wall() - arrived)), "server"


@dataclass(frozen=True)
class Lost:
    """An upload to look for: its row's key, name and type, and its intent's time."""

    key: str
    name: str
    type: str
    since: datetime
    clock: str = "server"

    @property
    def not_before(self) -> datetime:
        """The oldest ``createdAt`` its asset can have."""
        margin = SERVER_MARGIN if self.clock == "server" else LOCAL_MARGIN
        try:
            return self.since - timedelta(seconds=margin)
        except OverflowError:
            return datetime.min.replace(tzinfo=UTC)


def _newest_pass(client: AssetSource, status: str, oldest: datetime) -> tuple[list[Asset], bool]:
    """One pass over ``status``, newest first, until a page ends before ``oldest``.

    Returns the assets and whether every page reported the same total.
    """
    assets: list[Asset] = []
    totals: set[int] = set()
    ordered, last = True, None
    page = 1
    while True:
        got = page_again(client, page=page, page_size=MAX_PAGE_SIZE, statuses=[status])
        totals.add(got.total_count)
        for asset in got.assets:
            created = asset.created_at
            if created is None or (last is not None and created > last):
                ordered = False
            last = created if created is not None else last
        assets.extend(got.assets)
        if not got.assets or page >= got.total_pages:
            break
        if ordered and last is not None and last < oldest:
            break
        page += 1
    if not ordered:
        log.debug("uploads: %s is not listed newest first; listed to its end", status)
    return assets, len(totals) == 1


def _listed_since(client: AssetSource, status: str, oldest: datetime) -> Iterable[Asset]:
    merged: dict[str, Asset] = {}
    for attempt in range(LISTING_PASSES):
        assets, stable = _newest_pass(client, status, oldest)
        merged.update((a.id, a) for a in assets)
        if stable:
            break
        log.debug("uploads: %s changed while listing (pass %d)", status, attempt + 1)
    return merged.values()


def find_lost(client: AssetSource, lost: Sequence[Lost]) -> dict[str, Asset]:
    """The asset of each lost upload that the server did create, by key.

    When several assets match one upload (someone uploaded the same name meanwhile), the
    oldest created since its intent is taken, and a warning logged.

    Raises
    ------
    ArgilError
        When a page cannot be listed (after its retries and one more try).
    """
    if not lost:
        return {}
    wanted = {(item.name, item.type): item for item in lost}
    oldest = min(item.not_before for item in lost)
    matches: dict[str, dict[str, Asset]] = {}
    for status in LISTING_ORDER:
        for asset in _listed_since(client, status, oldest):
            item = wanted.get((asset.name or "", asset.type or ""))
            created = asset.created_at
            if item is not None and created is not None and created >= item.not_before:
                matches.setdefault(item.key, {})[asset.id] = asset
    found: dict[str, Asset] = {}
    for key, assets in matches.items():
        ranked = sorted(assets.values(), key=lambda a: (a.created_at, a.id))
        if len(ranked) > 1:
            log.warning(
                "uploads: %d assets named %r since the upload was sent; taking the oldest",
                len(ranked),
                ranked[0].name,
            )
        found[key] = ranked[0]
    return found
