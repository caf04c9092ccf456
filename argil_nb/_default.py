"""The default client behind the module-level helpers, and ``connect()``.

The first client :func:`connect` makes becomes the default (unless :func:`use` set one), so
``client = an.connect(); an.watch(ids)`` watches ``client``'s assets. A helper called with no
default connects once, itself: it never starts a second sandbox behind the user's back.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from .client import Client
from .display import trust_origin
from .errors import InvalidArgument

_lock = threading.RLock()  # default_client() holds it while connect() adopts its client
_default: Client | None = None
_sandboxes: list[Any] = []


SANDBOX_SEED = 0
"""connect()'s sandbox is seeded, so a notebook shows the same assets on every run."""


def connect(
    *, sandbox: bool = True, sandbox_options: dict[str, Any] | None = None, **kwargs: Any
) -> Client:
    """A client for the real API when ``ARGIL_API_KEY`` is set, else for a local sandbox.

    The first client made this way becomes the default of the module-level helpers
    (``an.get_assets``, ``an.watch`` ...) when none is set; :func:`use` changes it.

    Parameters
    ----------
    sandbox
        When no key is set: True starts an embedded sandbox, saying so in one printed
        line; False raises instead.
    sandbox_options
        Options for that sandbox (``speed``, ``initial_assets``, ``processing_seconds``,
        ``failure_rate``, ...; see :class:`argil_nb.sandbox.Sandbox`); ignored with a key.
    **kwargs
        Passed on to :class:`Client`.

    Raises
    ------
    InvalidArgument
        With ``sandbox=False`` and no key.
    """
    if kwargs.get("api_key") or os.environ.get("ARGIL_API_KEY"):
        made = Client(**kwargs)
        trust_origin(made.base_url)  # an API on this machine: embed its thumbnails
        _adopt(made)
        return made
    if not sandbox:
        raise InvalidArgument(
            "No Argil API key: set ARGIL_API_KEY (or pass api_key=...). connect(sandbox=False) "
            "does not fall back to the offline sandbox."
        )
    from .sandbox import Sandbox

    box = Sandbox(**{"seed": SANDBOX_SEED, **(sandbox_options or {})})
    box.start()
    try:
        client = box.client(**{k: v for k, v in kwargs.items() if k != "base_url"})
    except BaseException:
        box.stop()  # a bad client option must not leave a server running
        raise
    _sandboxes.append(box)  # kept alive for the process's life
    trust_origin(box.url)  # saved outputs embed its thumbnails: they die with it
    note = "" if _adopt(client) else " (not the default client: an.use(client) makes it so)"
    print(f"argil_nb: no ARGIL_API_KEY set, using an offline sandbox at {box.base_url}{note}")
    return client


def _adopt(client: Client) -> bool:
    """Make ``client`` the default when there is none yet; True when it is the default."""
    global _default
    with _lock:
        if _default is None:
            _default = client
        return _default is client


def use(client: Client) -> Client:
    """Make ``client`` the one the module-level helpers use; returns it."""
    global _default
    if not isinstance(client, Client):
        raise InvalidArgument(f"use() takes an argil_nb.Client, got {type(client).__name__}")
    with _lock:
        _default = client
    return client


def default_client() -> Client:
    """The client set by :func:`use` or made first by :func:`connect`; else ``connect()``.

    Only the first call without a default connects (and so starts at most one sandbox).
    """
    with _lock:
        if _default is None:
            connect()  # adopts what it makes
        assert _default is not None
        return _default
