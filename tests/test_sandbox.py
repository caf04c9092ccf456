"""The sandbox over real HTTP on loopback, with plain requests (not the argil_nb client)."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from argil_nb.sandbox import Sandbox

from .conftest import FakeClock, session_for

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z")  # friendly: ms
ALL_STATUSES: dict[str, Any] = {"status": ["PROCESSING", "READY", "FAILED"]}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UPLOAD = {"name": "clip.mp4", "type": "VIDEO", "url": "https://example.com/clip.mp4"}


@pytest.fixture(scope="module", params=["documented", "friendly"])
def shared(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A read-only sandbox, in each mode: tests using it must not change it."""
    with Sandbox(mode=request.param, seed=7, clock=FakeClock()) as sb:
        yield sb


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=11, clock=FakeClock()) as sandbox:
        yield sandbox


@pytest.fixture
def shared_api(shared: Sandbox) -> Iterator[requests.Session]:
    with session_for(shared) as session:
        yield session


def all_pages(api: requests.Session, url: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 1
    while True:
        response = api.get(url, params={**params, "page": page})
        assert response.status_code == 200
        if not response.json():
            return found
        found += response.json()
        page += 1


def assert_error(response: requests.Response, status: int, *words: str) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    for word in words:
        assert word in body["message"]


# -- GET /assets/{id} ---------------------------------------------------------------------


def test_get_asset_returns_the_asset(shared: Sandbox, shared_api: requests.Session) -> None:
    for asset in shared.assets()[:5]:
        response = shared_api.get(f"{shared.base_url}/assets/{asset['id']}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == asset
        assert list(asset) == [
            "id", "name", "type", "status", "fileUrl", "thumbnailUrl", "createdAt"
        ]  # fmt: skip
        assert UUID_RE.fullmatch(asset["id"]) and TS_RE.fullmatch(asset["createdAt"])


def test_get_accepts_an_uppercase_id(shared: Sandbox, shared_api: requests.Session) -> None:
    asset = shared.assets()[0]
    response = shared_api.get(f"{shared.base_url}/assets/{asset['id'].upper()}")
    assert response.json() == asset


def test_get_unknown_and_malformed_ids(shared: Sandbox, shared_api: requests.Session) -> None:
    assert_error(shared_api.get(f"{shared.base_url}/assets/{UNKNOWN_ID}"), 404, UNKNOWN_ID)
    for bad in ("nope", "1234", UNKNOWN_ID.replace("-", ""), UNKNOWN_ID + "0", "%20"):
        assert_error(shared_api.get(f"{shared.base_url}/assets/{bad}"), 400, "UUID")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/assets"),
        ("POST", "/assets"),
        ("GET", f"/assets/{UNKNOWN_ID}"),
        ("DELETE", f"/assets/{UNKNOWN_ID}"),
        ("GET", "/nowhere"),
    ],
)
def test_missing_or_wrong_key_is_401(shared: Sandbox, method: str, path: str) -> None:
    url = shared.base_url + path
    missing = requests.request(method, url, json=UPLOAD, timeout=5)
    assert_error(missing, 401, "x-api-key")
    wrong = requests.request(method, url, json=UPLOAD, headers={"x-api-key": "sk-no"}, timeout=5)
    assert_error(wrong, 401)
    assert shared.api_key not in wrong.text
    near = shared.api_key[:-1] + "!"
    assert_error(requests.get(url, headers={"x-api-key": near}, timeout=5), 401)


def test_unknown_paths_404_and_wrong_methods_405(
    shared: Sandbox, shared_api: requests.Session
) -> None:
    for path in ("/v1/videos", "/v1/assets/", f"/v1/assets/{UNKNOWN_ID}/x", "/v2/assets", "/"):
        assert_error(shared_api.get(shared.url + path), 404)
    put = shared_api.put(f"{shared.base_url}/assets", json=UPLOAD)
    assert_error(put, 405, "PUT")
    assert put.headers["Allow"] == "GET, POST"
    post = shared_api.post(f"{shared.base_url}/assets/{UNKNOWN_ID}", json=UPLOAD)
    assert_error(post, 405)
    assert post.headers["Allow"] == "GET, DELETE"
    assert_error(shared_api.patch(f"{shared.base_url}/assets/{UNKNOWN_ID}"), 405)


