"""Pacing: one rate limiter per client, with a budget for reads and one for writes.

Argil limits each workspace (documented for v2: 600 reads and 60 writes a minute, 429 with
``Retry-After`` past them). Bouncing off that limit costs a refused request and a sleep per
worker; pacing to it costs nothing. So every request a client sends (its worker threads,
``wait()``, the panel's poller, the CLI) first asks :meth:`RateLimiter.acquire`, and every
answer is shown to :meth:`RateLimiter.observe`:

* **Budget.** Reads (GET, HEAD) and writes (POST, DELETE, ...) are paced separately, each by a
  token bucket (GCRA): ``burst`` requests at once, then one every ``60 / per_minute`` s, both
  kept a little under what is given (:data:`MARGIN`, :data:`BURST_MARGIN`): a budget equal to
  the server's limit would otherwise meet it whenever the network bunches two requests.
  Requests are served in the order they asked, so a panel and a batch sharing a client take
  turns. ``None`` means no budget of our own: only what the server says.
* **Retry-After.** A 429 pauses every request of that kind, in every thread, until its
  ``Retry-After`` has passed (1 s when it names none); the bucket is then empty.
* **Rate-limit headers** (``waiting.headers``: IETF ``RateLimit``/``RateLimit-Policy`` and
  the ``X-RateLimit-*`` family) set the pace when they allow less than the budget: the
  server's quota per window caps the rate (kept :data:`MARGIN` under it, as a budget is) and
  the burst, its ``remaining`` caps the tokens, less the requests still on their way (sent,
  or given a slot, and not answered yet: the server has not counted them).
* **Slowing down.** A 429 also lowers the pace to :data:`DECREASE` of what it was (once per
  pause); after :data:`RECOVERY_SECONDS` without one it climbs back by :data:`INCREASE` of
  the budget per period, up to the budget.

A wait of :data:`HOLD_NOTICE` s or more is logged at DEBUG and told to the hold listeners
(the progress bars), so a bar held by the limiter says so instead of looking stuck.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .headers import parse_rate_limit, parse_retry_after
from .interrupt import pause

__all__ = [
    "ARGIL_READS_PER_MINUTE",
    "ARGIL_WRITES_PER_MINUTE",
    "BURST_MARGIN",
    "DECREASE",
    "HOLD_NOTICE",
    "INCREASE",
    "MARGIN",
    "RECOVERY_SECONDS",
    "RETRY_AFTER_MAX",
    "Hold",
    "RateLimiter",
    "argil_budget",
    "kind_of",
]

log = logging.getLogger("argil_nb")

ARGIL_READS_PER_MINUTE = 600.0
ARGIL_WRITES_PER_MINUTE = 60.0
MARGIN = 0.97
"""A budget, ours or the server's, is paced at this fraction of what it says..."""
BURST_MARGIN = 0.9
"""... and our own burst at this fraction (at least 1; the server's ``remaining`` is exact)."""
DECREASE = 0.7
"""A 429 lowers the pace to this fraction of what it was."""
INCREASE = 0.1
"""... and each quiet period of RECOVERY_SECONDS raises it by this fraction of the budget."""
RECOVERY_SECONDS = 5.0
DEFAULT_PAUSE = 1.0
"""Seconds a 429 without ``Retry-After`` pauses its kind."""
RETRY_AFTER_MAX = 30  # urllib3 >= 2.6.3 caps Retry-After itself too (``retry_after_max``)
"""The longest ``Retry-After`` honoured, in seconds: a server asking for a day gets 30 s."""
HOLD_NOTICE = 0.5
"""A wait this long (seconds) is logged and shown on progress bars."""
READS, WRITES = "reads", "writes"


def _sleep(seconds: float) -> None:
    pause(seconds)  # cut short when the waiting worker's batch is stopped (Ctrl-C)


def argil_budget(host: str, kind: str) -> float | None:
    """The documented per-minute budget of ``kind`` on Argil's API host; None elsewhere.

    Elsewhere (the sandbox, a proxy) nothing is known, so nothing is assumed.
    """
    host = host.lower().rstrip(".")
    if host == "argil.ai" or host.endswith(".argil.ai"):
        return ARGIL_READS_PER_MINUTE if kind == READS else ARGIL_WRITES_PER_MINUTE
    return None


