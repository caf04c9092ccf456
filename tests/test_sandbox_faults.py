"""The sandbox's fault injection, lifecycle and stats, over real HTTP with plain requests."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from argil_nb.sandbox import Sandbox, SandboxConfig

from .conftest import session_for, wait_until

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UPLOAD = {"name": "clip.mp4", "type": "VIDEO", "url": "https://example.com/clip.mp4"}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=11, clock=lambda: 0.0) as sandbox:
        yield sandbox


def assert_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == status


# -- fault injection ----------------------------------------------------------------------


def test_rate_limit_answers_429_with_retry_after(sb: Sandbox, api: requests.Session) -> None:
    sb.configure(rate_limit=0.5, burst=3)
    codes = [api.get(f"{sb.base_url}/assets").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = api.get(f"{sb.base_url}/assets")
    assert_error(limited, 429)
    assert limited.headers["Retry-After"] == "2"  # one token takes 2 s at 0.5/s
    ready = next(a for a in sb.assets() if a["status"] == "READY")
    assert requests.get(ready["thumbnailUrl"], timeout=5).status_code == 200  # files: no limit
    assert sb.stats.faults["rate_limited"] == 2
    sb.rate_limit = None
    assert api.get(f"{sb.base_url}/assets").status_code == 200


def test_throttle_answers_a_fraction_with_429(sb: Sandbox, api: requests.Session) -> None:
    """throttle_rate: random 429s with Retry-After, independent of the token bucket."""
    sb.configure(throttle_rate=0.25, fault_seed=4)
    responses = [api.get(f"{sb.base_url}/assets") for _ in range(200)]
    limited = [r for r in responses if r.status_code == 429]
    assert {r.status_code for r in responses} == {200, 429}
    assert 25 <= len(limited) <= 75
    for response in limited:
        assert_error(response, 429)
        assert response.headers["Retry-After"] == "1"
    assert sb.stats.faults["throttled"] == len(limited)
    assert sb.stats.faults["rate_limited"] == 0
    sb.throttle_rate = 1.0
    created = api.post(f"{sb.base_url}/assets", json=UPLOAD)
    assert created.status_code == 429 and len(sb.assets()) == 24  # nothing was created
    sb.throttle_rate = 0.0
    assert api.get(f"{sb.base_url}/assets").status_code == 200
    with pytest.raises(ValueError):
        sb.configure(error_rate=0.5, throttle_rate=0.6)


def test_injected_errors(sb: Sandbox, api: requests.Session) -> None:
    sb.configure(error_rate=1.0, fault_seed=1)
    responses = [api.get(f"{sb.base_url}/assets") for _ in range(30)]
    assert {r.status_code for r in responses} == {500, 502, 503}
    html = [r for r in responses if r.headers["Content-Type"] == "text/html"]
    assert html and all("<html>" in r.text for r in html)
    for response in responses:
        if response.headers["Content-Type"] == "application/json":
            assert response.json()["code"] == response.status_code
    assert sb.stats.faults["error"] == 30


def test_injected_post_errors_before_or_after_creation(sb: Sandbox, api: requests.Session) -> None:
    before = len(sb.assets())
    sb.configure(error_rate=1.0, error_after=1.0)
    assert api.post(f"{sb.base_url}/assets", json=UPLOAD).status_code >= 500
    assert len(sb.assets()) == before + 1  # the server acted, the client saw an error
    sb.configure(error_after=0.0)
    assert api.post(f"{sb.base_url}/assets", json=UPLOAD).status_code >= 500
    assert len(sb.assets()) == before + 1


def test_faults_are_reproducible_with_a_seed() -> None:
    def statuses() -> list[int]:
        with Sandbox(error_rate=0.5, fault_seed=9, initial_assets=0) as sb, session_for(sb) as api:
            return [api.get(f"{sb.base_url}/assets").status_code for _ in range(40)]

    first = statuses()
    assert first == statuses()
    assert 200 in first and {500, 502, 503} & set(first)


def test_dropped_connections(sb: Sandbox, api: requests.Session) -> None:
    sb.drop_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        api.get(f"{sb.base_url}/assets")
    sb.drop_rate = 0.0
    assert api.get(f"{sb.base_url}/assets").status_code == 200
    assert sb.stats.faults["dropped"] == 1


def test_stalls_outlast_a_client_timeout(sb: Sandbox, api: requests.Session) -> None:
    sb.configure(stall_rate=1.0, stall_seconds=2.0)
    with pytest.raises(requests.ReadTimeout):
        api.get(f"{sb.base_url}/assets", timeout=0.3)
    sb.stall_seconds = 0.2
    start = time.perf_counter()
    assert api.get(f"{sb.base_url}/assets", timeout=5).status_code == 200
    assert time.perf_counter() - start >= 0.2
    assert sb.stats.faults["stalled"] == 2


def handler_threads() -> set[threading.Thread]:
    """The threads serving a connection, of every server in this process."""
    return {t for t in threading.enumerate() if t.name.endswith("(process_request_thread)")}


def test_stop_cuts_a_stall_short() -> None:
    # The stall has an hour to run: its thread ends only if stop() wakes it. How long
    # stop() takes is a figure of bench/bench_sandbox.py.
    sb = Sandbox(stall_rate=1.0, stall_seconds=3600.0).start()
    before = handler_threads()
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(f"{sb.base_url}/assets", headers={"x-api-key": sb.api_key}, timeout=60)
        except requests.RequestException as exc:
            errors.append(exc)

    client = threading.Thread(target=call)
    client.start()
    assert wait_until(lambda: sb.stats.faults["stalled"] == 1)
    (held,) = handler_threads() - before
    sb.stop()
    held.join(10)
    client.join(10)
    assert not held.is_alive() and not client.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], requests.ConnectionError)
    assert sb.stats.responses == {}  # dropped unanswered, not answered late


def test_latency_is_added(sb: Sandbox, api: requests.Session) -> None:
    sb.latency = 0.15
    start = time.perf_counter()
    api.get(f"{sb.base_url}/assets")
    assert time.perf_counter() - start >= 0.15


def test_respond_next_bypasses_everything(sb: Sandbox, api: requests.Session) -> None:
    url = f"{sb.base_url}/assets"
    sb.respond_next(200, b'{"id": ', times=2)
    sb.respond_next(200, "<html>login</html>", content_type="text/html")
    sb.respond_next(200, b"")
    sb.respond_next(302, headers={"Location": "https://elsewhere.example/v1/assets"})
    first, second = requests.get(url, timeout=5), api.get(url)  # no key: still canned
    assert first.content == second.content == b'{"id": '
    html = api.get(url)
    assert html.headers["Content-Type"] == "text/html" and html.text == "<html>login</html>"
    empty = api.get(url)
    assert empty.status_code == 200 and empty.content == b""
    redirect = api.get(url, allow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == "https://elsewhere.example/v1/assets"
    assert api.get(url).status_code == 200
    assert sb.stats.faults["canned"] == 5


def test_respond_next_filters_by_path_and_method(sb: Sandbox, api: requests.Session) -> None:
    asset_id = sb.assets()[0]["id"]
    sb.respond_next(503, {"code": 503, "message": "busy"}, path_prefix="/assets/", method="GET")
    assert api.get(f"{sb.base_url}/assets").status_code == 200
    assert api.delete(f"{sb.base_url}/assets/{UNKNOWN_ID}").status_code == 404
    busy = api.get(f"{sb.base_url}/assets/{asset_id}")
    assert busy.status_code == 503 and busy.json() == {"code": 503, "message": "busy"}
    assert api.get(f"{sb.base_url}/assets/{asset_id}").status_code == 200
    sb.respond_next(500, times=3)
    sb.clear_responses()
    assert api.get(f"{sb.base_url}/assets").status_code == 200


def test_config_validation(sb: Sandbox) -> None:
    with pytest.raises(TypeError):
        sb.configure(nonsense=1)
    with pytest.raises(TypeError):
        Sandbox(nonsense=1)  # type: ignore[call-arg]
    for bad in ({"error_rate": 1.5}, {"drop_rate": 0.6, "stall_rate": 0.6}, {"rate_limit": 0}):
        with pytest.raises(ValueError):
            sb.configure(**bad)
    with pytest.raises(ValueError):
        sb.speed = 0
    sb.error_rate = 0.25
    assert sb.config == SandboxConfig(error_rate=0.25)
    assert sb.error_rate == 0.25


# -- lifecycle, stats, concurrency --------------------------------------------------------


def test_stop_and_start_keep_state_and_port(sb: Sandbox, api: requests.Session) -> None:
    created = api.post(f"{sb.base_url}/assets", json=UPLOAD).json()
    port = sb.port
    sb.stop()
    assert not sb.running
    with pytest.raises(requests.ConnectionError):
        api.get(f"{sb.base_url}/assets", timeout=2)
    sb.start()
    assert sb.port == port and sb.running
    assert api.get(f"{sb.base_url}/assets/{created['id']}").json() == created


def test_stop_closes_the_open_keep_alive_connections() -> None:
    # An idle client sees the end of its connection at once, not after the handler's 30 s
    # idle timeout (the sockets' 10 s timeout only keeps a broken stop() from hanging).
    sb = Sandbox(initial_assets=5).start()
    connections = [http.client.HTTPConnection("127.0.0.1", sb.port, timeout=10) for _ in range(5)]
    for connection in connections:
        connection.request("GET", "/v1/assets", headers={"x-api-key": sb.api_key})
        response = connection.getresponse()
        assert response.status == 200 and not response.will_close
        response.read()
    sb.stop()
    for connection in connections:
        assert connection.sock is not None and connection.sock.recv(1) == b""
        connection.close()


def test_stats_count_routes_responses_and_connections(sb: Sandbox, api: requests.Session) -> None:
    sb.reset_stats()
    created = api.post(f"{sb.base_url}/assets", json=UPLOAD).json()
    for _ in range(5):
        api.get(f"{sb.base_url}/assets/{created['id']}")
    api.get(f"{sb.base_url}/assets")
    api.delete(f"{sb.base_url}/assets/{created['id']}")
    api.get(f"{sb.base_url}/nowhere")
    ready = next(a for a in sb.assets() if a["status"] == "READY")
    api.get(ready["thumbnailUrl"])
    stats = sb.stats
    assert stats.requests == 9
    assert stats.by_route == {
        "get": 5, "list": 1, "create": 1, "delete": 1, "file": 1, "other": 1
    }  # fmt: skip
    assert stats.responses == {200: 7, 201: 1, 204: 1, 404: 1}
    assert stats.connections == 1  # keep-alive: one pooled connection for everything
    assert json.loads(json.dumps(stats.as_dict()))["responses"]["200"] == 7
    sb.reset_stats()
    assert sb.stats.requests == 0 and sb.stats.connections == 0


def test_concurrent_clients(sb: Sandbox) -> None:
    failures: list[str] = []

    def worker() -> None:
        with session_for(sb) as api:
            for page in range(1, 21):
                response = api.get(f"{sb.base_url}/assets", params={"page": page % 3 + 1})
                if response.status_code != 200:
                    failures.append(response.text)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert failures == []


def test_serve_forever_returns_when_stopped() -> None:
    sb = Sandbox(initial_assets=0)
    thread = threading.Thread(target=sb.serve_forever)
    thread.start()
    assert wait_until(lambda: sb.running)
    assert requests.get(f"{sb.base_url}/assets", timeout=5).status_code == 401
    sb.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_repr_hides_the_key() -> None:
    sb = Sandbox(api_key="sk-secret-value-1234", initial_assets=3)
    text = repr(sb)
    assert "sk-secret" not in text and "1234" in text and "stopped" in text
    assert Sandbox().api_key.startswith("sk-sandbox-")
    assert Sandbox().api_key != Sandbox().api_key
