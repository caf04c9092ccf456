"""The fault stages of an API request, each a call of ``App``'s request path, in this order.

1. :meth:`Faults.canned_answer`: a queued raw answer, which bypasses everything else;
2. :meth:`Faults.delay`: the latency; then :meth:`Faults.draw`, the request's one random
   fault, and :meth:`Faults.cut`: a dropped or stalled connection (the network's faults,
   before authentication);
3. :meth:`Faults.take_token`: the method's token bucket, a 429 when it is empty, and the
   rate-limit headers that describe it on every answer from here on;
4. :meth:`Faults.throttle`: a random 429; :meth:`Faults.churn`: the live account's changes
   before each request; :meth:`Faults.error`: an injected 5xx, maybe after a POST was
   carried out. Then the route.

Each stage does nothing while its options are off, so a default sandbox is the plain server.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from ..responses import Response
from ..stats import Stats
from ..store import AssetStore
from ..validation import ApiError
from .canned import CannedResponses
from .config import SandboxConfig
from .live import LiveAccount
from .random_faults import Fault, FaultInjector
from .ratelimit import TokenBucket, limit_headers, retry_after

__all__ = ["Faults"]


class Faults:
    """The fault injection of one sandbox: its options, draws, canned answers and buckets.

    Parameters
    ----------
    config : SandboxConfig
        The options; ``Sandbox.configure`` replaces the attribute, and a request reads it
        once (``App``), so it sees the old or the new set, never a mix.
    stats : Stats
        Where each fault is counted.
    live : LiveAccount
        The live account whose churn comes before each request.
    seed : int or None
        Seed of the random faults.
    rate_clock : callable
        Seconds driving both token buckets.
    """

    def __init__(
        self,
        config: SandboxConfig,
        stats: Stats,
        live: LiveAccount,
        seed: int | None = None,
        rate_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.stats = stats
        self.live = live
        self.canned = CannedResponses()
        self._injector = FaultInjector(seed)
        self._buckets = {"read": TokenBucket(rate_clock), "write": TokenBucket(rate_clock)}
        self.stopping = threading.Event()  # set by Sandbox.stop() to cut waits short

    def reseed(self, seed: int | None) -> None:
        """Draw the random faults from a new RNG seeded with ``seed``."""
        self._injector = FaultInjector(seed)

    def refill(self, bucket: str) -> None:
        """Refill the ``"read"`` or ``"write"`` bucket (after its limit changed)."""
        self._buckets[bucket].reset()

    # -- the stages, in order ----------------------------------------------------------

    def canned_answer(self, method: str, path: str) -> Response | None:
        """The first queued raw answer matching this request, or None."""
        canned = self.canned.pop(method, path)
        if canned is not None:
            self.stats.fault("canned")
        return canned

    def delay(self, config: SandboxConfig) -> bool:
        """Hold the request ``latency`` seconds; True when ``stop()`` cut the wait short."""
        return bool(config.latency) and self.stopping.wait(config.latency)

    def draw(self, config: SandboxConfig, method: str) -> Fault | None:
        """The request's random fault, or None: one draw, so each rate is a fraction."""
        return self._injector.draw(config, method)

    def cut(self, config: SandboxConfig, fault: Fault | None) -> bool:
        """Whether the connection is closed unanswered: a drop, or a stall (held
        ``stall_seconds``) that ``stop()`` cut short."""
        if fault is not None and fault.kind == "drop":
            self.stats.fault("dropped")
            return True
        if fault is not None and fault.kind == "stall":
            self.stats.fault("stalled")
            return self.stopping.wait(config.stall_seconds)
        return False

    def take_token(self, config: SandboxConfig, method: str) -> dict[str, str]:
        """Take a token from the method's bucket; return the headers describing it (when a
        family is configured), or raise a 429 with ``Retry-After`` and those headers."""
        limit = config.limit_for(method)
        if limit is None:
            return {}
        state = self._buckets[limit.name].take(limit.rate, limit.size)
        headers = limit_headers(config.rate_limit_headers, limit, state)
        if not state.allowed:
            self.stats.fault("rate_limited", f"rate_limited_{limit.name}s")
            message = f"Too many requests: {limit.name} rate limit exceeded"
            raise ApiError(429, message, {"Retry-After": retry_after(state.wait), **headers})
        return headers

    def throttle(self, fault: Fault | None) -> None:
        """Raise the random 429 (``Retry-After: 1``) when that is the request's fault."""
        if fault is not None and fault.kind == "throttle":
            self.stats.fault("throttled")
            message = "Too many requests: throttled (injected by the sandbox)"
            raise ApiError(429, message, {"Retry-After": "1"})

    def churn(self, store: AssetStore) -> None:
        """The live account's ``churn_per_request`` changes, before the request is answered."""
        self.live.churn(store)

    def error(
        self, fault: Fault | None, carry_out: Callable[[], Response] | None
    ) -> Response | None:
        """The injected 5xx when that is the request's fault, else None.

        ``carry_out`` (the route of a ``POST /assets``) runs first when the error comes
        after the server acted: the asset exists, the client sees an error.
        """
        if fault is None or fault.kind != "error":
            return None
        self.stats.fault("error")
        if fault.after and carry_out is not None:
            with contextlib.suppress(ApiError):
                carry_out()
        return fault.response()
