"""Routing: turns one parsed HTTP request into a ``Response``.

The plain path of an API request (under ``/v1``): classify the route, authenticate
(``x-api-key``), then the route itself: validation, the store, the answer Argil documents.
The fault injection (``faults/``) has a stage at each point where it applies, named in
``App._api``: a canned answer, latency, a drop or a stall, the token bucket, a random 429,
the live account's churn, an injected 5xx; all off by default. The files behind
``fileUrl`` and ``thumbnailUrl`` take no key and meet no fault.
"""

from __future__ import annotations

import functools
import hmac
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote

from .faults import Faults, SandboxConfig
from .images import FILE_SIZE, THUMBNAIL_SIZE, asset_png
from .records import is_uuid
from .responses import DROP, Response, error_response, json_response
from .stats import Stats
from .store import AssetStore
from .validation import ApiError, parse_create, parse_list_query

__all__ = ["App", "Request"]

_ASSET_PATH = "/v1/assets/"
_FILE_RE = re.compile(r"/files/([^/]+)(\.png|/thumbnail\.png)")


@dataclass(frozen=True)
class Request:
    """One HTTP request, already read off the socket.

    ``origin`` is ``http://host:port`` of the sandbox, for absolute file URLs.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    origin: str


class _Route(NamedTuple):
    name: str  # get, list, create, delete, or other (answered with ``error``)
    asset_id: str | None = None
    error: ApiError | None = None


def _classify(method: str, path: str) -> _Route:
    """The route of a request to a path under /v1."""
    if path == "/v1/assets":
        if method in ("GET", "POST"):
            return _Route("list" if method == "GET" else "create")
        allow = {"Allow": "GET, POST"}
        return _Route(
            "other", None, ApiError(405, f"Method {method} not allowed on /assets", allow)
        )
    if path.startswith(_ASSET_PATH):
        asset_id = unquote(path[len(_ASSET_PATH) :])
        if asset_id and "/" not in asset_id:
            if method in ("GET", "DELETE"):
                return _Route("get" if method == "GET" else "delete", asset_id)
            message = f"Method {method} not allowed on /assets/{{id}}"
            return _Route("other", asset_id, ApiError(405, message, {"Allow": "GET, DELETE"}))
    return _Route("other", None, ApiError(404, f"Not found: {path}"))


class App:
    """The sandbox's request handling, independent of the HTTP server.

    Parameters
    ----------
    store : AssetStore
        The assets.
    api_key : str
        The key every API request must send in ``x-api-key``.
    faults : Faults
        The fault injection, and its options (``faults.config``).
    stats : Stats
        The request and response counters.
    """

    def __init__(self, store: AssetStore, api_key: str, faults: Faults, stats: Stats) -> None:
        self.store = store
        self.api_key = api_key
        self.faults = faults
        self.stats = stats

    def handle(self, request: Request) -> Response:
        """Answer one request (``DROP``: close the connection without an answer)."""
        try:
            response = self._handle(request)
        except ApiError as exc:
            response = error_response(exc.status, exc.message, exc.headers)
        if not response.drop:
            self.stats.response(response.status)
        return response

    def _handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/files/"):
            self.stats.request("file")
            return self._file(request.method, path)
        if not (path == "/v1" or path.startswith("/v1/")):
            self.stats.request("other")
            raise ApiError(404, f"Not found: {path}")
        return self._api(request)

    def _api(self, request: Request) -> Response:
        """An API request: the plain path, with the fault stages where they apply."""
        method, path = request.method, request.path
        route = _classify(method, path)
        self.stats.request(route.name)
        self.store.advance()  # what is due by now: processing outcomes, live events
        faults, config = self.faults, self.faults.config  # one set of options per request
        canned = faults.canned_answer(method, path)  # bypasses everything below
        if canned is not None:
            return canned
        if faults.delay(config):  # latency, cut short by stop()
            return DROP
        fault = faults.draw(config, method)  # at most one random fault per request
        if faults.cut(config, fault):  # dropped, or stalled and then stopped
            return DROP
        self._authenticate(request.headers)
        headers = faults.take_token(config, method)  # a 429 past the bucket; its headers
        answer = functools.partial(self._route, route, request, config)
        try:
            faults.throttle(fault)  # a random 429
            faults.churn(self.store)  # the live account's changes, before each request
            injected = faults.error(fault, answer if route.name == "create" else None)
            response = answer() if injected is None else injected  # the route, or a 5xx
        except ApiError as exc:
            response = error_response(exc.status, exc.message, exc.headers)
        return response.with_headers(headers)

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        given = headers.get("x-api-key")
        if not given:
            raise ApiError(401, "Missing API key: send it in the x-api-key header")
        expected = self.api_key.encode("utf-8")
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
            raise ApiError(401, "Invalid API key")

    def _route(self, route: _Route, request: Request, config: SandboxConfig) -> Response:
        """The plain answer: what Argil documents for this route."""
        if route.error is not None:
            raise route.error
        store, origin = self.store, request.origin
        if route.name == "list":
            single = config.repeated_status if store.documented else None
            query = parse_list_query(request.query, single)
            items, total = store.page(
                query.types, query.statuses, query.page, query.page_size, origin
            )
            headers = {
                "X-Total-Count": str(total),
                "X-Page": str(query.page),
                "X-Page-Size": str(query.page_size),
                "X-Total-Pages": str(math.ceil(total / query.page_size)),
            }
            return json_response(200, items, headers)
        if route.name == "create":
            name, kind, url = parse_create(request.body)
            record = store.create(name, kind, url)
            return json_response(201, record.to_json(origin))
        asset_id = route.asset_id
        assert asset_id is not None
        key = self._lookup_key(asset_id)
        if route.name == "get":
            asset = store.get_json(key, origin)
            if asset is None:
                raise ApiError(404, f"Asset {asset_id} not found")
            return json_response(200, asset)
        if not store.delete(key):
            raise ApiError(404, f"Asset {asset_id} not found")
        return Response(204, b"", None)

    def _lookup_key(self, asset_id: str) -> str:
        """The store key of a path id: verbatim if stored (odd ids from add_asset), else a UUID."""
        if asset_id in self.store:
            return asset_id
        if not is_uuid(asset_id):
            raise ApiError(400, f"Invalid asset id {asset_id!r}: expected a UUID")
        return asset_id.lower()

    def _file(self, method: str, path: str) -> Response:
        match = _FILE_RE.fullmatch(path)
        if match is None:
            raise ApiError(404, f"Not found: {path}")
        if method not in ("GET", "HEAD"):
            raise ApiError(405, f"Method {method} not allowed on files", {"Allow": "GET, HEAD"})
        asset_id = unquote(match.group(1))
        asset_type = self.store.ready_type(asset_id)
        if asset_type is None:
            raise ApiError(404, f"No file for asset {asset_id} (missing or not READY)")
        size = THUMBNAIL_SIZE if match.group(2) != ".png" else FILE_SIZE
        body = asset_png(asset_id, asset_type, size)
        return Response(200, body, "image/png", {"Cache-Control": "public, max-age=60"})
