"""Key hygiene: with a canary key, the key appears in nothing the library shows, logs or
writes, and reaches no host but the API's.

Everything is captured at once: reprs, exception texts and tracebacks (chained, pickled),
warnings, DEBUG log records of the root, urllib3 and argil_nb loggers, stdout and stderr,
CSV files, and the CLI's output (run as a subprocess, also with DEBUG logging on).
"""

from __future__ import annotations

import http.server
import logging
import os
import pickle
import subprocess
import sys
import threading
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import argil_nb as an
from argil_nb import polling
from argil_nb.display import asset_html
from argil_nb.sandbox import Sandbox
from argil_nb.waiting import RateLimiter

from .conftest import CANARY_KEY

ROOT = str(Path(__file__).resolve().parents[1])
WINDOWS = {CANARY_KEY[i : i + 10] for i in range(len(CANARY_KEY) - 9)}


def leaks(text: str) -> list[str]:
    """Any 10-character piece of the canary found in ``text``."""
    return sorted(w for w in WINDOWS if w in text)


def exception_text(exc: BaseException) -> str:
    """Everything an exception can show: str, repr, traceback, attributes, pickled copy."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    parts += [repr(v) for v in vars(exc).values()]
    parts.append(repr(pickle.loads(pickle.dumps(exc))) if _picklable(exc) else "")
    for inner in getattr(exc, "errors", {}).values():
        parts.append(exception_text(inner))
    frame = getattr(exc, "frame", None)
    if frame is not None:
        parts.append(frame.to_string())
    return "\n".join(parts)


def _picklable(exc: BaseException) -> bool:
    return not isinstance(exc, (an.BatchError, an.WaitTimeout))  # they hold frames


class Recorder(http.server.BaseHTTPRequestHandler):
    """Another host (127.0.0.2): records every request, answers 200 {}."""

    seen: list[dict[str, str]] = []

    def _any(self) -> None:
        type(self).seen.append({"path": self.path, **dict(self.headers)})
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = do_DELETE = do_HEAD = _any

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[str]:
    Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.2:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_sleep() -> RateLimiter:
    """A limiter that serves every wait (retries included) without sleeping."""
    return RateLimiter(sleep=lambda seconds: None)


@pytest.fixture
def everything(caplog: pytest.LogCaptureFixture) -> Iterator[list[Any]]:
    """Collect warnings and DEBUG logs of every logger while the test runs."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "argil_nb", "argil_nb.sandbox", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def ready_ids(sb: Sandbox) -> list[str]:
    return [a["id"] for a in sb.assets() if a["status"] == "READY"]


