"""``connect()``, ``use()``, and the default client behind the module-level helpers.

``connect()`` talks to Argil and needs a key (``api_key=`` or ``ARGIL_API_KEY``): without
one it raises, as requests, httpx, openai and replicate do, rather than hand a fake account
to someone whose ``.env`` did not load. ``connect(sandbox=True)`` is the offline sandbox,
asked for on purpose: one per process, reused when the cell runs again (the same account,
so ids made earlier still resolve), stopped when the last client using it is closed.

The latest client ``connect()`` made is the default of the module-level helpers
(``an.get_assets``, ``an.watch`` ...), unless :func:`use` chose another since.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from .client import Client
from .display import trust_origin
from .errors import InvalidArgument

__all__ = ["NO_KEY", "SANDBOX_SEED", "connect", "default_client", "use"]

SANDBOX_SEED = 0
"""connect()'s sandbox is seeded, so a notebook shows the same assets on every run."""
# The sandbox options that only a new sandbox can take; the others are changed in place.
_MADE_WITH = ("seed", "initial_assets", "mode", "port", "host", "api_key", "upload_id_salt")

NO_KEY = (
    "No Argil API key. Set the ARGIL_API_KEY environment variable (or pass api_key=...) to "
    "talk to your Argil workspace; for the offline sandbox, call argil_nb.connect(sandbox=True)."
)

_lock = threading.RLock()
_default: Client | None = None
_sandbox: Any = None  # the process's sandbox, while a client uses it
_made_with: dict[str, Any] = {}
_users: weakref.WeakSet[Client] = weakref.WeakSet()  # the open clients of _sandbox


def connect(
    *, sandbox: bool = False, sandbox_options: dict[str, Any] | None = None, **client_options: Any
) -> Client:
    """A client for your Argil workspace, or for the offline sandbox; it becomes the default.

    Parameters
    ----------
    sandbox
        False (the default): the real API, with the key from ``api_key=`` or the
        ``ARGIL_API_KEY`` environment variable (and ``base_url=`` or ``ARGIL_BASE_URL``).
        True: the embedded sandbox, an Argil-compatible server on 127.0.0.1 with seeded
        assets, started on first use and reused by later calls in the process.
    sandbox_options
        Options of :class:`argil_nb.sandbox.Sandbox` (``speed``, ``initial_assets``,
        ``processing_seconds``, ``failure_rate``, ``mode`` ...); ignored without
        ``sandbox=True``, so a notebook can pass them whichever it connects to. A running
        sandbox takes the ones it can change in place; one made with another ``seed``,
        ``initial_assets``, ``mode``, ``port`` or ``api_key`` is replaced when no open
        client uses it (else that is an error).
    **client_options
        Passed on to :class:`Client` (``timeout``, ``max_retries``, ``max_workers``, the
        rate budgets ...); ``api_key`` and ``base_url`` only without ``sandbox=True``.

    Returns
    -------
    Client
        Also the default client of ``an.get_asset``, ``an.get_assets``, ``an.list_assets``,
        ``an.create_assets``, ``an.wait`` and ``an.watch`` from now on.

    Raises
    ------
    InvalidArgument
        Without a key (and without ``sandbox=True``): the message names ``ARGIL_API_KEY``
        and ``connect(sandbox=True)``. Also for an unusable option, before anything starts.

    Examples
    --------
    >>> client = an.connect()                  # doctest: +SKIP
    >>> client = an.connect(sandbox=True)      # doctest: +SKIP
    >>> an.list_assets()                       # doctest: +SKIP
    """
    global _default
    if not isinstance(sandbox, bool):
        raise InvalidArgument(f"sandbox must be True or False, got {sandbox!r}")
    if not sandbox:
        key = client_options.get("api_key") or os.environ.get("ARGIL_API_KEY")
        if not isinstance(key, str) or not key.strip():
            raise InvalidArgument(NO_KEY)
        made = Client(**client_options)
        trust_origin(made.base_url)  # an API on this machine: embed its thumbnails
    else:
        made = _sandbox_client(dict(sandbox_options or {}), client_options)
    with _lock:
        _default = made
    return made


def _sandbox_client(options: dict[str, Any], client_options: dict[str, Any]) -> Client:
    global _sandbox, _made_with
    taken = sorted({"api_key", "base_url"} & set(client_options))
    if taken:
        raise InvalidArgument(
            f"connect(sandbox=True) makes its own {' and '.join(taken)}: pass "
            f"{', '.join(taken)} without sandbox=True to talk to another API"
        )
    from .sandbox import Sandbox

    made_with = {"seed": SANDBOX_SEED, **{k: options.pop(k) for k in _MADE_WITH if k in options}}
    with _lock:
        box, note = _sandbox, "reused: its assets are kept"
        if box is not None and made_with != _made_with:
            if _users:
                raise InvalidArgument(
                    f"the sandbox of this process runs with {_made_with}, and an open client "
                    f"uses it: close that client (client.close()) to start one with {made_with}"
                )
            box.stop()
            box = None
        if box is None:
            box = Sandbox(**made_with, **options)  # a bad option raises before it starts
            box.start()
            _sandbox, _made_with, note = box, made_with, "started"
        elif options:
            box.configure(**options)
        try:
            client = Client(api_key=box.api_key, base_url=box.base_url, **client_options)
        except BaseException:
            if not _users:  # a bad client option must not leave a server running
                box.stop()
                _sandbox = None
            raise
        _users.add(client)
        client._on_close.append(lambda: _release(client))
    trust_origin(box.url)  # saved outputs embed its thumbnails: they die with it
    print(f"argil_nb: the offline sandbox at {box.base_url} ({note})")
    return client


def _release(client: Client) -> None:
    """A sandbox client was closed: stop the sandbox when no open client uses it."""
    global _sandbox
    with _lock:
        _users.discard(client)
        if not _users and _sandbox is not None:
            _sandbox.stop()
            _sandbox = None


def use(client: Client) -> Client:
    """Make ``client`` the default of the module-level helpers; returns it.

    Parameters
    ----------
    client
        An :class:`argil_nb.Client`, e.g. one with options of your own, or for another
        workspace.
    """
    global _default
    if not isinstance(client, Client):
        raise InvalidArgument(f"use() takes an argil_nb.Client, got {type(client).__name__}")
    with _lock:
        _default = client
    return client


def default_client() -> Client:
    """The client :func:`use` set or :func:`connect` made last; else ``connect()``'s.

    Raises
    ------
    InvalidArgument
        When none was made and no key is set (see :func:`connect`).
    """
    with _lock:
        if _default is None:
            connect()  # the real API; it raises without a key
        assert _default is not None
        return _default