# -- POST /assets -------------------------------------------------------------------------


def test_create_returns_a_processing_asset(sb: Sandbox, api: requests.Session) -> None:
    response = api.post(f"{sb.base_url}/assets", json=UPLOAD)
    assert response.status_code == 201
    asset = response.json()
    assert UUID_RE.fullmatch(asset["id"])
    assert TS_RE.fullmatch(asset["createdAt"])
    assert asset["name"] == "clip.mp4" and asset["type"] == "VIDEO"
    assert asset["status"] == "PROCESSING"
    assert asset["fileUrl"] is None and asset["thumbnailUrl"] is None
    assert api.get(f"{sb.base_url}/assets/{asset['id']}").json() == asset
    # The default listing shows READY only; the upload lists first among all statuses.
    ids = [a["id"] for a in api.get(f"{sb.base_url}/assets", params={"pageSize": 100}).json()]
    assert asset["id"] not in ids
    newest = api.get(f"{sb.base_url}/assets", params={"status": "PROCESSING"}).json()[0]
    assert newest == asset


@pytest.mark.parametrize(
    ("body", "word"),
    [
        (b"{not json", "JSON"),
        (b"", "JSON"),
        (b"\xff\xfe", "JSON"),
        (b"[1, 2]", "object"),
        (b'"text"', "object"),
        ({"type": "VIDEO", "url": "https://e.com/a.mp4"}, "name"),
        ({"name": "a", "url": "https://e.com/a.mp4"}, "type"),
        ({"name": "a", "type": "VIDEO"}, "url"),
        ({**UPLOAD, "name": ""}, "name"),
        ({**UPLOAD, "name": "x" * 257}, "name"),
        ({**UPLOAD, "name": 5}, "name"),
        ({**UPLOAD, "name": None}, "name"),
        ({**UPLOAD, "type": "AUDIO"}, "audio"),
        ({**UPLOAD, "type": "video"}, "type"),
        ({**UPLOAD, "type": None}, "type"),
        ({**UPLOAD, "url": "ftp://e.com/a.mp4"}, "url"),
        ({**UPLOAD, "url": "not a url"}, "url"),
        ({**UPLOAD, "url": "https://"}, "url"),
        ({**UPLOAD, "url": 42}, "url"),
    ],
)
def test_create_rejects_bad_bodies(
    shared: Sandbox, shared_api: requests.Session, body: Any, word: str
) -> None:
    before = len(shared.assets())
    url = f"{shared.base_url}/assets"
    if isinstance(body, bytes):
        headers = {"Content-Type": "application/json"}
        response = shared_api.post(url, data=body, headers=headers)
    else:
        response = shared_api.post(url, json=body)
    assert_error(response, 400, word)
    assert len(shared.assets()) == before


def test_create_accepts_the_limits(sb: Sandbox, api: requests.Session) -> None:
    for body in ({**UPLOAD, "name": "n" * 256}, {**UPLOAD, "name": "é", "type": "IMAGE"}):
        response = api.post(f"{sb.base_url}/assets", json={**body, "extra": 1})
        assert response.status_code == 201
        assert response.json()["name"] == body["name"]


# -- GET /assets --------------------------------------------------------------------------


