"""Runtime options of the sandbox's fault injection, as one immutable value."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["SandboxConfig"]


@dataclass(frozen=True)
class SandboxConfig:
    """Fault-injection options; all off by default.

    A request reads the current config once, so ``Sandbox.configure`` swaps it atomically.

    Parameters
    ----------
    rate_limit : float or None
        Requests per second allowed over the API routes (token bucket); None: no limit.
    burst : int or None
        Bucket size; None: ``max(1, ceil(rate_limit))``.
    latency : float
        Seconds added to every API request.
    error_rate : float
        Fraction of API requests answered 500, 502 or 503 (some with an HTML proxy page).
    error_after : float
        Fraction of the injected errors on ``POST /assets`` that come *after* the asset
        was created (the server acted, the client saw an error).
    drop_rate : float
        Fraction of API requests whose connection is closed with no response.
    stall_rate : float
        Fraction of API requests held ``stall_seconds`` before being answered.
    stall_seconds : float
        How long a stalled request waits.
    throttle_rate : float
        Fraction of API requests answered 429 with ``Retry-After: 1`` at random, whatever
        the token bucket says (a shared upstream limit the client cannot predict).
    """

    rate_limit: float | None = None
    burst: int | None = None
    latency: float = 0.0
    error_rate: float = 0.0
    error_after: float = 0.5
    drop_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 30.0
    throttle_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("error_rate", "error_after", "drop_rate", "stall_rate", "throttle_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if self.error_rate + self.drop_rate + self.stall_rate + self.throttle_rate > 1.0 + 1e-9:
            raise ValueError("the error, drop, stall and throttle rates must not add up past 1")
        if self.latency < 0 or self.stall_seconds < 0:
            raise ValueError("latency and stall_seconds must not be negative")
        if self.rate_limit is not None and not self.rate_limit > 0:
            raise ValueError("rate_limit must be positive or None")
        if self.burst is not None and self.burst < 1:
            raise ValueError("burst must be at least 1")

    @property
    def bucket_size(self) -> int:
        """The token bucket's capacity."""
        if self.burst is not None:
            return self.burst
        return max(1, math.ceil(self.rate_limit or 1))
