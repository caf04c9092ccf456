"""Retries, timeouts, redirects and key hygiene, against the sandbox's injected faults."""

import http.server
import logging
import pickle
import threading
import traceback

import pytest

import argil_nb as an
from argil_nb.waiting import BACKOFF_JITTER, RETRY_AFTER_MAX, RateLimiter

from .conftest import CANARY_KEY


def an_id(sandbox):
    return next(a["id"] for a in sandbox.assets() if a["status"] == "READY")


@pytest.fixture
def sleeps():
    """The sleeps the client's retries ask for (recorded, not slept)."""
    return []


@pytest.fixture
def client(sandbox, sleeps):
    """A client that does not sleep between retries: its limiter, which serves every retry's
    wait, records the sleeps instead (the sleep is passed in, nothing is patched)."""
    limiter = RateLimiter(sleep=sleeps.append)
    with sandbox.client(backoff_factor=0, timeout=(2, 5), rate_limiter=limiter) as c:
        yield c


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_get_is_retried_then_succeeds(sandbox, client, status):
    sandbox.respond_next(status, {"code": status, "message": "transient"}, times=2)
    sandbox.reset_stats()
    assert client.get_asset(an_id(sandbox)).status == "READY"
    assert sandbox.stats.requests == 3


def test_retries_are_bounded_then_typed(sandbox, client):
    sandbox.respond_next(503, {"code": 503, "message": "down"}, times=50)
    sandbox.reset_stats()
    with pytest.raises(an.ServerError, match="down"):
        client.get_asset(an_id(sandbox))
    assert sandbox.stats.requests == 1 + 4  # max_retries=4 by default


def test_rate_limit_after_retries_is_a_rate_limit_error(sandbox, client, sleeps):
    sandbox.respond_next(
        429, {"code": 429, "message": "slow down"}, headers={"Retry-After": "2"}, times=50
    )
    with pytest.raises(an.RateLimitError) as info:
        client.get_asset(an_id(sandbox))
    assert info.value.retry_after == 2


def test_retry_after_is_honoured_and_capped(sandbox, client, sleeps):
    sandbox.respond_next(429, {"code": 429, "message": "wait"}, headers={"Retry-After": "3"})
    sandbox.respond_next(429, {"code": 429, "message": "wait"}, headers={"Retry-After": "86400"})
    client.get_asset(an_id(sandbox))
    assert len(sleeps) == 2
    assert 3 <= sleeps[0] <= 3 + BACKOFF_JITTER  # honoured, with jitter
    assert sleeps[1] == RETRY_AFTER_MAX == 60  # capped, at a per-minute window


def test_a_minute_long_retry_after_is_waited_out_whole(sandbox, client, sleeps):
    """A per-minute write window: held the full 60 s, not 30 s and into a second 429."""
    sandbox.respond_next(
        429, {"code": 429, "message": "wait"}, headers={"Retry-After": "60"}, method="POST"
    )
    client.create_asset("https://x.example.com/a.png")
    assert sleeps == [60]


@pytest.mark.parametrize(
    "value", ["soon", "-1", "nan", "1800000000000", "Fri, 31 Dec 9999 23:59:59 GMT"]
)
def test_an_odd_retry_after_is_a_capped_pause_not_a_failure(sandbox, client, sleeps, value):
    """urllib3 alone raises InvalidHeader on ``soon`` (the request then fails as if the API
    could not be reached) and reads an epoch in milliseconds as 57,000 years."""
    sandbox.respond_next(429, {"code": 429, "message": "wait"}, headers={"Retry-After": value})
    assert client.get_asset(an_id(sandbox)).status == "READY"
    assert len(sleeps) == 1 and 0 < sleeps[0] <= RETRY_AFTER_MAX


def test_delete_is_retried(sandbox, client):
    sandbox.respond_next(503, {"code": 503, "message": "x"}, method="DELETE")
    client.delete_asset(an_id(sandbox))


def test_post_that_got_a_5xx_is_not_repeated(sandbox, client):
    before = len(sandbox.assets())
    sandbox.respond_next(500, {"code": 500, "message": "boom"}, method="POST")
    sandbox.reset_stats()
    with pytest.raises(an.ServerError):
        client.create_asset("https://x.example.com/a.png")
    assert sandbox.stats.requests == 1
    assert len(sandbox.assets()) == before


def test_post_that_acted_then_failed_is_not_repeated(sandbox, client):
    """error_after=1: the sandbox creates the asset, then answers 500."""
    before = len(sandbox.assets())
    sandbox.configure(error_rate=1.0, error_after=1.0)
    with pytest.raises(an.ServerError):
        client.create_asset("https://x.example.com/a.png")
    sandbox.configure(error_rate=0.0)
    assert len(sandbox.assets()) == before + 1  # created once, never twice


