"""Routing: turns one parsed HTTP request into a ``Response``, faults included.

The order for an API request (under ``/v1``): live events due by now, canned response,
latency, drop, stall, authentication, token bucket (read for GET, write for POST and
DELETE), random 429 (throttle), per-request churn, injected error, then the route itself.
Canned responses bypass everything; an injected error on ``POST /assets`` may come after the
asset was created. Every answer from the token bucket on carries the rate-limit headers of
the bucket that applied, when a header family is configured.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from .faults.canned import CannedResponses
from .faults.config import SandboxConfig
from .faults.live import LiveAccount
from .faults.random_faults import Fault, FaultInjector
from .faults.ratelimit import TokenBucket, limit_headers, retry_after
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


def _classify(method: str, path: str) -> tuple[str, str | None, ApiError | None]:
    """Return (route, asset id, routing error) for a path under /v1."""
    if path == "/v1/assets":
        if method in ("GET", "POST"):
            return ("list" if method == "GET" else "create"), None, None
        allow = {"Allow": "GET, POST"}
        return "other", None, ApiError(405, f"Method {method} not allowed on /assets", allow)
    if path.startswith(_ASSET_PATH):
        asset_id = unquote(path[len(_ASSET_PATH) :])
        if asset_id and "/" not in asset_id:
            if method in ("GET", "DELETE"):
                return ("get" if method == "GET" else "delete"), asset_id, None
            allow = {"Allow": "GET, DELETE"}
            message = f"Method {method} not allowed on /assets/{{id}}"
            return "other", asset_id, ApiError(405, message, allow)
    return "other", None, ApiError(404, f"Not found: {path}")


class App:
    """The sandbox's request handling, independent of the HTTP server.

    Parameters
    ----------
    store : AssetStore
        The assets.
    api_key : str
        The key every API request must send in ``x-api-key``.
    config : SandboxConfig
        Fault options; replace the attribute to reconfigure.
    fault_seed : int or None
        Seed of the fault RNG.
    rate_clock : callable
        Seconds driving both token buckets.
    live : LiveAccount or None
        The live account changing ``store`` (its churn comes before each request); None:
        a quiet one.
    """

    def __init__(
        self,
        store: AssetStore,
        api_key: str,
        config: SandboxConfig,
        fault_seed: int | None,
        rate_clock: Callable[[], float] = time.monotonic,
        live: LiveAccount | None = None,
    ) -> None:
        self.store = store
        self.api_key = api_key
        self.config = config
        self.live = live or LiveAccount(None)
        self.stats = Stats()
        self.canned = CannedResponses()
        self.injector = FaultInjector(fault_seed)
        self.buckets = {"read": TokenBucket(rate_clock), "write": TokenBucket(rate_clock)}
        self.stopping = threading.Event()  # set by Sandbox.stop() to cut waits short

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
        method, path = request.method, request.path
        if path.startswith("/files/"):
            self.stats.request("file")
            return self._file(method, path)
        if not (path == "/v1" or path.startswith("/v1/")):
            self.stats.request("other")
            raise ApiError(404, f"Not found: {path}")
        route, asset_id, route_error = _classify(method, path)
        self.stats.request(route)
        self.store.advance()
        canned = self.canned.pop(method, path)
        if canned is not None:
            self.stats.fault("canned")
            return canned
        config = self.config
        if config.latency and self.stopping.wait(config.latency):
            return DROP
        fault = self.injector.draw(config, method)
        if fault is not None and fault.kind == "drop":
            self.stats.fault("dropped")
            return DROP
        if fault is not None and fault.kind == "stall":
            self.stats.fault("stalled")
            if self.stopping.wait(config.stall_seconds):
                return DROP
        self._authenticate(request.headers)
        headers = self._take_token(config, method)
        try:
            response = self._admitted(fault, route, asset_id, route_error, request)
        except ApiError as exc:
            response = error_response(exc.status, exc.message, exc.headers)
        if headers and not response.drop:
            response = dataclasses.replace(response, headers={**response.headers, **headers})
        return response

    def _admitted(
        self,
        fault: Fault | None,
        route: str,
        asset_id: str | None,
        route_error: ApiError | None,
        request: Request,
    ) -> Response:
        """Answer a request that got past authentication and the token bucket."""
        if fault is not None and fault.kind == "throttle":
            self.stats.fault("throttled")
            message = "Too many requests: throttled (injected by the sandbox)"
            raise ApiError(429, message, {"Retry-After": "1"})
        self.live.churn(self.store)
        if fault is not None and fault.kind == "error":
            self.stats.fault("error")
            if fault.after and route == "create":
                with contextlib.suppress(ApiError):  # the asset exists, the client sees a 5xx
                    self._route(route, asset_id, request)
            return fault.response()
        if route_error is not None:
            raise route_error
        return self._route(route, asset_id, request)

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        given = headers.get("x-api-key")
        if not given:
            raise ApiError(401, "Missing API key: send it in the x-api-key header")
        expected = self.api_key.encode("utf-8")
        if not hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected):
            raise ApiError(401, "Invalid API key")

    def _take_token(self, config: SandboxConfig, method: str) -> dict[str, str]:
        """Take a token from the method's bucket; return its headers, or raise a 429."""
        limit = config.limit_for(method)
        if limit is None:
            return {}
        state = self.buckets[limit.name].take(limit.rate, limit.size)
        headers = limit_headers(config.rate_limit_headers, limit, state)
        if not state.allowed:
            self.stats.fault("rate_limited", f"rate_limited_{limit.name}s")
            message = f"Too many requests: {limit.name} rate limit exceeded"
            raise ApiError(429, message, {"Retry-After": retry_after(state.wait), **headers})
        return headers

    def _route(self, route: str, asset_id: str | None, request: Request) -> Response:
        store, origin = self.store, request.origin
        if route == "list":
            single = self.config.repeated_status if store.documented else None
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
        if route == "create":
            name, kind, url = parse_create(request.body)
            record = store.create(name, kind, url)
            return json_response(201, record.to_json(origin))
        assert asset_id is not None
        key = self._lookup_key(asset_id)
        if route == "get":
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
