"""The fault options, as one immutable value a request reads once, and their checks."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..validation import REPEATED_STATUS
from .ratelimit import HEADER_FAMILIES, BucketLimit

__all__ = ["SandboxConfig", "check_mode"]

_READ_METHODS = frozenset({"GET"})
_WRITE_METHODS = frozenset({"POST", "DELETE"})


@dataclass(frozen=True)
class SandboxConfig:
    """Fault-injection options; all off by default.

    A request reads the current config once, so ``Sandbox.configure`` swaps it atomically.

    Parameters
    ----------
    rate_limit : float or None
        The read bucket: GET requests per second allowed under ``/v1``; None: no limit.
    burst : int or None
        Read bucket size; None: ``max(1, ceil(rate_limit))``.
    write_rate_limit : float or None
        The write bucket: POST and DELETE requests per second under ``/v1``; None: no limit.
    write_burst : int or None
        Write bucket size; None: ``max(1, ceil(write_rate_limit))``.
    rate_limit_headers : str or None
        Header family describing the bucket on each answer: ``"ietf"``,
        ``"ietf-structured"``, ``"x"``; None: none (see ``ratelimit.limit_headers``).
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
    repeated_status : str or int
        The documented mode's answer to a repeated ``status`` on ``GET /assets`` (Argil
        documents one value): ``"first"`` or ``"last"`` (that value alone), ``400`` or
        ``500``. The friendly mode lists every status given.
    """

    rate_limit: float | None = None
    burst: int | None = None
    write_rate_limit: float | None = None
    write_burst: int | None = None
    rate_limit_headers: str | None = None
    latency: float = 0.0
    error_rate: float = 0.0
    error_after: float = 0.5
    drop_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float = 30.0
    throttle_rate: float = 0.0
    repeated_status: str | int = "first"

    def __post_init__(self) -> None:
        if self.repeated_status not in REPEATED_STATUS or isinstance(self.repeated_status, bool):
            shown = ", ".join(map(repr, REPEATED_STATUS))
            raise ValueError(
                f"repeated_status must be one of {shown}, got {self.repeated_status!r}"
            )
        for name in ("error_rate", "error_after", "drop_rate", "stall_rate", "throttle_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if self.error_rate + self.drop_rate + self.stall_rate + self.throttle_rate > 1.0 + 1e-9:
            raise ValueError("the error, drop, stall and throttle rates must not add up past 1")
        if self.latency < 0 or self.stall_seconds < 0:
            raise ValueError("latency and stall_seconds must not be negative")
        for rate_name, burst_name in (("rate_limit", "burst"), ("write_rate_limit", "write_burst")):
            rate, burst = getattr(self, rate_name), getattr(self, burst_name)
            if rate is not None and not (isinstance(rate, (int, float)) and rate > 0):
                raise ValueError(f"{rate_name} must be positive or None, got {rate!r}")
            whole = isinstance(burst, int) and not isinstance(burst, bool)
            if burst is not None and not (whole and burst >= 1):
                raise ValueError(f"{burst_name} must be an integer of at least 1, got {burst!r}")
        if self.rate_limit_headers is not None and self.rate_limit_headers not in HEADER_FAMILIES:
            families = ", ".join(HEADER_FAMILIES)
            raise ValueError(f"rate_limit_headers must be one of {families} or None")

    @property
    def bucket_size(self) -> int:
        """The read bucket's capacity."""
        return _size(self.rate_limit, self.burst)

    @property
    def write_bucket_size(self) -> int:
        """The write bucket's capacity."""
        return _size(self.write_rate_limit, self.write_burst)

    def limit_for(self, method: str) -> BucketLimit | None:
        """The bucket limiting ``method`` (GET: read; POST, DELETE: write), or None."""
        if method in _READ_METHODS and self.rate_limit is not None:
            return BucketLimit("read", float(self.rate_limit), self.bucket_size)
        if method in _WRITE_METHODS and self.write_rate_limit is not None:
            return BucketLimit("write", float(self.write_rate_limit), self.write_bucket_size)
        return None


def check_mode(documented: bool, config: SandboxConfig) -> None:
    """Raise ``ValueError`` for an option the documented mode does not have."""
    if documented and config.rate_limit_headers is not None:
        raise ValueError(
            "rate_limit_headers is an extension of the friendly mode: Argil documents no "
            "rate-limit headers for v1. Use Sandbox(mode='friendly', rate_limit_headers=...)."
        )


def _size(rate: float | None, burst: int | None) -> int:
    if burst is not None:
        return burst
    return max(1, math.ceil(rate or 1))
