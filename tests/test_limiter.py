"""The rate limiter, on a fake clock: budgets, shared pauses, the server's headers (odd ones
too), what its 429s teach, the caps, threads.

No test sleeps: the limiter's clock and sleep are injected, and ``reserve`` (the slot a
request gets) is checked instead of elapsed time. The learning is checked against fake
servers whose limit the client is not told, on :class:`VirtualTime`: real threads that
sleep on a shared fake clock, which jumps to the next wake-up once every thread sleeps.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

import argil_nb as an
from argil_nb.batch import Progress
from argil_nb.waiting import (
    ARGIL_READS_PER_MINUTE,
    ARGIL_WRITES_PER_MINUTE,
    RETRY_AFTER_MAX,
    RateLimiter,
    argil_budget,
    kind_of,
)
from argil_nb.waiting.headers import parse_rate_limit, parse_retry_after
from argil_nb.waiting.limiter import (
    BURST_MARGIN,
    CUT,
    HOLD_NOTICE,
    LAPSE,
    MARGIN,
    PROBE,
)

from .conftest import CANARY_KEY, FakeClock

WALL = 1_800_000_000.0


def limiter(clock: FakeClock, reads=None, writes=None, **kwargs) -> RateLimiter:
    return RateLimiter(reads, writes, clock=clock, sleep=clock.advance, wall=lambda: WALL, **kwargs)


def slots(lim: RateLimiter, clock: FakeClock, n: int, method: str = "GET") -> list[float]:
    """When each of ``n`` requests asked at the same instant may go, relative to now."""
    return [round(lim.reserve(method), 6) for _ in range(n)]


def paced(per_minute: float, burst: int, n: int) -> list[float]:
    """The slots of ``n`` requests at once under a budget, its margins applied."""
    period = 60 / (per_minute * MARGIN)
    kept = max(1, int(burst * BURST_MARGIN))
    return [round(max(0, k - kept + 1) * period, 6) for k in range(n)]


# -- a server whose limit the client is not told, and time for threads -----------------------


class TokenBucket:
    """A server's limit: ``rate`` a second, ``size`` at once (one second's worth by default),
    refusals with ``Retry-After`` in whole seconds, at least 1: the sandbox's documented mode.
    ``rate=None``: no limit."""

    def __init__(self, rate: float | None, size: int | None = None) -> None:
        self.rate, self.size = rate, size or max(1, math.ceil(rate or 1))
        self.tokens, self.last = float(self.size), None
        self.lock = threading.Lock()

    def answer(self, now: float) -> tuple[int, dict[str, str]]:
        with self.lock:
            if self.rate is None:
                return 200, {}
            if self.last is not None:
                self.tokens = min(self.size, self.tokens + (now - self.last) * self.rate)
            self.last = now
            if self.tokens + 1e-9 >= 1:
                self.tokens -= 1
                return 200, {}
            wait = math.ceil((1 - self.tokens) / self.rate - 1e-9)
            return 429, {"Retry-After": str(max(1, wait))}


class Window:
    """A fixed window: ``quota`` requests per ``window`` s, then 429 until the window ends."""

    def __init__(self, quota: int, window: float) -> None:
        self.quota, self.window, self.start, self.used = quota, window, None, 0
        self.lock = threading.Lock()

    def answer(self, now: float) -> tuple[int, dict[str, str]]:
        with self.lock:
            if self.start is None or now >= self.start + self.window:
                passed = 0 if self.start is None else (now - self.start) // self.window
                self.start = now if self.start is None else self.start + passed * self.window
                self.used = 0
            if self.used < self.quota:
                self.used += 1
                return 200, {}
            return 429, {"Retry-After": str(max(1, math.ceil(self.start + self.window - now)))}


class AtRandom:
    """Refuses one request in ``every``, whatever the pace (load shedding, the sandbox's
    ``throttle_rate``)."""

    def __init__(self, every: int) -> None:
        self.rng, self.every = random.Random(5), every
        self.lock = threading.Lock()

    def answer(self, now: float) -> tuple[int, dict[str, str]]:
        with self.lock:
            return (429, {"Retry-After": "1"}) if self.rng.randrange(self.every) == 0 else (200, {})


class VirtualTime:
    """A fake clock for real threads: ``sleep`` blocks until every thread of the run sleeps,
    then time jumps to the earliest wake-up."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._cond = threading.Condition()
        self._wakes: dict[int, float] = {}
        self._active = 0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._cond:
            me = threading.get_ident()
            self._wakes[me] = self.now + max(0.0, seconds)
            self._jump()
            while self.now < self._wakes[me]:
                self._cond.wait()
            del self._wakes[me]

    def _jump(self) -> None:
        if self._active and len(self._wakes) == self._active:
            self.now = max(self.now, min(self._wakes.values()))
            self._cond.notify_all()

    def run(self, workers: int, work: Callable[[], None]) -> None:
        """Run ``work`` on ``workers`` threads to the end."""

        def one() -> None:
            try:
                work()
            finally:
                with self._cond:
                    self._active -= 1
                    self._jump()

        threads = [threading.Thread(target=one) for _ in range(workers)]
        self._active = workers
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a worker is stuck"


