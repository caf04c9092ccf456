"""The sandbox's real responses against its OpenAPI document (argil_nb/sandbox/openapi.yaml)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest
import requests
import yaml

from argil_nb.sandbox import Sandbox

openapi_core = pytest.importorskip("openapi_core")
from openapi_core.contrib.requests import (  # noqa: E402
    RequestsOpenAPIRequest,
    RequestsOpenAPIResponse,
)
from openapi_core.validation.response.exceptions import ResponseValidationError  # noqa: E402
from openapi_schema_validator import OAS30Validator  # noqa: E402
from openapi_spec_validator import validate as validate_spec  # noqa: E402

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
UPLOAD = {"name": "clip.mp4", "type": "VIDEO", "url": "https://example.com/clip.mp4"}
RATE_HEADERS = {
    "ietf": {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"},
    "ietf-structured": {"RateLimit", "RateLimit-Policy"},
    "x": {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"},
}
MAX_PAGE = 2**31 - 1
VALID_ASSET = {
    "id": UNKNOWN_ID,
    "name": "a.png",
    "type": "IMAGE",
    "status": "PROCESSING",
    "fileUrl": None,
    "thumbnailUrl": None,
    "createdAt": "2026-11-01T10:00:00.000Z",
}

# Argil's Asset and Error schemas, from its get-asset.openapi.yaml (committed beside the
# sandbox as argil-get-asset.openapi.yaml); pinned here so an edit to either file shows.
ARGIL_ASSET = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string", "nullable": True},
        "type": {"type": "string", "enum": ["AUDIO", "IMAGE", "VIDEO"]},
        "status": {
            "type": "string",
            "enum": ["PROCESSING", "READY", "FAILED"],
            "description": "Processing status. Poll until READY before using as B-roll.",
        },
        "fileUrl": {
            "type": "string",
            "nullable": True,
            "description": "URL to access the asset. Null while processing.",
        },
        "thumbnailUrl": {
            "type": "string",
            "nullable": True,
            "description": "URL to a thumbnail image. Null while processing.",
        },
        "createdAt": {"type": "string", "format": "date-time"},
    },
}
ARGIL_ERROR = {
    "type": "object",
    "properties": {
        "code": {"type": "integer", "format": "int32"},
        "message": {"type": "string"},
    },
}


def load(name: str) -> dict[str, Any]:
    text = resources.files("argil_nb.sandbox").joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@pytest.fixture(scope="module", params=["documented", "friendly"])
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(mode=request.param, seed=4, initial_assets=40) as sandbox:
        yield sandbox


def friendly_only(sb: Sandbox) -> None:
    if sb.mode == "documented":
        pytest.skip("rate-limit headers are the friendly mode's extension: Argil documents none")


@pytest.fixture(scope="module")
def spec(sb: Sandbox) -> dict[str, Any]:
    data = load("openapi.yaml")
    data["servers"] = [{"url": sb.base_url}]
    return data


@pytest.fixture(scope="module")
def openapi(spec: dict[str, Any]) -> Any:
    return openapi_core.OpenAPI.from_dict(spec)


@pytest.fixture
def api(sb: Sandbox) -> Iterator[requests.Session]:
    sb.configure(
        rate_limit=None,
        burst=None,
        write_rate_limit=None,
        write_burst=None,
        rate_limit_headers=None,
        error_rate=0.0,
    )
    with requests.Session() as session:
        session.headers["x-api-key"] = sb.api_key
        yield session


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with every property required and no others allowed."""
    tight = copy.deepcopy(schema)
    tight["required"] = list(tight["properties"])
    tight["additionalProperties"] = False
    return tight


