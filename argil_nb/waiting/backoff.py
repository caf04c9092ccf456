"""How pollers space their rounds, and when a batch stops trying: back-off and breaker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from ..errors import APIConnectionError, ArgilError, RateLimitError, ServerError

__all__ = [
    "BREAKER",
    "PANEL_GROWTH",
    "PANEL_MAX_BACKOFF",
    "TRANSIENT",
    "WAIT_GROWTH",
    "WAIT_INTERVAL",
    "WAIT_MAX_INTERVAL",
    "Backoff",
    "Breaker",
]

log = logging.getLogger("argil_nb")

TRANSIENT = (APIConnectionError, RateLimitError, ServerError)
"""Failures that may pass on another try: worth one more at the batch level."""
BREAKER = 3
"""A batch sends no more GETs after this many in a row failed transiently (an outage)."""

WAIT_INTERVAL = 0.5
"""``wait()``: the first pause between rounds, and the pause after any change, in seconds."""
WAIT_GROWTH = 1.5
"""``wait()``: the pause grows by this factor per round in which nothing changed..."""
WAIT_MAX_INTERVAL = 5.0
"""... up to this many seconds."""
PANEL_GROWTH = 2.0
"""The panel: its interval grows by this factor per failed poll in a row..."""
PANEL_MAX_BACKOFF = 60.0
"""... up to this many seconds (or its interval, when longer)."""

T = TypeVar("T")


class Backoff:
    """A pause that grows by ``factor`` per step, from ``base`` up to ``cap`` seconds.

    ``wait()`` grows it while nothing changes (x1.5 from 0.5 s to 5 s); the panel while
    polls fail (x2 from its interval to 60 s). :meth:`reset` goes back to ``base``.

    Parameters
    ----------
    base, factor, cap
        The first pause, its growth per step, and the longest pause (never below ``base``).
    name
        Who is waiting, for the debug log.
    """

    def __init__(self, base: float, factor: float, cap: float, *, name: str = "poll") -> None:
        self.base = float(base)
        self.factor = float(factor)
        self.cap = max(float(cap), self.base)
        self.name = name
        self.steps = 0

    @property
    def delay(self) -> float:
        """The current pause in seconds."""
        # min() on the exponent first: a long outage must not overflow the float.
        return min(self.base * self.factor ** min(self.steps, 64), self.cap)

    def reset(self) -> float:
        """Back to ``base`` (after a change or a success); returns the pause."""
        self.steps = 0
        return self.delay

    def grow(self, why: str) -> float:
        """One step longer (after a quiet round or a failure); returns the pause."""
        self.steps += 1
        delay = self.delay
        log.debug("%s: %s, next round in %.1f s", self.name, why, delay)
        return delay


class Breaker:
    """Counts transient failures in a row across threads; trips at :data:`BREAKER`.

    Once tripped, :meth:`call` sends nothing and returns None: an outage costs a batch a
    few request lifetimes, not one per id.
    """

    def __init__(self, limit: int = BREAKER) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._streak = 0
        self.tripped: Exception | None = None

    def call(self, func: Callable[[], T]) -> T | None:
        """``func()``, or None without calling it once tripped."""
        if self.tripped is not None:
            return None
        try:
            result = func()
        except TRANSIENT as exc:
            with self._lock:
                self._streak += 1
                if self._streak >= self.limit and self.tripped is None:
                    self.tripped = exc
                    log.debug("%d requests in a row failed (%s): no more sent", self.limit, exc)
            raise
        except ArgilError:
            self._answered()  # a 404, say: the API is there
            raise
        self._answered()
        return result

    def _answered(self) -> None:
        with self._lock:
            self._streak = 0