def send(
    server: TokenBucket | Window | AtRandom,
    requests: int,
    *,
    workers: int = 8,
    lim: RateLimiter | None = None,
    time: VirtualTime | None = None,
    latency: float = 0.003,
    method: str = "GET",
) -> tuple[RateLimiter, VirtualTime, list[tuple[float, int]]]:
    """``requests`` on ``workers`` threads, each sent as the transport sends it (a slot from
    the limiter first, the answer shown to it, a 429 retried after ``Retry-After`` in the
    same slot, as ``waiting.retry`` does); the (time, status) of every answer."""
    time = time or VirtualTime()
    lim = lim or RateLimiter(clock=time, sleep=time.sleep, wall=lambda: WALL)
    left = iter(range(requests))
    answers: list[tuple[float, int]] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if next(left, None) is None:
                    return
            lim.acquire(method)
            for _attempt in range(20):
                time.sleep(latency)
                status, headers = server.answer(time.now)
                lim.observe(method, status, headers)
                with lock:
                    answers.append((time.now, status))
                if status != 429:
                    break
                lim.acquire(method, at_least=float(headers["Retry-After"]))

    time.run(workers, work)
    return lim, time, answers


def refused(answers: list[tuple[float, int]], after: float = -math.inf) -> int:
    return sum(1 for t, status in answers if status == 429 and t >= after)


# -- budgets --------------------------------------------------------------------------------


def test_a_budget_allows_its_burst_then_paces_a_little_under_it() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=1200, read_burst=10)  # 20/s: 19.4/s, 9 at once
    got = slots(lim, clock, 12)
    assert got == paced(1200, 10, 12)
    assert got[:9] == [0] * 9 and got[9] == pytest.approx(1 / (20 * MARGIN), abs=1e-6)


def test_the_default_burst_is_one_seconds_worth() -> None:
    clock = FakeClock()
    assert slots(limiter(clock, reads=600), clock, 12) == paced(600, 10, 12)
    assert slots(limiter(clock, writes=60), clock, 3, "POST") == paced(60, 1, 3)


def test_reads_and_writes_have_their_own_budgets() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=60, writes=60, read_burst=1, write_burst=1)
    assert slots(lim, clock, 2, "GET") == paced(60, 1, 2)
    assert slots(lim, clock, 2, "POST") == paced(60, 1, 2)
    assert slots(lim, clock, 1, "DELETE") == paced(60, 1, 3)[2:]
    assert [kind_of(m) for m in ("GET", "head", "POST", "DELETE", "PUT")] == [
        "reads",
        "reads",
        "writes",
        "writes",
        "writes",
    ]


def test_no_budget_means_no_wait() -> None:
    clock = FakeClock()
    assert slots(limiter(clock), clock, 100) == [0] * 100


def test_many_threads_get_distinct_slots_in_order_of_asking() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=600, read_burst=10)  # 10/s: 9.7/s, 9 at once
    got: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(32)

    def worker() -> None:
        start.wait()
        for _ in range(10):
            wait = lim.reserve("GET")
            with lock:
                got.append(round(wait, 6))

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # 320 requests at one instant: 9 at once, then one a period, whatever the threads did.
    assert sorted(got) == paced(600, 10, 320)


def test_acquire_sleeps_the_wait_and_at_least_what_the_caller_needs() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=60, read_burst=1)
    period = 1 / MARGIN
    assert lim.acquire("GET") == 0
    assert lim.acquire("GET") == pytest.approx(period) and clock.now == pytest.approx(1000 + period)
    assert lim.acquire("GET", at_least=3) == 3  # one sleep serves both, not period + 3
    assert clock.now == pytest.approx(1003 + period)


