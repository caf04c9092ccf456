"""``create_assets``: upload a batch of URLs exactly once, at the write limit, resumable.

The client never imports this module at import time (``Client.create_assets`` delegates
here lazily). One call:

1. Checks every row before any request (``rows.upload_rows``: URLs, names, types, names
   unique), then opens, reads and locks the journal (``journal.open_journal``).
2. Rows the journal records as uploaded are fetched (``Client.get_assets``), not created.
   Rows whose intent it records without an answer are *lost*: looked for
   (``reconcile.find_lost``) and adopted when found, uploaded when not.
3. The other rows are POSTed on ``client.max_workers`` threads. Each POST waits for the
   client's rate limiter (the write budget, a 429's ``Retry-After``), so the batch goes at
   the write limit and no faster. Before each POST the row's intent is journaled (with a
   lower bound of the server's clock); after the answer, its asset id.
4. A POST is retried by the transport only when the server cannot have acted on it (a 429,
   a failure to connect; ``waiting.retry``). After an ambiguous failure (a 5xx, a dropped
   connection, a read timeout, a 2xx that is not an asset) the row is lost: after
   ``waiting.Settle`` it is looked for, then adopted or sent again, at most
   :data:`MAX_POSTS` times in one call. A row that cannot be looked for (the listing
   fails) is never sent again: it is reported, and the next call with the journal looks
   for it again.
5. Once :data:`waiting.BREAKER` POSTs in a row failed transiently (an outage), no more are
   sent; the rows left are reported.

See docs/reliability.md for what "exactly once" covers and what it cannot.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from .._checks import check_choice, is_missing
from ..batch import Progress, batch_stop
from ..errors import (
    APIConnectionError,
    APIError,
    ArgilError,
    AssetNotFound,
    AuthenticationError,
    BatchError,
    InvalidResponse,
    JournalError,
    RateLimitError,
    ServerError,
    retold,
    warn,
)
from ..frames import ERROR_COLUMN, STRING, assets_frame, empty_frame
from ..models import Asset, canonical_id
from ..waiting import BREAKER, QUIET_AFTER, Breaker, Settle, Stop, Stopped, settle_seconds
from .journal import Journal, check_journal_path, default_journal, open_journal
from .reconcile import ClockSource, Lost, ServerClock, find_lost
from .rows import UploadRow, upload_rows

__all__ = ["MAX_POSTS", "URL_COLUMN", "UploadClient", "create_assets"]

log = logging.getLogger("argil_nb")

MAX_POSTS = 3
"""POSTs one row may take in one call (each after its asset was looked for and not found)."""
URL_COLUMN = "url"
_AMBIGUOUS = (ServerError, APIConnectionError, InvalidResponse)


class UploadClient(ClockSource, Protocol):
    """What ``create_assets`` needs of a client (an ``argil_nb.Client``)."""

    @property
    def base_url(self) -> str: ...

    @property
    def timeout(self) -> tuple[float, float]: ...

    def create_asset(
        self, url: str, *, name: str | None = None, type: str | None = None
    ) -> Asset: ...

    def get_assets(
        self, ids: Any, *, errors: str = "raise", progress: bool | None = None
    ) -> pd.DataFrame: ...


def _record(row: pd.Series) -> dict[str, Any]:
    """A frame row back to API keys, for ``assets_frame``."""
    keys = {"id": "id", "name": "name", "type": "type", "status": "status"}
    keys.update(created_at="createdAt", file_url="fileUrl", thumbnail_url="thumbnailUrl")
    return {api: None if is_missing(row[col]) else row[col] for col, api in keys.items()}


class _Batch:
    """The state of one ``create_assets`` call: each row ends in ``assets`` or ``errors``."""

    def __init__(
        self,
        client: UploadClient,
        rows: list[UploadRow],
        book: Journal,
        bar: Progress,
        settle: Settle,
        clock: ServerClock,
    ) -> None:
        self.client, self.rows, self.book, self.bar = client, rows, book, bar
        self.settle, self.clock = settle, clock
        self.assets: dict[int, Asset | dict[str, Any]] = {}
        self.errors: dict[int, Exception] = {}
        self.lost: dict[int, Lost] = {}
        self.todo: list[int] = []
        self.posts: dict[int, int] = {}
        self.last_error: dict[int, Exception] = {}
        self.stopped: JournalError | AuthenticationError | None = None  # nothing more is sent
        self._stop = Stop()  # the round's: set, its waiting workers send nothing
        self._lock = threading.Lock()

    # -- what the journal says ----------------------------------------------------------------

    def load(self) -> None:
        """Sort the rows by their journal state; fetch those already uploaded."""
        uploaded: dict[str, list[int]] = {}
        for row in self.rows:
            state = self.book.states.get(row.key)
            if state is not None and state.asset_id is not None:
                asset_id = canonical_id(state.asset_id) or state.asset_id
                uploaded.setdefault(asset_id, []).append(row.index)
            elif state is not None and state.unknown and state.since is not None:
                self.lost[row.index] = Lost(row.key, row.name, row.type, state.since, state.clock)
            else:
                self.todo.append(row.index)
        if uploaded:
            self._fetch(uploaded)
        if self.todo or self.lost:
            self.clock.sync()
        if self.lost:
            now, _ = self.clock.now()
            quiet = now - timedelta(seconds=QUIET_AFTER)
            if any(item.since > quiet for item in self.lost.values()):
                self.settle.note()  # the batch that died may have a POST still in the server

    def _fetch(self, uploaded: dict[str, list[int]]) -> None:
        try:
            frame = self.client.get_assets(list(uploaded), progress=False)
            failed: dict[str, Exception] = {}
        except BatchError as exc:
            frame, failed = exc.frame, dict(exc.errors)
        for _, row in frame.iterrows():
            for index in uploaded.get(str(row["id"]), ()):
                self.assets[index] = _record(row)
        for asset_id, error in failed.items():
            for index in uploaded.get(asset_id, ()):
                if isinstance(error, AssetNotFound):
                    why = (
                        f"row {index} was uploaded (asset {asset_id}, in the journal) but the "
                        "account no longer has it: deleted since? It is not uploaded again; "
                        "to upload it anew, pass that row alone with a new journal"
                    )
                else:
                    why = (
                        f"row {index} was uploaded (asset {asset_id}, in the journal) but "
                        f"could not be fetched: {error}. Call again to fetch it"
                    )
                self.errors[index] = retold(error, why)
        self.bar.update(sum(len(v) for v in uploaded.values()))

    # -- rounds ------------------------------------------------------------------------------

    def run(self) -> None:
        for attempt in range(MAX_POSTS + 1):
            if self.lost and not self.stopped:
                self._look_for_lost()
            if not self.todo or attempt == MAX_POSTS or self.stopped:
                break
            self._post_round()
        for index in self.todo:
            self.errors[index] = self.last_error.get(index) or ArgilError(
                f"row {index} was not sent: the batch stopped"
            )
        self.todo = []

    def _look_for_lost(self) -> None:
        lost, self.lost = self.lost, {}
        self.settle.wait(len(lost))
        try:
            found = find_lost(self.client, list(lost.values()))
        except ArgilError as exc:
            for index, item in lost.items():
                self.errors[index] = retold(
                    exc,
                    f"row {index} ({item.name!r}) may have been uploaded, and could not be "
                    f"looked for: {exc}. It is not sent again; "
                    + (
                        "call again with the same journal to look for it again"
                        if self.book.path is not None
                        else "look for an asset of that name before uploading it again"
                    ),
                )
            return
        for index, item in lost.items():
            row = self.rows[index]
            asset = found.get(item.key)
            try:
                if asset is not None:
                    log.debug("uploads: row %d was uploaded (%s): adopted", index, asset.id)
                    self.assets[index] = asset
                    self.bar.update()
                    self.book.done(row, asset.id, "adopted")
                    continue
                self.book.absent(row)
            except JournalError as broken:
                self.stopped = self.stopped or broken
                if asset is None:
                    self.errors[index] = broken
                continue
            if self.posts.get(index, 0) < MAX_POSTS:
                self.todo.append(index)
            else:
                self.errors[index] = self.last_error.get(index) or ArgilError("not uploaded")

    def _post_round(self) -> None:
        todo, self.todo = self.todo, []
        breaker = Breaker()
        workers = max(1, min(self.client.max_workers, len(todo)))
        stop = self._stop = batch_stop()
        pool = ThreadPoolExecutor(workers, thread_name_prefix="argil-upload")
        futures = {pool.submit(self._scoped, stop, index, breaker): index for index in todo}
        try:
            wait(futures)
        except BaseException:
            # Ctrl-C: the rows not started are not sent, those waiting for their slot are
            # woken and send nothing, those in flight are settled (their answer recorded).
            stop.set()
            for future in futures:
                future.cancel()
            wait(futures)
            raise
        finally:
            pool.shutdown(wait=False)
            for future, index in futures.items():
                if future.cancelled():
                    with self._lock:
                        self.todo.append(index)
        for future in futures:
            future.result()  # a bug in _post, not a row's failure: raise it

    def _scoped(self, stop: Stop, index: int, breaker: Breaker) -> None:
        with stop.scope():
            self._post(index, breaker)

    def _post(self, index: int, breaker: Breaker) -> None:
        row = self.rows[index]
        if self.stopped is not None or breaker.tripped is not None:
            self._not_sent(index, breaker)
            return
        at, clock = self.clock.now()
        try:
            self.book.intent(row, at, clock)
        except JournalError as exc:
            self.stopped = self.stopped or exc
            self._not_sent(index, breaker)
            return
        with self._lock:
            self.posts[index] = self.posts.get(index, 0) + 1
        try:
            asset = breaker.call(lambda: self._create(row))
            if isinstance(asset, RateLimitError):
                raise asset
            if isinstance(asset, Stopped):  # Ctrl-C before it was sent
                self.book.absent(row)
                with self._lock:
                    self.todo.append(index)
                return
            if asset is None:  # the breaker tripped meanwhile: not sent
                self.book.absent(row)
                self._not_sent(index, breaker)
                return
            self.assets[index] = asset
            self.bar.update()
            self.book.done(row, asset.id, "created")
        except JournalError as exc:
            self.stopped = self.stopped or exc
        except _AMBIGUOUS as exc:
            log.debug("uploads: row %d: %s; will look for it", index, type(exc).__name__)
            cause = exc.__cause__ if isinstance(exc.__cause__, _AMBIGUOUS) else exc
            with self._lock:
                self.last_error[index] = cause  # not create_asset's advice: it is followed here
                self.lost[index] = Lost(row.key, row.name, row.type, at, clock)
            self.settle.note()
        except AuthenticationError as exc:  # a wrong key: every row would be refused
            self.stopped = self.stopped or exc
            self._stop.set()
            self.errors[index] = exc
            with contextlib.suppress(JournalError):
                self.book.refused(row, exc.status_code)
        except APIError as exc:  # the server answered that it did not act
            self.last_error[index] = exc
            if isinstance(exc, RateLimitError):
                with self._lock:
                    self.todo.append(index)
            else:
                self.errors[index] = exc
            try:
                self.book.refused(row, exc.status_code)
            except JournalError as journal_error:
                self.stopped = self.stopped or journal_error

    def _create(self, row: UploadRow) -> Asset | RateLimitError | Stopped:
        """One POST; a 429 (after the transport's retries) is returned, not raised: the
        server answered, so it does not count towards the breaker's outage. Nor does a
        POST that Ctrl-C kept from being sent."""
        try:
            return self.client.create_asset(row.url, name=row.name, type=row.type)
        except (RateLimitError, Stopped) as exc:
            return exc

    def _not_sent(self, index: int, breaker: Breaker) -> None:
        cause = breaker.tripped or self.stopped
        if isinstance(cause, JournalError):
            self.errors[index] = cause
            return
        why = f"{BREAKER} uploads in a row failed after their retries"
        self.errors[index] = retold(
            cause or ArgilError("stopped"),
            f"row {index} was not sent: {why}; the last error: {cause}",
        )


def _result(
    rows: list[UploadRow],
    assets: dict[int, Asset | dict[str, Any]],
    failed: dict[int, Exception],
    errors: str,
) -> pd.DataFrame:
    """The frame: one row per input row (``raise``: those that made it), plus ``url``."""
    keep = [r for r in rows if errors == "coerce" or r.index in assets]
    records: list[Any] = [assets.get(r.index) or {"name": r.name, "type": r.type} for r in keep]
    frame = assets_frame(records) if records else empty_frame()
    frame[URL_COLUMN] = pd.array([r.url for r in keep], dtype=STRING)
    if errors == "coerce":
        messages = [
            None if r.index in assets else f"{type(e).__name__}: {e}"
            for r in keep
            for e in [failed.get(r.index, ArgilError("not uploaded"))]
        ]
        frame[ERROR_COLUMN] = pd.array(messages, dtype=STRING)
    elif failed:
        hint = (
            "The rows uploaded are in .frame, each failed row's position in .errors: the same "
            "call run again sends only those (the journal knows the rest), or pass "
            "errors='coerce' to get every row with an 'error' column."
        )
        raise BatchError(frame, {index: failed[index] for index in sorted(failed)}, hint)
    return frame


def create_assets(
    client: UploadClient,
    items: Any,
    *,
    journal: Any = None,
    errors: str = "raise",
    progress: bool | None = None,
    settle: Settle | None = None,
    wall: Callable[[], float] = time.time,
) -> pd.DataFrame:
    """Upload a batch of URLs, each exactly once, as fast as the write limit allows.

    Parameters
    ----------
    client
        The client to send through; its rate limiter paces the POSTs.
    items
        URLs, or a DataFrame with a ``url`` column and optional ``name`` and ``type``
        columns (missing or blank cells: the name from the URL's file name, the type from
        its extension). Names must be unique within the batch.
    journal
        None: a journal in the user's cache folder, one per API and set of items
        (``journal.default_journal``), so the same call run again resumes the batch. A file
        path: the journal is kept there. False: none; the batch is exactly once within
        this call only.
    errors
        ``"raise"``: after the batch, raise :class:`BatchError` when a row failed.
        ``"coerce"``: return every row, failed ones with NA fields and an ``error`` column.
    progress
        None: a tqdm bar for 50 rows or more (it says when the rate limiter holds).
    settle, wall
        The settle wait and the wall clock (tests inject fakes).

    Returns
    -------
    pandas.DataFrame
        The standard schema plus ``url``, one row per input row, in input order.

    Raises
    ------
    InvalidArgument
        Before any request: every bad row at once, duplicate names, an unusable journal
        (a directory, not a journal, written for different items or another API).
    BatchError
        With ``errors="raise"``: ``.frame`` holds the rows uploaded, ``.errors`` maps each
        failed row's position (from 0) to its exception: pass those rows again (with the
        same journal) to finish the job.
    JournalError
        When the journal cannot be written: the batch stops sending.
    AuthenticationError
        At the first 401 or 403: nothing more is sent (a wrong key is wrong for every row).
    """
    check_choice("errors", errors, ("raise", "coerce"))
    rows = upload_rows(items)
    if journal is not None and journal is not False:
        check_journal_path(journal)
    if not rows:
        return _result([], {}, {}, errors)
    if journal is None:
        journal = _default_journal(client.base_url, rows)
    book = open_journal(journal, client.base_url)
    seconds = settle_seconds(client.timeout)
    bar = Progress(progress, len(rows), "argil uploading", "asset", client.rate_limiter)
    try:
        with book:
            book.begin(rows)
            batch = _Batch(
                client, rows, book, bar, settle or Settle(seconds), ServerClock(client, wall)
            )
            batch.load()
            try:
                batch.run()
            except KeyboardInterrupt:
                raise _interrupted(rows, batch, book.path) from None
    finally:
        bar.close()
    if batch.stopped is not None:
        raise batch.stopped
    return _result(rows, batch.assets, batch.errors, errors)


def _default_journal(base_url: str, rows: list[UploadRow]) -> Path | bool:
    try:
        return default_journal(base_url, [row.key for row in rows])
    except OSError as exc:
        warn(
            f"argil_nb could not keep this batch's journal in the cache folder ({exc}): the "
            "batch is exactly once within this call, but running it again after an interrupt "
            "uploads it again. Pass journal=PATH to keep one elsewhere."
        )
        return False


def _interrupted(rows: list[UploadRow], batch: _Batch, path: Path | None) -> KeyboardInterrupt:
    """Ctrl-C: what was made, and how to finish; the frame of what was made as ``.frame``."""
    made = sum(1 for row in rows if row.index in batch.assets)
    if path is not None:
        how = f"Run the same call again: it uploads only the rest (the journal is {path})."
    else:
        how = "Without a journal, running it again uploads every row again: pass the rest."
    stop = KeyboardInterrupt(
        f"create_assets stopped by Ctrl-C: {made} of {len(rows)} rows uploaded, nothing more "
        f"was sent. {how} The rows uploaded are in .frame."
    )
    stop.frame = _result(  # type: ignore[attr-defined]
        [r for r in rows if r.index in batch.assets], batch.assets, {}, "raise"
    )
    return stop