def check(
    openapi: Any, spec: dict[str, Any], response: requests.Response, *, request_ok: bool = False
) -> None:
    """Validate a real response (and, for well-formed calls, its request) against the spec."""
    request = RequestsOpenAPIRequest(response.request)
    if request_ok:
        openapi.validate_request(request)
    openapi.validate_response(request, RequestsOpenAPIResponse(response))
    # The Argil schemas require nothing; the sandbox always sends every field, and only them.
    schemas = spec["components"]["schemas"]
    if response.headers.get("Content-Type") == "application/json" and response.content:
        body = response.json()
        if response.status_code >= 400:
            OAS30Validator(strict(schemas["Error"])).validate(body)
            assert body["code"] == response.status_code
        else:
            for asset in body if isinstance(body, list) else [body]:
                OAS30Validator(strict(schemas["Asset"])).validate(asset)


def test_the_document_is_valid_and_keeps_argils_schemas() -> None:
    ours, argil = load("openapi.yaml"), load("argil-get-asset.openapi.yaml")
    validate_spec(ours)
    assert argil["components"]["schemas"] == {"Asset": ARGIL_ASSET, "Error": ARGIL_ERROR}
    assert ours["components"]["schemas"]["Asset"] == ARGIL_ASSET
    assert ours["components"]["schemas"]["Error"] == ARGIL_ERROR
    assert ours["components"]["securitySchemes"] == argil["components"]["securitySchemes"]
    assert ours["security"] == argil["security"]
    # Argil's documented responses of GET /assets/{id} are kept.
    theirs = argil["paths"]["/assets/{id}"]["get"]["responses"]
    mine = ours["paths"]["/assets/{id}"]["get"]["responses"]
    ok = dict(mine["200"])
    added = ok.pop("headers")  # only the optional rate-limit headers are added
    assert set(added) == set().union(*RATE_HEADERS.values())
    assert ok == theirs["200"]
    assert set(theirs) <= set(mine)
    assert set(ours["paths"]) == {"/assets", "/assets/{id}"}
    assert set(ours["paths"]["/assets"]) == {"get", "post"}
    assert set(ours["paths"]["/assets/{id}"]) == {"parameters", "get", "delete"}


def test_get_asset_responses(
    sb: Sandbox, openapi: Any, spec: dict[str, Any], api: requests.Session
) -> None:
    for asset in sb.assets()[:10]:  # every status, so null and set URLs
        check(openapi, spec, api.get(f"{sb.base_url}/assets/{asset['id']}"), request_ok=True)
    check(openapi, spec, api.get(f"{sb.base_url}/assets/{UNKNOWN_ID}"), request_ok=True)
    check(openapi, spec, api.get(f"{sb.base_url}/assets/not-a-uuid"))
    check(openapi, spec, requests.get(f"{sb.base_url}/assets/{UNKNOWN_ID}", timeout=5))


def test_list_responses(
    sb: Sandbox, openapi: Any, spec: dict[str, Any], api: requests.Session
) -> None:
    url = f"{sb.base_url}/assets"
    for params in (
        {},
        {"type": ["VIDEO", "IMAGE"], "status": ["READY", "FAILED", "PROCESSING"]},
        {"page": 2, "pageSize": 5},
        {"page": 99},
    ):
        response = api.get(url, params=params)
        assert response.status_code == 200
        check(openapi, spec, response, request_ok=True)
    check(openapi, spec, api.get(url, params={"pageSize": 500}))
    check(openapi, spec, requests.get(url, timeout=5))


def test_create_and_delete_responses(
    sb: Sandbox, openapi: Any, spec: dict[str, Any], api: requests.Session
) -> None:
    url = f"{sb.base_url}/assets"
    created = api.post(url, json=UPLOAD)
    assert created.status_code == 201
    check(openapi, spec, created, request_ok=True)
    check(openapi, spec, api.post(url, json={**UPLOAD, "type": "AUDIO"}))
    check(openapi, spec, requests.post(url, json=UPLOAD, timeout=5))
    asset_url = f"{url}/{created.json()['id']}"
    deleted = api.delete(asset_url)
    assert deleted.status_code == 204
    check(openapi, spec, deleted, request_ok=True)
    check(openapi, spec, api.delete(asset_url), request_ok=True)
    check(openapi, spec, api.delete(f"{url}/nope"))