# -- 429s: the pause --------------------------------------------------------------------------


def test_a_429_pauses_every_request_of_its_kind_then_resumes_with_an_empty_bucket() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=1200, read_burst=20)
    lim.observe("GET", 429, {"Retry-After": "2"})
    assert lim.reserve("GET") == 2  # every thread: the pause is the limiter's, not the caller's
    slower = 20 * MARGIN * CUT  # refused at the budget's pace, nothing accepted: CUT of it
    assert lim.reserve("GET") == pytest.approx(2 + 1 / slower)  # no burst after a pause
    assert lim.reserve("POST") == 0  # writes were not refused
    assert lim.pace("reads") == pytest.approx(slower)


def test_retry_after_is_honoured_up_to_a_minute_and_read_as_a_date_too() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("POST", 429, {"Retry-After": "60"})  # a per-minute window: all of it
    assert lim.reserve("POST") == 60 == RETRY_AFTER_MAX
    lim.observe("GET", 429, {"Retry-After": "86400"})
    assert lim.reserve("GET") == RETRY_AFTER_MAX
    date = format_datetime(datetime.fromtimestamp(WALL, UTC) + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(date, WALL) == pytest.approx(7)
    assert parse_retry_after("soon", WALL) is None
    lim = limiter(clock)
    lim.observe("GET", 429, {})  # no Retry-After: a second
    assert lim.reserve("GET") == 1


def test_a_429_while_a_slot_is_slept_on_voids_it() -> None:
    """Workers hold slots ahead (8 at 1/s: up to 8 s); a 429 meanwhile must not see them sent
    into its pause, nor at the pace it just showed too fast."""
    clock = FakeClock()
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 1:  # another thread's request is refused while this one sleeps
            lim.observe("POST", 429, {"Retry-After": "5"})
        clock.advance(seconds)

    lim = RateLimiter(None, 60, write_burst=1, clock=clock, sleep=sleep, wall=lambda: WALL)
    assert lim.acquire("POST") == 0
    start = clock.now
    lim.acquire("POST")
    assert clock.now - start >= 5  # after the pause, not at its old slot
    assert len(naps) == 2


# -- what 429s teach: no budget, no headers ---------------------------------------------------


def test_the_first_429s_teach_the_servers_rate_and_then_there_are_none() -> None:
    server = TokenBucket(20)  # 20/s, 20 at once, told to nobody
    lim, time, answers = send(server, 600)
    ok = [t for t, status in answers if status == 200]
    assert refused(answers) <= 8 + 2  # the first wave (8 in flight), then hardly any
    assert refused(answers, after=ok[100]) <= 1
    assert time.now - 1000 <= 1.15 * 600 / 20  # within 15 % of the server's bound
    assert 0.85 * 20 <= lim.pace("reads") <= 1.1 * 20


def test_a_serial_loop_is_refused_once() -> None:
    lim, time, answers = send(TokenBucket(5), 40, workers=1, method="POST")
    assert refused(answers) == 1
    assert time.now - 1000 <= 1.1 * 40 / 5
    assert CUT * 5 <= (lim.pace("writes") or 0) <= 5  # still climbing back


def test_the_pace_climbs_back_slowly_then_probes_past_the_rate_learnt() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.reserve("GET")
    for _ in range(9):  # 9 of 10 accepted in the last second, then refused
        lim.observe("GET", 200, {})
        lim.reserve("GET")
    lim.observe("GET", 429, {"Retry-After": "1"})
    learnt = 9.0
    lim.reserve("GET")  # a request on its way from now on: the kind is busy
    clock.advance(1)  # the pause: not counted as probing

    def pace_after(seconds: float) -> float:
        clock.advance(seconds)
        return lim.pace("reads") or 0.0

    assert pace_after(0) == pytest.approx(CUT * learnt)
    assert pace_after(PROBE / 2) == pytest.approx(learnt * (1 - (1 - CUT) / 8))
    assert pace_after(PROBE / 2) == pytest.approx(learnt)  # back at it after PROBE s
    assert pace_after(PROBE) == pytest.approx(learnt * (2 - CUT))  # past it, slowly
    assert pace_after(PROBE) == pytest.approx(learnt * (1 + 8 * (1 - CUT)))


def test_a_long_run_settles_under_the_limit() -> None:
    _, time, answers = send(TokenBucket(10), 3000, workers=4)
    seconds = time.now - 1000
    assert refused(answers) <= 4 + seconds / 30  # the first wave, then one probe past it in 30 s
    assert seconds <= 1.1 * 3000 / 10


def test_a_budget_above_the_servers_limit_is_cut_to_it() -> None:
    time = VirtualTime()
    lim = RateLimiter(1200, clock=time, sleep=time.sleep, wall=lambda: WALL)  # 20/s
    lim, time, answers = send(TokenBucket(10), 400, lim=lim, time=time)
    assert refused(answers) <= 8 + 2
    assert time.now - 1000 <= 1.15 * 400 / 10
    assert lim.pace("reads") <= 1.1 * 10


def test_a_per_minute_window_is_measured_across_its_pause() -> None:
    """60 requests a minute, all at once: the first 429 takes the burst for the rate, the
    second measures what the window let through over the pause (about 1/s)."""
    lim, time, answers = send(Window(60, 60), 300, workers=2)
    assert refused(answers) <= 2 + 2 + (time.now - 1000) / 60
    assert 0.7 <= (lim.pace("reads") or 0) <= 1.5
    assert time.now - 1000 <= 1.25 * 300  # the bound: 240 s after the first window


def test_answers_still_on_their_way_when_the_429_came_count_towards_its_lesson() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    slots(lim, clock, 9)
    for _ in range(7):
        lim.observe("GET", 200, {})
    lim.observe("GET", 429, {"Retry-After": "1"})
    assert lim.pace("reads") == pytest.approx(CUT * 7)
    lim.observe("GET", 200, {})  # sent before the 429, answered during its pause
    assert lim.pace("reads") == pytest.approx(CUT * 8)


def test_idle_time_is_neither_measured_nor_probed() -> None:
    """A panel polling every 5 s, then a batch: the lesson is the batch's, not the average."""
    time = VirtualTime()
    lim = RateLimiter(clock=time, sleep=time.sleep, wall=lambda: WALL)
    server = TokenBucket(20)
    for _ in range(12):
        send(server, 1, workers=1, lim=lim, time=time)
        time.now += 5
    assert lim.pace("reads") is None
    _, _, answers = send(server, 30, lim=lim, time=time)
    assert refused(answers) >= 1
    assert lim.pace("reads") == pytest.approx(CUT * 20, rel=0.1)


def test_a_lesson_lapses_when_the_server_stops_confirming_it() -> None:
    server = TokenBucket(20)
    lim, time, answers = send(server, 100)
    lesson = max(t for t, status in answers if status == 429)
    server.rate = None  # the limit is lifted: nothing confirms the lesson any more
    while lim.pace("reads") is not None and time.now < lesson + 2 * LAPSE:
        send(server, 500, workers=1, lim=lim, time=time)
    assert lim.pace("reads") is None
    assert LAPSE <= time.now - lesson <= LAPSE + 5  # its pauses are not counted: 1 s


def test_refusals_that_do_not_follow_the_pace_are_not_taken_for_a_limit() -> None:
    """One request in 20 refused whatever the pace: after two lessons that slowing down did
    not confirm, only Retry-After paces; the run is no slower than with pauses alone."""
    lim, time, answers = send(AtRandom(20), 1000, workers=4, latency=0.02)
    assert lim.pace("reads") is None
    pauses = refused(answers)  # each pauses the kind for 1 s (waves of one, at this rate)
    assert time.now - 1000 <= 1.25 * (pauses + 1000 * 0.02 / 4)


# -- the server's headers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "quota", "window", "remaining", "reset"),
    [
        (
            {
                "RateLimit-Limit": "10",
                "RateLimit-Remaining": "9",
                "RateLimit-Reset": "1",
                "RateLimit-Policy": "10;w=1",
            },
            10,
            1,
            9,
            1,
        ),
        (
            {"RateLimit": "limit=600, remaining=42, reset=5", "RateLimit-Policy": "600;w=60"},
            600,
            60,
            42,
            5,
        ),
        ({"RateLimit-Policy": '"read";q=20;w=1', "RateLimit": '"read";r=3;t=1'}, 20, 1, 3, 1),
        (
            {
                "RateLimit-Policy": '"burst";q=10;w=1, "daily";q=1000;w=86400',
                "RateLimit": '"burst";r=4;t=1, "daily";r=2;t=600',
            },
            1000,
            86400,
            2,
            600,
        ),
        (
            {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"},
            60,
            None,
            0,
            30,
        ),
        (
            {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "4999",
                "X-RateLimit-Reset": str(int(WALL) + 3600),
            },
            5000,
            None,
            4999,
            3600,
        ),
        ({"RateLimit-Policy": "10;w=1, 300;w=60"}, 300, 60, None, None),
    ],
    ids=["ietf-06", "ietf-07", "ietf-08", "two-policies", "x", "x-epoch", "policy-only"],
)
def test_every_header_family_is_read(headers, quota, window, remaining, reset) -> None:
    limits = parse_rate_limit(headers, WALL)
    assert limits is not None
    assert (limits.quota, limits.window, limits.remaining, limits.reset) == (
        quota,
        window,
        remaining,
        reset,
    )


def test_answers_without_rate_limit_headers_say_nothing() -> None:
    assert parse_rate_limit({"Content-Type": "application/json"}, WALL) is None
    assert parse_rate_limit({"RateLimit-Policy": "garbage"}, WALL) is None


def x_headers(reset: str, limit: str = "60", remaining: str = "0") -> dict[str, str]:
    return {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining,
            "X-RateLimit-Reset": reset}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30", 30),  # seconds from now, as the drafts say
        (str(int(WALL) + 30), 30),  # epoch seconds (GitHub)
        (str(int(WALL * 1000) + 30_000), 30),  # epoch milliseconds
        (str(int(WALL) - 30), 0),  # an epoch just past (clocks differ): now
        (str(int(WALL) + 86_400), None),  # a day away: not believed
        ("999999", None),  # 11 days in seconds: not believed
        ("1e308", None),
        ("-30", None),
        ("soon", None),
        ("0x1E", None),
        ("nan", None),
        ("inf", None),
        ("", None),
    ],
)
def test_a_reset_is_read_by_its_size_and_believed_within_an_hour(value, seconds) -> None:
    limits = parse_rate_limit(x_headers(value), WALL)
    assert limits is not None and limits.reset == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7),
        (str(int(WALL) + 7), 7),  # epoch seconds
        (str(int(WALL * 1000) + 7000), 7),  # epoch milliseconds
        ("7200", 7200),  # two hours, as asked: the limiter caps it
        ("-1", None),
        ("nan", None),
        ("1e400", None),  # inf
        ("Fri, 31 Dec 9999 23:59:59 GMT", pytest.approx(253402300799 - WALL)),
    ],
)
def test_retry_after_is_read_as_seconds_epochs_or_a_date(value, seconds) -> None:
    assert parse_retry_after(value, WALL) == seconds