def test_list_defaults_to_ready_page_one(shared: Sandbox, shared_api: requests.Session) -> None:
    response = shared_api.get(f"{shared.base_url}/assets")
    assert response.status_code == 200
    items = response.json()
    ready = [a for a in shared.assets() if a["status"] == "READY"]
    assert items == ready[:20]
    assert response.headers["X-Total-Count"] == str(len(ready))
    assert response.headers["X-Page"] == "1"
    assert response.headers["X-Page-Size"] == "20"
    assert response.headers["X-Total-Pages"] == str(-(-len(ready) // 20))


def test_list_order_is_created_at_descending_then_id(
    shared: Sandbox, shared_api: requests.Session
) -> None:
    url = f"{shared.base_url}/assets"
    for status in ALL_STATUSES["status"]:
        items = all_pages(shared_api, url, pageSize=7, status=status)
        assert items == [a for a in shared.assets() if a["status"] == status]
    if shared.mode == "friendly":
        items = all_pages(shared_api, url, pageSize=7, **ALL_STATUSES)
        assert items == shared.assets()
    keys = [(a["createdAt"], a["id"]) for a in shared.assets()]
    assert keys == sorted(keys, key=lambda k: (k[0], [-ord(c) for c in k[1]]), reverse=True)


def test_documented_uploads_in_one_second_tie_and_list_in_insertion_order() -> None:
    moment = datetime(2023, 11, 7, 5, 31, 56, 700_000, tzinfo=UTC)
    box = Sandbox(mode="documented", initial_assets=3, now=lambda: moment, clock=FakeClock())
    with box as sb, session_for(sb) as api:
        made = [api.post(f"{sb.base_url}/assets", json={**UPLOAD, "name": n}).json()
                for n in ("c.mp4", "a.mp4", "b.mp4")]  # fmt: skip
        listed = api.get(f"{sb.base_url}/assets", params={"status": "PROCESSING"}).json()
    assert {a["createdAt"] for a in made} == {"2023-11-07T05:31:56Z"}  # Argil's own example
    uploads = [a for a in listed if a["id"] in {m["id"] for m in made}]
    assert [a["name"] for a in uploads] == ["c.mp4", "a.mp4", "b.mp4"]  # neither by id nor name


def test_friendly_uploads_are_each_newer_than_the_newest() -> None:
    moment = datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)
    box = Sandbox(mode="friendly", initial_assets=0, now=lambda: moment, clock=FakeClock())
    with box as sb, session_for(sb) as api:
        made = [api.post(f"{sb.base_url}/assets", json=UPLOAD).json() for _ in range(3)]
    assert [a["createdAt"] for a in made] == [
        "2023-11-07T05:31:56.000Z", "2023-11-07T05:31:56.001Z", "2023-11-07T05:31:56.002Z"
    ]  # fmt: skip


def test_list_filters_by_repeated_type_and_status(
    shared: Sandbox, shared_api: requests.Session
) -> None:
    url = f"{shared.base_url}/assets"
    everything = shared.assets()
    two_types: dict[str, Any] = {"type": ["VIDEO", "IMAGE"], "pageSize": 100}
    both = shared_api.get(url, params=two_types).json()
    assert both == [a for a in everything if a["type"] != "AUDIO" and a["status"] == "READY"]
    audio = shared_api.get(url, params={"type": "AUDIO", "status": "READY"}).json()
    assert audio and all(a["type"] == "AUDIO" for a in audio)
    failed = shared_api.get(url, params={"status": ["FAILED", "PROCESSING"]})
    if shared.mode == "friendly":
        assert failed.json() == [a for a in everything if a["status"] != "READY"]
    else:  # Argil documents one status: the default answer keeps the first
        assert failed.json() == [a for a in everything if a["status"] == "FAILED"]
    unknown_ignored = shared_api.get(url, params={"sort": "name", "pageSize": "100"})
    assert unknown_ignored.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "type=FOO",
        "type=VIDEO&type=video",
        "type=VIDEO,IMAGE",
        "type=",
        "status=DONE",
        "status=",
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "page=",
        "page=1&page=2",
        "pageSize=0",
        "pageSize=101",
        "pageSize=ten",
    ],
)
def test_list_rejects_bad_query_values(
    shared: Sandbox, shared_api: requests.Session, query: str
) -> None:
    field = query.split("=")[0]
    assert_error(shared_api.get(f"{shared.base_url}/assets?{query}"), 400, field)


