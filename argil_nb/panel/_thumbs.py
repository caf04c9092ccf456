"""The panel's ``inline_thumbnails=True`` option: READY thumbnails fetched by the kernel and
sent as image widgets, for front ends that cannot reach the thumbnail host.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import ipywidgets as widgets
import requests

from .._checks import is_web_url
from .._transport import fetch_image as fetch
from ._slots import close_widgets

__all__ = ["InlineThumbnails"]


class InlineThumbnails:
    """READY thumbnails fetched once per URL, each held in one ``widgets.Image``.

    The bytes reach the front end once, when the image widget opens; cards then only point
    at it.

    Parameters
    ----------
    session
        Sends the GETs; a fresh ``requests.Session`` by default.
    """

    def __init__(self, session: requests.Session | None = None) -> None:
        self._session = session if session is not None else requests.Session()
        self._images: dict[str, widgets.Image | None] = {}
        self._lock = threading.Lock()

    def get(self, url: object) -> widgets.Image | None:
        """The image widget for ``url``, when fetched successfully."""
        with self._lock:
            return self._images.get(url) if isinstance(url, str) else None

    def ensure(self, urls: Iterable[object]) -> None:
        """Fetch, a few at a time, every http(s) URL not tried before (failures included)."""
        with self._lock:
            todo = [
                u
                for u in dict.fromkeys(urls)
                if isinstance(u, str) and is_web_url(u) and u not in self._images
            ]
        if not todo:
            return
        with ThreadPoolExecutor(min(4, len(todo)), thread_name_prefix="argil-thumbs") as pool:
            fetched = list(pool.map(lambda url: fetch(self._session, url), todo))
        with self._lock:
            for url, found in zip(todo, fetched, strict=True):
                if found is None:
                    self._images.setdefault(url, None)
                elif url not in self._images:
                    data, fmt = found
                    self._images[url] = widgets.Image(
                        value=data,
                        format=fmt,
                        # The slot's box sets the size: a card's or a list row's.
                        layout=widgets.Layout(width="100%", height="100%", object_fit="cover"),
                    )

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for image in self._images.values() if image is not None)

    def close(self) -> None:
        """Close every image widget and the session."""
        with self._lock:
            images, self._images = list(self._images.values()), {}
        close_widgets(image for image in images if image is not None)
        self._session.close()
