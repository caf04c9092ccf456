"""The response value the routing layer hands to the HTTP handler."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DROP", "Response", "error_response", "json_response"]


@dataclass(frozen=True)
class Response:
    """An HTTP response to write; ``drop=True`` means close the connection unanswered."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    def with_headers(self, extra: dict[str, str]) -> Response:
        """This response with ``extra`` headers too (the same one when there are none)."""
        if not extra or self.drop:
            return self
        return dataclasses.replace(self, headers={**self.headers, **extra})


DROP = Response(status=0, content_type=None, drop=True)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (compact separators, so equal data gives equal bytes)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (add_asset): send it \u-escaped, as JSON may
        body = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return Response(status=status, body=body, headers=dict(headers or {}))


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An Argil Error body: ``{"code": status, "message": message}``."""
    return json_response(status, {"code": status, "message": message}, headers)
