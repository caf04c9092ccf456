"""Canned responses: raw answers queued for the next matching API requests (``respond_next``)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from ..responses import Response

__all__ = ["CannedResponses", "canned_response"]


def canned_response(
    status: int,
    body: bytes | str | dict[str, Any] | list[Any],
    headers: dict[str, str] | None,
    content_type: str | None,
) -> Response:
    """Build a raw response; a dict or list body is sent as JSON, text as UTF-8."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return Response(status, body, content_type, dict(headers or {}))


@dataclass
class _Canned:
    response: Response
    remaining: int
    path_prefix: str | None
    method: str | None


class CannedResponses:
    """A FIFO of raw responses for the next matching API requests."""

    def __init__(self) -> None:
        self._items: list[_Canned] = []
        self._lock = threading.Lock()

    def push(
        self, response: Response, times: int, path_prefix: str | None, method: str | None
    ) -> None:
        """Queue ``response`` for the next ``times`` requests matching the filters.

        ``path_prefix`` is matched against the path under ``/v1`` or the full path.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if path_prefix is not None and not (path_prefix == "/v1" or path_prefix.startswith("/v1/")):
            path_prefix = "/v1" + ("" if path_prefix.startswith("/") else "/") + path_prefix
        method = method.upper() if method else None
        with self._lock:
            self._items.append(_Canned(response, times, path_prefix, method))

    def pop(self, method: str, path: str) -> Response | None:
        """Take the first queued response matching this request, or None."""
        with self._lock:
            for item in self._items:
                if item.method is not None and item.method != method:
                    continue
                if item.path_prefix is not None and not path.startswith(item.path_prefix):
                    continue
                item.remaining -= 1
                if item.remaining == 0:
                    self._items.remove(item)
                return item.response
        return None

    def clear(self) -> None:
        """Forget every queued response."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(item.remaining for item in self._items)