ODD = {
    "x reset in epoch ms": (200, x_headers(str(int(WALL * 1000) + 30_000))),
    "x reset in epoch ms, a week away": (200, x_headers(str(int((WALL + 7 * 86400) * 1000)))),
    "x reset in epoch s, a day away": (200, x_headers(str(int(WALL) + 86_400))),
    "x reset 1e308": (200, x_headers("1e308")),
    "x reset negative": (200, x_headers("-30")),
    "x reset not a number": (200, x_headers("soon")),
    "x reset NaN": (200, x_headers("NaN")),
    "x limit NaN": (200, x_headers("1", limit="nan")),
    "x limit 0": (200, x_headers("1", limit="0")),
    "x remaining negative": (200, x_headers("1", remaining="-5")),
    "a believable but slow reset": (200, x_headers("3000", limit="1")),
    "ietf t in epoch ms": (200, {"RateLimit": f'"r";r=0;t={int(WALL * 1000) + 5000}'}),
    "ietf window 1e12": (200, {"RateLimit-Policy": '"r";q=10;w=1e12', "RateLimit": '"r";r=0'}),
    "a daily quota": (200, {"RateLimit-Policy": "1000;w=86400", "RateLimit-Remaining": "0"}),
    "retry-after in epoch ms": (429, {"Retry-After": str(int(WALL * 1000) + 30_000)}),
    "retry-after 1e300": (429, {"Retry-After": "1e300"}),
    "retry-after in the year 9999": (429, {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}),
    "retry-after negative": (429, {"Retry-After": "-1"}),
    "retry-after NaN": (429, {"Retry-After": "nan"}),
    "retry-after and an epoch-ms reset": (
        429,
        {"Retry-After": "oops", **x_headers(str(int(WALL * 1000) + 30_000))},
    ),
}


