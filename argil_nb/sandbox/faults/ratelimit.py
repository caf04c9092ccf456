"""Token buckets for reads and writes, and the rate-limit headers that describe them.

A bucket of rate ``r`` (tokens per second) and size ``b`` starts full; each request takes a
token, and a request that finds less than one is refused (429). The headers describe the
bucket that applies to the request (see ``HEADER_FAMILIES``): ``Limit`` is ``b``, the
policy window ``W`` is the time a drained bucket takes to refill, ``ceil(b / r)`` seconds,
so ``Limit / W == r`` whenever ``b / r`` is a whole number of seconds (and a little under
``r`` otherwise: a client pacing itself at ``Limit / W`` never overruns the bucket).
``Remaining`` is ``floor(tokens)`` after this request and ``Reset`` the whole seconds,
rounded up, until the bucket is full again.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "HEADER_FAMILIES",
    "BucketLimit",
    "BucketState",
    "TokenBucket",
    "limit_headers",
    "policy_window",
    "retry_after",
]

HEADER_FAMILIES = ("ietf", "ietf-structured", "x")

_EPSILON = 1e-9  # float noise: 3 * (1/3) must count as 1 whole token or second


@dataclass(frozen=True)
class BucketLimit:
    """The limit that applies to one request: bucket ``name`` (``read`` or ``write``)."""

    name: str
    rate: float
    size: int


@dataclass(frozen=True)
class BucketState:
    """What one ``take`` found: ``tokens`` left after it, and whether it was allowed."""

    allowed: bool
    tokens: float
    rate: float
    size: int

    @property
    def wait(self) -> float:
        """Seconds until one token is available (0 when there is one)."""
        return max(0.0, (1.0 - self.tokens) / self.rate)

    @property
    def full_in(self) -> float:
        """Seconds until the bucket is full again."""
        return max(0.0, (self.size - self.tokens) / self.rate)


class TokenBucket:
    """A token bucket on real (monotonic) time, sized and refilled by the current config.

    Parameters
    ----------
    clock : callable
        Seconds; rate limits are about wall time, so not the sandbox's processing clock.
        Tests inject a fake one (``Sandbox(rate_clock=...)``).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: float | None = None  # None: full on next use
        self._last = 0.0

    def reset(self) -> None:
        """Refill the bucket (after the limit changes)."""
        with self._lock:
            self._tokens = None

    def take(self, rate: float, size: int) -> BucketState:
        """Take one token if there is one; return the bucket's state after the attempt."""
        with self._lock:
            now = self._clock()
            if self._tokens is None:
                tokens = float(size)
            else:
                tokens = min(float(size), self._tokens + max(0.0, now - self._last) * rate)
            self._last = now
            allowed = tokens + _EPSILON >= 1.0
            if allowed:
                tokens = max(0.0, tokens - 1.0)
            self._tokens = tokens
            return BucketState(allowed, tokens, rate, size)


def retry_after(seconds: float) -> str:
    """Format a ``Retry-After`` value: whole seconds, rounded up, at least 1."""
    return str(max(1, _ceil(seconds)))


def _ceil(seconds: float) -> int:
    return max(0, math.ceil(seconds - _EPSILON))


def policy_window(rate: float, size: int) -> int:
    """The policy window in whole seconds: the refill time of a drained bucket, rounded up."""
    return max(1, _ceil(size / rate))


def limit_headers(family: str | None, limit: BucketLimit, state: BucketState) -> dict[str, str]:
    """The rate-limit headers of ``family`` for a request that met ``state``.

    Parameters
    ----------
    family : str or None
        ``"ietf"``, ``"ietf-structured"``, ``"x"``, or None (no headers).
    limit : BucketLimit
        The bucket that applies to the request.
    state : BucketState
        The bucket right after this request took (or failed to take) its token.

    Returns
    -------
    dict
        Header names to values, e.g. for a read bucket of 10/s, size 10, after one request:
        ``ietf``: ``RateLimit-Limit: 10``, ``RateLimit-Remaining: 9``,
        ``RateLimit-Reset: 1``, ``RateLimit-Policy: 10;w=1``;
        ``ietf-structured``: ``RateLimit-Policy: "read";q=10;w=1``,
        ``RateLimit: "read";r=9;t=1``;
        ``x``: ``X-RateLimit-Limit: 10``, ``X-RateLimit-Remaining: 9``,
        ``X-RateLimit-Reset: 1`` (seconds from now, not an epoch time).
    """
    if family is None:
        return {}
    remaining = max(0, math.floor(state.tokens + _EPSILON))
    reset = _ceil(state.full_in)
    window = policy_window(limit.rate, limit.size)
    if family == "ietf":
        return {
            "RateLimit-Limit": str(limit.size),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{limit.size};w={window}",
        }
    if family == "ietf-structured":
        return {
            "RateLimit-Policy": f'"{limit.name}";q={limit.size};w={window}',
            "RateLimit": f'"{limit.name}";r={remaining};t={reset}',
        }
    if family == "x":
        return {
            "X-RateLimit-Limit": str(limit.size),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }
    raise ValueError(f"unknown rate-limit header family {family!r}")
