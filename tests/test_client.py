"""The client against a real sandbox on loopback: every endpoint and error path."""

import threading
import uuid

import pytest
import requests

import argil_nb as an
from argil_nb import _default
from argil_nb.client import Client

from .conftest import CANARY_KEY

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def first_id(sandbox, status="READY"):
    return next(a["id"] for a in sandbox.assets() if a["status"] == status)


def test_get_asset(sandbox, client):
    raw = sandbox.asset(first_id(sandbox))
    asset = client.get_asset(raw["id"])
    assert asset.to_api() == raw
    assert asset.created_at.tzinfo is not None


def test_get_asset_accepts_uuid_objects_and_upper_case(sandbox, client):
    asset_id = first_id(sandbox)
    assert client.get_asset(uuid.UUID(asset_id)).id == asset_id
    assert client.get_asset(asset_id.upper()).id == asset_id


def test_invalid_id_is_refused_before_any_request(sandbox, client):
    sandbox.reset_stats()
    with pytest.raises(an.InvalidAssetId, match="'not-an-id'"):
        client.get_asset("not-an-id")
    with pytest.raises(an.InvalidAssetId):
        client.delete_asset("../assets")
    assert sandbox.stats.requests == 0


def test_not_found_carries_the_id(client):
    missing = str(uuid.uuid4())
    with pytest.raises(an.AssetNotFound) as info:
        client.get_asset(missing)
    error = info.value
    assert error.asset_id == missing
    assert error.status_code == 404 and error.method == "GET"
    assert error.path == f"/v1/assets/{missing}"
    assert missing in str(error)


def test_create_then_processing_then_terminal(sandbox, client, clock):
    asset = client.create_asset("https://media.example.com/broll/Beach%20Sunset.MP4")
    assert (asset.name, asset.type, asset.status) == ("Beach Sunset.MP4", "VIDEO", "PROCESSING")
    assert asset.file_url is None and asset.thumbnail_url is None
    clock.advance(3600)
    done = client.get_asset(asset.id)
    assert done.status in ("READY", "FAILED")
    if done.status == "READY":
        assert done.file_url and done.thumbnail_url


def test_create_with_explicit_name_and_type(client):
    asset = client.create_asset("https://x.example.com/file?id=3", name="my clip", type="video")
    assert (asset.name, asset.type) == ("my clip", "VIDEO")


@pytest.mark.parametrize(
    "url,kwargs,match",
    [
        ("ftp://x.example.com/a.png", {}, "http"),
        ("not a url", {}, "http"),
        ("https://x.example.com/a.txt", {}, "cannot tell the asset type"),
        ("https://x.example.com/a.png", {"type": "AUDIO"}, "AUDIO"),
        ("https://x.example.com/a.png", {"type": "GIF"}, "IMAGE' or 'VIDEO"),
        ("https://x.example.com/a.png", {"name": ""}, "1 to 256"),
        ("https://x.example.com/a.png", {"name": "x" * 257}, "1 to 256"),
        ("https://x.example.com/", {"type": "IMAGE"}, "1 to 256"),
    ],
)
def test_create_validates_before_sending(sandbox, client, url, kwargs, match):
    sandbox.reset_stats()
    with pytest.raises(an.InvalidArgument, match=match):
        client.create_asset(url, **kwargs)
    assert sandbox.stats.requests == 0


def test_delete(sandbox, client):
    asset_id = first_id(sandbox)
    client.delete_asset(asset_id)
    with pytest.raises(an.AssetNotFound):
        client.get_asset(asset_id)
    with pytest.raises(an.AssetNotFound) as info:
        client.delete_asset(asset_id)
    assert info.value.asset_id == asset_id


def test_wrong_key_is_an_authentication_error(sandbox):
    bad = Client(api_key="sk-wrong", base_url=sandbox.base_url)
    with pytest.raises(an.AuthenticationError, match="ARGIL_API_KEY") as info:
        bad.get_asset(first_id(sandbox))
    assert info.value.status_code == 401


def test_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("ARGIL_API_KEY", raising=False)
    with pytest.raises(an.InvalidArgument, match="ARGIL_API_KEY"):
        Client()


