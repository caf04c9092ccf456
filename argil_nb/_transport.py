"""The one place that sends HTTP: session, pool, timeouts, redirects, error mapping.

API requests go through :class:`Transport`; thumbnails, which need no key, through
:func:`fetch_image`, with a session that never carries the key.

Retries follow ``argil_nb.waiting.retry`` (urllib3 ``Retry``, mounted on the session for the
API's origin only). Every attempt, retries included, first waits for the client's
``waiting.RateLimiter``, and every answer is shown to it.

Redirects are followed by hand, and only within the API's origin: the key travels in a
custom header (``x-api-key``) that requests would forward to any host, so a redirect to
another host is refused instead. A 303, or a 301/302 answering a POST, is followed with a
GET and no body, as browsers and requests do: a POST is never sent twice that way.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ._checks import invalid, is_web_url
from .errors import APIConnectionError, APIError, InvalidArgument, error_from_response
from .waiting import RateLimiter, make_retry, raise_if_stopped

__all__ = [
    "IMAGE_FORMATS",
    "MAX_THUMBNAIL_BYTES",
    "THUMBNAIL_TIMEOUT",
    "Transport",
    "check_base_url",
    "fetch_image",
    "is_loopback",
    "is_loopback_url",
]

log = logging.getLogger("argil_nb")

MAX_REDIRECTS = 3
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    """True for localhost names and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """Validate and normalise the API base URL (no trailing slash).

    Raises
    ------
    InvalidArgument
        When it is not http(s), has no host, or is plain http to a host other than loopback
        (the key would cross the network in clear text).
    """
    if not isinstance(base_url, str):
        raise invalid("base_url", "a string", type(base_url))
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(
            f"base_url {base_url!r} is not an http(s) URL; expected e.g. https://api.argil.ai/v1"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidArgument(f"base_url {base_url!r} must not carry a query, fragment or login")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InvalidArgument(
            f"base_url {base_url!r} uses plain http to {parts.hostname}: the API key would "
            "travel unencrypted. Use https, or http only to localhost/127.0.0.1."
        )
    return url


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme, (parts.hostname or "").lower(), port)


MAX_THUMBNAIL_BYTES = 2_000_000
THUMBNAIL_TIMEOUT = (3.05, 10.0)
IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def is_loopback_url(value: object) -> bool:
    """True for an http(s) URL on this machine (localhost, 127.0.0.0/8, ::1).

    Such a thumbnail only shows in a browser on the same machine, and only while its server
    runs (a sandbox): saved outputs embed it instead.
    """
    if not is_web_url(value):
        return False
    host = (urlsplit(str(value).strip()).hostname or "").lower()
    return host.endswith(".localhost") or is_loopback(host)


def fetch_image(
    session: requests.Session,
    url: str,
    *,
    limit: int = MAX_THUMBNAIL_BYTES,
    timeout: tuple[float, float] = THUMBNAIL_TIMEOUT,
) -> tuple[bytes, str] | None:
    """The image at ``url`` and its format (``png``...); None when it is not one, or larger
    than ``limit`` bytes. A thumbnail host gets a session of its own from the caller, never
    the API's: the key header must not travel to it."""
    try:
        with session.get(url, timeout=timeout, stream=True) as response:
            ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            fmt = IMAGE_FORMATS.get(ctype)
            if response.status_code != 200 or fmt is None:
                log.debug("thumbnail %s: HTTP %s, %s", url, response.status_code, ctype)
                return None
            data = response.raw.read(limit + 1, decode_content=True)
    except (requests.RequestException, OSError) as exc:
        log.debug("thumbnail %s: %s", url, type(exc).__name__)
        return None
    return (data, fmt) if 0 < len(data) <= limit else None


class Transport:
    """Sends requests to one API origin with the key, a pool, timeouts and retries.

    Parameters
    ----------
    api_key, base_url
        Already validated.
    timeout
        ``(connect, read)`` seconds, applied to every request.
    max_retries, backoff_factor
        See the module docstring.
    pool_size
        Connections kept per host; the batch helpers run this many requests at once.
    limiter
        Paces every request (see ``argil_nb.waiting.limiter``).
    session
        A ``requests.Session`` to use (tests inject one); an adapter with the retry policy is
        mounted on it for the API's origin only.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str,
        *,
        timeout: tuple[float, float],
        max_retries: int,
        backoff_factor: float,
        pool_size: int,
        limiter: RateLimiter,
        session: requests.Session | None = None,
    ) -> None:
        self._api_key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self.limiter = limiter
        self.session = session if session is not None else requests.Session()
        self._owns_session = session is None
        adapter = self._adapter = HTTPAdapter(
            pool_connections=1,
            pool_maxsize=pool_size,
            max_retries=make_retry(max_retries, backoff_factor, limiter),
        )
        parts = urlsplit(base_url)
        self.session.mount(f"{parts.scheme}://{parts.netloc}/", adapter)
        self._origin = _origin(base_url)
        self.last_date: tuple[str, float] | None = None
        """The ``Date`` header of the latest answer that had one, and the local
        ``time.time()`` when it arrived: the server's clock, for ``Client.server_date``."""

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        ok: tuple[int, ...] = (200,),
    ) -> requests.Response:
        """Send ``method path`` and return the response when its status is in ``ok``.

        Raises
        ------
        APIError
            A subclass matching the status, once the retries are spent.
        APIConnectionError
            When the API could not be reached or did not answer in time.
        """
        url = self.base_url + path
        shown_path = urlsplit(url).path
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send(method, url, shown_path, params=params, json=json)
            if response.status_code in ok:
                return response
            location = response.headers.get("Location")
            if not (300 <= response.status_code < 400 and location):
                raise error_from_response(response, method, shown_path)
            target = urljoin(url, location)
            if _origin(target) != self._origin:
                raise APIError(
                    response.status_code,
                    method,
                    shown_path,
                    f"redirected to another host ({urlsplit(target).hostname}); not followed "
                    "so that the API key is only ever sent to the API",
                )
            url, params = target, None
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, json = "GET", None
        raise APIError(response.status_code, method, shown_path, "too many redirects")

    def _send(
        self, method: str, url: str, shown_path: str, *, params: Any, json: Any
    ) -> requests.Response:
        # One slot is outstanding from here until an answer is observed: this one, or a
        # retry's (urllib3 observes each refused attempt and asks for the next slot).
        try:
            self.limiter.acquire(method)
            raise_if_stopped()  # Ctrl-C while this worker waited for its slot: not sent
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers={"x-api-key": self._api_key, "Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.exceptions.RequestException as exc:
            self.limiter.release(method)
            # ``from None``: requests' exceptions hold the prepared request, key included.
            raise APIConnectionError(
                f"could not reach the API for {method} {shown_path}: {_describe(exc)}. "
                f"Check the network and base_url ({self.base_url})."
            ) from None
        except BaseException:  # Ctrl-C while waiting or sending: no answer will come
            self.limiter.release(method)
            raise
        log.debug("%s %s -> %s", method, shown_path, response.status_code)
        date = response.headers.get("Date")
        if date:
            self.last_date = (date, time.time())
        self.limiter.observe(method, response.status_code, response.headers)
        return response

    def close(self) -> None:
        """Close the pooled connections; a session passed in stays open (it is its owner's)."""
        self._adapter.close()
        if self._owns_session:
            self.session.close()


def _describe(exc: requests.exceptions.RequestException) -> str:
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    reason = exc.args[0] if exc.args else exc
    reason = getattr(reason, "reason", reason)
    return f"{type(exc).__name__} ({type(reason).__name__})"