def test_main_paths_and_every_error_kind_never_show_the_key(
    sandbox, clock, tmp_path, capsys, caplog, everything, other_host, no_sleep
):
    client = sandbox.client(backoff_factor=0, timeout=(1, 0.3), rate_limiter=no_sleep)
    shown: list[str] = [repr(client), str(client), repr(sandbox)]
    errors: list[BaseException] = []

    def attempt(call: Callable[[], Any]) -> None:
        try:
            result = call()
        except Exception as exc:
            errors.append(exc)
        else:
            shown.append(repr(result))
            if hasattr(result, "_repr_html_"):
                shown.append(result._repr_html_())

    ids = ready_ids(sandbox)
    # the main paths
    attempt(lambda: client.get_asset(ids[0]))
    attempt(lambda: client.get_assets(ids[:3], progress=True))
    attempt(lambda: client.get_assets([a["id"] for a in sandbox.assets()], progress=True))
    attempt(lambda: client.list_assets(progress=True))
    made = client.create_asset("https://media.example.com/a/clip.mp4")
    shown.append(repr(made))

    def advance(seconds: float) -> None:
        clock.advance(seconds * 100)

    attempt(lambda: polling.wait(client, [made.id], clock=clock, sleep=advance, progress=True))
    attempt(lambda: client.delete_asset(made.id))
    frame = client.get_assets(ids, progress=False)
    shown += [repr(frame), frame.to_string(), an.show(frame)._repr_html_(), repr(an.show(frame))]
    path = an.to_csv(frame, tmp_path / "assets.csv")
    shown.append(path.read_text(encoding="utf-8"))

    # every error kind
    missing = str(uuid.uuid4())
    attempt(lambda: client.get_asset(missing))  # AssetNotFound
    attempt(lambda: client.get_assets([missing, ids[0]], progress=False))  # BatchError
    attempt(lambda: client.get_asset("not-a-uuid"))  # InvalidAssetId
    attempt(lambda: client.create_asset("javascript:alert(1)"))  # InvalidArgument
    attempt(lambda: an.Client(api_key=CANARY_KEY, base_url="http://api.example.com"))
    attempt(lambda: an.Client(api_key=CANARY_KEY.encode()))  # type: ignore[arg-type]
    attempt(lambda: an.Client(api_key=CANARY_KEY, timeout=-1))
    canned = [
        (401, {"code": 401, "message": "Invalid API key"}, {}),  # AuthenticationError
        (403, {"code": 403, "message": "Forbidden"}, {}),
        (429, {"code": 429, "message": "slow"}, {"Retry-After": "1"}),  # RateLimitError
        (503, "<html>down</html>", {}),  # ServerError, HTML body
        (200, "<html>login</html>", {}),  # InvalidResponse
        (302, b"", {"Location": other_host + "/steal"}),  # redirect to another host
        (307, b"", {"Location": "/v1/assets/" + ids[0]}),  # same origin, over and over
    ]
    for status, body, headers in canned:
        sandbox.respond_next(status, body, headers=headers, times=6,
                             content_type="text/html" if isinstance(body, str) else "application/json")  # fmt: skip
        attempt(lambda: client.get_asset(ids[0]))
        sandbox.clear_responses()
    sandbox.configure(drop_rate=1.0)
    attempt(lambda: client.get_asset(ids[0]))  # APIConnectionError: dropped
    sandbox.configure(drop_rate=0.0, stall_rate=1.0, stall_seconds=1.0)
    attempt(lambda: an.Client(api_key=CANARY_KEY, base_url=sandbox.base_url, max_retries=0,
                              timeout=(1, 0.2)).get_asset(ids[0]))  # fmt: skip
    sandbox.configure(stall_rate=0.0)
    sandbox.configure(processing_seconds=(500.0, 500.0))
    slow = client.create_asset("https://media.example.com/a/slow.png")
    attempt(lambda: polling.wait(client, [slow.id], timeout=5, clock=clock, sleep=clock.advance))
    sandbox.stop()
    attempt(lambda: client.get_asset(ids[0]))  # APIConnectionError: refused
    attempt(lambda: client.get_assets(ids, errors="coerce", progress=False))
    attempt(lambda: client.list_assets(progress=False))
    sandbox.start()

    kinds = {type(e).__name__ for e in errors}
    assert kinds >= {
        "AssetNotFound", "BatchError", "InvalidAssetId", "InvalidArgument", "AuthenticationError",
        "RateLimitError", "ServerError", "InvalidResponse", "APIError", "APIConnectionError",
        "WaitTimeout",
    }  # fmt: skip
    out, err = capsys.readouterr()
    assert "argil" in err  # the progress bars did write
    texts = {
        "shown": "\n".join(shown),
        "errors": "\n".join(exception_text(e) for e in errors),
        "logs": caplog.text + "\n".join(repr(r.__dict__) for r in caplog.records),
        "warnings": "\n".join(f"{w.category.__name__}: {w.message}" for w in everything),
        "stdout+stderr": out + err,
    }
    assert len(caplog.records) > 50  # urllib3 and the sandbox logged at DEBUG
    for where, text in texts.items():
        assert leaks(text) == [], f"the key leaked into {where}"
    assert Recorder.seen == []


# -- the key goes to the API's origin only --------------------------------------------------


def test_asset_urls_on_another_host_are_never_fetched(sandbox, client, other_host, tmp_path):
    """fileUrl and thumbnailUrl point elsewhere: no call of the library fetches them."""
    ids = []
    for i in range(12):
        asset_id = str(uuid.uuid4())
        ids.append(asset_id)
        sandbox.add_asset({"id": asset_id, "name": f"a{i}", "type": "IMAGE", "status": "READY",
                           "fileUrl": f"{other_host}/file/{i}.png",
                           "thumbnailUrl": f"{other_host}/thumb/{i}.png",
                           "createdAt": "2026-11-01T10:00:00Z"})  # fmt: skip
    frame = client.get_assets(ids, progress=False)
    client.list_assets(progress=False)
    client.wait(ids[:2], progress=False)
    asset = client.get_asset(ids[0])
    markup = an.show(frame)._repr_html_() + asset_html(asset)
    an.read_csv(an.to_csv(frame, tmp_path / "t.csv"))
    assert f"{other_host}/thumb/0.png" in markup  # rendered for the browser, key-free
    assert leaks(markup) == []
    assert Recorder.seen == []


REDIRECTS = [301, 302, 303, 307, 308]
CALLS: dict[str, Callable[[an.Client, str], Any]] = {
    "GET": lambda c, i: c.get_asset(i),
    "DELETE": lambda c, i: c.delete_asset(i),
    "POST": lambda c, i: c.create_asset("https://media.example.com/x.png"),
    "LIST": lambda c, i: c.list_page(),
}


