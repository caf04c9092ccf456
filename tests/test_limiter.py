"""The rate limiter, on a fake clock: budgets, shared pauses, the server's headers, threads.

No test sleeps: the limiter's clock and sleep are injected, and ``reserve`` (the slot a
request gets) is checked instead of elapsed time.
"""

from __future__ import annotations

import logging
import threading
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
    DECREASE,
    HOLD_NOTICE,
    INCREASE,
    MARGIN,
    RECOVERY_SECONDS,
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


def test_a_429_pauses_every_request_of_its_kind_then_resumes_with_an_empty_bucket() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=1200, read_burst=20)
    lim.observe("GET", 429, {"Retry-After": "2"})
    assert lim.reserve("GET") == 2  # every thread: the pause is the limiter's, not the caller's
    slower = 20 * MARGIN * DECREASE
    assert lim.reserve("GET") == pytest.approx(2 + 1 / slower)  # no burst after a pause
    assert lim.reserve("POST") == 0  # writes were not refused
    assert lim.pace("reads") == pytest.approx(slower)


def test_one_wave_of_429s_lowers_the_pace_once_and_it_climbs_back_slowly() -> None:
    clock = FakeClock()
    lim = limiter(clock, reads=600)
    budget = 10 * MARGIN
    for _ in range(8):  # eight workers refused at once
        lim.observe("GET", 429, {"Retry-After": "1"})
    assert lim.pace("reads") == pytest.approx(budget * DECREASE)
    clock.advance(RECOVERY_SECONDS - 1)
    lim.observe("GET", 200, {})
    assert lim.pace("reads") == pytest.approx(budget * DECREASE)
    clock.advance(1)
    lim.observe("GET", 200, {})
    assert lim.pace("reads") == pytest.approx(budget * (DECREASE + INCREASE))
    for _ in range(10):
        clock.advance(RECOVERY_SECONDS)
        lim.observe("GET", 200, {})
    assert lim.pace("reads") == pytest.approx(budget)  # never above the budget


def test_retry_after_is_capped_and_read_as_a_date_too() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("GET", 429, {"Retry-After": "86400"})
    assert lim.reserve("GET") == RETRY_AFTER_MAX
    date = format_datetime(datetime.fromtimestamp(WALL, UTC) + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after(date, WALL) == pytest.approx(7)
    assert parse_retry_after("soon", WALL) is None
    lim = limiter(clock)
    lim.observe("GET", 429, {})  # no Retry-After: a second
    assert lim.reserve("GET") == 1


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


def test_without_a_window_the_longest_reset_stands_for_it() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe(
        "GET",
        200,
        {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"},
    )
    assert lim.pace("reads") == pytest.approx(2 * MARGIN)


def test_remaining_zero_with_no_pace_known_waits_for_the_reset() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    lim.observe("GET", 200, {"RateLimit": '"r";r=0;t=4'})
    assert lim.reserve("GET") == 4


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
