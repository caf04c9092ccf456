"""``Sandbox``: an Argil-compatible assets API on loopback, for notebooks, tests and benchmarks."""

from __future__ import annotations

import dataclasses
import random
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from .app import App
from .config import SandboxConfig
from .faults import FaultInjector, canned_response
from .options import Option, check_store_options
from .server import SandboxHTTPServer
from .stats import StatsSnapshot
from .store import AssetStore

__all__ = ["Sandbox"]

_CONFIG_FIELDS = frozenset(f.name for f in dataclasses.fields(SandboxConfig))
_STORE_FIELDS = frozenset({"speed", "processing_seconds", "failure_rate"})


class Sandbox:
    """An Argil-compatible HTTP server with simulated processing and fault injection.

    Parameters
    ----------
    port : int
        Port on ``host``; 0 picks a free one at the first ``start()``, kept on restarts.
    host : str
        Interface to bind; loopback by default.
    api_key : str or None
        The key clients must send; None: a random ``sk-sandbox-...`` key.
    seed : int or None
        Seeds the assets (ids, names, dates, outcomes); None: random.
    initial_assets : int
        Seeded assets of every type and status (mostly READY).
    clock : callable or None
        Monotonic seconds driving processing; None: ``time.monotonic``.
    speed : float
        Processing runs this many times faster than ``clock``.
    processing_seconds : tuple of float
        ``(min, max)`` simulated seconds an upload stays PROCESSING.
    failure_rate : float
        Chance an upload ends FAILED.
    now : callable or None
        Wall clock for the createdAt of uploads (never older than the newest asset).
    fault_seed : int or None
        Seeds fault injection; None: ``seed``.
    rate_limit, burst, latency, error_rate, error_after, drop_rate, stall_rate, stall_seconds,
    throttle_rate
        Fault options, all off by default: see :class:`SandboxConfig`. They, ``speed``,
        ``processing_seconds`` and ``failure_rate`` are also attributes, settable while
        running, and :meth:`configure` sets several at once.

    Examples
    --------
    >>> with Sandbox(seed=1) as sb:  # doctest: +SKIP
    ...     requests.get(sb.base_url + "/assets", headers={"x-api-key": sb.api_key})
    """

    rate_limit = Option[float | None]("API requests per second allowed; None: no limit.")
    burst = Option[int | None]("Token bucket size; None: ceil(rate_limit).")
    latency = Option[float]("Seconds added to every API request.")
    error_rate = Option[float]("Fraction of API requests answered 500/502/503.")
    error_after = Option[float]("Fraction of POST errors injected after creating the asset.")
    drop_rate = Option[float]("Fraction of API requests dropped without an answer.")
    stall_rate = Option[float]("Fraction of API requests held stall_seconds first.")
    stall_seconds = Option[float]("How long a stalled request is held.")
    throttle_rate = Option[float]("Fraction of API requests answered 429 (Retry-After: 1).")
    speed = Option[float]("Processing speed factor over the clock.")
    processing_seconds = Option[tuple[float, float]]("(min, max) simulated processing time.")
    failure_rate = Option[float]("Chance that an upload ends FAILED.")

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        api_key: str | None = None,
        seed: int | None = None,
        initial_assets: int = 24,
        clock: Callable[[], float] | None = None,
        speed: float = 1.0,
        processing_seconds: tuple[float, float] = (2.0, 20.0),
        failure_rate: float = 0.1,
        now: Callable[[], datetime] | None = None,
        fault_seed: int | None = None,
        rate_limit: float | None = None,
        burst: int | None = None,
        latency: float = 0.0,
        error_rate: float = 0.0,
        error_after: float = 0.5,
        drop_rate: float = 0.0,
        stall_rate: float = 0.0,
        stall_seconds: float = 30.0,
        throttle_rate: float = 0.0,
    ) -> None:
        if api_key is not None and not api_key:
            raise ValueError("api_key must not be empty")
        if initial_assets < 0:
            raise ValueError("initial_assets must not be negative")
        check_store_options(speed, processing_seconds, failure_rate)
        config = SandboxConfig(
            rate_limit=rate_limit,
            burst=burst,
            latency=latency,
            error_rate=error_rate,
            error_after=error_after,
            drop_rate=drop_rate,
            stall_rate=stall_rate,
            stall_seconds=stall_seconds,
            throttle_rate=throttle_rate,
        )
        self._host = host
        self._port = port
        self._store = AssetStore(
            random.Random(seed),
            clock or time.monotonic,
            speed=speed,
            processing_seconds=processing_seconds,
            failure_rate=failure_rate,
            now=now,
        )
        self._store.seed(initial_assets)
        key = api_key or "sk-sandbox-" + secrets.token_hex(16)
        self._app = App(self._store, key, config, seed if fault_seed is None else fault_seed)
        self._lifecycle = threading.Lock()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- addresses ---------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        """The key to send in ``x-api-key``."""
        return self._app.api_key

    @property
    def port(self) -> int:
        """The port (0 until the first start when none was given)."""
        return self._port

    @property
    def url(self) -> str:
        """The origin, ``http://127.0.0.1:PORT``; files are served under ``/files``."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """The API base URL, ``http://127.0.0.1:PORT/v1``."""
        return self.url + "/v1"

    @property
    def running(self) -> bool:
        """Whether the server accepts connections."""
        return self._server is not None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Serve in a daemon thread (no-op when running); returns ``self``."""
        with self._lifecycle:
            if self._server is not None:
                return self
            self._app.stopping.clear()
            server = SandboxHTTPServer((self._host, self._port), self._app)
            self._port = server.server_address[1]
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"argil-sandbox-{self._port}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, keeping every asset and option: clients then get connection refused.

        Open connections are closed and stalled requests are cut short.
        """
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._app.stopping.set()
        if thread is not None and thread.is_alive():
            server.shutdown()  # blocks until the loop exits: only when it still runs
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout)

    def serve_forever(self) -> None:
        """Serve in the foreground until ``stop()`` from another thread, or Ctrl-C.

        On Ctrl-C the server stops, then ``KeyboardInterrupt`` propagates to the caller.
        """
        self.start()
        thread = self._thread
        try:
            while thread is not None and thread.is_alive():
                thread.join(0.5)  # a timeout keeps Ctrl-C responsive
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- options -----------------------------------------------------------------------

    @property
    def config(self) -> SandboxConfig:
        """The current fault options."""
        return self._app.config

    def option(self, name: str) -> Any:
        """The current value of one option (see :meth:`configure`)."""
        if name in _STORE_FIELDS:
            return getattr(self._store, name)
        if name in _CONFIG_FIELDS:
            return getattr(self._app.config, name)
        raise AttributeError(name)

    def configure(self, **options: Any) -> None:
        """Change options on the fly (fault options, ``speed``, ``processing_seconds``,
        ``failure_rate``, ``fault_seed``); each request sees the old or new set, never a mix.
        """
        unknown = set(options) - _CONFIG_FIELDS - _STORE_FIELDS - {"fault_seed"}
        if unknown:
            raise TypeError(f"unknown Sandbox options: {', '.join(sorted(unknown))}")
        fault_options = {k: v for k, v in options.items() if k in _CONFIG_FIELDS}
        store = self._store
        check_store_options(
            options.get("speed", store.speed),
            options.get("processing_seconds", store.processing_seconds),
            options.get("failure_rate", store.failure_rate),
        )
        config = dataclasses.replace(self._app.config, **fault_options)
        if "speed" in options:
            store.speed = options["speed"]
        if "processing_seconds" in options:
            store.processing_seconds = tuple(options["processing_seconds"])
        if "failure_rate" in options:
            store.failure_rate = options["failure_rate"]
        if "fault_seed" in options:
            self._app.injector = FaultInjector(options["fault_seed"])
        if {"rate_limit", "burst"} & set(options):
            self._app.bucket.reset()
        self._app.config = config

    def respond_next(
        self,
        status: int,
        body: bytes | str | dict[str, Any] | list[Any] = b"",
        headers: dict[str, str] | None = None,
        content_type: str | None = "application/json",
        times: int = 1,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching API requests with this raw response.

        Canned responses bypass authentication, rate limits and faults, so they can fake
        anything: malformed JSON, an HTML 200, an empty body, a redirect (pass ``Location``
        in ``headers``). ``body`` may be bytes, text, or a dict/list sent as JSON.
        ``path_prefix`` matches the request path (``/assets/`` and ``/v1/assets/`` alike);
        ``method`` restricts it to one HTTP method.
        """
        response = canned_response(status, body, headers, content_type)
        self._app.canned.push(response, times, path_prefix, method)

    def clear_responses(self) -> None:
        """Drop every canned response not used yet."""
        self._app.canned.clear()

    # -- assets ------------------------------------------------------------------------

    def assets(self) -> list[dict[str, Any]]:
        """Every asset's true current state as API JSON, in listing order (all statuses)."""
        return self._store.snapshot(self.url)

    def asset(self, asset_id: str) -> dict[str, Any]:
        """One asset's current API JSON; ``KeyError`` when there is none."""
        found = self._store.get_json(asset_id, self.url)
        if found is None:
            raise KeyError(asset_id)
        return found

    def add_asset(self, raw: dict[str, Any]) -> None:
        """Insert an asset exactly as given; ``GET /assets/{id}`` returns it verbatim.

        Only ``id`` (a non-empty string) is required; fields may be odd, unknown or extra.
        It lists by its ``type`` and ``status`` values and, when ``createdAt`` cannot be
        parsed, as the newest asset.
        """
        self._store.add_raw(raw)

    def set_status(self, asset_id: str, status: str) -> None:
        """Force ``status`` on an asset now (cancelling its scheduled outcome)."""
        self._store.set_status(asset_id, status)

    # -- stats -------------------------------------------------------------------------

    @property
    def stats(self) -> StatsSnapshot:
        """A snapshot of the request, fault, response and connection counters."""
        return self._app.stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters."""
        self._app.stats.reset()

    # -- helpers -----------------------------------------------------------------------

    def client(self, **kwargs: Any) -> Any:
        """An ``argil_nb.Client`` for this sandbox; ``kwargs`` go to the client."""
        from argil_nb.client import Client  # lazy: the sandbox imports nothing of the client side

        return Client(api_key=self.api_key, base_url=self.base_url, **kwargs)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (
            f"<Sandbox {self.base_url} {state}, {len(self._store)} assets, "
            f"api_key='...{self.api_key[-4:] if len(self.api_key) >= 12 else ''}'>"
        )
