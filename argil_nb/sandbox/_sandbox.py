"""``Sandbox``: an Argil-compatible assets API on loopback, for notebooks, tests and benchmarks."""

from __future__ import annotations

import os
import random
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from .app import App
from .faults import Faults, LiveAccount, SandboxConfig, canned_response, check_mode
from .options import Option, check_store_options, get_option, set_options
from .server import SandboxHTTPServer
from .stats import Stats, StatsSnapshot
from .store import AssetStore

__all__ = ["MODES", "MODE_VARIABLE", "Sandbox"]

MODES = ("documented", "friendly")
MODE_VARIABLE = "ARGIL_SANDBOX_MODE"
"""The environment variable that picks the mode of a ``Sandbox()`` given none."""


class Sandbox:
    """An Argil-compatible HTTP server with simulated processing and fault injection.

    Parameters
    ----------
    mode : str or None
        ``"documented"``: what Argil documents and nothing more: ``status`` on ``GET /assets``
        is one value (a repeated one is answered as ``repeated_status`` says), ``createdAt``
        has whole seconds (``2023-11-07T05:31:56Z``) and uploads made in the same second
        share it, listed in insertion order, and no rate-limit headers are ever sent (a
        limit, when set, shows only as 429s with ``Retry-After``). ``"friendly"``: the
        sandbox's extensions too: a repeated ``status`` lists each, milliseconds with every
        upload newer than the newest asset, ties broken by id, and the optional
        ``rate_limit_headers``. None: the ``ARGIL_SANDBOX_MODE`` environment variable, else
        ``"documented"``.
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
    upload_id_salt : int or None
        XORed into the ids of uploads (``POST /assets`` and live arrivals), never into the
        seeded assets' ids. None: a random salt per instance, so two sandboxes with the same
        seed hand out different upload ids (a client pointed at the wrong one finds nothing);
        pass an int for reproducible upload ids (0: the unsalted seeded sequence).
    rate_clock : callable or None
        Monotonic seconds driving the token buckets; None: ``time.monotonic``.
    rate_limit, burst, write_rate_limit, write_burst, rate_limit_headers, latency,
    error_rate, error_after, drop_rate, stall_rate, stall_seconds, throttle_rate,
    repeated_status
        Fault options, all off by default: see :class:`SandboxConfig` and below.
    arrival_rate, delete_rate, churn_per_request
        The live account, off by default: see below.

    The options after ``rate_clock``, ``speed``, ``processing_seconds`` and ``failure_rate``
    are also attributes, settable while running; :meth:`configure` sets several at once.

    Notes
    -----
    **Rate limits.** Two token buckets, on ``rate_clock``: the read bucket (``rate_limit``
    tokens per second, ``burst`` tokens; burst None: ``ceil(rate_limit)``) takes one token
    per GET under ``/v1``; the write bucket (``write_rate_limit``, ``write_burst``) one per
    POST or DELETE. Other methods, requests refused 401 and the files take none. Both start
    full, and changing any of their options refills the bucket concerned. A request that
    finds less than one token is answered ``429 {"code": 429, "message": ...}`` with
    ``Retry-After``: whole seconds, rounded up, until one token is back (at least 1).

    **Rate-limit headers** (``rate_limit_headers``, friendly mode only): every answer from a
    bucket (200s, errors, 429s alike) describes that bucket, in one family; none when the
    method has no bucket or its rate is None. For a bucket of rate ``r`` and size ``b``:
    ``Limit = b``; ``W = ceil(b / r)`` whole seconds (the refill time of a drained bucket, so
    ``Limit / W == r`` exactly when ``b / r`` is whole, else slightly under ``r``);
    ``Remaining = floor(tokens)`` left after this request; ``Reset`` = whole seconds,
    rounded up, until the bucket is full again (relative seconds, never an epoch time).
    E.g. GET with ``rate_limit=10, burst=10``, first request:

    - ``"ietf"`` (draft-ietf-httpapi-ratelimit-headers-06): ``RateLimit-Limit: 10``,
      ``RateLimit-Remaining: 9``, ``RateLimit-Reset: 1``, ``RateLimit-Policy: 10;w=1``;
    - ``"ietf-structured"`` (the current draft's syntax, -08 to -11): policy items named
      ``"read"`` or ``"write"``: ``RateLimit-Policy: "read";q=10;w=1`` and
      ``RateLimit: "read";r=9;t=1`` (``t`` as Reset above);
    - ``"x"``: ``X-RateLimit-Limit: 10``, ``X-RateLimit-Remaining: 9``,
      ``X-RateLimit-Reset: 1`` (seconds until full, not an epoch).

    A client gets the rate as Limit / W from the policy (``q / w``). Without one, since
    ``Reset - 1 < (b - tokens) / r <= Reset`` and ``Remaining <= tokens < Remaining + 1``,
    ``r`` lies between ``(Limit - Remaining - 1) / Reset`` and
    ``(Limit - Remaining) / (Reset - 1)``: tightest on a drained bucket (a 429).

    **Live account.** Uploads keep arriving and assets keep being deleted on the processing
    clock (``clock`` times ``speed``): ``arrival_rate`` new uploads and ``delete_rate``
    deletions of random assets per simulated second, at steady intervals counted from when
    the rate was set (``floor(elapsed * rate)`` events by any moment). Arrivals are
    ordinary uploads, named ``live-upload-NNNNN.png|mp4``: PROCESSING, newest first, then
    READY or FAILED on the normal schedule. Events due are applied lazily at the start of
    each API request (and by :meth:`assets`, :meth:`asset`, :meth:`deleted_ids`).
    ``churn_per_request = n``: before answering each API request that got past the
    authentication and the rate limits, ``n`` random PROCESSING uploads finish, ``n``
    random assets are deleted and ``n`` uploads arrive. The picks come from an RNG derived
    from ``seed`` but separate from it, so seeded behaviour is unchanged when it is off.

    Examples
    --------
    >>> with Sandbox(seed=1) as sb:  # doctest: +SKIP
    ...     requests.get(sb.base_url + "/assets", headers={"x-api-key": sb.api_key})
    """

    rate_limit = Option[float | None]("GET requests per second allowed; None: no limit.")
    burst = Option[int | None]("Read bucket size; None: ceil(rate_limit).")
    write_rate_limit = Option[float | None]("POST and DELETE per second; None: no limit.")
    write_burst = Option[int | None]("Write bucket size; None: ceil(write_rate_limit).")
    rate_limit_headers = Option[str | None]("'ietf', 'ietf-structured', 'x' or None.")
    latency = Option[float]("Seconds added to every API request.")
    error_rate = Option[float]("Fraction of API requests answered 500/502/503.")
    error_after = Option[float]("Fraction of POST errors injected after creating the asset.")
    drop_rate = Option[float]("Fraction of API requests dropped without an answer.")
    stall_rate = Option[float]("Fraction of API requests held stall_seconds first.")
    stall_seconds = Option[float]("How long a stalled request is held.")
    throttle_rate = Option[float]("Fraction of API requests answered 429 (Retry-After: 1).")
    repeated_status = Option[str | int]("Documented mode: 'first', 'last', 400 or 500.")
    speed = Option[float]("Processing speed factor over the clock.")
    processing_seconds = Option[tuple[float, float]]("(min, max) simulated processing time.")
    failure_rate = Option[float]("Chance that an upload ends FAILED.")
    arrival_rate = Option[float]("Live uploads arriving per simulated second.")
    delete_rate = Option[float]("Live deletions of random assets per simulated second.")
    churn_per_request = Option[int]("Arrivals, finishes and deletions before each request.")

    def __init__(
        self,
        *,
        mode: str | None = None,
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
        upload_id_salt: int | None = None,
        rate_clock: Callable[[], float] | None = None,
        rate_limit: float | None = None,
        burst: int | None = None,
        write_rate_limit: float | None = None,
        write_burst: int | None = None,
        rate_limit_headers: str | None = None,
        latency: float = 0.0,
        error_rate: float = 0.0,
        error_after: float = 0.5,
        drop_rate: float = 0.0,
        stall_rate: float = 0.0,
        stall_seconds: float = 30.0,
        throttle_rate: float = 0.0,
        repeated_status: str | int = "first",
        arrival_rate: float = 0.0,
        delete_rate: float = 0.0,
        churn_per_request: int = 0,
    ) -> None:
        mode = mode if mode is not None else os.environ.get(MODE_VARIABLE) or "documented"
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if api_key is not None and not api_key:
            raise ValueError("api_key must not be empty")
        if initial_assets < 0:
            raise ValueError("initial_assets must not be negative")
        check_store_options(speed, processing_seconds, failure_rate)
        live = LiveAccount(
            seed,
            arrival_rate=arrival_rate,
            delete_rate=delete_rate,
            churn_per_request=churn_per_request,
        )
        config = SandboxConfig(
            rate_limit=rate_limit,
            burst=burst,
            write_rate_limit=write_rate_limit,
            write_burst=write_burst,
            rate_limit_headers=rate_limit_headers,
            latency=latency,
            error_rate=error_rate,
            error_after=error_after,
            drop_rate=drop_rate,
            stall_rate=stall_rate,
            stall_seconds=stall_seconds,
            throttle_rate=throttle_rate,
            repeated_status=repeated_status,
        )
        check_mode(mode == "documented", config)
        self._mode = mode
        self._host = host
        self._port = port
        self._store = AssetStore(
            random.Random(seed),
            clock or time.monotonic,
            speed=speed,
            processing_seconds=processing_seconds,
            failure_rate=failure_rate,
            now=now,
            upload_salt=secrets.randbits(128) if upload_id_salt is None else upload_id_salt,
            documented=mode == "documented",
            events=live.apply_due,
        )
        self._store.seed(initial_assets)
        key = api_key or "sk-sandbox-" + secrets.token_hex(16)
        fault_seed = seed if fault_seed is None else fault_seed
        stats = Stats()
        self._faults = Faults(config, stats, live, fault_seed, rate_clock or time.monotonic)
        self._app = App(self._store, key, self._faults, stats)
        self._lifecycle = threading.Lock()
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def mode(self) -> str:
        """``"documented"`` or ``"friendly"`` (see the class docstring)."""
        return self._mode

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
            self._faults.stopping.clear()
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
        self._faults.stopping.set()
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
        return self._faults.config

    def option(self, name: str) -> Any:
        """The current value of one option (see :meth:`configure`)."""
        return get_option(self._store, self._faults, name)

    def configure(self, **options: Any) -> None:
        """Change options on the fly (fault and rate-limit options, ``speed``,
        ``processing_seconds``, ``failure_rate``, ``fault_seed``, the live account's);
        each request sees the old or new set, never a mix. Changing ``rate_limit`` or
        ``burst`` refills the read bucket, ``write_rate_limit`` or ``write_burst`` the
        write bucket; a new ``arrival_rate`` or ``delete_rate`` counts from now.
        """
        set_options(self._store, self._faults, options)

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
        self._faults.canned.push(response, times, path_prefix, method)

    def clear_responses(self) -> None:
        """Drop every canned response not used yet."""
        self._faults.canned.clear()

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

    def deleted_ids(self) -> list[str]:
        """Ids deleted so far, by ``DELETE`` or by the live account, oldest first.

        A listing checker: every id of :meth:`assets` taken before a client's listing
        that is not in ``deleted_ids()`` after it existed throughout, so must be listed.
        """
        return self._store.deleted_ids()

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
            f"<Sandbox {self.base_url} {state}, {self._mode}, {len(self._store)} assets, "
            f"api_key='...{self.api_key[-4:] if len(self.api_key) >= 12 else ''}'>"
        )
