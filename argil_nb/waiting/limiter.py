"""Pacing: one rate limiter per client, which keeps to a budget and learns the server's limit.

Argil limits each workspace (documented for v2: 600 reads and 60 writes a minute, 429 with
``Retry-After`` past them); a proxy, a gateway or an Argil host we do not know may limit
otherwise and say nothing of it. Bouncing off a limit costs a refused request and a pause;
pacing under it costs nothing. So every request a client sends (its worker threads,
``wait()``, the panel's poller, the CLI) first asks :meth:`RateLimiter.acquire`, and every
answer is shown to :meth:`RateLimiter.observe`. Reads (GET, HEAD) and writes (POST, DELETE,
...) are paced apart, each by a token bucket (GCRA) whose rate is the lowest of three, and
served in the order they asked (a panel and a batch sharing a client take turns):

* **The budget** (``reads_per_minute``, ``read_burst``, ...): ``burst`` requests at once,
  then one every ``60 / per_minute`` s, both kept a little under what is given
  (:data:`MARGIN`, :data:`BURST_MARGIN`): a budget equal to the server's limit would
  otherwise meet it whenever the network bunches two requests. None: no budget.
* **What the server states**, when it sends rate-limit headers (``waiting.headers``: IETF
  ``RateLimit``/``RateLimit-Policy``, ``X-RateLimit-*``): its quota per window caps the
  rate (:data:`MARGIN` under it) and the burst; its ``remaining`` caps the tokens, less the
  requests still on their way (sent, or given a slot, and not answered: the server has not
  counted them). A statement lapses :data:`RETRY_AFTER_MAX` s after the last answer that
  made it.
* **What the server's 429s teach**, with no budget and no headers needed. A 429 pauses its
  kind, in every thread, for its ``Retry-After`` (:data:`DEFAULT_PAUSE` when it names
  none); the slots given before it are void, and their holders take new ones after the
  pause. The first 429 of a wave is a lesson:

  1. *Measure.* The rate the server was accepting: the answers it accepted since the
     previous 429 (its bucket was empty then and is empty now, so that is what it let
     through, the pause included) or, before any, since the kind got busy, over
     :data:`MEASURE` s at least (a burst is not a rate); answers still on their way when
     the 429 came count when they arrive. The lesson is that rate, or the pace the 429
     came at when lower.
  2. *Cut, then probe.* The pace drops to :data:`CUT` of the lesson, climbs back to it
     along a cubic over :data:`PROBE` s of sending, and goes past it just as slowly:
     CUBIC, as in botocore's ``adaptive`` retry mode, but scaled to the lesson rather
     than in requests per second, so that a limit of 1 a second is probed as gently as
     one of 100. A limit that rose is found; a 429 past the lesson is the next lesson.
  3. *Doubt.* A 429 while the pace is still under the lesson means the limit is lower
     than learnt (a budget above it, another client of the workspace): it is measured
     again. A second one in a row means that the refusals do not follow the pace (a
     server refusing at random): the lesson is dropped, and only ``Retry-After`` paces
     that kind until the lapse.
  4. *Lapse.* A lesson no 429 has confirmed for :data:`LAPSE` s of sending (about 165 s;
     the probe is at twice the lesson after 47 s) is forgotten. Only time with requests
     on their way counts: a kind idle for :data:`MEASURE` s is measured afresh, and
     neither a pause nor an idle spell advances the probe.

**Caps.** No single wait is longer than :data:`RETRY_AFTER_MAX` (60 s, a per-minute window):
not a ``Retry-After`` (urllib3's ``retry_after_max`` is the same), not a reset, not a slot
(the pace is never slower than one request per :data:`RETRY_AFTER_MAX` s, and a slot further
away is moved up to it). Every number read from a header is checked first (see
``waiting.headers``: epoch seconds and milliseconds, resets over an hour away, negative,
``NaN``), and the latest statement replaces an earlier one: an absurd header cannot hold a
client for longer than one capped wait.

A wait of :data:`HOLD_NOTICE` s or more is logged at DEBUG and told to the hold listeners
(the progress bars), so a bar held by the limiter says so (``held 60.0 s: paused by the
server (429)``) instead of looking stuck.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .headers import ServerLimits, parse_rate_limit, parse_retry_after
from .interrupt import current_stop, pause

__all__ = [
    "ARGIL_READS_PER_MINUTE",
    "ARGIL_WRITES_PER_MINUTE",
    "BURST_MARGIN",
    "CUT",
    "DEFAULT_PAUSE",
    "HOLD_NOTICE",
    "LAPSE",
    "MARGIN",
    "MEASURE",
    "PROBE",
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
CUT = 0.9
"""A 429 drops the pace to this fraction of the rate the server was found to accept."""
PROBE = 15.0
"""Seconds of sending the pace takes to climb back from the cut to the rate learnt."""
MEASURE = 1.0
"""The shortest span a rate is measured over; a kind with nothing on its way this long is idle."""
RETRY_AFTER_MAX = 60
"""The longest single wait, in seconds: a ``Retry-After``, a reset or a slot (a per-minute
window's worth: a server asking for a day gets 60 s)."""
DEFAULT_PAUSE = 1.0
"""Seconds a 429 without a usable ``Retry-After`` pauses its kind."""
HOLD_NOTICE = 0.5
"""A wait this long (seconds) is logged and shown on progress bars."""
READS, WRITES = "reads", "writes"
LAPSE = PROBE * (1 + (99 / (1 - CUT)) ** (1 / 3))
"""Seconds of sending without a 429 after which a lesson is forgotten (about 165 s): the
probe has passed a hundred times the rate learnt by then, so even a rate taken for a
hundredth of the server's (a burst far shorter than a second) is found first."""
_SLOWEST = 1.0 / RETRY_AFTER_MAX  # requests per second


def argil_budget(host: str, kind: str) -> float | None:
    """The documented per-minute budget of ``kind`` on Argil's API host; None elsewhere.

    Elsewhere (the sandbox, a proxy) nothing is known, so nothing is assumed: the limiter
    learns from the server's answers.
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

    Not thread-safe on its own: :class:`RateLimiter` holds its lock around every call, and
    calls :meth:`tick` first with the time.
    """

    def __init__(self, kind: str, per_minute: float | None, burst: int | None) -> None:
        self.kind = kind
        self.budget = per_minute / 60.0 * MARGIN if per_minute else None  # requests per second
        given = (
            burst if burst is not None else max(1, round(per_minute / 60.0 if per_minute else 1))
        )
        self.burst = max(1, math.floor(given * BURST_MARGIN))
        # What the server's headers state, and when they last said so.
        self.stated: tuple[float, float] | None = None  # (rate, burst)
        self.stated_at = -math.inf
        self.longest_reset, self.reset_at = 0.0, -math.inf  # the window, when none is named
        # What its 429s taught: the rate it accepted, and the busy time of that lesson.
        self.learnt: float | None = None
        self.learnt_at = 0.0
        self.span: float | None = None  # the window the lesson was measured over, if it was
        self.doubts = 0  # 429s in a row under the learnt rate (2: they do not follow the pace)
        # The measure: busy seconds so far; answers accepted since ``since``.
        self.busy = 0.0
        self.seen = -math.inf
        self.since = 0.0
        self.accepted = 0
        # The bucket.
        self.tat = -math.inf  # the GCRA's theoretical arrival time
        self.paused_until = -math.inf
        self.voided = 0  # refusals so far: each voids the slots given before it
        self.in_flight = 0  # slots given and not yet answered (or given up on)

    # -- time ----------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Advance the busy clock to ``now`` (idle spells restart the measure) and let
        lessons lapse."""
        if self.in_flight > 0 or now - self.seen < MEASURE:
            self.busy += max(0.0, now - max(self.seen, self.paused_until))
        else:  # idle: the server's bucket may have refilled; what comes next is measured anew
            self.since, self.accepted = now, 0
        self.seen = now
        if (self.learnt is not None or self.doubts) and self.busy - self.learnt_at >= LAPSE:
            log.debug("rate limit (%s): no 429 in %.0f s of sending: lapsed", self.kind, LAPSE)
            self.learnt, self.doubts = None, 0
            self.since, self.accepted = now, 0

    # -- the pace ------------------------------------------------------------------------

    def probe(self) -> float | None:
        """The learnt pace now: ``CUT`` of the rate learnt, climbing back along a cubic."""
        if self.learnt is None:
            return None
        x = (self.busy - self.learnt_at) / PROBE - 1.0
        return self.learnt * (1.0 + (1.0 - CUT) * x**3)

    def server(self, now: float) -> tuple[float, float] | None:
        """The server's stated (rate, burst), unless it lapsed."""
        return self.stated if now - self.stated_at <= RETRY_AFTER_MAX else None

    def rate(self, now: float) -> float | None:
        """Requests per second now; None: unpaced."""
        stated = self.server(now)
        rates = [r for r in (self.budget, stated and stated[0], self.probe()) if r]
        return max(min(rates), _SLOWEST) if rates else None

    def size(self, now: float) -> float:
        stated = self.server(now)
        sizes = [b for b in (self.burst if self.budget else None, stated and stated[1]) if b]
        return max(1.0, min(sizes)) if sizes else float(self.burst)

    def reserve(self, not_before: float, now: float) -> float:
        """Take the next slot; return when the caller may send (>= ``not_before``)."""
        rate = self.rate(now)
        if rate is None:
            return max(not_before, self.paused_until)
        period = 1.0 / rate
        tolerance = (self.size(now) - 1.0) * period
        start = max(not_before, self.tat - tolerance, self.paused_until)
        self.tat = max(self.tat, start) + period
        return start

    def hold_at_most(self, when: float, tokens: float, now: float) -> None:
        """At ``when`` the bucket holds at most ``tokens`` (after a pause: 1; or as the
        server's ``remaining`` says)."""
        rate = self.rate(now)
        if rate is not None:
            self.tat = max(self.tat, when + (self.size(now) - tokens) / rate)

    # -- what the server said ------------------------------------------------------------

    def refused(self, now: float, after: float | None) -> None:
        """A 429: pause for ``after`` seconds (capped), learn from the first of a wave."""
        pause = DEFAULT_PAUSE if after is None else min(after, RETRY_AFTER_MAX)
        if now >= self.paused_until:  # not one more answer of a wave already paused for
            self.learn(now)
            # Every slot given before is void (their holders take new ones, at the new
            # pace): the bucket restarts, empty, when the pause ends.
            self.voided += 1
            self.tat = -math.inf
        self.paused_until = max(self.paused_until, now + pause)
        self.hold_at_most(self.paused_until, 1.0, now)

    def learn(self, now: float) -> None:
        pace = self.rate(now)
        span = max(now - self.since, MEASURE)
        measured = self.accepted / span if self.accepted else None
        told = f"{self.accepted} accepted in {span:.1f} s"
        self.since, self.accepted = now, 0
        if self.doubts >= 2:
            return  # refusals that do not follow the pace teach nothing until the lapse
        if self.learnt is not None and pace is not None and pace < self.learnt:
            # Refused under the rate learnt: the limit is lower (a budget above it, another
            # client of the workspace), or the refusals do not follow the pace at all.
            if self.doubts:
                log.debug("rate limit (%s): 429s whatever the pace: Retry-After only", self.kind)
                self.learnt, self.learnt_at, self.doubts = None, self.busy, 2
                return
            self.doubts = 1
        else:
            self.doubts = 0
        known = [r for r in (measured, pace) if r]
        lesson = min(known) if known else None
        if lesson is None:
            return  # nothing was accepted and nothing paced: only the pause
        self.learnt, self.learnt_at = max(lesson, _SLOWEST), self.busy
        self.span = span if lesson == measured else None
        log.debug(
            "rate limit (%s): 429 (%s): the server accepts about %.0f/min; pacing at %.0f/min, "
            "probing upwards",
            self.kind,
            told,
            self.learnt * 60,
            (self.rate(now) or 0.0) * 60,
        )

    def accept(self, now: float) -> None:
        """An answer the server accepted. During a pause nothing is sent: it answers a
        request sent before the 429, so it counts towards the lesson that 429 measured."""
        if now < self.paused_until and self.learnt is not None and self.span:
            self.learnt += 1.0 / self.span
        else:
            self.accepted += 1

    def state(self, now: float, limits: ServerLimits) -> None:
        """Take the server's stated limit (see ``waiting.headers``); the latest wins."""
        if limits.reset is not None and (
            limits.reset >= self.longest_reset or now - self.reset_at > RETRY_AFTER_MAX
        ):
            self.longest_reset, self.reset_at = limits.reset, now
        span = limits.window or (self.longest_reset if limits.quota else None)
        if limits.quota and span:
            # Under the stated rate too: exactly at it, jitter would meet the limit.
            self.stated, self.stated_at = (limits.quota / span * MARGIN, limits.quota), now
        if limits.remaining is not None:
            if limits.remaining < 1 and self.rate(now) is None and limits.reset:
                pause = min(limits.reset, RETRY_AFTER_MAX)
                self.paused_until = max(self.paused_until, now + pause)
            # The server counted this request, not those still on their way.
            self.hold_at_most(now, limits.remaining - self.in_flight, now)


class RateLimiter:
    """Paces one client's requests: a budget for reads, one for writes, the server's word,
    and what its 429s taught.

    See the module docstring for the policy. Thread-safe; one per ``Client``, or shared by
    several clients of the same workspace.

    Parameters
    ----------
    reads_per_minute, writes_per_minute
        The budgets, in requests per minute; None: no budget of our own (the server's
        headers and 429s pace the requests).
    read_burst, write_burst
        Requests that may go at once before the pace applies; None: one second's worth.
    clock, sleep
        Monotonic seconds and the way to wait them (tests inject a fake clock and a sleep
        that advances it). The default sleep, ``waiting.pause``, ends early when the
        waiting worker's batch is stopped (Ctrl-C).
    wall
        Epoch seconds, for ``Retry-After`` dates and epoch resets.

    Examples
    --------
    >>> limiter = RateLimiter(reads_per_minute=600, writes_per_minute=60)
    >>> limiter
    RateLimiter(reads=600/min, writes=60/min)
    >>> round(limiter.pace("writes") * 60)  # a little under the budget
    58
    """

    def __init__(
        self,
        reads_per_minute: float | None = None,
        writes_per_minute: float | None = None,
        *,
        read_burst: int | None = None,
        write_burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = pause,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._lanes = {
            READS: _Lane(READS, reads_per_minute, read_burst),
            WRITES: _Lane(WRITES, writes_per_minute, write_burst),
        }
        self._clock, self._sleep, self._wall = clock, sleep, wall
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Hold], object]] = []

    def __repr__(self) -> str:
        def show(lane: _Lane) -> str:
            return "None" if lane.budget is None else f"{lane.budget * 60 / MARGIN:g}/min"

        reads, writes = self._lanes[READS], self._lanes[WRITES]
        return f"RateLimiter(reads={show(reads)}, writes={show(writes)})"

    def _lane(self, method_or_kind: str, now: float) -> _Lane:
        lane = self._lanes.get(method_or_kind) or self._lanes[kind_of(method_or_kind)]
        lane.tick(now)
        return lane

    # -- the pace ------------------------------------------------------------------------

    def reserve(self, method: str, at_least: float = 0.0) -> float:
        """Take a slot for one request; return the seconds to wait before sending it.

        Parameters
        ----------
        method
            The HTTP method: GET and HEAD are reads, the others writes.
        at_least
            A wait the caller needs anyway (a retry's back-off), served by the same slot
            rather than added to it.

        Returns
        -------
        float
            Seconds, at most ``max(at_least, RETRY_AFTER_MAX)``.
        """
        return self._slot(method, at_least, None)[0]

    def acquire(self, method: str, at_least: float = 0.0) -> float:
        """Wait until a request of ``method`` may be sent, and ``at_least`` seconds.

        A 429 while the caller sleeps voids its slot: it then takes a new one, after the
        pause and at the pace the 429 taught, rather than send into the pause.

        Parameters
        ----------
        method
            The HTTP method (see :meth:`reserve`).
        at_least
            Seconds the caller must wait anyway (a retry's back-off): one sleep serves both.

        Returns
        -------
        float
            The seconds waited.
        """
        wait, voided = self._slot(method, at_least, None)
        waited = 0.0
        while wait > 0:
            self._sleep(wait)
            waited += wait
            stop = current_stop()
            if stop is not None and stop.is_set():
                break  # Ctrl-C cut the wait short: the caller sends nothing (it asks the stop)
            wait, voided = self._slot(method, 0.0, voided)
        return waited

    def _slot(self, method: str, at_least: float, held: int | None) -> tuple[float, int]:
        """``(wait, refusals so far)`` for a new slot; for the holder of a slot given after
        ``held`` refusals, a new slot if a refusal voided it since, else no wait."""
        with self._lock:
            now = self._clock()
            lane = self._lane(method, now)
            if held is not None and lane.voided == held:
                return 0.0, held
            start = lane.reserve(now + at_least, now)
            start = min(start, now + max(at_least, RETRY_AFTER_MAX))
            if held is None:
                lane.in_flight += 1
            paused = lane.paused_until > now
            why = "paused by the server (429)" if paused else self._pace_text(lane, now)
            voided = lane.voided
        wait = start - now
        if wait >= HOLD_NOTICE and (wait > at_least or paused):
            hold = Hold(lane.kind, wait, why)
            log.debug("rate limit (%s): waiting %.1f s, %s", hold.kind, wait, why)
            for listener in list(self._listeners):
                listener(hold)
        return wait, voided

    def observe(self, method: str, status: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer: a 429's pause and lesson, the rate-limit headers.

        Parameters
        ----------
        method
            The method of the request answered.
        status
            Its status code: 429 is a refusal, anything else was accepted.
        headers
            Its headers (case-insensitive).
        """
        wall = self._wall()
        limits = parse_rate_limit(headers, wall)
        after = parse_retry_after(headers.get("Retry-After"), wall) if status == 429 else None
        with self._lock:
            now = self._clock()
            lane = self._lane(method, now)
            lane.in_flight = max(0, lane.in_flight - 1)
            if limits is not None:
                lane.state(now, limits)
            if status == 429:
                lane.refused(now, after)
            else:
                lane.accept(now)

    def release(self, method: str) -> None:
        """A request given a slot got no answer (a failure to connect, a timeout, Ctrl-C)."""
        with self._lock:
            lane = self._lane(method, self._clock())
            lane.in_flight = max(0, lane.in_flight - 1)

    def pace(self, kind: str) -> float | None:
        """Requests per second now for ``"reads"`` or ``"writes"``; None when unpaced.

        Parameters
        ----------
        kind
            ``"reads"`` or ``"writes"``.

        Returns
        -------
        float or None
            The lowest of the budget, the server's stated rate and the learnt pace.
        """
        with self._lock:
            now = self._clock()
            return self._lane(kind, now).rate(now)

    # -- listeners -----------------------------------------------------------------------

    def add_hold_listener(self, listener: Callable[[Hold], object]) -> None:
        """Call ``listener(hold)`` whenever a request is held :data:`HOLD_NOTICE` s or more.

        It runs on the waiting thread, before the wait: keep it short.

        Parameters
        ----------
        listener
            Called with a :class:`Hold` (its ``why``: ``"paced at 58/min"``,
            ``"paced at 1070/min, learnt from 429s"``, ``"paused by the server (429)"``).
        """
        with self._lock:
            self._listeners = [*self._listeners, listener]

    def remove_hold_listener(self, listener: Callable[[Hold], object]) -> None:
        """Stop calling ``listener``."""
        with self._lock:
            self._listeners = [x for x in self._listeners if x != listener]

    @staticmethod
    def _pace_text(lane: _Lane, now: float) -> str:
        rate = lane.rate(now)
        if rate is None:
            return "paced"
        learnt = lane.probe()
        source = ", learnt from 429s" if learnt is not None and rate >= learnt else ""
        return f"paced at {rate * 60:.0f}/min{source}"