@pytest.mark.parametrize(("status", "headers"), list(ODD.values()), ids=list(ODD))
def test_no_odd_header_holds_a_request_longer_than_the_cap(status, headers) -> None:
    """The issue's gateway (X-RateLimit-Reset in epoch ms) wedged every client sharing the
    limiter for the life of the process: OverflowError on one path, 3.08e9 s on another."""
    clock = FakeClock()
    for budget in (None, 600):
        lim = limiter(clock, reads=budget)
        lim.reserve("GET")
        lim.observe("GET", status, headers)
        waits = slots(lim, clock, 20)
        assert max(waits) <= RETRY_AFTER_MAX
        clock.advance(RETRY_AFTER_MAX)  # and once that wait is over, nothing holds it again
        assert lim.reserve("GET") <= RETRY_AFTER_MAX


def test_a_sane_header_after_an_insane_one_is_believed() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("GET", 200, x_headers(str(int(WALL * 1000) + 3_600_000 * 24)))
    lim.observe("GET", 200, x_headers("1", limit="10", remaining="9"))
    assert lim.pace("reads") == pytest.approx(10 * MARGIN)  # 10 a second, window 1 s
    assert slots(lim, clock, 3) == [0, 0, 0]


def test_a_server_that_allows_less_than_the_budget_sets_the_pace() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=1200, read_burst=20)
    lim.observe(
        "GET",
        200,
        {
            "RateLimit-Policy": "10;w=1",
            "RateLimit-Limit": "10",
            "RateLimit-Remaining": "9",
            "RateLimit-Reset": "1",
        },
    )
    assert lim.pace("reads") == pytest.approx(10 * MARGIN)  # a little under the server's 10/s
    # remaining 9 of a bucket of 10: nine now, then one a period (the server's pace)
    period = 1 / (10 * MARGIN)
    assert slots(lim, clock, 11) == [0] * 9 + [round(period, 6), round(2 * period, 6)]


