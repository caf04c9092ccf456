"""Faults drawn at random, one draw per API request: drops, stalls, 5xx errors, throttling 429s."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from ..responses import Response, error_response
from .config import SandboxConfig

__all__ = ["Fault", "FaultInjector"]

_PROXY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
}


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``kind`` is ``drop``, ``stall``, ``error`` or ``throttle`` (a 429).

    For errors, ``status`` is 500, 502 or 503, ``html`` says the body is a proxy's HTML
    page, and ``after`` says a POST is carried out before the error is answered.
    """

    kind: str
    status: int = 0
    html: bool = False
    after: bool = False

    def response(self) -> Response:
        """The error response of an ``error`` fault."""
        reason = _REASONS[self.status]
        if self.html:
            page = _PROXY_PAGE.format(status=self.status, reason=reason)
            return Response(self.status, page.encode(), "text/html")
        return error_response(self.status, f"{reason} (injected by the sandbox)")


class FaultInjector:
    """Draws faults from a seeded RNG: one draw per request, so each rate is a fraction.

    Parameters
    ----------
    seed : int or None
        Seed of the fault RNG; requests sent one at a time then meet the same faults.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, config: SandboxConfig, method: str) -> Fault | None:
        """Decide the fault for one API request, or None."""
        if not (config.drop_rate or config.stall_rate or config.error_rate or config.throttle_rate):
            return None
        with self._lock:
            draw = self._rng.random()
            if draw < config.drop_rate:
                return Fault("drop")
            draw -= config.drop_rate
            if draw < config.stall_rate:
                return Fault("stall")
            draw -= config.stall_rate
            if draw >= config.error_rate:
                throttled = draw - config.error_rate < config.throttle_rate
                return Fault("throttle") if throttled else None
            status = self._rng.choice((500, 502, 503))
            html = status != 500 and self._rng.random() < 0.5
            after = method == "POST" and self._rng.random() < config.error_after
            return Fault("error", status, html, after)