def test_rate_limit_and_server_error_responses(
    sb: Sandbox, openapi: Any, spec: dict[str, Any], api: requests.Session
) -> None:
    sb.configure(rate_limit=0.1, burst=1)
    api.get(f"{sb.base_url}/assets")
    limited = api.get(f"{sb.base_url}/assets")
    assert limited.status_code == 429
    check(openapi, spec, limited, request_ok=True)
    sb.configure(rate_limit=None, error_rate=1.0, fault_seed=3)
    seen = set()
    for method, path in [
        ("GET", "/assets"),
        ("POST", "/assets"),
        ("DELETE", f"/assets/{UNKNOWN_ID}"),
    ]:
        for _ in range(12):
            response = api.request(
                method, sb.base_url + path, json=UPLOAD if method == "POST" else None
            )
            check(openapi, spec, response)
            seen.add((response.status_code, response.headers["Content-Type"]))
    assert {status for status, _ in seen} == {500, 502, 503}
    assert {kind for _, kind in seen} == {"application/json", "text/html"}


def test_responses_outside_the_document_are_errors(sb: Sandbox, api: requests.Session) -> None:
    error = strict(ARGIL_ERROR)
    for response in (
        api.put(f"{sb.base_url}/assets"),
        api.get(f"{sb.base_url}/videos"),
        api.get(f"{sb.url}/files/{UNKNOWN_ID}.png"),
    ):
        assert response.status_code in (404, 405)
        OAS30Validator(error).validate(response.json())


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        (f"/assets/{UNKNOWN_ID}", {"id": 5}, {}),  # wrong type
        (f"/assets/{UNKNOWN_ID}", {"status": "DONE"}, {}),  # not in the enum
        (f"/assets/{UNKNOWN_ID}", {"id": "x"}, {}),  # not a uuid
        (f"/assets/{UNKNOWN_ID}", {"createdAt": "yesterday"}, {}),  # not a date-time
        ("/assets", [], {}),  # pagination headers missing
        ("/assets", {"assets": []}, {"X-Total-Count": "0", "X-Page": "1"}),
        (f"/assets/{UNKNOWN_ID}", VALID_ASSET, {"RateLimit": "read;r=1;t=1"}),  # unquoted
        (f"/assets/{UNKNOWN_ID}", VALID_ASSET, {"RateLimit-Policy": "10;w=0"}),
        (f"/assets/{UNKNOWN_ID}", VALID_ASSET, {"X-RateLimit-Remaining": "-1"}),
    ],
)
def test_the_validation_catches_a_wrong_response(
    sb: Sandbox,
    openapi: Any,
    api: requests.Session,
    path: str,
    body: Any,
    headers: dict[str, str],
) -> None:
    # Guards the tests above against validating nothing: a canned wrong answer must fail.
    sb.respond_next(200, body, headers=headers)
    response = api.get(sb.base_url + path)
    with pytest.raises(ResponseValidationError):
        openapi.validate_response(
            RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response)
        )