@pytest.mark.parametrize("method", list(CALLS))
@pytest.mark.parametrize("status", REDIRECTS)
def test_cross_host_redirects_are_refused(sandbox, client, other_host, status, method):
    asset_id = ready_ids(sandbox)[0]
    targets = [
        f"{other_host}/steal",
        "//" + other_host.split("//")[1] + "/steal",  # scheme-relative
        f"http://127.0.0.1@{other_host.split('//')[1]}/steal",  # a userinfo disguise
        f"{sandbox.url.replace('127.0.0.1', 'localhost')}/v1/assets",  # same host, other name
    ]
    for target in targets:
        sandbox.respond_next(status, b"", headers={"Location": target})
        with pytest.raises(an.APIError, match="not followed so that the API key") as info:
            CALLS[method](client, asset_id)
        assert info.value.status_code == status and leaks(exception_text(info.value)) == []
    assert Recorder.seen == []
    assert sandbox.asset(asset_id)  # nothing was deleted either


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_same_origin_hop_then_a_cross_host_hop_is_refused(sandbox, client, other_host, status):
    asset_id = ready_ids(sandbox)[0]
    sandbox.respond_next(status, b"", headers={"Location": f"/v1/assets/{asset_id}"})
    sandbox.respond_next(status, b"", headers={"Location": f"{other_host}/steal"})
    with pytest.raises(an.APIError, match="another host"):
        client.get_asset(asset_id)
    assert Recorder.seen == []


@pytest.mark.parametrize("status", [301, 302, 303])
def test_post_redirected_with_303_or_301_302_is_not_sent_twice(sandbox, client, status):
    """POST, then 303 (or 301/302) to the asset: followed with a GET, no second upload."""
    asset_id = ready_ids(sandbox)[0]
    before = len(sandbox.assets())
    sandbox.respond_next(status, b"", headers={"Location": f"/v1/assets/{asset_id}"}, method="POST")
    sandbox.reset_stats()
    assert client.create_asset("https://media.example.com/x.png").id == asset_id
    assert sandbox.stats.by_route["create"] == 1 and sandbox.stats.by_route["get"] == 1
    assert len(sandbox.assets()) == before


@pytest.mark.parametrize("status", [307, 308])
def test_post_redirected_with_307_308_is_repeated_there(sandbox, client, status):
    """307/308 mean "send the same request there": the server did not act on the first."""
    before = len(sandbox.assets())
    sandbox.respond_next(status, b"", headers={"Location": "/v1/assets"}, method="POST")
    assert client.create_asset("https://media.example.com/x.png").status == "PROCESSING"
    assert len(sandbox.assets()) == before + 1


# -- the CLI ---------------------------------------------------------------------------------


def cli(box: Sandbox, *args: str, debug: bool = False, key: str = CANARY_KEY) -> subprocess.Popen:
    """Start ``argil-nb args`` (with DEBUG logging and ``-X dev`` when ``debug``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGIL_")}
    env |= {"ARGIL_API_KEY": key, "ARGIL_BASE_URL": box.base_url,
            "PYTHONPATH": ROOT + os.pathsep + env.get("PYTHONPATH", ""),
            "PYTHONWARNINGS": "always"}  # fmt: skip
    if debug:
        code = ("import logging, sys; logging.basicConfig(level=logging.DEBUG); "
                "from argil_nb.cli import main; sys.exit(main(sys.argv[1:]))")  # fmt: skip
        command = [sys.executable, "-X", "dev", "-c", code, *args]
    else:
        command = [sys.executable, "-m", "argil_nb.cli", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


def test_the_cli_never_shows_the_key(sandbox, tmp_path):
    """The main commands and their errors, two at a time (each is mostly imports)."""
    ids = ready_ids(sandbox)
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("\n".join(ids))
    other = Sandbox(initial_assets=3, api_key="sk-another-key-0000000000000000").start()
    runs = [
        lambda: cli(sandbox, "get", *ids[:2], "--csv", str(tmp_path / "get.csv"), debug=True),
        lambda: cli(sandbox, "list", "--csv", str(tmp_path / "list.csv"), debug=True),
        lambda: cli(sandbox, "export", "--ids", str(ids_file), "--csv", str(tmp_path / "e.csv")),
        lambda: cli(sandbox, "get", "not-a-uuid"),
        lambda: cli(sandbox, "get", str(uuid.uuid4()), debug=True),  # AssetNotFound
        lambda: cli(other, "get", ids[0], debug=True),  # 401: the canary is the wrong key there
        lambda: cli(sandbox, "--base-url", "http://api.example.com/v1", "list"),  # plain http
    ]
    outputs = []
    try:
        for pair in (runs[i : i + 2] for i in range(0, len(runs), 2)):
            started = [run() for run in pair]
            outputs += [process.communicate(timeout=120)[0] for process in started]
    finally:
        other.stop()
    text = "\n".join(outputs)
    assert "DEBUG" in text and "AuthenticationError" in text and "AssetNotFound" in text
    assert "InvalidArgument" in text and "InvalidAssetId" in text
    for name in ("get.csv", "list.csv", "e.csv"):
        text += (tmp_path / name).read_text(encoding="utf-8")
    assert leaks(text) == []