def test_a_server_that_allows_more_does_not_raise_the_budget() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=600)
    lim.observe("GET", 200, {"RateLimit-Policy": "100;w=1"})
    assert lim.pace("reads") == pytest.approx(10 * MARGIN)


def test_without_a_budget_the_server_headers_pace() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("GET", 200, {"RateLimit-Policy": '"r";q=4;w=2', "RateLimit": '"r";r=0;t=2'})
    assert lim.pace("reads") == pytest.approx(2 * MARGIN)
    period = 1 / (2 * MARGIN)
    assert slots(lim, clock, 2) == [round(period, 6), round(2 * period, 6)]


def test_what_the_server_stated_lapses_when_it_stops_saying_it() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("GET", 200, {"RateLimit-Policy": "2;w=1"})
    assert lim.pace("reads") == pytest.approx(2 * MARGIN)
    clock.advance(RETRY_AFTER_MAX - 1)
    lim.observe("GET", 200, {"RateLimit-Policy": "2;w=1"})  # said again: kept
    clock.advance(RETRY_AFTER_MAX)
    assert lim.pace("reads") == pytest.approx(2 * MARGIN)
    clock.advance(1)
    lim.observe("GET", 200, {})
    assert lim.pace("reads") is None


def test_without_a_window_the_longest_reset_stands_for_it() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("GET", 200, x_headers("30"))
    assert lim.pace("reads") == pytest.approx(2 * MARGIN)


def test_remaining_zero_with_no_pace_known_waits_for_the_reset() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("GET", 200, {"RateLimit": '"r";r=0;t=4'})
    assert lim.reserve("GET") == 4


def test_requests_on_their_way_count_against_the_servers_remaining() -> None:
    clock = FakeClock()
    lim = limiter(clock)  # no budget: the server's headers alone pace
    assert slots(lim, clock, 8, "POST") == [0] * 8  # a first wave, before any answer
    # The first answer: 9 of 10 left when it was counted; 7 more are on their way.
    lim.observe("POST", 201, {"RateLimit-Policy": '"w";q=10;w=1', "RateLimit": '"w";r=9;t=1'})
    period = 1 / (10 * MARGIN)
    assert slots(lim, clock, 4, "POST") == [0, 0, round(period, 6), round(2 * period, 6)]