def kind_of(method: str) -> str:
    """``"reads"`` for GET and HEAD, ``"writes"`` for every other method."""
    return READS if method.upper() in ("GET", "HEAD") else WRITES


@dataclass(frozen=True)
class Hold:
    """A wait the limiter imposes: which budget, how long, and why (for people)."""

    kind: str
    seconds: float
    why: str


class _Lane:
    """The pace of one kind of request: a GCRA bucket plus what the server taught it.

    Not thread-safe on its own: :class:`RateLimiter` holds its lock around every call.
    """

    def __init__(self, kind: str, per_minute: float | None, burst: int | None) -> None:
        self.kind = kind
        self.budget = per_minute / 60.0 * MARGIN if per_minute else None  # requests per second
        given = (
            burst if burst is not None else max(1, round(per_minute / 60.0 if per_minute else 1))
        )
        self.burst = max(1, math.floor(given * BURST_MARGIN))
        self.server_rate: float | None = None
        self.server_burst: float | None = None
        self.longest_reset = 0.0  # the window, when the server names none
        self.factor = 1.0
        self.tat = -math.inf  # the GCRA's theoretical arrival time
        self.paused_until = -math.inf
        self.last_decrease = -math.inf
        self.last_change = -math.inf
        self.in_flight = 0  # slots given and not yet answered (or given up on)

    def rate(self) -> float | None:
        """Requests per second now; None: unpaced."""
        rates = [r for r in (self.budget, self.server_rate) if r]
        return min(rates) * self.factor if rates else None

    def size(self) -> float:
        sizes = [b for b in (self.burst if self.budget else None, self.server_burst) if b]
        return max(1.0, min(sizes)) if sizes else float(self.burst)

    def reserve(self, not_before: float) -> float:
        """Take the next slot; return when the caller may send (>= ``not_before``)."""
        rate = self.rate()
        if rate is None:
            return max(not_before, self.paused_until)
        period = 1.0 / rate
        tolerance = (self.size() - 1.0) * period
        start = max(not_before, self.tat - tolerance, self.paused_until)
        self.tat = max(self.tat, start) + period
        return start

    def hold_at_most(self, when: float, tokens: float) -> None:
        """At ``when`` the bucket holds at most ``tokens`` (after a pause: 1; or as the
        server's ``remaining`` says)."""
        rate = self.rate()
        if rate is not None:
            self.tat = max(self.tat, when + (self.size() - tokens) / rate)

    def pause(self, now: float, seconds: float) -> None:
        """A 429: stop until ``now + seconds``, then resume slower with an empty bucket."""
        seconds = min(seconds, RETRY_AFTER_MAX)
        self.paused_until = max(self.paused_until, now + seconds)
        if now >= self.last_decrease + max(seconds, DEFAULT_PAUSE) and self.rate() is not None:
            self.factor = max(0.05, self.factor * DECREASE)
            self.last_decrease = self.last_change = now
            log.debug("rate limit (%s): 429, pace lowered to %.2f/s", self.kind, self.rate())
        self.hold_at_most(self.paused_until, 1.0)

    def recover(self, now: float) -> None:
        if self.factor < 1.0 and now >= self.last_change + RECOVERY_SECONDS:
            self.factor = min(1.0, self.factor + INCREASE)
            self.last_change = now

    def learn(
        self,
        now: float,
        quota: float | None,
        window: float | None,
        remaining: float | None,
        reset: float | None,
    ) -> None:
        """Take the server's stated limit (see ``waiting.headers``)."""
        if reset is not None:
            self.longest_reset = max(self.longest_reset, reset)
        span = window or (self.longest_reset if quota else None)
        if quota and span:
            # Under the stated rate too: exactly at it, jitter would meet the limit.
            self.server_rate, self.server_burst = quota / span * MARGIN, quota
        if remaining is not None:
            if remaining < 1 and self.rate() is None and reset:
                self.paused_until = max(self.paused_until, now + min(reset, RETRY_AFTER_MAX))
            # The server counted this request, not those still on their way.
            self.hold_at_most(now, remaining - self.in_flight)


