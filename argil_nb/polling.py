"""``wait()``: poll many assets until each is READY or FAILED, with few requests.

Each round polls only the assets not yet finished. When they are many, one listing of
``status=PROCESSING`` (pages of 100) tells which are still processing; only those missing
from it are fetched one by one, to learn how they ended. When they are few, per-id GETs.
The interval starts at ``interval`` and grows by ``BACKOFF`` up to ``max_interval`` while
nothing changes; a change resets it. A ``RateLimitError`` that outlived the retries makes
the next round wait at least its ``Retry-After``. Other transient errors are retried on the
next round until the timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from .batch import (
    PAGE_COST,
    PAGE_SIZE,
    AssetSource,
    _Progress,
    _run,
    fetch_each,
    ids_of,
    list_status,
)
from .errors import (
    APIConnectionError,
    AssetNotFound,
    BatchError,
    InvalidArgument,
    RateLimitError,
    ServerError,
    WaitTimeout,
)
from .frames import assets_frame, empty_frame
from .models import FAILED, PROCESSING, READY, Asset

__all__ = ["BACKOFF", "MAX_INTERVAL", "MIN_INTERVAL", "PendingFetcher", "wait"]

log = logging.getLogger("argil_nb")

_OUTCOMES = (READY, FAILED)
MIN_INTERVAL = 0.5
MAX_INTERVAL = 5.0
BACKOFF = 1.5
_TRANSIENT = (APIConnectionError, RateLimitError, ServerError)


class PendingFetcher:
    """Fetches the unfinished assets of one poller (``wait()``, the panel) each round.

    When they are many, one listing of ``status=PROCESSING`` shows which are still
    processing. Those that left it finished: when they are several, the first page of
    READY and of FAILED (newest first, where fresh uploads are) shows most of them, and only
    the rest are fetched one by one. When they are few (next to the PROCESSING pages last
    seen), per-id GETs.
    """

    def __init__(self, client: AssetSource) -> None:
        self.client = client
        self.processing_pages: int | None = None

    def _use_listing(self, pending: int) -> bool:
        if self.processing_pages is None:
            return pending >= PAGE_SIZE // 10
        return self.processing_pages * PAGE_COST < pending

    def fetch(
        self, pending: list[str], pool: ThreadPoolExecutor
    ) -> tuple[dict[str, Asset], dict[str, Exception]]:
        """The latest of each pending id, and the errors of those that could not be had.

        Raises what a failed listing raises (after its retries); per-id errors are returned.
        """
        found: dict[str, Asset] = {}
        to_get = pending
        quiet = _Progress(False, 0, "")
        if self._use_listing(len(pending)):
            listed = list_status(self.client, PROCESSING, (), pool, quiet)
            self.processing_pages = max(1, -(-len(listed) // PAGE_SIZE))
            still = {a.id: a for a in listed}
            found = {i: still[i] for i in pending if i in still}
            to_get = [i for i in pending if i not in still]
        if len(to_get) > len(_OUTCOMES) * PAGE_COST:
            calls = [
                lambda s=s: self.client.list_page(page=1, page_size=PAGE_SIZE, statuses=[s])
                for s in _OUTCOMES
            ]
            for _index, page, exc in _run(pool, calls):
                if exc is not None:
                    raise exc
                newest = {a.id: a for a in page.assets}
                found.update((i, newest[i]) for i in to_get if i in newest)
            to_get = [i for i in to_get if i not in found]
        # No second try here: the next round is one.
        more, failed = fetch_each(self.client, to_get, pool, quiet, again=False)
        found.update(more)
        return found, failed


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

    def round(self, bar: _Progress) -> int:
        """Poll once; return how many assets changed status."""
        pending = self.pending()
        before = {i: self.latest[i].status if i in self.latest else None for i in pending}
        found, failed = self.fetcher.fetch(pending, self.pool)
        self.latest.update(found)
        gone = {i: e for i, e in failed.items() if isinstance(e, AssetNotFound)}
        if gone:
            raise BatchError(self.frame(), gone)
        if failed:
            self.last_error = next(iter(failed.values()))
            if not all(isinstance(e, _TRANSIENT) for e in failed.values()):
                raise BatchError(self.frame(), failed)
        changed = sum(1 for i in pending if i in self.latest and self.latest[i].status != before[i])
        bar.update(sum(1 for i in pending if i in self.latest and self.latest[i].is_terminal))
        return changed


def wait(
    client: AssetSource,
    ids: Any,
    *,
    timeout: float = 600,
    progress: bool | None = None,
    interval: float = MIN_INTERVAL,
    max_interval: float = MAX_INTERVAL,
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
        A tqdm bar of finished/total; None shows it for 2 assets or more.
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
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout >= 0:
        raise InvalidArgument(f"timeout must be a number of seconds >= 0, got {timeout!r}")
    deadline = clock() + timeout
    pause = interval
    with ThreadPoolExecutor(client.max_workers, thread_name_prefix="argil-wait") as pool:
        poller = _Poller(client, wanted, pool)
        show = progress if progress is not None else len(wanted) > 1
        bar = _Progress(show, len(wanted), "argil: finished", unit="asset")
        try:
            while True:
                try:
                    changed = poller.round(bar)
                except RateLimitError as exc:
                    poller.last_error, changed = exc, 0
                    pause = max(pause, exc.retry_after or 0.0)
                except (APIConnectionError, ServerError) as exc:
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
                pause = interval if changed else min(pause * BACKOFF, max_interval)
                sleep(min(pause, remaining))
        finally:
            bar.close()
