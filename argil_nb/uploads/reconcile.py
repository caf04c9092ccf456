"""Finding the uploads whose answer was lost: the server's clock, and a complete listing.

An upload is *lost* when its POST may have been acted on but its answer never reached us
(a 5xx, a dropped connection, a read timeout, a process that died). Its intent time ``t``
was recorded before the POST as a lower bound of the server's clock (:class:`ServerClock`,
from the ``Date`` header of the server's answers), so its asset, if any, has
``createdAt >= t`` less a margin; an asset with the upload's name and type created since
then is its asset.

:func:`find_lost` lists the lost uploads' types with ``listing.Listing``, the complete
listing of ``list_assets``: PROCESSING first, then READY and FAILED (an asset finishing
meanwhile is seen in one of them). The API promises no order, so no status can be cut
short by time: a listing stopped at a ``createdAt`` would rely on newest-first order, and a
wrong stop uploads a row twice. The one stop taken is after PROCESSING, when every lost
upload has a match already: it assumes nothing (no row is sent again, since each has an
asset), and it is the common case, an upload created but not answered being PROCESSING
for a while. A listing that cannot be shown complete, or a page that fails after its retries
and one more try, raises: the caller then must not upload the row again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from ..batch import Progress
from ..errors import ArgilError
from ..listing import Listing
from ..models import FAILED, PROCESSING, READY, Asset, AssetSource

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


def find_lost(client: AssetSource, lost: Sequence[Lost]) -> dict[str, Asset]:
    """The asset of each lost upload that the server did create, by key.

    When several assets match one upload (someone uploaded the same name meanwhile), the
    oldest created since its intent is taken, and a warning logged.

    Parameters
    ----------
    client
        The client to list with.
    lost
        The uploads to look for.

    Returns
    -------
    dict
        Each found upload's key -> its asset; a key absent: the server has no such asset.

    Raises
    ------
    ArgilError
        When a page cannot be listed (after its retries and one more try), or when some
        upload was not found and the listing could not be shown complete: either way, it is
        not known whether the server has its asset.
    """
    if not lost:
        return {}
    wanted = {(item.name, item.type): item for item in lost}
    matches: dict[str, dict[str, Asset]] = {}
    types = sorted({item.type for item in lost})
    with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-find") as pool:
        listing = Listing(client, types, pool, Progress(False, 0, ""))
        for group in ([PROCESSING], [READY, FAILED]):  # in turn: see the module docstring
            for asset in listing.run(group).values():
                item = wanted.get((asset.name or "", asset.type or ""))
                created = asset.created_at
                if item is not None and created is not None and created >= item.not_before:
                    matches.setdefault(item.key, {})[asset.id] = asset
            if len(matches) == len(lost):
                break
    if len(matches) < len(lost) and listing.unproven:
        what = ", ".join(
            f"{status} ({words} may be missing)" for status, words in listing.unproven.items()
        )
        raise ArgilError(
            f"{len(lost) - len(matches)} lost uploads could not be looked for: the listing of "
            f"{what} could not be shown complete while the account changed"
        )
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
