"""Protocol corners of the sandbox found by schemathesis, and ids across instances."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from argil_nb.sandbox import Sandbox

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UPLOAD = {"name": "clip.mp4", "type": "VIDEO", "url": "https://example.com/clip.mp4"}
MAX_PAGE = 2**31 - 1


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=7, clock=lambda: 0.0) as sandbox:
        yield sandbox


def assert_json_error(response: requests.Response, status: int, *words: str) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == status and isinstance(body["message"], str)
    for word in words:
        assert word in body["message"]


@pytest.mark.parametrize("method", ["TRACE", "PATCH", "PUT", "FOO", "CONNECT", "PROPFIND"])
@pytest.mark.parametrize(
    ("path", "allow"),
    [("/assets", "GET, POST"), (f"/assets/{UNKNOWN_ID}", "GET, DELETE")],
)
def test_any_other_method_is_a_json_405(
    sb: Sandbox, api: requests.Session, method: str, path: str, allow: str
) -> None:
    response = api.request(method, sb.base_url + path)
    assert_json_error(response, 405, method)
    assert response.headers["Allow"] == allow


def test_other_methods_on_files_and_elsewhere(sb: Sandbox, api: requests.Session) -> None:
    ready = next(a for a in sb.assets() if a["status"] == "READY")
    trace = requests.request("TRACE", ready["fileUrl"], timeout=5)
    assert_json_error(trace, 405)
    assert trace.headers["Allow"] == "GET, HEAD"
    assert_json_error(api.request("FOO", f"{sb.base_url}/videos"), 404)
    assert_json_error(requests.request("TRACE", f"{sb.base_url}/assets", timeout=5), 401)


@pytest.mark.parametrize("page", [str(10**29), str(MAX_PAGE + 1), "9" * 5000, "0", "00"])
def test_a_page_out_of_range_is_a_400_that_states_the_range(
    sb: Sandbox, api: requests.Session, page: str
) -> None:
    response = api.get(f"{sb.base_url}/assets?page={page}")
    assert_json_error(response, 400, "page", f"from 1 to {MAX_PAGE}")
    assert len(response.text) < 300  # the value is cut, not echoed whole


def test_the_largest_page_is_an_empty_page(sb: Sandbox, api: requests.Session) -> None:
    for page in (str(MAX_PAGE), "0" * 30 + "2"):
        response = api.get(f"{sb.base_url}/assets?page={page}")
        assert response.status_code == 200
        expected = [] if page == str(MAX_PAGE) else response.json()
        assert response.json() == expected
        assert response.headers["X-Page"] == str(int(page))
    assert_json_error(api.get(f"{sb.base_url}/assets?pageSize=101"), 400, "from 1 to 100")


def test_sandboxes_hand_out_different_upload_ids() -> None:
    first, second = Sandbox(seed=0), Sandbox(seed=0)
    assert [a["id"] for a in first.assets()] == [a["id"] for a in second.assets()]
    with first, second, requests.Session() as api:
        ids = []
        for box in (first, second):
            api.headers["x-api-key"] = box.api_key
            ids.append(api.post(f"{box.base_url}/assets", json=UPLOAD).json()["id"])
        assert ids[0] != ids[1]
        api.headers["x-api-key"] = first.api_key  # the wrong sandbox knows no such id
        assert api.get(f"{first.base_url}/assets/{ids[1]}").status_code == 404


def test_a_fixed_salt_gives_reproducible_upload_ids() -> None:
    def upload_ids(salt: int) -> list[str]:
        box = Sandbox(seed=0, initial_assets=0, upload_id_salt=salt)
        with box, requests.Session() as api:
            api.headers["x-api-key"] = box.api_key
            return [api.post(f"{box.base_url}/assets", json=UPLOAD).json()["id"] for _ in range(3)]

    assert upload_ids(5) == upload_ids(5)
    assert set(upload_ids(5)).isdisjoint(upload_ids(6))
    assert all(i[14] == "4" and i[19] in "89ab" for i in upload_ids(2**128 - 1))  # still v4
