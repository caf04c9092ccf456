"""The sandbox's read and write token buckets and rate-limit headers, over real HTTP.

The buckets run on an injected clock (``rate_clock``): no test sleeps or times anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from argil_nb.sandbox import Sandbox

from .conftest import FakeClock

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UPLOAD = {"name": "clip.mp4", "type": "VIDEO", "url": "https://example.com/clip.mp4"}
HEADER_NAMES = {
    "ietf": {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"},
    "ietf-structured": {"RateLimit", "RateLimit-Policy"},
    "x": {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"},
}
ALL_NAMES = set().union(*HEADER_NAMES.values())
POLICY_RE = re.compile(r'"(read|write)";q=(\d+);w=(\d+)')
LIMIT_RE = re.compile(r'"(read|write)";r=(\d+);t=(\d+)')


@pytest.fixture
def rate_clock() -> FakeClock:
    return FakeClock(500.0)


@pytest.fixture
def sb(rate_clock: FakeClock) -> Iterator[Sandbox]:
    # friendly: the rate-limit headers are its extension (Argil documents none)
    with Sandbox(mode="friendly", seed=11, clock=lambda: 0.0, rate_clock=rate_clock) as sandbox:
        yield sandbox


def rate_headers(response: requests.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k in ALL_NAMES}


def reading(family: str, response: requests.Response) -> tuple[str, int, int, int, int | None]:
    """(bucket, limit, remaining, reset, window) from one answer's headers of ``family``."""
    h = response.headers
    assert set(rate_headers(response)) == HEADER_NAMES[family]
    if family == "ietf":
        limit, _, window = h["RateLimit-Policy"].partition(";w=")
        assert limit == h["RateLimit-Limit"]
        remaining, reset = int(h["RateLimit-Remaining"]), int(h["RateLimit-Reset"])
        return "?", int(limit), remaining, reset, int(window)
    if family == "ietf-structured":
        policy = POLICY_RE.fullmatch(h["RateLimit-Policy"])
        state = LIMIT_RE.fullmatch(h["RateLimit"])
        assert policy and state and policy[1] == state[1]
        return policy[1], int(policy[2]), int(state[2]), int(state[3]), int(policy[3])
    values = (h["X-RateLimit-Limit"], h["X-RateLimit-Remaining"], h["X-RateLimit-Reset"])
    limit, remaining, reset = map(int, values)
    return "?", limit, remaining, reset, None


# -- two buckets --------------------------------------------------------------------------


def test_rate_limit_no_longer_limits_writes(sb: Sandbox, api: requests.Session) -> None:
    sb.configure(rate_limit=1.0, burst=1)
    assert api.get(f"{sb.base_url}/assets").status_code == 200
    assert api.get(f"{sb.base_url}/assets").status_code == 429
    for _ in range(5):  # the write bucket has no limit
        asset = api.post(f"{sb.base_url}/assets", json=UPLOAD)
        assert asset.status_code == 201
        assert api.delete(f"{sb.base_url}/assets/{asset.json()['id']}").status_code == 204
    assert sb.stats.faults["rate_limited_reads"] == 1
    assert sb.stats.faults["rate_limited_writes"] == 0


