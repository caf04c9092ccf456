"""Per-id GETs for the batch calls: concurrency, progress, one more try, and the breaker.

The ids whose GET failed transiently (``waiting.TRANSIENT``, after the request's own
retries) are fetched once more after the others. Under 18 % random faults a request
exhausts its 4 retries with probability ~2e-4, both tries ~4e-8. An outage is cut short
instead by ``waiting.Breaker``: a batch of any size reports it within a few request
lifetimes (``waiting.request_seconds``) rather than one per id.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from typing import Any

from ._progress import Progress
from .errors import ArgilError, retold
from .models import Asset, AssetSource
from .waiting import BREAKER, TRANSIENT, Breaker

__all__ = ["fetch_each", "run_all", "run_calls"]

log = logging.getLogger("argil_nb")


def run_calls(
    pool: ThreadPoolExecutor, calls: Sequence[Callable[[], Any]]
) -> Iterator[tuple[int, Any, Exception | None]]:
    """Run calls on the pool; yield (index, result, ArgilError or None) as they finish.

    A caller that stops early (Ctrl-C) leaves nothing behind: the calls not started are
    cancelled and the running ones finished before it goes on.
    """
    futures: dict[Future[Any], int] = {pool.submit(call): i for i, call in enumerate(calls)}
    try:
        for future in as_completed(futures):
            index = futures[future]
            try:
                yield index, future.result(), None
            except ArgilError as exc:
                yield index, None, exc
    finally:
        for future in futures:
            future.cancel()
        wait(futures)


def run_all(pool: ThreadPoolExecutor, calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run calls on the pool; their results, in order, or the error of the first that failed.

    A failure stops the calls not started yet: they are never sent, and the running ones
    finish before this returns. The worker that failed stops them itself, so which calls
    were sent depends on the pool only, not on how fast the caller wakes (a listing that
    failed once went on sending pages that changed what the caller read next).
    """
    failed = threading.Event()

    def guarded(call: Callable[[], Any]) -> Any:
        if failed.is_set():
            return None
        try:
            return call()
        except BaseException:
            failed.set()
            raise

    futures = [pool.submit(guarded, call) for call in calls]
    try:
        wait(futures)
    except BaseException:  # Ctrl-C: send nothing more
        failed.set()
        raise
    for future in futures:
        exc = future.exception()
        if exc is not None:
            raise exc
    return [future.result() for future in futures]


def _fetch_round(
    client: AssetSource, ids: Sequence[str], pool: ThreadPoolExecutor, bar: Progress
) -> tuple[dict[str, Asset], dict[str, Exception], Exception | None]:
    breaker = Breaker()
    found: dict[str, Asset] = {}
    failed: dict[str, Exception] = {}
    calls = [lambda i=i: breaker.call(lambda: client.get_asset(i)) for i in ids]
    for index, asset, exc in run_calls(pool, calls):
        if exc is not None:
            failed[ids[index]] = exc
        elif asset is not None:
            found[ids[index]] = asset
        else:
            assert breaker.tripped is not None
            why = f"{BREAKER} requests in a row failed after their retries"
            message = f"{ids[index]} was not fetched: {why}; the last error: {breaker.tripped}"
            failed[ids[index]] = retold(breaker.tripped, message)
        bar.update()
    return found, failed, breaker.tripped


def fetch_each(
    client: AssetSource,
    ids: Sequence[str],
    pool: ThreadPoolExecutor,
    bar: Progress,
    *,
    again: bool = True,
) -> tuple[dict[str, Asset], dict[str, Exception]]:
    """GET each id concurrently; return the assets and the errors, by id.

    With ``again``, the ids that failed transiently are fetched once more at the end. Once
    ``waiting.BREAKER`` GETs in a row have failed transiently (after their own retries), no
    more are sent: the ids left get an error of the same kind saying so, and there is no
    second try. So an outage costs at most ``BREAKER + max_workers - 1`` requests: about
    two request lifetimes of wall time when ``max_workers >= BREAKER``, whatever the number
    of ids.
    """
    found, failed, tripped = _fetch_round(client, ids, pool, bar)
    retry = [i for i in ids if isinstance(failed.get(i), TRANSIENT)]
    if again and retry and tripped is None:
        log.debug("fetching %d ids once more after transient failures", len(retry))
        bar.grow(len(retry))
        more, still, _ = _fetch_round(client, retry, pool, bar)
        found.update(more)
        failed = {i: still.get(i, e) for i, e in failed.items() if i not in more}
    return found, failed
