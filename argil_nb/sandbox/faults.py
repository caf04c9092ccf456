"""Fault injection: random faults (drops, stalls, errors, throttling) and canned responses."""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from typing import Any

from .config import SandboxConfig
from .responses import Response, error_response

__all__ = [
    "CannedResponses",
    "Fault",
    "FaultInjector",
    "canned_response",
]

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


def canned_response(
    status: int,
    body: bytes | str | dict[str, Any] | list[Any],
    headers: dict[str, str] | None,
    content_type: str | None,
) -> Response:
    """Build a raw response; a dict or list body is sent as JSON, text as UTF-8."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return Response(status, body, content_type, dict(headers or {}))


@dataclass
class _Canned:
    response: Response
    remaining: int
    path_prefix: str | None
    method: str | None


class CannedResponses:
    """A FIFO of raw responses for the next matching API requests."""

    def __init__(self) -> None:
        self._items: list[_Canned] = []
        self._lock = threading.Lock()

    def push(
        self, response: Response, times: int, path_prefix: str | None, method: str | None
    ) -> None:
        """Queue ``response`` for the next ``times`` requests matching the filters.

        ``path_prefix`` is matched against the path under ``/v1`` or the full path.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if path_prefix is not None and not (path_prefix == "/v1" or path_prefix.startswith("/v1/")):
            path_prefix = "/v1" + ("" if path_prefix.startswith("/") else "/") + path_prefix
        method = method.upper() if method else None
        with self._lock:
            self._items.append(_Canned(response, times, path_prefix, method))

    def pop(self, method: str, path: str) -> Response | None:
        """Take the first queued response matching this request, or None."""
        with self._lock:
            for item in self._items:
                if item.method is not None and item.method != method:
                    continue
                if item.path_prefix is not None and not path.startswith(item.path_prefix):
                    continue
                item.remaining -= 1
                if item.remaining == 0:
                    self._items.remove(item)
                return item.response
        return None

    def clear(self) -> None:
        """Forget every queued response."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(item.remaining for item in self._items)