def test_a_request_that_got_no_answer_is_no_longer_on_its_way() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.reserve("GET")
    lim.reserve("GET")
    lim.release("GET")  # refused connection: no answer will come
    lim.observe("GET", 200, {"RateLimit-Policy": "10;w=1", "RateLimit-Remaining": "3"})
    assert slots(lim, clock, 4) == [0, 0, 0, round(1 / (10 * MARGIN), 6)]


# -- holds, told to people ---------------------------------------------------------------------


def test_a_long_hold_is_told_to_listeners_and_logged(caplog) -> None:
    clock = FakeClock()
    lim = limiter(clock, writes=60, write_burst=1)
    holds = []
    lim.add_hold_listener(holds.append)
    caplog.set_level(logging.DEBUG, logger="argil_nb")
    lim.reserve("POST")
    lim.reserve("POST")
    assert len(holds) == 1 and holds[0].seconds >= HOLD_NOTICE
    assert holds[0].why == "paced at 58/min" and holds[0].kind == "writes"  # 60, less MARGIN
    assert "rate limit (writes): waiting 1.0 s, paced at 58/min" in caplog.text
    lim.observe("POST", 429, {"Retry-After": "5"})
    lim.reserve("POST")
    assert holds[-1].why == "paused by the server (429)"
    lim.remove_hold_listener(holds.append)
    lim.reserve("POST")
    assert len(holds) == 2


def test_a_retry_held_by_a_long_retry_after_is_told_too() -> None:
    """A retry's own wait is not a hold (its back-off), unless the server paused the kind:
    a bar waiting out ``Retry-After: 60`` says so."""
    clock = FakeClock()
    lim = limiter(clock)
    holds = []
    lim.add_hold_listener(holds.append)
    lim.reserve("GET", at_least=2)  # a 5xx's back-off: not the limiter's doing
    assert holds == []
    lim.observe("GET", 429, {"Retry-After": "60"})
    lim.acquire("GET", at_least=60)
    assert [(h.seconds, h.why) for h in holds] == [(60, "paused by the server (429)")]


def test_a_progress_bar_says_when_the_limiter_holds_it() -> None:
    clock = FakeClock()
    lim = limiter(clock, writes=60, write_burst=1)
    bar = Progress(True, 3, "uploads", limiter=lim)
    try:
        lim.reserve("POST")
        lim.reserve("POST")
        assert "held 1.0 s: paced at 58/min" in str(bar._bar)
    finally:
        bar.close()
    lim.reserve("POST")  # a closed bar listens no more
    assert "paced" not in str(Progress(False, 3, "x", limiter=lim)._bar)


def test_a_learnt_pace_says_where_it_comes_from() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    holds = []
    lim.add_hold_listener(holds.append)
    lim.observe("POST", 429, {"Retry-After": "1"})  # nothing accepted, nothing paced: a pause
    assert lim.pace("writes") is None
    slots(lim, clock, 4, "POST")
    for _ in range(3):
        lim.observe("POST", 201, {})
    clock.advance(2)  # the fourth still on its way: busy, not idle
    lim.observe("POST", 429, {"Retry-After": "1"})
    clock.advance(1)
    slots(lim, clock, 2, "POST")
    assert holds[-1].why.endswith("/min, learnt from 429s")


# -- caps ---------------------------------------------------------------------------------------


def test_no_pace_is_slower_than_one_request_per_longest_wait() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    daily = {"RateLimit-Policy": "1000;w=86400", "RateLimit-Remaining": "0"}
    lim.observe("GET", 200, daily)
    assert lim.pace("reads") == pytest.approx(1 / RETRY_AFTER_MAX)
    assert slots(lim, clock, 10) == [RETRY_AFTER_MAX] * 10  # a deep queue too: moved up


# -- the client's options -------------------------------------------------------------------------