def test_post_is_retried_on_429(sandbox, client, sleeps):
    before = len(sandbox.assets())
    sandbox.respond_next(
        429, {"code": 429, "message": "wait"}, headers={"Retry-After": "1"}, method="POST"
    )
    asset = client.create_asset("https://x.example.com/a.png")
    assert asset.status == "PROCESSING"
    assert len(sandbox.assets()) == before + 1


def test_post_dropped_connection_is_not_repeated(sandbox, client):
    sandbox.configure(drop_rate=1.0)
    sandbox.reset_stats()
    with pytest.raises(an.APIConnectionError):
        client.create_asset("https://x.example.com/a.png")
    sandbox.configure(drop_rate=0.0)
    assert sandbox.stats.requests == 1


def test_dropped_connections_are_retried_for_get(sandbox, client):
    sandbox.configure(drop_rate=1.0)
    sandbox.reset_stats()
    with pytest.raises(an.APIConnectionError, match="could not reach"):
        client.get_asset(an_id(sandbox))
    assert sandbox.stats.requests == 1 + 4
    sandbox.configure(drop_rate=0.0)
    assert client.get_asset(an_id(sandbox))


def test_a_stall_longer_than_the_read_timeout_is_a_timeout(sandbox):
    sandbox.configure(stall_rate=1.0, stall_seconds=5.0)
    quick = sandbox.client(timeout=(1, 0.3), max_retries=1, backoff_factor=0)
    with pytest.raises(an.APIConnectionError):
        quick.get_asset(an_id(sandbox))
    sandbox.configure(stall_rate=0.0)


def test_outage_is_a_connection_error_then_recovers(sandbox, client):
    asset_id = an_id(sandbox)
    sandbox.stop()
    with pytest.raises(an.APIConnectionError):
        client.get_asset(asset_id)
    sandbox.start()
    assert client.get_asset(asset_id).id == asset_id


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):
        type(self).seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def other_host():
    """A server on another loopback address (127.0.0.2): a different host to the client."""
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_plain_requests_would_leak_the_key_on_redirect(sandbox, other_host):
    """Why we follow redirects by hand: requests forwards x-api-key to any host."""
    import requests

    sandbox.respond_next(302, b"", headers={"Location": other_host + "/steal"})
    requests.get(sandbox.base_url + "/assets", headers={"x-api-key": CANARY_KEY}, timeout=5)
    assert _Recorder.seen and _Recorder.seen[0].get("x-api-key") == CANARY_KEY


def test_cross_host_redirect_never_carries_the_key(sandbox, client, other_host):
    sandbox.respond_next(302, b"", headers={"Location": other_host + "/steal"})
    with pytest.raises(an.APIError, match="another host"):
        client.get_asset(an_id(sandbox))
    assert all(CANARY_KEY not in str(h) for h in _Recorder.seen)


def test_same_origin_redirect_is_followed(sandbox, client):
    asset_id = an_id(sandbox)
    sandbox.respond_next(307, b"", headers={"Location": f"{sandbox.base_url}/assets/{asset_id}"})
    assert client.get_asset(asset_id).id == asset_id


def _all_text(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for attr in vars(exc).values():
        parts.append(repr(attr))
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None:
        parts.append(_all_text(cause))
    return "\n".join(parts)


def test_the_key_appears_in_no_error_log_or_repr(sandbox, client, caplog, sleeps):
    caplog.set_level(logging.DEBUG)
    errors = []
    asset_id = an_id(sandbox)
    scenarios = [
        lambda: sandbox.respond_next(503, "<html>down</html>", content_type="text/html", times=5),
        lambda: sandbox.respond_next(
            429, {"code": 429, "message": "x"}, headers={"Retry-After": "1"}, times=5
        ),
        lambda: sandbox.respond_next(401, {"code": 401, "message": "bad key"}),
        lambda: sandbox.respond_next(200, b"<html>", content_type="text/html"),
        lambda: sandbox.configure(drop_rate=1.0),
    ]
    for arrange in scenarios:
        arrange()
        try:
            client.get_asset(asset_id)
        except an.ArgilError as exc:
            errors.append(exc)
        sandbox.configure(drop_rate=0.0)
    sandbox.stop()
    try:
        client.get_asset(asset_id)
    except an.ArgilError as exc:
        errors.append(exc)
    sandbox.start()
    assert len(errors) == len(scenarios) + 1
    for exc in errors:
        text = _all_text(exc)
        assert CANARY_KEY not in text
        assert CANARY_KEY not in repr(pickle.loads(pickle.dumps(exc)))
    assert CANARY_KEY not in caplog.text
    assert CANARY_KEY not in repr(client) + repr(sandbox)