@pytest.mark.parametrize(
    ("answer", "status", "kept"),
    [("first", 200, "FAILED"), ("last", 200, "PROCESSING"), (400, 400, None), (500, 500, None)],
)
def test_documented_mode_answers_a_repeated_status_as_chosen(
    answer: str | int, status: int, kept: str | None
) -> None:
    box = Sandbox(mode="documented", seed=7, clock=FakeClock(), repeated_status=answer)
    with box as sb, session_for(sb) as api:
        response = api.get(f"{sb.base_url}/assets", params={"status": ["FAILED", "PROCESSING"]})
        single = api.get(f"{sb.base_url}/assets", params={"status": "PROCESSING"})
        assert response.status_code == status and single.status_code == 200
        if kept is not None:
            assert {a["status"] for a in response.json()} == {kept}
        else:
            assert response.json()["code"] == status
        with pytest.raises(ValueError, match="repeated_status"):
            sb.repeated_status = "all"


def test_documented_mode_has_no_rate_limit_headers() -> None:
    with pytest.raises(ValueError, match="friendly"):
        Sandbox(mode="documented", rate_limit_headers="ietf")
    box = Sandbox(mode="documented", initial_assets=1, rate_limit=1.0, burst=1)
    with box as sb, session_for(sb) as api:
        with pytest.raises(ValueError, match="friendly"):
            sb.rate_limit_headers = "x"
        answers = [api.get(f"{sb.base_url}/assets") for _ in range(3)]
    assert [a.status_code for a in answers][-1] == 429 and "Retry-After" in answers[-1].headers
    assert not [h for a in answers for h in a.headers if "ratelimit" in h.lower()]


def test_the_mode_comes_from_the_environment_when_not_given(monkeypatch) -> None:
    monkeypatch.setenv("ARGIL_SANDBOX_MODE", "friendly")
    assert Sandbox(initial_assets=0).mode == "friendly"
    monkeypatch.setenv("ARGIL_SANDBOX_MODE", "chatty")
    with pytest.raises(ValueError, match="documented, friendly"):
        Sandbox(initial_assets=0)