def test_key_and_base_url_from_the_environment(monkeypatch, sandbox):
    monkeypatch.setenv("ARGIL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("ARGIL_BASE_URL", sandbox.base_url)
    assert Client().get_asset(first_id(sandbox)).status == "READY"


@pytest.mark.parametrize(
    "url", ["http://api.example.com/v1", "ftp://127.0.0.1/v1", "api.argil.ai", "https://u:p@x.com"]
)
def test_unsafe_or_malformed_base_urls_are_refused(url):
    with pytest.raises(an.InvalidArgument):
        Client(api_key="k", base_url=url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.argil.ai/v1/",
        "http://localhost:1/v1",
        "http://127.0.0.5:9/v1",
        "http://[::1]:9/v1",
    ],
)
def test_https_and_loopback_base_urls_are_accepted(url):
    assert Client(api_key="k", base_url=url).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": 0},
        {"timeout": (1, 2, 3)},
        {"max_retries": -1},
        {"max_workers": 0},
        {"max_workers": "8"},
    ],
)
def test_bad_numbers_are_refused(kwargs):
    with pytest.raises(an.InvalidArgument):
        Client(api_key="k", base_url="http://127.0.0.1:1/v1", **kwargs)


def test_error_bodies_that_are_html_are_summarised(sandbox, client):
    sandbox.respond_next(
        502,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        content_type="text/html",
        times=10,
    )
    with pytest.raises(an.ServerError, match="non-JSON text/html") as info:
        client.get_asset(first_id(sandbox))
    assert info.value.status_code == 502


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"<html>hi</html>", "text/html"),
        (b"", "application/json"),
        (b"{not json", "application/json"),
    ],
)
def test_a_success_that_is_not_json_is_an_invalid_response(sandbox, client, body, content_type):
    sandbox.respond_next(200, body, content_type=content_type)
    with pytest.raises(an.InvalidResponse, match="expected JSON"):
        client.get_asset(first_id(sandbox))


def test_a_success_with_the_wrong_shape_is_an_invalid_response(sandbox, client):
    sandbox.respond_next(200, {"name": "no id"})
    with pytest.raises(an.InvalidResponse, match="malformed asset"):
        client.get_asset(first_id(sandbox))
    sandbox.respond_next(200, {"not": "a list"})
    with pytest.raises(an.InvalidResponse, match="array"):
        client.list_page()


def test_connect_uses_the_key_when_set(monkeypatch, sandbox):
    monkeypatch.setenv("ARGIL_API_KEY", sandbox.api_key)
    monkeypatch.setenv("ARGIL_BASE_URL", sandbox.base_url)
    assert an.connect().base_url == sandbox.base_url


def sandbox_threads() -> int:
    return sum(t.name.startswith("argil-sandbox") for t in threading.enumerate())


def test_connect_without_a_key_raises_and_starts_nothing(monkeypatch):
    monkeypatch.delenv("ARGIL_API_KEY", raising=False)
    before = sandbox_threads()
    for call in (an.connect, lambda: an.list_assets(), lambda: an.get_asset(UNKNOWN)):
        with pytest.raises(an.InvalidArgument) as info:
            call()
        assert "ARGIL_API_KEY" in str(info.value) and "connect(sandbox=True)" in str(info.value)
    assert sandbox_threads() == before


def test_connect_sandbox_is_asked_for_and_says_so_in_one_line(capsys):
    with an.connect(sandbox=True) as client:
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and "offline sandbox" in out and client.base_url in out
        assert len(client.list_assets()) > 0


def test_a_rerun_connect_cell_reuses_one_sandbox_and_the_latest_is_the_default(capsys):
    first = an.connect(sandbox=True, sandbox_options={"initial_assets": 3})
    made = first.create_asset("https://media.example.com/re-run.png")
    threads = sandbox_threads()
    clients = [an.connect(sandbox=True, sandbox_options={"initial_assets": 3}) for _ in range(3)]
    assert sandbox_threads() == threads  # no server more
    assert {c.base_url for c in clients} == {first.base_url}
    assert an.get_asset(made.id).id == made.id  # the same account: ids made earlier resolve
    assert _default.default_client() is clients[-1]
    assert "reused" in capsys.readouterr().out
    for client in [first, *clients]:
        client.close()


def test_closing_the_last_client_stops_the_sandbox():
    one = an.connect(sandbox=True)
    two = an.connect(sandbox=True)
    url = one.base_url
    one.close()
    assert len(two.list_assets(status="READY")) > 0  # still serving: two uses it
    two.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/assets", timeout=2)