class RateLimiter:
    """Paces one client's requests: a budget for reads, one for writes, and the server's word.

    See the module docstring for the policy. Thread-safe; one per ``Client``, or shared by
    several clients of the same workspace.

    Parameters
    ----------
    reads_per_minute, writes_per_minute
        The budgets, in requests per minute; None: no budget of our own (only Retry-After
        and the rate-limit headers pace the requests).
    read_burst, write_burst
        Requests that may go at once before the pace applies; None: one second's worth.
    clock, sleep
        Monotonic seconds and the way to wait them (injected by tests); ``sleep`` defaults
        to ``time.sleep`` looked up at each wait, so a test that patches it patches this.
    wall
        Epoch seconds, for ``Retry-After`` dates and epoch resets.
    """

    def __init__(
        self,
        reads_per_minute: float | None = None,
        writes_per_minute: float | None = None,
        *,
        read_burst: int | None = None,
        write_burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._lanes = {
            READS: _Lane(READS, reads_per_minute, read_burst),
            WRITES: _Lane(WRITES, writes_per_minute, write_burst),
        }
        self._clock, self._wall = clock, wall
        self._sleep = sleep if sleep is not None else _sleep
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Hold], object]] = []

    def __repr__(self) -> str:
        def show(lane: _Lane) -> str:
            return "None" if lane.budget is None else f"{lane.budget * 60 / MARGIN:g}/min"

        reads, writes = self._lanes[READS], self._lanes[WRITES]
        return f"RateLimiter(reads={show(reads)}, writes={show(writes)})"

    # -- the pace ------------------------------------------------------------------------

    def reserve(self, method: str, at_least: float = 0.0) -> float:
        """Take a slot for one request; return the seconds to wait before sending it.

        ``at_least``: a wait the caller needs anyway (a retry's back-off), served by the same
        slot rather than added to it.
        """
        with self._lock:
            lane = self._lanes[kind_of(method)]
            now = self._clock()
            start = lane.reserve(now + at_least)
            lane.in_flight += 1
            paused = start <= lane.paused_until
        wait = start - now
        if wait >= HOLD_NOTICE and wait > at_least:
            why = "paused by the server (429)" if paused else self._pace_text(lane)
            hold = Hold(lane.kind, wait, why)
            log.debug("rate limit (%s): waiting %.1f s, %s", hold.kind, wait, why)
            for listener in list(self._listeners):
                listener(hold)
        return wait

    def acquire(self, method: str, at_least: float = 0.0) -> float:
        """Wait until a request of ``method`` may be sent, and ``at_least`` seconds; returns
        the seconds waited."""
        wait = self.reserve(method, at_least)
        if wait > 0:
            self._sleep(wait)
        return wait

    def observe(self, method: str, status: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer: a 429's pause, the rate-limit headers, recovery."""
        wall = self._wall()
        limits = parse_rate_limit(headers, wall)
        with self._lock:
            lane = self._lanes[kind_of(method)]
            lane.in_flight = max(0, lane.in_flight - 1)
            now = self._clock()
            if limits is not None:
                lane.learn(now, limits.quota, limits.window, limits.remaining, limits.reset)
            if status == 429:
                after = parse_retry_after(headers.get("Retry-After"), wall)
                lane.pause(now, DEFAULT_PAUSE if after is None else after)
            else:
                lane.recover(now)

    def release(self, method: str) -> None:
        """A request given a slot got no answer (a failure to connect, a timeout)."""
        with self._lock:
            lane = self._lanes[kind_of(method)]
            lane.in_flight = max(0, lane.in_flight - 1)

    def pace(self, kind: str) -> float | None:
        """Requests per second now for ``"reads"`` or ``"writes"``; None when unpaced."""
        with self._lock:
            return self._lanes[kind].rate()

    # -- listeners -----------------------------------------------------------------------

    def add_hold_listener(self, listener: Callable[[Hold], object]) -> None:
        """Call ``listener(hold)`` whenever a request is held :data:`HOLD_NOTICE` s or more.

        It runs on the waiting thread, before the wait: keep it short.
        """
        with self._lock:
            self._listeners = [*self._listeners, listener]

    def remove_hold_listener(self, listener: Callable[[Hold], object]) -> None:
        """Stop calling ``listener``."""
        with self._lock:
            self._listeners = [x for x in self._listeners if x != listener]

    @staticmethod
    def _pace_text(lane: _Lane) -> str:
        rate = lane.rate()
        return f"paced at {rate * 60:.0f}/min" if rate is not None else "paced"