def test_pagination_edges() -> None:
    box = Sandbox(mode="friendly", seed=5, initial_assets=250, clock=FakeClock())
    with box as sb, session_for(sb) as api:
        url = f"{sb.base_url}/assets"
        ready = [a for a in sb.assets() if a["status"] == "READY"]
        full = api.get(url, params={"pageSize": 100})
        assert len(full.json()) == 100
        assert full.headers["X-Total-Pages"] == str(-(-len(ready) // 100))
        assert all_pages(api, url, pageSize=100) == ready
        # An exact multiple: 250 assets over pages of 50, then one page past the end.
        pages = [api.get(url, params={**ALL_STATUSES, "pageSize": 50, "page": p}) for p in (5, 6)]
        assert len(pages[0].json()) == 50
        assert pages[0].headers["X-Total-Pages"] == "5"
        assert pages[1].json() == []
        assert pages[1].headers["X-Total-Count"] == "250"
        assert pages[1].headers["X-Page"] == "6"
        far = api.get(url, params={"page": 999999999})
        assert far.status_code == 200 and far.json() == []


def test_empty_account_lists_nothing() -> None:
    with Sandbox(initial_assets=0) as sb, session_for(sb) as api:
        response = api.get(f"{sb.base_url}/assets", params=ALL_STATUSES)
        assert response.json() == []
        assert response.headers["X-Total-Count"] == "0"
        assert response.headers["X-Total-Pages"] == "0"
        assert sb.assets() == []


# -- DELETE /assets/{id} ------------------------------------------------------------------


def test_delete(sb: Sandbox, api: requests.Session) -> None:
    victim = sb.assets()[3]
    url = f"{sb.base_url}/assets/{victim['id']}"
    response = api.delete(url)
    assert response.status_code == 204 and response.content == b""
    assert_error(api.get(url), 404)
    assert_error(api.delete(url), 404)
    assert_error(api.delete(f"{sb.base_url}/assets/not-a-uuid"), 400)
    assert victim["id"] not in {a["id"] for a in sb.assets()}
    assert len(sb.assets()) == 23


# -- simulated processing -----------------------------------------------------------------


def test_uploads_finish_on_the_injected_clock() -> None:
    clock = FakeClock()
    sb = Sandbox(initial_assets=0, clock=clock, processing_seconds=(5.0, 5.0), failure_rate=0.0)
    with sb, session_for(sb) as api:
        created = api.post(f"{sb.base_url}/assets", json=UPLOAD).json()
        url = f"{sb.base_url}/assets/{created['id']}"
        clock.advance(4.9)
        assert api.get(url).json()["status"] == "PROCESSING"
        clock.advance(0.2)
        ready = api.get(url).json()
        assert ready["status"] == "READY"
        assert ready["fileUrl"] == f"{sb.url}/files/{created['id']}.png"
        assert ready["thumbnailUrl"] == f"{sb.url}/files/{created['id']}/thumbnail.png"
        assert api.get(f"{sb.base_url}/assets").json() == [ready]
        sb.configure(failure_rate=1.0, speed=10.0)
        failed = api.post(f"{sb.base_url}/assets", json=UPLOAD).json()
        clock.advance(0.51)  # 5 simulated seconds at speed 10
        again = api.get(f"{sb.base_url}/assets/{failed['id']}").json()
        assert again["status"] == "FAILED" and again["fileUrl"] is None


def test_seeded_processing_assets_finish_later() -> None:
    clock = FakeClock()
    with Sandbox(seed=2, initial_assets=200, clock=clock) as sb:
        processing = [a["id"] for a in sb.assets() if a["status"] == "PROCESSING"]
        assert processing
        clock.advance(20.0)
        after = {a["id"]: a["status"] for a in sb.assets()}
        assert {after[i] for i in processing} <= {"READY", "FAILED"}
        assert "PROCESSING" not in after.values()


def test_set_status_forces_a_transition(sb: Sandbox, api: requests.Session) -> None:
    created = api.post(f"{sb.base_url}/assets", json=UPLOAD).json()
    sb.set_status(created["id"], "READY")
    assert api.get(f"{sb.base_url}/assets/{created['id']}").json()["fileUrl"]
    sb.set_status(created["id"], "FAILED")
    assert sb.asset(created["id"])["status"] == "FAILED"
    with pytest.raises(KeyError):
        sb.set_status(UNKNOWN_ID, "READY")


# -- seeding and determinism --------------------------------------------------------------


def test_seeded_assets_cover_every_type_and_status(shared: Sandbox) -> None:
    assets = shared.assets()
    assert len(assets) == 24
    assert {a["type"] for a in assets} == {"AUDIO", "IMAGE", "VIDEO"}
    assert {a["status"] for a in assets} == {"PROCESSING", "READY", "FAILED"}
    assert sum(a["status"] == "READY" for a in assets) > len(assets) / 2
    newest = "2026-11-01T10:00:00Z" if shared.mode == "documented" else "2026-11-01T10:00:00.000Z"
    assert assets[0]["createdAt"] == newest
    assert len({a["id"] for a in assets}) == 24
    assert all(
        re.fullmatch(r"[a-z]+-[a-z]+-\d{4}\.(mp4|mov|png|jpg|mp3)", a["name"]) for a in assets
    )
    for asset in assets:
        has_files = asset["status"] == "READY"
        assert (asset["fileUrl"] is not None) == has_files == (asset["thumbnailUrl"] is not None)


def test_same_seed_same_bytes() -> None:
    def listing(seed: int, salt: int | None = 0) -> tuple[bytes, str]:
        box = Sandbox(seed=seed, initial_assets=300, upload_id_salt=salt)
        with box as sb, session_for(sb) as api:
            body = api.get(f"{sb.base_url}/assets", params={"pageSize": 100}).content
            created = api.post(f"{sb.base_url}/assets", json=UPLOAD).json()["id"]
            return body.replace(sb.url.encode(), b"ORIGIN"), created

    first, second, other = listing(3), listing(3), listing(4)
    assert first == second  # a fixed upload_id_salt makes upload ids reproducible too
    assert other[0] != first[0] and other[1] != first[1]
    salted = listing(3, salt=None)  # the default: seeded assets alike, upload ids not
    assert salted[0] == first[0] and salted[1] != first[1]


def test_twenty_thousand_assets_are_made_in_listing_order() -> None:
    # How quickly, and that paging them costs a slice a page: bench/bench_sandbox.py.
    assets = Sandbox(seed=1, initial_assets=20_000).assets()
    assert len(assets) == len({a["id"] for a in assets}) == 20_000
    stamps = [a["createdAt"] for a in assets]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 20_000


# -- files --------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    ihdr = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert zlib.crc32(b"IHDR" + ihdr) == crc
    width, height, depth, colour = struct.unpack(">IIBB", ihdr[:10])
    assert (depth, colour) == (8, 2)
    idat_length, idat = struct.unpack(">I4s", data[33:41])
    assert idat == b"IDAT"
    pixels = zlib.decompress(data[41 : 41 + idat_length])
    assert len(pixels) == height * (1 + 3 * width)
    assert data.endswith(b"IEND\xaeB`\x82")
    return width, height


def test_files_are_pngs_served_without_auth(shared: Sandbox) -> None:
    ready = [a for a in shared.assets() if a["status"] == "READY"]
    thumbs = set()
    for asset in ready[:4]:
        thumb = requests.get(asset["thumbnailUrl"], timeout=5)
        assert thumb.status_code == 200
        assert thumb.headers["Content-Type"] == "image/png"
        assert png_size(thumb.content) == (160, 90)
        thumbs.add(thumb.content)
        file = requests.get(asset["fileUrl"], timeout=5)
        assert png_size(file.content) == (480, 270)
    assert len(thumbs) == 4  # each asset looks different
    head = requests.head(ready[0]["thumbnailUrl"], timeout=5)
    assert head.status_code == 200 and head.content == b""


def test_files_only_for_ready_assets(shared: Sandbox) -> None:
    for asset in shared.assets():
        if asset["status"] != "READY":
            response = requests.get(f"{shared.url}/files/{asset['id']}/thumbnail.png", timeout=5)
            assert_error(response, 404)
    assert_error(requests.get(f"{shared.url}/files/{UNKNOWN_ID}.png", timeout=5), 404)
    assert_error(requests.get(f"{shared.url}/files/x.gif", timeout=5), 404)
    ready = next(a for a in shared.assets() if a["status"] == "READY")
    assert_error(requests.delete(ready["fileUrl"], timeout=5), 405)


# -- odd assets ---------------------------------------------------------------------------


def test_add_asset_is_served_verbatim(sb: Sandbox, api: requests.Session) -> None:
    odd = {
        "id": "0f0e0d0c-0b0a-4000-8000-000000000001",
        "name": None,
        "type": "GIF",
        "status": "READY",
        "fileUrl": "https://cdn.example/x.gif",
        "thumbnailUrl": None,
        "createdAt": "2030-01-01 00:00:00+01:00",
        "extra": {"nested": [1, 2]},
    }
    legacy = {"id": "legacy-1", "status": "ARCHIVED", "createdAt": "yesterday"}
    sb.add_asset(odd)
    sb.add_asset(legacy)
    response = api.get(f"{sb.base_url}/assets/{odd['id']}")
    assert response.json() == odd
    assert list(response.json()) == list(odd)
    assert api.get(f"{sb.base_url}/assets/legacy-1").json() == legacy
    listed = api.get(f"{sb.base_url}/assets").json()
    assert listed[0] == odd  # unfiltered by type: odd types list too
    assert legacy in sb.assets() and legacy not in listed
    sb.set_status("legacy-1", "READY")
    assert api.get(f"{sb.base_url}/assets/legacy-1").json()["status"] == "READY"
    with pytest.raises(ValueError):
        sb.add_asset({"name": "no id"})