def test_read_and_write_buckets_are_independent(
    sb: Sandbox, api: requests.Session, rate_clock: FakeClock
) -> None:
    sb.configure(rate_limit=2.0, burst=3, write_rate_limit=0.5, write_burst=2)
    url = f"{sb.base_url}/assets"
    writes = [api.post(url, json=UPLOAD).status_code for _ in range(3)]
    assert writes == [201, 201, 429]
    delete = api.delete(f"{url}/{UNKNOWN_ID}")  # DELETE takes from the write bucket too
    assert delete.status_code == 429 and delete.headers["Retry-After"] == "2"  # 1 / 0.5
    assert [api.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    rate_clock.advance(0.5)  # one read token back (2/s); writes still need 2 s
    assert api.get(url).status_code == 200
    assert api.post(url, json=UPLOAD).status_code == 429
    rate_clock.advance(1.5)
    assert api.post(url, json=UPLOAD).status_code == 201
    assert api.delete(f"{url}/{UNKNOWN_ID}").status_code == 429
    faults = sb.stats.faults
    assert faults["rate_limited_writes"] == 4 and faults["rate_limited_reads"] == 1
    assert faults["rate_limited"] == 5
    limited = api.post(url, json=UPLOAD)
    assert limited.status_code == 429
    assert limited.headers["Content-Type"] == "application/json"
    assert limited.json() == {
        "code": 429,
        "message": "Too many requests: write rate limit exceeded",
    }


def test_other_methods_and_refused_keys_take_no_token(sb: Sandbox, api: requests.Session) -> None:
    sb.configure(rate_limit=1.0, burst=1, write_rate_limit=1.0, write_burst=1)
    url = f"{sb.base_url}/assets"
    for method in ("PUT", "PATCH", "OPTIONS", "TRACE", "HEAD"):
        assert api.request(method, url).status_code == 405
    assert requests.get(url, timeout=5).status_code == 401  # no key
    assert requests.post(url, json=UPLOAD, timeout=5).status_code == 401
    assert api.get(url).status_code == 200
    assert api.post(url, json=UPLOAD).status_code == 201


def test_changing_a_limit_refills_only_its_bucket(sb: Sandbox, api: requests.Session) -> None:
    sb.configure(rate_limit=0.1, burst=1, write_rate_limit=0.1, write_burst=1)
    url = f"{sb.base_url}/assets"
    assert api.get(url).status_code == 200 and api.get(url).status_code == 429
    assert api.post(url, json=UPLOAD).status_code == 201
    sb.burst = 1  # same value: still refills
    assert api.get(url).status_code == 200
    assert api.post(url, json=UPLOAD).status_code == 429
    sb.write_rate_limit = 0.2
    assert api.post(url, json=UPLOAD).status_code == 201
    assert api.get(url).status_code == 429
    sb.rate_limit_headers = "x"  # no refill
    assert api.get(url).status_code == 429
    sb.write_rate_limit = None
    assert all(api.post(url, json=UPLOAD).status_code == 201 for _ in range(3))


def test_options_are_attributes_and_validated() -> None:
    sb = Sandbox(mode="friendly", initial_assets=0, write_rate_limit=3.0, rate_limit_headers="ietf")
    assert sb.write_rate_limit == 3.0 and sb.write_burst is None
    assert sb.config.write_bucket_size == 3 and sb.config.bucket_size == 1
    assert sb.rate_limit_headers == "ietf"
    sb.write_burst = 7
    assert sb.config.write_bucket_size == 7
    for bad in (
        {"write_rate_limit": 0},
        {"write_rate_limit": -1.0},
        {"write_burst": 0},
        {"write_burst": 1.5},
        {"burst": True},
        {"rate_limit_headers": "IETF"},
        {"rate_limit_headers": "draft"},
    ):
        with pytest.raises(ValueError):
            sb.configure(**bad)
    assert sb.write_burst == 7


# -- headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["ietf", "ietf-structured", "x"])
def test_headers_follow_the_read_bucket(
    sb: Sandbox, api: requests.Session, rate_clock: FakeClock, family: str
) -> None:
    sb.configure(rate_limit=2.0, burst=4, rate_limit_headers=family)
    url = f"{sb.base_url}/assets"
    seen = [reading(family, api.get(url)) for _ in range(4)]
    assert [s[2] for s in seen] == [3, 2, 1, 0]  # Remaining: floor(tokens) after the request
    assert [s[3] for s in seen] == [1, 1, 2, 2]  # Reset: until full again, rounded up
    assert {s[1] for s in seen} == {4}  # Limit: the bucket size
    if family != "x":
        assert {s[4] for s in seen} == {2}  # the window: 4 tokens refill in 2 s
        assert seen[0][1] / seen[0][4] == 2.0  # the rate, from the policy
    if family == "ietf-structured":
        assert {s[0] for s in seen} == {"read"}
    limited = api.get(url)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert reading(family, limited)[1:4] == (4, 0, 2)
    rate_clock.advance(1.25)  # 2.5 tokens back
    after = reading(family, api.get(url))
    assert after[2:4] == (1, 2)  # 1.5 tokens left: 1 whole; full in 1.25 s: 2
    rate_clock.advance(100)
    assert reading(family, api.get(url))[2:4] == (3, 1)


@pytest.mark.parametrize("family", ["ietf", "ietf-structured", "x"])
def test_headers_describe_the_write_bucket_on_writes(
    sb: Sandbox, api: requests.Session, family: str
) -> None:
    sb.configure(rate_limit=10.0, write_rate_limit=0.5, write_burst=3, rate_limit_headers=family)
    url = f"{sb.base_url}/assets"
    created = api.post(url, json=UPLOAD)
    assert created.status_code == 201
    bucket, limit, remaining, reset, window = reading(family, created)
    assert (limit, remaining, reset) == (3, 2, 2)
    if family != "x":
        assert window == 6 and limit / window == 0.5
    if family == "ietf-structured":
        assert bucket == "write"
    deleted = api.delete(f"{url}/{created.json()['id']}")
    assert deleted.status_code == 204 and reading(family, deleted)[2:4] == (1, 4)
    missing = api.delete(f"{url}/{UNKNOWN_ID}")  # errors take a token and say so
    assert missing.status_code == 404 and reading(family, missing)[2:4] == (0, 6)
    assert api.post(url, json=UPLOAD).status_code == 429
    read = reading(family, api.get(url))
    assert read[1:3] == (10, 9)  # the GET meets the read bucket
    if family == "ietf-structured":
        assert read[0] == "read"


def test_no_headers_without_a_family_or_a_limit(sb: Sandbox, api: requests.Session) -> None:
    url = f"{sb.base_url}/assets"
    sb.configure(rate_limit=0.5, burst=1)
    assert rate_headers(api.get(url)) == {}
    limited = api.get(url)
    assert limited.status_code == 429 and rate_headers(limited) == {}
    assert limited.headers["Retry-After"] == "2"
    sb.configure(rate_limit=None, rate_limit_headers="ietf")
    assert rate_headers(api.get(url)) == {}  # reads unlimited
    assert rate_headers(api.post(url, json=UPLOAD)) == {}  # writes unlimited
    sb.write_rate_limit = 5.0
    assert rate_headers(api.put(url)) == {}  # no bucket for PUT
    assert rate_headers(requests.post(url, json=UPLOAD, timeout=5)) == {}  # 401
    assert set(rate_headers(api.post(url, json=UPLOAD))) == HEADER_NAMES["ietf"]


def test_headers_on_throttled_and_erroring_answers(sb: Sandbox, api: requests.Session) -> None:
    sb.configure(rate_limit=5.0, rate_limit_headers="ietf-structured", throttle_rate=1.0)
    throttled = api.get(f"{sb.base_url}/assets")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert throttled.headers["RateLimit"] == '"read";r=4;t=1'  # the token was taken
    sb.configure(throttle_rate=0.0, error_rate=1.0, fault_seed=2)
    failed = api.get(f"{sb.base_url}/assets")
    assert failed.status_code >= 500 and failed.headers["RateLimit"] == '"read";r=3;t=1'
    sb.respond_next(200, [])  # canned answers bypass everything, buckets included
    assert rate_headers(api.get(f"{sb.base_url}/assets")) == {}


@pytest.mark.parametrize(
    ("rate", "burst", "window"),
    [
        (10.0, None, 1),  # 600/min, Argil v2's reads
        (1.0, None, 1),  # 60/min, its writes
        (0.5, None, 2),  # burst None: 1 token, refilled in 2 s
        (0.25, 3, 12),
        (100.0, 50, 1),  # 50 / 1 is under 100/s: W rounds up, the rate comes out lower
        (3.0, 10, 4),  # likewise 10 / 4 = 2.5 < 3
    ],
)
def test_policy_gives_the_rate_when_burst_over_rate_is_whole(
    sb: Sandbox, api: requests.Session, rate: float, burst: int | None, window: int
) -> None:
    sb.configure(rate_limit=rate, burst=burst, rate_limit_headers="ietf-structured")
    _, limit, _, _, w = reading("ietf-structured", api.get(f"{sb.base_url}/assets"))
    assert w == window
    if (limit / rate).is_integer():
        assert limit / w == rate
    else:
        assert limit / w < rate


@pytest.mark.parametrize(("rate", "burst"), [(10.0, 10), (0.5, 3), (3.0, 10), (0.2, 1)])
def test_without_a_policy_remaining_and_reset_bound_the_rate(
    sb: Sandbox, api: requests.Session, rate_clock: FakeClock, rate: float, burst: int
) -> None:
    """The Sandbox docstring's bounds: (L - R - 1) / Reset <= r <= (L - R) / (Reset - 1)."""
    sb.configure(rate_limit=rate, burst=burst, rate_limit_headers="x")
    steps = [0.0, 0.05, 0.3, 0.0, 1.7, 0.0, 4.1, 0.01, 0.0, 9.0] + [0.0] * 12 + [0.07, 0.33]
    drained = 0
    for step in steps * 3:
        rate_clock.advance(step)
        _, limit, remaining, reset, _ = reading("x", api.get(f"{sb.base_url}/assets"))
        assert (limit - remaining - 1) / reset <= rate
        if reset > 1:
            assert rate <= (limit - remaining) / (reset - 1)
        drained += remaining == 0
    assert drained  # the bounds were tried where they are tightest
