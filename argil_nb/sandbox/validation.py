"""Validation of request bodies, query strings and ids; failures raise ``ApiError``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from .records import ASSET_TYPES, STATUSES, UPLOAD_TYPES

__all__ = ["ApiError", "ListQuery", "parse_create", "parse_list_query"]

_INT_RE = re.compile(r"[0-9]+")
MAX_NAME = 256
MAX_URL = 2048
MAX_PAGE = 2**31 - 1  # int32, as the OpenAPI document says
MAX_PAGE_SIZE = 100


class ApiError(Exception):
    """An error answered as ``{"code": status, "message": message}``.

    Parameters
    ----------
    status : int
        HTTP status code.
    message : str
        Human-readable message (never contains the API key).
    headers : dict, optional
        Extra response headers, e.g. ``Allow`` or ``Retry-After``.
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass(frozen=True)
class ListQuery:
    """The parsed query of ``GET /assets``; ``types=None`` means every type."""

    types: tuple[str, ...] | None = None
    statuses: tuple[str, ...] = ("READY",)
    page: int = 1
    page_size: int = 20


def _bad(field: str, reason: str) -> ApiError:
    return ApiError(400, f"Invalid '{field}': {reason}")


def parse_create(body: bytes) -> tuple[str, str, str]:
    """Validate a ``POST /assets`` body.

    Returns
    -------
    tuple of str
        ``(name, type, url)``.

    Raises
    ------
    ApiError
        400 for a body that is not a JSON object, or a missing or invalid field.
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Request body must be a JSON object")
    for field in ("name", "type", "url"):
        if field not in data:
            raise _bad(field, "is required")
    name, kind, url = data["name"], data["type"], data["url"]
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        raise _bad("name", f"must be a string of 1 to {MAX_NAME} characters")
    if kind not in UPLOAD_TYPES:
        hint = " (audio upload is not supported)" if kind == "AUDIO" else ""
        raise _bad("type", f"must be one of {', '.join(UPLOAD_TYPES)}{hint}")
    if not isinstance(url, str) or len(url) > MAX_URL:
        raise _bad("url", f"must be an http(s) URI of at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _bad("url", "must be an http(s) URI") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad("url", "must be an http(s) URI")
    return name, kind, url


def _int(params: dict[str, list[str]], field: str, default: int, high: int) -> int:
    values = params.get(field)
    if not values:
        return default
    if len(values) > 1:
        raise _bad(field, "must be given once")
    text = values[0]
    # Zeros stripped ("0" gives ""), and the length checked first: no huge string to int().
    digits = text.lstrip("0") if _INT_RE.fullmatch(text) else ""
    if not digits or len(digits) > len(str(high)) or int(digits) > high:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise _bad(field, f"must be an integer from 1 to {high}, got {shown!r}")
    return int(digits)


def _enum(
    params: dict[str, list[str]], field: str, allowed: tuple[str, ...]
) -> tuple[str, ...] | None:
    values = params.get(field)
    if not values:
        return None
    for value in values:
        if value not in allowed:
            raise _bad(field, f"must be one of {', '.join(allowed)}, got {value!r}")
    return tuple(dict.fromkeys(values))


REPEATED_STATUS = ("first", "last", 400, 500)
"""How the documented mode answers a repeated ``status``: as a server that never heard of it
would, taking the first or the last value, or refusing with a 400 or a 500."""


def parse_list_query(query: str, repeated_status: str | int | None = None) -> ListQuery:
    """Parse the query string of ``GET /assets``.

    ``type`` may repeat; ``status`` too when ``repeated_status`` is None (the friendly
    mode's extension), else a repeated one is answered as it says (:data:`REPEATED_STATUS`);
    ``status`` defaults to READY; unknown parameters are ignored.

    Raises
    ------
    ApiError
        400 for an invalid value (or a repeated status), 500 for a repeated status.
    """
    try:
        params = parse_qs(query, keep_blank_values=True, strict_parsing=False)
    except ValueError:
        raise ApiError(400, "Malformed query string") from None
    given = params.get("status", [])
    if repeated_status is not None and len(given) > 1:
        if repeated_status == 400:
            raise _bad("status", f"must be one value, got {len(given)}")
        if repeated_status == 500:
            raise ApiError(500, "Internal server error")
        params["status"] = [given[0] if repeated_status == "first" else given[-1]]
    return ListQuery(
        types=_enum(params, "type", ASSET_TYPES),
        statuses=_enum(params, "status", STATUSES) or ("READY",),
        page=_int(params, "page", 1, MAX_PAGE),
        page_size=_int(params, "pageSize", 20, MAX_PAGE_SIZE),
    )