def test_argil_budgets_apply_on_argils_host_only() -> None:
    assert argil_budget("api.argil.ai", "reads") == ARGIL_READS_PER_MINUTE == 600
    assert argil_budget("API.ARGIL.AI.", "writes") == ARGIL_WRITES_PER_MINUTE == 60
    assert argil_budget("127.0.0.1", "reads") is None
    assert argil_budget("argil.ai.evil.example", "reads") is None
    client = an.Client(api_key=CANARY_KEY, base_url="https://api.argil.ai/v1")
    assert repr(client.rate_limiter) == "RateLimiter(reads=600/min, writes=60/min)"
    local = an.Client(api_key=CANARY_KEY, base_url="http://127.0.0.1:9/v1")
    assert repr(local.rate_limiter) == "RateLimiter(reads=None, writes=None)"
    mine = an.Client(
        api_key=CANARY_KEY,
        base_url="http://127.0.0.1:9/v1",
        reads_per_minute=120,
        writes_per_minute=None,
    )
    assert mine.rate_limiter.pace("reads") == pytest.approx(2 * MARGIN)


def test_clients_can_share_one_limiter() -> None:
    shared = RateLimiter(600, 60)
    one = an.Client(api_key=CANARY_KEY, base_url="http://127.0.0.1:9/v1", rate_limiter=shared)
    two = an.Client(api_key=CANARY_KEY, base_url="http://127.0.0.1:9/v1", rate_limiter=shared)
    assert one.rate_limiter is two.rate_limiter is shared


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"reads_per_minute": 0}, "reads_per_minute must be a number of requests per minute > 0"),
        (
            {"writes_per_minute": "fast"},
            "writes_per_minute must be a number of requests per minute",
        ),
        ({"reads_per_minute": float("inf")}, "reads_per_minute must be"),
        ({"reads_per_minute": True}, "reads_per_minute must be"),
        ({"read_burst": 0}, "read_burst must be an int >= 1, got 0"),
        ({"write_burst": 2.5}, "write_burst must be an int >= 1, got 2.5"),
        ({"rate_limiter": "x"}, "rate_limiter must be an argil_nb.waiting.RateLimiter, got str"),
        ({"rate_limiter": RateLimiter(), "reads_per_minute": 10}, "not both"),
    ],
)
def test_bad_budgets_are_refused_before_any_request(sandbox, options, message) -> None:
    sandbox.reset_stats()
    with pytest.raises(an.InvalidArgument, match=message.replace("(", r"\(").replace(")", r"\)")):
        sandbox.client(**options)
    assert sandbox.stats.requests == 0


# -- through the transport, against the sandbox ----------------------------------------------------


def test_a_429_from_the_server_pauses_the_clients_next_request(sandbox) -> None:
    clock = FakeClock()
    lim = limiter(clock)
    client = sandbox.client(rate_limiter=lim, backoff_factor=0, max_retries=0)
    asset_id = sandbox.assets()[0]["id"]
    sandbox.respond_next(429, {"code": 429, "message": "slow down"}, headers={"Retry-After": "3"})
    with pytest.raises(an.RateLimitError):
        client.get_asset(asset_id)
    start = clock.now
    client.get_asset(asset_id)  # another call, as another worker would make: held 3 s first
    assert clock.now - start == pytest.approx(3)


def test_a_retry_waits_its_back_off_and_the_pause_in_one_sleep(sandbox) -> None:
    clock = FakeClock()
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        clock.advance(seconds)

    lim = RateLimiter(clock=clock, sleep=sleep, wall=lambda: WALL)
    client = sandbox.client(rate_limiter=lim, backoff_factor=0)
    sandbox.respond_next(429, {"code": 429, "message": "slow"}, headers={"Retry-After": "2"})
    client.get_asset(sandbox.assets()[0]["id"])
    assert len(naps) == 1 and 2 <= naps[0] <= 2.25  # Retry-After plus jitter, slept once


def test_an_interrupted_request_is_no_longer_on_its_way(sandbox) -> None:
    clock = FakeClock()

    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    lim = RateLimiter(clock=clock, sleep=sleep, wall=lambda: WALL)
    client = sandbox.client(rate_limiter=lim, max_retries=0)
    lim.observe("POST", 429, {"Retry-After": "5"})
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C while it waits out the pause
        client.create_asset("https://media.example.com/b.png")
    clock.advance(10)
    lim.reserve("POST")  # the only request on its way, when the server answers it:
    lim.observe("POST", 201, {"RateLimit-Policy": "5;w=1", "RateLimit-Remaining": "2"})
    assert slots(lim, clock, 2, "POST") == [0, 0]  # 2 left, none discounted for a ghost
