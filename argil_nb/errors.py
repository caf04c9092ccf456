"""The argil_nb error tree, and the mapping from an HTTP response to it.

::

    ArgilError
    ├── APIError                  an HTTP answer that is not a success
    │   ├── AuthenticationError   401, 403: missing, wrong or unauthorised key
    │   ├── AssetNotFound         404 (``.asset_id``)
    │   ├── RateLimitError        429 (``.retry_after``)
    │   ├── ServerError           5xx
    │   └── InvalidResponse       2xx whose body is not what the API documents
    ├── APIConnectionError        network failures and timeouts
    ├── InvalidAssetId            also a ValueError: raised before any request
    ├── InvalidArgument           also a ValueError: any other bad input, before any request
    ├── WaitTimeout               ``.frame``: the last frame seen
    ├── BatchError                ``.frame``: the rows that worked; ``.errors``: id -> exception
    └── JournalError              an upload journal could not be written (``.path``)

Warnings (:class:`ArgilWarning`, a ``UserWarning``) say what a call did that its caller
should know (rows skipped, a listing not shown complete); :func:`warn` points them at the
user's own line, so a notebook shows each where it came from.

Every :class:`APIError` carries the status code, the method, the URL path and the server's
message. None of them ever holds the API key: the request headers are not kept.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import requests

__all__ = [
    "APIConnectionError",
    "APIError",
    "ArgilError",
    "ArgilWarning",
    "AssetNotFound",
    "AuthenticationError",
    "BatchError",
    "InvalidArgument",
    "InvalidAssetId",
    "InvalidResponse",
    "JournalError",
    "RateLimitError",
    "ServerError",
    "WaitTimeout",
    "error_from_response",
    "retold",
    "sentence",
    "warn",
]

_MAX_MESSAGE = 300


class ArgilError(Exception):
    """Root of every error argil_nb raises on purpose."""


class ArgilWarning(UserWarning):
    """What a call did that you should know: rows skipped, a listing not shown complete."""


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class IncompleteListing(ArgilWarning):
    """A listing could not be shown complete within its budget (the account changed faster
    than it could be read): the frame holds what was seen, and some assets may be missing."""


def warn(message: str, category: type[ArgilWarning] = ArgilWarning) -> None:
    """Warn with ``category``, attributed to the first caller outside argil_nb."""
    level, frame = 2, sys._getframe(1)  # 2: warn()'s caller
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        level, frame = level + 1, frame.f_back  # type: ignore[assignment]
    warnings.warn(message, category, stacklevel=level)


class APIError(ArgilError):
    """The API answered, but not with a success.

    Attributes
    ----------
    status_code, method, path, message
        What was asked (method and URL path, never the query's secrets or headers) and what the
        server said.
    """

    def __init__(self, status_code: int, method: str, path: str, message: str) -> None:
        self.status_code = status_code
        self.method = method
        self.path = path
        self.message = message
        super().__init__(f"{status_code} on {method} {path}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.status_code, self.method, self.path, self.message))


class AuthenticationError(APIError):
    """401 or 403: the key is missing, wrong, or not allowed to do this."""


class AssetNotFound(APIError):
    """404: no asset with that id in this account."""

    def __init__(
        self, status_code: int, method: str, path: str, message: str, asset_id: str | None = None
    ) -> None:
        super().__init__(status_code, method, path, message)
        self.asset_id = asset_id if asset_id is not None else _id_from_path(path)

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.status_code, self.method, self.path, self.message, self.asset_id)
        return (self.__class__, args)


class RateLimitError(APIError):
    """429 after the retries ran out; ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(
        self,
        status_code: int,
        method: str,
        path: str,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, method, path, message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.status_code, self.method, self.path, self.message, self.retry_after)
        return (self.__class__, args)


class ServerError(APIError):
    """5xx after the retries ran out (or at once, for a POST that may have been acted on)."""


class InvalidResponse(APIError):
    """A success status whose body is not what the API documents (not JSON, wrong shape)."""


class APIConnectionError(ArgilError):
    """The API could not be reached, or did not answer in time, after the retries."""


class InvalidAssetId(ArgilError, ValueError):
    """An asset id that is not a UUID; raised before any request.

    Attributes
    ----------
    values
        The offending values, as given.
    """

    def __init__(self, values: Iterable[object]) -> None:
        self.values = list(values)
        shown = ", ".join(repr(v) for v in self.values[:5])
        more = f" (and {len(self.values) - 5} more)" if len(self.values) > 5 else ""
        noun = "id is" if len(self.values) == 1 else "ids are"
        super().__init__(
            f"{len(self.values)} asset {noun} not a UUID: {shown}{more}. "
            "Argil asset ids look like '3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60'."
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.values,))