def documented_headers(spec: dict[str, Any], path: str, method: str, status: int) -> set[str]:
    """The header names the document gives the answer ``status`` of ``method path``."""
    response = spec["paths"][path][method.lower()]["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return set(response.get("headers", {}))


@pytest.mark.parametrize("family", ["ietf", "ietf-structured", "x"])
def test_rate_limit_headers_are_documented_and_valid(
    sb: Sandbox, openapi: Any, spec: dict[str, Any], api: requests.Session, family: str
) -> None:
    friendly_only(sb)
    sb.configure(rate_limit=100.0, write_rate_limit=100.0, rate_limit_headers=family)
    url = f"{sb.base_url}/assets"
    created = api.post(url, json=UPLOAD)
    asset_url = f"{url}/{created.json()['id']}"
    calls = [
        ("/assets", created, True),
        ("/assets", api.post(url, json={**UPLOAD, "type": "AUDIO"}), False),
        ("/assets", api.get(url, params={"page": 2, "pageSize": 5}), True),
        ("/assets", api.get(url, params={"pageSize": 500}), False),
        ("/assets/{id}", api.get(asset_url), True),
        ("/assets/{id}", api.get(f"{url}/not-a-uuid"), False),
        ("/assets/{id}", api.delete(asset_url), True),
        ("/assets/{id}", api.delete(asset_url), True),
    ]
    for path, response, request_ok in calls:
        check(openapi, spec, response, request_ok=request_ok)
        sent = RATE_HEADERS[family] & set(response.headers)
        assert sent == RATE_HEADERS[family], (path, response.status_code)
        method = response.request.method or ""
        assert sent <= documented_headers(spec, path, method, response.status_code)
    sb.configure(rate_limit=0.1, burst=1, write_rate_limit=0.1, write_burst=1)
    for method, path in (("GET", "/assets"), ("DELETE", "/assets/{id}")):
        target = sb.base_url + path.replace("{id}", UNKNOWN_ID)
        api.request(method, target)
        limited = api.request(method, target)
        assert limited.status_code == 429
        check(openapi, spec, limited, request_ok=True)
        assert RATE_HEADERS[family] <= set(limited.headers)
        assert RATE_HEADERS[family] <= documented_headers(spec, path, method, 429)
    sb.configure(error_rate=1.0, fault_seed=3, rate_limit=None, write_rate_limit=None)
    sb.rate_limit = 1000.0
    for _ in range(10):  # 500, 502 and 503 all carry and document them
        failed = api.get(url)
        check(openapi, spec, failed)
        assert RATE_HEADERS[family] <= documented_headers(
            spec, "/assets", "GET", failed.status_code
        )


def test_other_methods_match_the_documented_405(
    sb: Sandbox, spec: dict[str, Any], api: requests.Session
) -> None:
    component = spec["components"]["responses"]["MethodNotAllowed"]
    allow_schema = component["headers"]["Allow"]["schema"]
    friendly_only(sb)
    sb.configure(write_rate_limit=50.0, rate_limit_headers="x")
    for method, path in [
        ("TRACE", "/assets"),
        ("PATCH", f"/assets/{UNKNOWN_ID}"),
        ("FOO", "/assets"),
        ("POST", f"/assets/{UNKNOWN_ID}"),
        ("DELETE", "/assets"),
    ]:
        response = api.request(method, sb.base_url + path)
        assert response.status_code == 405
        assert response.headers["Content-Type"] == "application/json"
        OAS30Validator(strict(ARGIL_ERROR)).validate(response.json())
        OAS30Validator(allow_schema).validate(response.headers["Allow"])
        assert method not in response.headers["Allow"]
        has_bucket = method in ("POST", "DELETE")  # the write bucket applied
        assert ("X-RateLimit-Limit" in response.headers) == has_bucket
        assert set(response.headers) & set(RATE_HEADERS["x"]) <= set(component["headers"])


def test_the_page_range_is_documented(
    sb: Sandbox, openapi: Any, spec: dict[str, Any], api: requests.Session
) -> None:
    page = next(p for p in spec["paths"]["/assets"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["maximum"] == MAX_PAGE
    last = api.get(f"{sb.base_url}/assets", params={"page": MAX_PAGE})
    assert last.status_code == 200 and last.json() == []
    check(openapi, spec, last, request_ok=True)
    for value in (MAX_PAGE + 1, 10**29):
        beyond = api.get(f"{sb.base_url}/assets", params={"page": value})
        assert beyond.status_code == 400 and str(MAX_PAGE) in beyond.json()["message"]
        check(openapi, spec, beyond)
        with pytest.raises(Exception, match="page"):
            openapi.validate_request(RequestsOpenAPIRequest(beyond.request))
