"""``Client``: the Argil assets API, one call per method, with typed errors.

The single calls are here; the batch calls delegate to the feature that owns them
(``listing`` for ``get_assets``/``list_assets``, ``polling`` for ``wait``, ``uploads`` for
``create_assets``), which use the client through ``models.AssetSource`` and never import it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import requests

from ._checks import check_int, check_number, invalid, is_number
from ._transport import Transport, check_base_url
from .errors import (
    APIConnectionError,
    AssetNotFound,
    InvalidArgument,
    InvalidResponse,
    ServerError,
    retold,
    sentence,
)
from .listing import get_assets, list_assets
from .models import MAX_PAGE_SIZE, Asset, Page, canonical_id, normalize_id
from .polling import wait
from .uploads import create_assets
from .uploads.rows import upload_fields
from .waiting import RateLimiter, argil_budget

__all__ = ["DEFAULT_BASE_URL", "Client"]

DEFAULT_BASE_URL = "https://api.argil.ai/v1"


class Client:
    """A connection to the Argil API (or the sandbox).

    Parameters
    ----------
    api_key
        The key; defaults to the ``ARGIL_API_KEY`` environment variable.
    base_url
        Defaults to ``ARGIL_BASE_URL``, else ``https://api.argil.ai/v1``. Plain http is only
        accepted to loopback.
    timeout
        Seconds: one number for both, or ``(connect, read)``. Default ``(5, 30)``.
    max_retries
        Retries per request for transient failures (see ``argil_nb.waiting.retry``).
        Default 4.
    max_workers
        Requests in flight at once for the batch calls; also the connection pool size.
    backoff_factor
        Base of the exponential backoff between retries, in seconds (>= 0).
    reads_per_minute, writes_per_minute
        The budgets that pace this client's requests (reads: GET; writes: POST, DELETE), in
        requests per minute. ``"auto"`` (the default): Argil's documented limits (600 and
        60) when talking to Argil's API host, no budget elsewhere (the sandbox, a proxy),
        where the limiter learns the server's limit from its 429s. ``None``: no budget,
        only what the server says or teaches (``Retry-After``, rate-limit headers, its
        429s). See :mod:`argil_nb.waiting.limiter`.
    read_burst, write_burst
        Requests that may go at once before the budget's pace applies; default one
        second's worth (at least 1).
    rate_limiter
        A :class:`argil_nb.waiting.RateLimiter` to use instead of one built from the budgets:
        share one between clients of the same workspace (Argil's limits are per workspace).
        Leave the budget arguments at their defaults when giving one.
    session
        A ``requests.Session`` to send through (for tests and proxies).

    Attributes
    ----------
    rate_limiter
        The limiter every request of this client waits for (batch workers, ``wait()``, the
        panel's poller, the CLI).

    Raises
    ------
    InvalidArgument
        When no key is given or found, or the base URL or a number is unusable.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        max_retries: int = 4,
        max_workers: int = 8,
        backoff_factor: float = 0.5,
        reads_per_minute: float | str | None = "auto",
        writes_per_minute: float | str | None = "auto",
        read_burst: int | None = None,
        write_burst: int | None = None,
        rate_limiter: RateLimiter | None = None,
        session: requests.Session | None = None,
    ) -> None:
        if api_key is not None and not isinstance(api_key, str):
            # The value itself is never shown: it may be a key of the wrong type.
            raise invalid("api_key", "a string", type(api_key))
        key = api_key if api_key is not None else os.environ.get("ARGIL_API_KEY")
        if not isinstance(key, str) or not key.strip():
            raise InvalidArgument(
                "No Argil API key. Pass api_key=... or set the ARGIL_API_KEY environment "
                "variable; for the offline sandbox, call argil_nb.connect(sandbox=True)."
            )
        if base_url is None:
            base_url = os.environ.get("ARGIL_BASE_URL") or DEFAULT_BASE_URL
        url = check_base_url(base_url)
        connect_read = _timeout_pair(timeout)
        check_int("max_retries", max_retries, minimum=0)
        check_int("max_workers", max_workers, minimum=1)
        check_number("backoff_factor", backoff_factor, at_least=0, unit="seconds")
        if session is not None and not isinstance(session, requests.Session):
            raise invalid("session", "a requests.Session", type(session))
        budgets = (reads_per_minute, writes_per_minute, read_burst, write_burst)
        if rate_limiter is None:
            host = urlsplit(url).hostname or ""
            rate_limiter = RateLimiter(
                _budget("reads_per_minute", reads_per_minute, argil_budget(host, "reads")),
                _budget("writes_per_minute", writes_per_minute, argil_budget(host, "writes")),
                read_burst=_burst("read_burst", read_burst),
                write_burst=_burst("write_burst", write_burst),
            )
        elif not isinstance(rate_limiter, RateLimiter):
            raise invalid("rate_limiter", "an argil_nb.waiting.RateLimiter", type(rate_limiter))
        elif budgets != ("auto", "auto", None, None):
            raise InvalidArgument(
                "pass either rate_limiter or the budgets (reads_per_minute, writes_per_minute, "
                "read_burst, write_burst), not both: the limiter has budgets of its own"
            )
        self.rate_limiter = rate_limiter
        self.max_workers = max_workers
        self._on_close: list[Callable[[], object]] = []  # connect(sandbox=True)'s release
        self._key_tail = key.strip()[-4:]
        self._http = Transport(
            key.strip(),
            url,
            timeout=connect_read,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            pool_size=max_workers,
            limiter=rate_limiter,
            session=session,
        )

    @property
    def base_url(self) -> str:
        """The API root this client talks to."""
        return self._http.base_url

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect, read)`` timeout in seconds."""
        return self._http.timeout

    @property
    def server_date(self) -> tuple[datetime, float] | None:
        """The server's clock: the ``Date`` header of the latest answer that carried one,
        and the local ``time.time()`` at which it arrived; None before any such answer.

        ``Date`` has whole seconds, so the server's time now is at least
        ``date + (time.time() - arrived)`` (``argil_nb.uploads`` bounds upload times so).
        """
        seen = self._http.last_date
        if seen is None:
            return None
        try:
            date = parsedate_to_datetime(seen[0])
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if date.tzinfo is None:  # RFC 7231: HTTP dates are GMT
            date = date.replace(tzinfo=UTC)
        return date.astimezone(UTC), seen[1]

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, api_key='…{self._key_tail}')"

    def close(self) -> None:
        """Release the pooled connections (a ``session=`` you passed stays yours to close),
        and stop the sandbox ``connect(sandbox=True)`` started, once no open client uses it."""
        self._http.close()
        closers, self._on_close = self._on_close, []
        for closer in closers:
            closer()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # single assets -----------------------------------------------------------------------

    def get_asset(self, asset_id: object) -> Asset:
        """Fetch one asset: ``GET /assets/{id}``.

        Parameters
        ----------
        asset_id
            A UUID string (any case) or ``uuid.UUID``.

        Returns
        -------
        Asset
            Its ``id``, ``name``, ``type``, ``status``, ``file_url``, ``thumbnail_url`` and
            ``created_at``; a notebook shows it as a card with its thumbnail.

        Raises
        ------
        InvalidAssetId
            Before any request, for an id that is not a UUID.
        AssetNotFound
            When the account has no such asset (``.asset_id`` says which).
        AuthenticationError
            For a missing or wrong key (401, 403).
        RateLimitError, ServerError, APIConnectionError
            When the API still refused, failed or could not be reached after the retries.

        Examples
        --------
        >>> asset = client.get_asset("3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60")  # doctest: +SKIP
        >>> asset.status                                                     # doctest: +SKIP
        'READY'
        """
        normal = normalize_id(asset_id)
        path = f"/assets/{normal}"
        try:
            response = self._http.request("GET", path)
        except AssetNotFound as exc:
            exc.asset_id = normal
            raise
        asset = _asset_from(_json(response, "GET", path), response, "GET", path)
        if canonical_id(asset.id) != normal:
            raise InvalidResponse(
                response.status_code, "GET", path, f"asked for {normal}, got {asset.id!r}"
            )
        return asset

    def create_asset(self, url: str, *, name: str | None = None, type: str | None = None) -> Asset:
        """Upload one asset by URL: ``POST /assets``; it starts ``PROCESSING``.

        For many, :meth:`create_assets` is faster and uploads each exactly once, even across
        an interrupt or a dead kernel.

        Parameters
        ----------
        url
            A publicly reachable http(s) URL of the file (Argil fetches it).
        name
            1 to 256 characters; defaults to the URL's file name.
        type
            ``"IMAGE"`` or ``"VIDEO"``; inferred from the URL's extension when omitted.

        Returns
        -------
        Asset
            The new asset, ``PROCESSING``: :meth:`wait` or :func:`argil_nb.watch` follow it.

        Raises
        ------
        InvalidArgument
            Before any request, when the URL, name or type is unusable.
        ServerError, APIConnectionError
            When the answer was a 5xx or never came: the asset may exist all the same (the
            message says so); it is not sent again, so it is never uploaded twice.
        AuthenticationError, RateLimitError
            For a wrong key; when the write limit still refused after the retries.

        Examples
        --------
        >>> asset = client.create_asset("https://media.example.com/beach.mp4")  # doctest: +SKIP
        >>> client.wait([asset.id])                                            # doctest: +SKIP
        """
        url, name, asset_type = upload_fields(url, name, type)
        body = {"name": name, "type": asset_type, "url": url}
        try:
            response = self._http.request("POST", "/assets", json=body, ok=(200, 201))
        except (ServerError, APIConnectionError) as exc:
            # The server may have acted on it (a proxy's 504, an answer lost on the way): a
            # plain retry could upload it twice.
            said = exc.message if isinstance(exc, ServerError) else str(exc)
            raise retold(
                exc,
                f"{sentence(said)} The asset may have been created all the same: look for an "
                f"asset named {name!r} before calling create_asset again, or upload with "
                "create_assets([...]), which looks for it and never uploads twice.",
            ) from exc  # create_assets reports the cause: it does look for it
        return _asset_from(_json(response, "POST", "/assets"), response, "POST", "/assets")

    def delete_asset(self, asset_id: object) -> None:
        """Delete one asset: ``DELETE /assets/{id}``.

        Parameters
        ----------
        asset_id
            A UUID string (any case) or ``uuid.UUID``.

        Raises
        ------
        InvalidAssetId
            Before any request, for an id that is not a UUID.
        AssetNotFound
            When the account has no such asset (``.asset_id`` says which).
        AuthenticationError
            For a missing or wrong key (401, 403).

        Examples
        --------
        >>> client.delete_asset(asset.id)  # doctest: +SKIP
        """
        normal = normalize_id(asset_id)
        try:
            self._http.request("DELETE", f"/assets/{normal}", ok=(200, 202, 204))
        except AssetNotFound as exc:
            exc.asset_id = normal
            raise

    def list_page(
        self,
        *,
        page: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        types: Iterable[str] = (),
        statuses: Iterable[str] = (),
    ) -> Page:
        """Fetch one page of ``GET /assets``.

        ``statuses`` empty means the API's default (READY only); pass every status to see all.
        Without the pagination headers (a proxy may strip them) a full page means "maybe one
        more": the next page is asked, until a short one; the total is then unknown (-1).
        """
        params: list[tuple[str, Any]] = [("type", t) for t in types]
        params += [("status", s) for s in statuses]
        params += [("page", page), ("pageSize", page_size)]
        response = self._http.request("GET", "/assets", params=params)
        data = _json(response, "GET", "/assets")
        if not isinstance(data, list):
            raise InvalidResponse(
                response.status_code, "GET", "/assets", "expected a JSON array of assets"
            )
        assets = [_asset_from(item, response, "GET", "/assets") for item in data]
        headers = response.headers
        count = _int_header(headers, "X-Total-Count", -1)
        if count >= 0:
            pages = _int_header(headers, "X-Total-Pages", -(-count // page_size))
        else:
            more = len(assets) >= page_size
            pages = _int_header(headers, "X-Total-Pages", page + 1 if more else page)
        return Page(assets, _int_header(headers, "X-Page", page), pages, count)

    # many assets (listing, polling and uploads do the work) -----------------------------

    def get_assets(
        self, ids: Any, *, errors: str = "raise", progress: bool | None = None
    ) -> pd.DataFrame:
        """Fetch many assets into one frame, by per-id GETs or listing, whichever is cheaper.

        Parameters
        ----------
        ids
            Asset ids (str or ``uuid.UUID``), a Series, or a frame with an ``id`` column (its
            rows without an id are skipped, with a warning). Checked before any request;
            duplicates are fetched once.
        errors
            ``"raise"`` (default): raise :class:`BatchError` after the batch if any id failed.
            ``"coerce"``: return every id, a failed one with NA fields and its error in an
            ``error`` column.
        progress
            ``None``: a progress bar for a call that takes more than a moment; True or False:
            always, never.

        Returns
        -------
        pandas.DataFrame
            One row per distinct id, in first-seen order, with the columns ``id``, ``name``,
            ``type``, ``status`` (``string``), ``created_at`` (``datetime64[ns, UTC]``),
            ``file_url``, ``thumbnail_url`` (``string``), and ``error`` with ``"coerce"``.

        Raises
        ------
        InvalidAssetId, InvalidArgument
            Before any request, for a bad id or argument.
        BatchError
            With ``errors="raise"``, when an id failed (not found, or a transient failure
            that outlived its retries): ``.frame`` holds the rows fetched, ``.errors`` each
            failed id's exception.
        AuthenticationError
            For a wrong key, at once, whatever the number of ids.
        KeyboardInterrupt
            On Ctrl-C, within a second or two: nothing more is sent.

        Examples
        --------
        >>> frame = client.get_assets(ids)                       # doctest: +SKIP
        >>> frame.groupby("status").size()                        # doctest: +SKIP
        """
        return get_assets(self, ids, errors=errors, progress=progress)

    def list_assets(
        self,
        *,
        type: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """Every asset of the account, every status by default, every page.

        ``GET /assets`` alone lists READY assets only, twenty at a time: this lists each
        status asked, completely, even while assets are uploaded, finish and are deleted
        (see :mod:`argil_nb.listing` for what it assumes of the API, and the cost).

        Parameters
        ----------
        type
            One type or several (``"IMAGE"``, ``"VIDEO"``, ``"AUDIO"``); None: all.
        status
            One status or several (``"PROCESSING"``, ``"READY"``, ``"FAILED"``); None:
            every status.
        progress
            ``None``: a progress bar for a listing that takes more than a moment; True or
            False: always, never.

        Returns
        -------
        pandas.DataFrame
            One row per asset, with the columns of :meth:`get_assets` (no ``error``). Every
            asset that exists for the whole call is in it exactly once, with the latest
            status seen.

        Raises
        ------
        InvalidArgument
            Before any request, for an unknown type or status.
        AuthenticationError
            For a wrong key, at once.
        RateLimitError, ServerError, APIConnectionError
            When a page still failed after its retries.
        KeyboardInterrupt
            On Ctrl-C, within a second or two.

        Examples
        --------
        >>> account = client.list_assets()                        # doctest: +SKIP
        >>> failed = client.list_assets(status="FAILED")          # doctest: +SKIP
        """
        return list_assets(self, type=type, status=status, progress=progress)

    def create_assets(
        self,
        items: Any,
        *,
        journal: str | os.PathLike[str] | None = None,
        errors: str = "raise",
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """Upload many URLs, each exactly once, at the write limit, resumable.

        Every row is checked before any request. The POSTs go as fast as the write limit
        allows; one whose answer was lost (a 5xx, a dropped connection) is looked for before
        it is sent again. A journal records each row, so the same call run again after
        Ctrl-C, a crash or a dead kernel uploads only what is missing.

        Parameters
        ----------
        items
            URLs, or a DataFrame with a ``url`` column and optional ``name`` and ``type``
            columns (a blank cell: the name from the URL's file name, the type from its
            extension). Names must be unique within the batch (a name is how a lost upload
            is recognised).
        journal
            None (default): a journal in your cache folder, one per API and set of items,
            kept 30 days. A path: the journal is kept there. False: none (the batch is then
            exactly once within this call only).
        errors
            ``"raise"`` (default): raise :class:`BatchError` after the batch if a row failed.
            ``"coerce"``: return every row, a failed one with NA fields (no id) and its
            error in an ``error`` column.
        progress
            ``None``: a progress bar for a batch that takes more than a moment (it says when
            the rate limit holds it); True or False: always, never.

        Returns
        -------
        pandas.DataFrame
            One row per item, in order: the columns of :meth:`get_assets` plus ``url``
            (and ``error`` with ``"coerce"``). Pass it to :meth:`wait` or
            :func:`argil_nb.watch`.

        Raises
        ------
        InvalidArgument
            Before any request: every bad row at once, duplicate names (and their rows), an
            unusable journal.
        BatchError
            With ``errors="raise"``: ``.frame`` holds the rows uploaded, ``.errors`` maps
            each failed row's position (from 0) to its error; the same call run again
            sends only those.
        AuthenticationError
            For a wrong key, at once: nothing more is sent.
        JournalError
            When the journal cannot be written: nothing more is sent.
        KeyboardInterrupt
            On Ctrl-C, within a second or two: nothing new is sent, the uploads in flight
            are recorded, ``.frame`` holds what was made; the same call run again finishes.

        Examples
        --------
        >>> items = pd.read_csv("broll.csv")                       # doctest: +SKIP
        >>> done = client.create_assets(items)                     # doctest: +SKIP
        >>> client.wait(done)                                      # doctest: +SKIP
        """
        return create_assets(self, items, journal=journal, errors=errors, progress=progress)

    def wait(self, ids: Any, *, timeout: float = 600, progress: bool | None = None) -> pd.DataFrame:
        """Poll until every asset is READY or FAILED; return the final frame.

        Each round asks only for the assets not finished yet, by listing or per-id GETs,
        whichever is cheaper; the pause between rounds grows while nothing changes (0.5 s
        to 5 s) and every request waits for this client's rate limiter.

        Parameters
        ----------
        ids
            As for :meth:`get_assets`: ids, a Series, or a frame with an ``id`` column (the
            frame :meth:`create_assets` returns; its rows without an id are skipped, with
            a warning).
        timeout
            Seconds before giving up (>= 0; ``math.inf``: no limit).
        progress
            ``None``: a bar of the assets finished, once the wait lasts more than a moment;
            True or False: always, never.

        Returns
        -------
        pandas.DataFrame
            One row per id, with the columns of :meth:`get_assets`, every status READY or
            FAILED.

        Raises
        ------
        WaitTimeout
            Also a ``TimeoutError``: some assets were not finished after ``timeout``
            seconds; ``.frame`` holds the last statuses seen.
        BatchError
            When an asset does not exist (or was deleted while waiting).
        AuthenticationError
            For a wrong key, at once.
        KeyboardInterrupt
            On Ctrl-C, within a second or two.

        Examples
        --------
        >>> done = client.wait(ids, timeout=300)                  # doctest: +SKIP
        >>> done["status"].value_counts()                         # doctest: +SKIP
        """
        return wait(self, ids, timeout=timeout, progress=progress)


def _budget(name: str, value: object, auto: float | None) -> float | None:
    if value == "auto":
        return auto
    if value is None:
        return None
    takes = "a number of requests per minute > 0, None (no budget) or 'auto'"
    if not is_number(value) or not 0 < value < float("inf"):  # type: ignore[operator]
        raise invalid(name, takes, value)
    return float(value)  # type: ignore[arg-type]


def _burst(name: str, value: object) -> int | None:
    return None if value is None else check_int(name, value, minimum=1)


def _timeout_pair(timeout: object) -> tuple[float, float]:
    pair = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if len(pair) != 2 or not all(is_number(v) and 0 < v < float("inf") for v in pair):
        raise invalid("timeout", "a number of seconds > 0 or a (connect, read) pair", timeout)
    return (float(pair[0]), float(pair[1]))


def _json(response: requests.Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except ValueError:
        ctype = response.headers.get("Content-Type", "no content type")
        excerpt = " ".join(response.text.split())[:80]
        raise InvalidResponse(
            response.status_code,
            method,
            path,
            f"expected JSON, got {ctype} ({len(response.content)} bytes: {excerpt!r})",
        ) from None


def _asset_from(data: Any, response: requests.Response, method: str, path: str) -> Asset:
    try:
        return Asset.from_api(data)
    except ValueError as exc:
        message = f"malformed asset: {exc}"
        raise InvalidResponse(response.status_code, method, path, message) from None


def _int_header(headers: Any, name: str, default: int) -> int:
    try:
        return int(headers[name])
    except (KeyError, TypeError, ValueError):
        return default