class InvalidArgument(ArgilError, ValueError):
    """Any other bad argument (a name, a type, a URL, a path); raised before any request."""


class WaitTimeout(ArgilError, TimeoutError):
    """``wait()`` ran out of time; ``frame`` holds the last statuses seen. Also a
    ``TimeoutError``, so ``except TimeoutError`` catches it."""

    def __init__(self, message: str, frame: pd.DataFrame) -> None:
        super().__init__(message)
        self.frame = frame


class BatchError(ArgilError):
    """Some ids (or rows) of a batch failed.

    Attributes
    ----------
    frame
        The rows that were fetched (or uploaded), so nothing done is lost.
    errors
        Each failed id mapped to the exception it raised; for ``create_assets``, each
        failed row's position in the items (from 0).
    """

    def __init__(
        self, frame: pd.DataFrame, errors: Mapping[Any, Exception], hint: str | None = None
    ) -> None:
        self.frame = frame
        self.errors = dict(errors)
        if hint is None:  # get_assets' and create_assets': what to do next, in their terms
            hint = (
                "The rows that worked are in .frame, the failures in .errors; pass "
                "errors='coerce' to get every row with an 'error' column instead."
            )
        kinds: dict[str, int] = {}
        for exc in self.errors.values():
            kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        first_id, first = next(iter(self.errors.items()))
        super().__init__(
            f"{len(self.errors)} of {len(self.errors) + len(frame)} assets failed ({summary}); "
            f"first: {first_id}: {sentence(str(first))} {hint}"
        )


class JournalError(ArgilError):
    """An upload journal could not be created, locked or written (a full or read-only disk,
    another process using it). A failed write is taken back, so the file holds whole
    records only; the batch stops sending.

    Attributes
    ----------
    path
        The journal's path.
    """

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (str(self), self.path))


def retold(exc: Exception, message: str) -> Exception:
    """An error of the same kind as ``exc`` that says ``message`` instead, its status, method,
    path and details kept: for an item that failed because of ``exc`` (an outage that stopped
    a batch, say) without being asked itself."""
    if isinstance(exc, APIError):
        kind, args = exc.__reduce__()[:2]
        return kind(*args[:3], message, *args[4:])
    if isinstance(exc, APIConnectionError):
        return APIConnectionError(message)
    return ArgilError(message)


def sentence(text: str) -> str:
    """``text`` ending as a sentence does, so that a hint after it reads apart from it."""
    text = text.rstrip()
    return text if not text or text[-1] in ".!?" else text + "."


def _id_from_path(path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[-2] == "assets":
        return parts[-1]
    return None


def _server_message(response: requests.Response) -> str:
    """The server's message: the Error body's ``message``, else a short text excerpt."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"][:_MAX_MESSAGE]
    ctype = response.headers.get("Content-Type", "unknown content type").split(";")[0]
    text = " ".join(response.text.split())[:120]
    reason = response.reason or "no reason given"
    return f"{reason} (non-JSON {ctype} body: {text!r})" if text else reason


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_from_response(response: requests.Response, method: str, path: str) -> APIError:
    """Map a non-success response to the matching :class:`APIError` subclass.

    Parameters
    ----------
    response
        The response received.
    method, path
        The request's method and URL path (no query string, no host: nothing secret).
    """
    code = response.status_code
    message = _server_message(response)
    if code in (401, 403):
        hint = "Check ARGIL_API_KEY (or the api_key argument)."
        return AuthenticationError(code, method, path, f"{sentence(message)} {hint}")
    if code == 404:
        return AssetNotFound(code, method, path, message)
    if code == 429:
        return RateLimitError(code, method, path, message, _retry_after(response))
    if code >= 500:
        return ServerError(code, method, path, message)
    return APIError(code, method, path, message)
