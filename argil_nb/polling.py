"""``wait()``: poll many assets until each is READY or FAILED, with few requests.

Each round polls only the assets not yet finished, the way the listing strategy says
(``listing.PendingFetcher``). The pause between rounds is a ``waiting.Backoff``: it starts
at ``interval`` and grows by ``waiting.WAIT_GROWTH`` up to ``max_interval`` while nothing
changes; a change resets it. Transient errors (``waiting.TRANSIENT``) are tried again on
the next round until the timeout; every request waits for the client's rate limiter, which
also keeps a 429's ``Retry-After``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from ._checks import check_number
from .batch import Progress
from .errors import AssetNotFound, BatchError, WaitTimeout
from .frames import assets_frame, empty_frame, ids_of
from .listing import PendingFetcher
from .models import Asset, AssetSource
from .waiting import (
    TRANSIENT,
    WAIT_GROWTH,
    WAIT_INTERVAL,
    WAIT_MAX_INTERVAL,
    Backoff,
    Interrupts,
)

__all__ = ["wait"]

log = logging.getLogger("argil_nb")

_WAIT_HINT = (
    "The others' last statuses are in .frame, each failed id's error in .errors: wait for "
    "the others without those ids."
)


class _Poller:
    """The state of one ``wait()``: the latest asset per id."""

    def __init__(self, client: AssetSource, ids: list[str], pool: ThreadPoolExecutor) -> None:
        self.ids = ids
        self.pool = pool
        self.fetcher = PendingFetcher(client)
        self.latest: dict[str, Asset] = {}
        self.last_error: Exception | None = None

    def pending(self) -> list[str]:
        return [i for i in self.ids if i not in self.latest or not self.latest[i].is_terminal]

    def frame(self) -> pd.DataFrame:
        rows = [self.latest[i] for i in self.ids if i in self.latest]
        return assets_frame(rows) if rows else empty_frame()

    def round(self, bar: Progress) -> int:
        """Poll once; return how many assets changed status."""
        pending = self.pending()
        before = {i: self.latest[i].status if i in self.latest else None for i in pending}
        found, failed = self.fetcher.fetch(pending, self.pool)
        self.latest.update(found)
        gone = {i: e for i, e in failed.items() if isinstance(e, AssetNotFound)}
        if gone:
            raise BatchError(self.frame(), gone, _WAIT_HINT)
        if failed:
            self.last_error = next(iter(failed.values()))
            if not all(isinstance(e, TRANSIENT) for e in failed.values()):
                raise BatchError(self.frame(), failed, _WAIT_HINT)
        changed = sum(1 for i in pending if i in self.latest and self.latest[i].status != before[i])
        bar.update(sum(1 for i in pending if i in self.latest and self.latest[i].is_terminal))
        return changed


def wait(
    client: AssetSource,
    ids: Any,
    *,
    timeout: float = 600,
    progress: bool | None = None,
    interval: float = WAIT_INTERVAL,
    max_interval: float = WAIT_MAX_INTERVAL,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> pd.DataFrame:
    """Poll until every asset is READY or FAILED; return the final frame.

    Parameters
    ----------
    ids
        As for ``get_assets``.
    timeout
        Seconds (>= 0; ``math.inf``: no limit) before giving up with :class:`WaitTimeout`
        (its ``.frame`` has the last statuses seen).
    progress
        A tqdm bar of finished/total; None shows it once the wait lasts more than a moment.
    interval, max_interval
        The first and the longest pause between rounds, in seconds.
    clock, sleep
        Injected for tests.

    Raises
    ------
    BatchError
        When an asset does not exist (or was deleted while waiting).
    WaitTimeout
        When some assets are still not finished after ``timeout`` seconds.
    """
    wanted = ids_of(ids)
    check_number("timeout", timeout, at_least=0, unit="seconds", infinite=True)
    deadline = clock() + timeout
    backoff = Backoff(interval, WAIT_GROWTH, max_interval, name="wait()")
    with (
        ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-wait") as pool,
        Interrupts() as interrupts,
    ):
        poller = _Poller(client, wanted, pool)
        bar = Progress(
            progress, len(wanted), "argil finished", unit="asset", limiter=client.rate_limiter
        )
        try:
            while True:
                try:
                    changed = poller.round(bar)
                except TRANSIENT as exc:  # a 429's Retry-After is the client limiter's to keep
                    poller.last_error, changed = exc, 0
                if not poller.pending():
                    return poller.frame()
                remaining = deadline - clock()
                if remaining <= 0:
                    left = len(poller.pending())
                    why = f"; last error: {poller.last_error}" if poller.last_error else ""
                    raise WaitTimeout(
                        f"{left} of {len(wanted)} assets still not READY or FAILED after "
                        f"{timeout:g} s{why}. The last statuses are in .frame.",
                        poller.frame(),
                    )
                pause = backoff.reset() if changed else backoff.grow("nothing changed")
                interrupts.check()
                sleep(min(pause, remaining))
        finally:
            bar.close()
