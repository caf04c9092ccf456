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


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=4, initial_assets=40) as sandbox:
        yield sandbox


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
    sb.configure(rate_limit=None, error_rate=0.0)
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
    assert mine["200"] == theirs["200"]
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
