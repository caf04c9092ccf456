"""Per-id GETs for the batch calls: concurrency, progress, a second try, a breaker.

Transient failures (:data:`TRANSIENT`) that outlive one request's retries get one more try:
the ids whose GET failed are fetched once more after the others (and ``batch`` asks a
listing page once more at once). Under 18 % random faults a request exhausts its 4 retries
with probability ~2e-4, both tries ~4e-8. An outage is cut short instead: after
:data:`BREAKER` GETs in a row failed transiently no more are sent, so a batch of any size
reports an outage within a few request lifetimes (``argil_nb._transport.request_seconds``)
rather than one per id.

Imports nothing of ours but the errors and the model; ``batch`` re-exports these names.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, Protocol

from tqdm.auto import tqdm

from .errors import APIConnectionError, APIError, ArgilError, RateLimitError, ServerError
from .models import Asset

if TYPE_CHECKING:
    from .client import Page

__all__ = ["BREAKER", "PROGRESS_THRESHOLD", "TRANSIENT", "AssetSource", "fetch_each"]

log = logging.getLogger("argil_nb")

PROGRESS_THRESHOLD = 50
"""``progress=None`` shows a bar from this many requests on."""
TRANSIENT = (APIConnectionError, RateLimitError, ServerError)
"""Failures that may pass on another try: worth one more at the batch level."""
BREAKER = 3
"""A batch sends no more GETs after this many in a row failed transiently (an outage)."""


class AssetSource(Protocol):
    """What the batch functions need of a client."""

    max_workers: int

    def get_asset(self, asset_id: object) -> Asset: ...

    def list_page(
        self,
        *,
        page: int = ...,
        page_size: int = ...,
        types: Iterable[str] = ...,
        statuses: Iterable[str] = ...,
    ) -> Page: ...


class _Progress:
    """A tqdm.auto bar when enabled, else nothing at all (no output)."""

    def __init__(self, enabled: bool | None, total: int, desc: str, unit: str = "req") -> None:
        show = total >= PROGRESS_THRESHOLD if enabled is None else bool(enabled)
        self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False) if show else None

    def update(self, n: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def grow(self, n: int) -> None:
        if self._bar is not None and n:
            self._bar.total = (self._bar.total or 0) + n
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _run(
    pool: ThreadPoolExecutor, calls: Sequence[Callable[[], Any]]
) -> Iterator[tuple[int, Any, Exception | None]]:
    """Run calls on the pool; yield (index, result, ArgilError or None) as they finish."""
    futures: dict[Future[Any], int] = {pool.submit(call): i for i, call in enumerate(calls)}
    for future in as_completed(futures):
        index = futures[future]
        try:
            yield index, future.result(), None
        except ArgilError as exc:
            yield index, None, exc


class _Breaker:
    """Counts transient failures in a row across the workers; trips at :data:`BREAKER`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streak = 0
        self.tripped: Exception | None = None

    def call(self, client: AssetSource, asset_id: str) -> Asset | None:
        """``client.get_asset(asset_id)``, or None without sending once tripped."""
        if self.tripped is not None:
            return None
        try:
            asset = client.get_asset(asset_id)
        except TRANSIENT as exc:
            with self._lock:
                self._streak += 1
                if self._streak >= BREAKER and self.tripped is None:
                    self.tripped = exc
            raise
        except ArgilError:
            self._answered()  # a 404, say: the API is there
            raise
        self._answered()
        return asset

    def _answered(self) -> None:
        with self._lock:
            self._streak = 0


def _not_fetched(asset_id: str, cause: Exception, why: str) -> Exception:
    """An error of the same kind as ``cause`` for an id that was not (or no longer) asked."""
    message = f"{asset_id} was not fetched: {why}; the last error: {cause}"
    if isinstance(cause, APIError):
        return type(cause)(cause.status_code, cause.method, cause.path, message)
    return APIConnectionError(message)


def _fetch_round(
    client: AssetSource, ids: Sequence[str], pool: ThreadPoolExecutor, bar: _Progress
) -> tuple[dict[str, Asset], dict[str, Exception], Exception | None]:
    breaker = _Breaker()
    found: dict[str, Asset] = {}
    failed: dict[str, Exception] = {}
    calls = [lambda i=i: breaker.call(client, i) for i in ids]
    for index, asset, exc in _run(pool, calls):
        if exc is not None:
            failed[ids[index]] = exc
        elif asset is not None:
            found[ids[index]] = asset
        else:
            assert breaker.tripped is not None
            why = f"{BREAKER} requests in a row failed after their retries"
            failed[ids[index]] = _not_fetched(ids[index], breaker.tripped, why)
        bar.update()
    return found, failed, breaker.tripped


def fetch_each(
    client: AssetSource,
    ids: Sequence[str],
    pool: ThreadPoolExecutor,
    bar: _Progress,
    *,
    again: bool = True,
) -> tuple[dict[str, Asset], dict[str, Exception]]:
    """GET each id concurrently; return the assets and the errors, by id.

    With ``again``, the ids that failed transiently are fetched once more at the end. Once
    :data:`BREAKER` GETs in a row have failed transiently (after their own retries), no
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