def test_a_sandbox_made_otherwise_is_replaced_only_when_no_client_uses_it():
    client = an.connect(sandbox=True, sandbox_options={"initial_assets": 2})
    with pytest.raises(an.InvalidArgument, match="close that client"):
        an.connect(sandbox=True, sandbox_options={"initial_assets": 5})
    faster = an.connect(sandbox=True, sandbox_options={"initial_assets": 2, "speed": 9.0})
    assert faster.base_url == client.base_url  # changed in place
    client.close()
    faster.close()
    other = an.connect(sandbox=True, sandbox_options={"initial_assets": 5})
    assert len(other.list_assets()) == 5
    other.close()


def test_connect_sandbox_refuses_an_api_of_its_own_and_bad_options_leave_nothing_running():
    before = sandbox_threads()
    with pytest.raises(an.InvalidArgument, match="base_url"):
        an.connect(sandbox=True, base_url="https://api.argil.ai/v1")
    with pytest.raises(an.InvalidArgument, match="timeout"):
        an.connect(sandbox=True, timeout=-1)
    assert sandbox_threads() == before


def test_a_session_passed_in_stays_open_after_close(sandbox):
    session = requests.Session()
    with sandbox.client(session=session) as client:
        client.list_page()
    response = session.get(sandbox.base_url + "/assets", headers={"x-api-key": sandbox.api_key})
    assert response.status_code == 200  # still usable: the user's to close
    session.close()


def test_repr_shows_only_the_last_four_characters_of_the_key(client):
    assert CANARY_KEY not in repr(client)
    assert repr(client).endswith(f"api_key='…{CANARY_KEY[-4:]}')")


def test_list_page_headers(sandbox, client):
    page = client.list_page(page=1, page_size=7, statuses=["READY"])
    ready = [a for a in sandbox.assets() if a["status"] == "READY"]
    assert page.total_count == len(ready)
    assert page.total_pages == -(-len(ready) // 7)
    assert len(page.assets) == 7


def test_the_helpers_and_watch_use_the_client_connect_made(monkeypatch):
    client = an.connect(sandbox=True, sandbox_options={"initial_assets": 3})
    ids = client.list_assets()["id"].tolist()
    assert an.get_assets(ids)["id"].tolist() == ids
    assert an.get_asset(ids[0]).id == ids[0]
    assert an.list_assets()["id"].tolist() == ids
    done = client.list_assets(status="READY")["id"].tolist()[:1]
    assert an.wait(done, timeout=5, progress=False)["id"].tolist() == done
    panel = an.watch(ids, interval=60)
    try:
        panel.refresh()
        assert panel.frame["name"].notna().all()  # found: the default is client
    finally:
        panel.close()
    other = an.use(an.Client(api_key="k", base_url=client.base_url))
    assert _default.default_client() is other
    client.close()


def test_a_create_asset_answered_5xx_says_the_asset_may_exist(sandbox, client):
    sandbox.configure(error_rate=1.0, error_after=1.0)  # created, then a 5xx
    with pytest.raises(an.ServerError) as info:
        client.create_asset("https://media.example.com/maybe.mp4")
    sandbox.configure(error_rate=0.0)
    text = str(info.value)
    assert "may have been created" in text and "'maybe.mp4'" in text and "create_assets" in text
    assert text.count(" on POST ") == 1  # said once, not twice
    assert [a["name"] for a in sandbox.assets()].count("maybe.mp4") == 1


def test_wait_timeout_is_a_timeout_error(sandbox, client):
    processing = [a["id"] for a in sandbox.assets() if a["status"] == "PROCESSING"][:1]
    with pytest.raises(TimeoutError) as info:
        client.wait(processing, timeout=0, progress=False)
    assert isinstance(info.value, an.WaitTimeout) and len(info.value.frame) == 1


def test_wait_for_an_unknown_id_gives_advice_wait_can_follow(client):
    with pytest.raises(an.BatchError) as info:
        client.wait([UNKNOWN], timeout=5, progress=False)
    assert "errors='coerce'" not in str(info.value) and "without those ids" in str(info.value)


def test_an_error_and_its_hint_read_as_two_sentences(sandbox):
    wrong = an.Client(api_key="sk-wrong", base_url=sandbox.base_url)
    with wrong, pytest.raises(an.AuthenticationError) as info:
        wrong.get_asset(UNKNOWN)
    assert "Invalid API key. Check ARGIL_API_KEY" in str(info.value)
