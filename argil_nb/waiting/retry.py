"""The retry schedule of one request (urllib3 ``Retry``), and how long a request can live.

* GET and DELETE: up to ``max_retries`` retries on :data:`RETRY_STATUSES`, connection
  errors and read timeouts; exponential backoff ``backoff_factor * 2**(n-1)`` seconds (the
  first retry at once) plus up to :data:`BACKOFF_JITTER` s of jitter, each sleep capped at
  :data:`BACKOFF_MAX` s; a ``Retry-After`` header is honoured instead (read as
  ``waiting.headers`` reads it: an unreadable one is no reason to fail the request), plus up
  to :data:`BACKOFF_JITTER` s of jitter, capped at :data:`RETRY_AFTER_MAX` s.
* POST: retried only when the server cannot have acted on it: on 429 and on failures to
  connect. Never after a 5xx or a read error (no duplicate uploads).

Every retry is logged at DEBUG on the ``argil_nb`` logger. Its wait is served by the client's
rate limiter (see ``limiter``), so a retry also waits for the budget, in one sleep: the
limiter's, which tests inject (``RateLimiter(sleep=...)``).
"""

from __future__ import annotations

import logging
import random
import time
from typing import TYPE_CHECKING, Any

from urllib3.util.retry import Retry

from .headers import parse_retry_after
from .interrupt import raise_if_stopped
from .limiter import RETRY_AFTER_MAX, RateLimiter

if TYPE_CHECKING:
    from urllib3.response import BaseHTTPResponse

__all__ = [
    "BACKOFF_JITTER",
    "BACKOFF_MAX",
    "RETRY_STATUSES",
    "ArgilRetry",
    "make_retry",
    "request_seconds",
]

log = logging.getLogger("argil_nb")

RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_JITTER = 0.25
BACKOFF_MAX = 8.0


class ArgilRetry(Retry):
    """``Retry`` that retries POST on 429 only, logs each retry and paces it.

    Read errors on POST stay fatal (urllib3's default for a method not in
    ``allowed_methods``). ``limiter`` and ``max_retries`` survive urllib3's ``new()``;
    without a limiter, one of its own (no budget) serves the sleeps.
    """

    def __init__(
        self,
        *args: Any,
        limiter: RateLimiter | None = None,
        max_retries: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.max_retries = max_retries

    def new(self, **kw: Any) -> ArgilRetry:
        kw.setdefault("limiter", self.limiter)
        kw.setdefault("max_retries", self.max_retries)
        return super().new(**kw)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return status_code == 429 and bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        # Read as the limiter reads it (urllib3 raises InvalidHeader on "soon" and takes an
        # epoch in milliseconds for seconds), with jitter, so that the workers a 429 stopped
        # together do not all come back together and meet the limit again.
        seconds = parse_retry_after(response.headers.get("Retry-After"), time.time())
        if seconds is None:
            return None
        return min(seconds + random.uniform(0, BACKOFF_JITTER), self.retry_after_max)

    def increment(self, *args: Any, **kwargs: Any) -> ArgilRetry:
        # Raises once the retries are spent: the transport then shows the answer (or the
        # failure) to the limiter itself, so each attempt is shown exactly once.
        retry = super().increment(*args, **kwargs)
        response = kwargs.get("response")
        method = kwargs.get("method") or (args[0] if args else None)
        if method:
            if response is not None:  # a refused or failed answer still tells of the budget
                self.limiter.observe(method, response.status, response.headers)
            else:
                self.limiter.release(method)
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        seconds = None
        if self.respect_retry_after_header and response is not None:
            seconds = self.get_retry_after(response)
        if seconds is None:
            seconds = self.get_backoff_time()
        last = self.history[-1] if self.history else None
        method = (last.method if last else None) or "?"
        if log.isEnabledFor(logging.DEBUG):
            why = str(last.status) if last and last.status else _error_name(last)
            path = (last.url or "?").split("?")[0] if last else "?"
            log.debug(
                "retrying %s %s after %s, retry %d of %d, sleeping %.1f s",
                method,
                path,
                why,
                len(self.history),
                self.max_retries,
                seconds,
            )
        self.limiter.acquire(method, at_least=seconds)
        raise_if_stopped()  # Ctrl-C during the back-off: no retry is sent (the transport
        # releases the slot, as for any request that gets no answer)


def _error_name(last: Any) -> str:
    return type(last.error).__name__ if last is not None and last.error else "an error"


def make_retry(
    max_retries: int, backoff_factor: float, limiter: RateLimiter | None = None
) -> ArgilRetry:
    """The retry policy described in this module's docstring."""
    return ArgilRetry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET", "DELETE"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_jitter=BACKOFF_JITTER,
        backoff_max=BACKOFF_MAX,
        retry_after_max=RETRY_AFTER_MAX,
        raise_on_status=False,
        raise_on_redirect=False,
        limiter=limiter,
        max_retries=max_retries,
    )


def request_seconds(
    max_retries: int,
    backoff_factor: float,
    timeout: tuple[float, float],
    *,
    retry_after: bool = False,
) -> float:
    """The longest one request can take, retries included: its lifetime ``T``.

    ``1 + max_retries`` attempts, each at most ``connect + read`` timeout (a read timeout
    applies between bytes; the sandbox and the API answer small bodies, so one period),
    and the sleeps between them: the backoff of the module docstring at its largest
    jitter, or ``RETRY_AFTER_MAX`` each when the server sends ``Retry-After``. Time spent
    waiting for the rate limiter's budget is not included.
    """
    if retry_after:
        sleeps = max_retries * RETRY_AFTER_MAX
    else:
        sleeps = sum(
            min(BACKOFF_MAX, backoff_factor * 2 ** (n - 1) + BACKOFF_JITTER)
            for n in range(2, max_retries + 1)
        )
    return (1 + max_retries) * (timeout[0] + timeout[1]) + sleeps
