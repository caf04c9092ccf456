"""Thumbnails fetched by the kernel: one image GET, and ``data:`` URIs for loopback hosts.

:func:`inline_sources` turns thumbnails served by an argil API on this machine (a sandbox)
into ``data:`` URIs, for HTML that outlives its server or is read on another machine: tables,
reprs and panel snapshots saved in a notebook.

Only origins registered with :func:`trust_origin` are fetched (``connect()`` and the panel
register their client's, when it is on loopback): a URL that merely points at this machine
(another local service) is never requested. Fetches use plain sessions of their own, never
the client's, so the API key header cannot travel to a thumbnail host.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from urllib.parse import urlsplit

import requests

from ._html import is_loopback_url

__all__ = [
    "IMAGE_FORMATS",
    "MAX_INLINE_BYTES",
    "MAX_THUMBNAIL_BYTES",
    "THUMBNAIL_TIMEOUT",
    "fetch",
    "inline_sources",
    "trust_origin",
]

log = logging.getLogger("argil_nb")

MAX_THUMBNAIL_BYTES = 2_000_000
THUMBNAIL_TIMEOUT = (3.05, 10.0)
MAX_INLINE_BYTES = 200_000
"""A loopback thumbnail larger than this is not embedded (saved notebooks stay small)."""
LOOPBACK_TIMEOUT = (0.5, 2.0)
_CACHE_SIZE = 4096
IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def fetch(
    session: requests.Session,
    url: str,
    *,
    limit: int = MAX_THUMBNAIL_BYTES,
    timeout: tuple[float, float] = THUMBNAIL_TIMEOUT,
) -> tuple[bytes, str] | None:
    """The image at ``url`` and its format (``png``...); None when it is not one, or larger
    than ``limit`` bytes."""
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


_origins: set[tuple[str, str, int | None]] = set()


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url.strip())
        return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port)
    except ValueError:
        return None


def trust_origin(url: object) -> bool:
    """Embed thumbnails from the origin of ``url`` (an argil API base URL) when on loopback.

    Returns True when it is (and so is now trusted).
    """
    if not isinstance(url, str) or not is_loopback_url(url):
        return False
    origin = _origin(url)
    if origin is None:
        return False
    with _sources_lock:
        _origins.add(origin)
    return True


_sources: OrderedDict[str, str | None] = OrderedDict()  # url -> data: URI (None: failed)
_sources_lock = threading.Lock()
_loopback = threading.local()  # one session per thread that embeds


def _data_uri(url: str) -> str | None:
    session = getattr(_loopback, "session", None)
    if session is None:
        session = _loopback.session = requests.Session()
        session.trust_env = False  # loopback: never through a proxy
    found = fetch(session, url, limit=MAX_INLINE_BYTES, timeout=LOOPBACK_TIMEOUT)
    if found is None:
        return None
    data, fmt = found
    return f"data:image/{fmt};base64,{base64.b64encode(data).decode('ascii')}"


def inline_sources(urls: Iterable[object]) -> dict[str, str]:
    """``data:`` URIs for the thumbnails among ``urls`` on a trusted loopback origin.

    A picture served by a sandbox on this machine shows nowhere else, and nowhere once the
    sandbox stops: HTML meant to be saved embeds it. Each URL is fetched once per process
    (failures too); other URLs are left out.
    """
    with _sources_lock:
        trusted = set(_origins)
    wanted = [
        u
        for u in dict.fromkeys(urls)
        if isinstance(u, str) and is_loopback_url(u) and _origin(u) in trusted
    ]
    found: dict[str, str] = {}
    for url in wanted:
        with _sources_lock:
            known = url in _sources
            source = _sources.get(url)
        if not known:
            source = _data_uri(url)
            with _sources_lock:
                _sources[url] = source
                while len(_sources) > _CACHE_SIZE:
                    _sources.popitem(last=False)
        if source is not None:
            found[url] = source
    return found
