"""The upload journal: an append-only JSON Lines file that makes a batch resumable.

Every ``create_assets`` call keeps one: by default in the user's cache folder
(:func:`default_journal`: one file per API and set of items, so the same call run again
after Ctrl-C, a crash or a dead kernel uploads only what is missing; removed after
:data:`KEEP_DAYS` days unused), or at the path given (``journal="uploads.jsonl"``);
``journal=False`` keeps it in memory only. It holds one JSON object per line, each written
in one ``write`` and fsynced before the batch goes on::

    {"journal":"argil_nb uploads","version":1,"base_url":"https://api.argil.ai/v1","created":T}
    {"event":"batch","keys":["3b1f…",…],"rows":300,"at":T}        rows new to the journal
    {"event":"intent","key":K,"row":4,"url":U,"name":N,"type":"VIDEO","at":T,"clock":"server"}
    {"event":"done","key":K,"id":ID,"how":"created","at":T}        or "adopted" (reconciled)
    {"event":"absent","key":K,"at":T}        looked for after a lost answer: no such upload
    {"event":"refused","key":K,"status":400,"at":T}    answered without creating (4xx, 429)
    {"event":"torn","at":T}                  the line before is a write cut short by a crash

``K`` is a row's key (:attr:`argil_nb.uploads.rows.UploadRow.key`: a hash of its URL, name
and type), ``U`` its URL without the query string and fragment (:func:`shown_url`: a
pre-signed URL's signature is a secret), ``T`` an ISO 8601 UTC time. An intent's ``at`` is a
lower bound of the server's clock when it was written (``clock: "server"``, from the
``Date`` of its answers), or the local clock when the server sends no ``Date``
(``"local"``). The API key is never written. The names and the URLs' paths are: share a
journal as you would the item list.

A row's state is its last record: none, ``absent`` or ``refused``: not uploaded; ``done``:
uploaded, with that id; ``intent``: maybe uploaded, to be looked for (from the earliest
intent since its last ``absent`` or ``refused``).

The file is only ever appended to, under an exclusive lock (``flock``) so that two
processes cannot run one batch at once. A write that fails (a full disk) is taken back to
the previous length, so the file holds whole records only. A crash can still cut the last
line short: it is ignored, and the next writer ends it with a newline and a ``torn``
record. A journal is never rewritten or truncated (beyond taking back a failed write), and
only a default one is ever removed (unused for :data:`KEEP_DAYS` days).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .._checks import invalid
from ..errors import InvalidArgument, JournalError
from ..models import parse_timestamp
from .rows import UploadRow

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "KEEP_DAYS",
    "Journal",
    "RowState",
    "check_journal_path",
    "default_journal",
    "open_journal",
    "read_journal",
    "shown_url",
    "summary",
]

log = logging.getLogger("argil_nb")


@dataclass
class RowState:
    """What the journal says of one row (see the module docstring)."""

    key: str
    asset_id: str | None = None
    since: datetime | None = None
    name: str | None = None
    clock: str = "server"

    @property
    def unknown(self) -> bool:
        """Sent, answer lost: to be looked for before uploading it again."""
        return self.asset_id is None and self.since is not None


class Journal:
    """The bookkeeping of one batch; this base class keeps it in memory only (no journal).

    :func:`open_journal` returns the file-backed one. Thread-safe.
    """

    path: Path | None = None

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.states: dict[str, RowState] = {}
        self.known: set[str] = set()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the file (and its lock)."""

    # -- what the batch records -------------------------------------------------------------

    def begin(self, rows: list[UploadRow]) -> None:
        """Take the rows of a call; refuse them when they belong to another batch.

        Raises
        ------
        InvalidArgument
            When a row has the name of a row the journal knows with another URL or type, or
            when the journal knows rows and none of these.
        """
        names = {s.name: s.key for s in self.states.values() if s.name is not None}
        for row in rows:
            other = names.get(row.name)
            if other is not None and other != row.key:
                raise InvalidArgument(
                    f"the journal {self._shown()} has a row named {row.name[:60]!r} with "
                    f"another URL or type than row {row.index} ({row.url[:80]!r}): it was "
                    "written for different items. Pass the items it was written for, or a "
                    "new journal path for a new batch (the file is left as it is)."
                )
        keys = [row.key for row in rows]
        if self.known and not self.known.intersection(keys):
            raise InvalidArgument(
                f"the journal {self._shown()} was written for different items: none of these "
                f"{len(rows)} rows is in it. Pass the items it was written for to resume "
                "that batch, or a new journal path for a new batch (the file is left as it is)."
            )
        new = [k for k in dict.fromkeys(keys) if k not in self.known]
        if new:
            self._add({"event": "batch", "keys": new, "rows": len(rows), "at": now()})

    def intent(self, row: UploadRow, at: datetime, clock: str) -> None:
        """Before a POST: the row is about to be sent (``at``: a lower bound, see above)."""
        record = {"event": "intent", "key": row.key, "row": row.index, "url": shown_url(row.url)}
        record.update(name=row.name, type=row.type, at=iso(at), clock=clock)
        self._add(record)

    def done(self, row: UploadRow, asset_id: str, how: str) -> None:
        """The row's asset: ``how`` is ``"created"`` (answered) or ``"adopted"`` (found)."""
        self._add({"event": "done", "key": row.key, "id": asset_id, "how": how, "at": now()})

    def absent(self, row: UploadRow) -> None:
        """Looked for after a lost answer: the server created nothing."""
        self._add({"event": "absent", "key": row.key, "at": now()})

    def refused(self, row: UploadRow, status: int) -> None:
        """The server answered without creating anything (a 4xx, or a 429)."""
        self._add({"event": "refused", "key": row.key, "status": status, "at": now()})

    # -- the state ----------------------------------------------------------------------------

    def _add(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._write_record(record)
            self.apply(record)

    def _write_record(self, record: dict[str, Any]) -> None:
        """Make the record durable (nothing to do in memory)."""

    def apply(self, record: dict[str, Any]) -> None:
        event, key = record.get("event"), record.get("key")
        if event == "batch":
            self.known.update(k for k in record.get("keys", ()) if isinstance(k, str))
            return
        if not isinstance(key, str):
            return
        state = self.states.setdefault(key, RowState(key))
        self.known.add(key)
        if event == "intent":
            at = parse_timestamp(record.get("at"))
            if state.since is None:
                state.clock = "server"
            if state.since is None or (at is not None and at < state.since):
                state.since = at or datetime.min.replace(tzinfo=UTC)
            if record.get("clock") != "server":
                state.clock = "local"
            state.asset_id = None
            name = record.get("name")
            state.name = name if isinstance(name, str) else state.name
        elif event == "done" and isinstance(record.get("id"), str):
            state.asset_id, state.since = record["id"], None
        elif event in ("absent", "refused"):
            state.since = None

    def _shown(self) -> str:
        return repr(str(self.path)) if self.path is not None else "(in memory)"


class _FileJournal(Journal):
    """A journal in a file: see the module docstring."""

    def __init__(self, path: Path, fd: int, size: int) -> None:
        super().__init__()
        self.path = path
        self._fd: int | None = fd
        self._size = size
        self._broken: JournalError | None = None

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)  # releases the flock too

    def _write_record(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n"
        self.append(line.encode("ascii"))

    def append(self, data: bytes) -> None:
        """Write ``data`` at the end and fsync; on failure take it back, raise JournalError."""
        if self._broken is not None:
            raise self._broken
        if self._fd is None:
            raise JournalError(f"the journal {self._shown()} is closed", str(self.path))
        before = self._size
        try:
            self._write(self._fd, data)
            os.fsync(self._fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, before)
            self._broken = _write_error(self.path, exc)
            raise self._broken from None
        self._size = before + len(data)

    @staticmethod
    def _write(fd: int, data: bytes) -> None:
        """``os.write`` until every byte is written (the kill test cuts it short here)."""
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            if written <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]


def _write_error(path: Path | None, exc: OSError) -> JournalError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    code = errno.errorcode.get(exc.errno or 0, "")
    return JournalError(
        f"could not write the upload journal {str(path)!r}: {reason}"
        f"{f' ({code})' if code else ''}. The batch stopped sending: no upload is sent "
        "before its record, and the journal holds whole records only. Free some space, or "
        "use a journal on a writable disk, then call create_assets again with the same items "
        "and journal: the rows it records as uploaded are not uploaded again.",
        str(path),
    )


# -- opening --------------------------------------------------------------------------------


def _directory(path: Path) -> InvalidArgument:
    return InvalidArgument(
        f"journal must be a file path, got the directory {str(path)!r}: pass e.g. "
        f"{str(path / 'uploads.jsonl')!r}"
    )


KEEP_DAYS = 30
"""Default journals not written to for this many days are removed (when another is opened)."""


def shown_url(url: str) -> str:
    """The URL as a journal keeps it: without its query string and fragment, which may hold
    a pre-signed URL's signature (the row's key, a hash, still tells the rows apart)."""
    parts = urlsplit(url)
    if not (parts.query or parts.fragment):
        return url
    return parts._replace(query="", fragment="").geturl() + "?…"


def default_journal(base_url: str, keys: Iterable[str], *, folder: Path | None = None) -> Path:
    """Where ``create_assets`` keeps a batch's journal when given none: the user's cache
    folder (``platformdirs``), one file per API and set of items (their rows' keys), so that
    the same call run again resumes it. Journals older than :data:`KEEP_DAYS` days there are
    removed.

    Raises ``OSError`` when the folder cannot be made.
    """
    folder = folder or platformdirs.user_cache_path("argil_nb") / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps([base_url, sorted(keys)])
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.jsonl"
    cutoff = time.time() - KEEP_DAYS * 86400
    for old in folder.glob("*.jsonl"):
        with contextlib.suppress(OSError):
            if old != path and old.stat().st_mtime < cutoff:
                old.unlink()
    return path


def check_journal_path(journal: object) -> Path:
    """``journal`` as a Path, when it can name a journal file; else InvalidArgument."""
    if not isinstance(journal, (str, os.PathLike)):
        raise invalid("journal", "a file path (str or pathlib.Path), None or False", type(journal))
    path = Path(journal)
    if path.is_dir():
        raise _directory(path)
    if not path.parent.is_dir():
        raise InvalidArgument(
            f"cannot write the journal {str(path)!r}: folder {str(path.parent)!r} does not exist"
        )
    return path


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def open_journal(journal: object, base_url: str) -> Journal:
    """The journal at ``journal`` (created when missing), read and locked; None: in memory.

    Raises
    ------
    InvalidArgument
        For a directory, a missing folder, a file that is not a journal or is damaged, or a
        journal written for another API. Nothing is written then.
    JournalError
        When the file cannot be created, locked (another process uses it) or written.
    """
    if journal is None or journal is False:
        return Journal()
    path = check_journal_path(journal)
    created = False
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
            created = True
        except FileExistsError:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
    except IsADirectoryError:
        raise _directory(path) from None  # made a directory meanwhile
    except OSError as exc:
        raise _write_error(path, exc) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JournalError(
                    f"the journal {str(path)!r} is in use by another process (a batch running "
                    "elsewhere with it): wait for it to finish, or use another path. Nothing "
                    "was sent.",
                    str(path),
                ) from None
        data = _read_all(fd)
        records, prefix = parse_journal(path, data, base_url)
        book = _FileJournal(path, fd, len(data))
        if prefix:
            book.append(prefix)
            if created:
                _fsync_dir(path)
        for record in records:
            book.apply(record)
        return book
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        if created:
            with contextlib.suppress(OSError):
                if path.stat().st_size == 0:
                    path.unlink()  # ours, just made, empty: nothing is lost
        raise


# -- the file format: records as bytes, an existing file read back (pure but read_journal) --

HEADER_KIND = "argil_nb uploads"
VERSION = 1
_PREFIX = b'{"journal":"argil_nb uploads"'


def iso(moment: datetime) -> str:
    """``2026-11-30T12:00:00.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now() -> str:
    """The current time as :func:`iso` text."""
    return iso(datetime.now(UTC))


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _not_ours(path: Path, first: bytes) -> InvalidArgument:
    shown = first[:60].decode("utf-8", "replace")
    return InvalidArgument(
        f"{str(path)!r} is not an argil_nb upload journal (its first line is {shown!r}); it is "
        "left as it is. Pass the path of a new file, or of a journal create_assets wrote."
    )


def _excused(parsed: list[dict[str, Any] | None], number: int) -> bool:
    """An unreadable line is a write cut short by a crash: the last lines, or one that the
    next writer ended with a ``torn`` record."""
    rest = parsed[number + 1 :]
    if all(r is None for r in rest):
        return True
    following = rest[0]
    return following is not None and following.get("event") == "torn"


def parse_journal(path: Path, data: bytes, base_url: str) -> tuple[list[dict[str, Any]], bytes]:
    """The records of a journal after its header, and what to write before appending.

    Raises InvalidArgument for a file that is not a journal, is damaged, or was written for
    another API.
    """
    if not data:
        return [], encode(header_record(base_url))
    lines = data.split(b"\n")
    ended = lines[-1] == b""
    if ended:
        lines.pop()
    parsed = [_parse(line) for line in lines]
    first = lines[0]
    if parsed[0] is None:
        if not (_PREFIX.startswith(first) or first.startswith(_PREFIX)):
            raise _not_ours(path, first)
    elif parsed[0].get("journal") != HEADER_KIND:
        raise _not_ours(path, first)
    records = [r for r in parsed if r is not None and r.get("event") != "torn"]
    damaged = [n for n, r in enumerate(parsed) if r is None and not _excused(parsed, n)]
    if records and records[0].get("journal") != HEADER_KIND:
        damaged.insert(0, 0)  # a header cut short, then other records
    if damaged:
        raise InvalidArgument(
            f"the journal {str(path)!r} is damaged at line {damaged[0] + 1} (not a JSON "
            "record, and not a write cut short by a crash). It is left as it is: use a new "
            "journal path, or repair that line by hand."
        )
    header = records[0] if records else None
    if header is not None:
        version = header.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise InvalidArgument(
                f"the journal {str(path)!r} was written by a newer argil_nb (version "
                f"{version!r}): upgrade argil_nb to resume it"
            )
        if header.get("base_url") != base_url:
            raise InvalidArgument(
                f"the journal {str(path)!r} was written for {header.get('base_url')!r}, and "
                f"this client talks to {base_url!r}: its uploads are not in this account. "
                "Use a client for that API, or a new journal path."
            )
    torn = encode({"event": "torn", "at": now()})
    prefix = b""
    if not ended:
        prefix = b"\n" if parsed[-1] is not None else b"\n" + torn
    elif parsed[-1] is None:
        prefix = torn
    if header is None:  # only a header cut short: the journal was being created
        prefix += encode(header_record(base_url))
    return records[1:], prefix


def encode(record: dict[str, Any]) -> bytes:
    """One record as a line of ASCII JSON."""
    return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")


def header_record(base_url: str) -> dict[str, Any]:
    """The first record of a journal for ``base_url``."""
    return {"journal": HEADER_KIND, "version": VERSION, "base_url": base_url, "created": now()}


def read_journal(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every whole record of a journal, in order (the header first), without locking it."""
    data = Path(path).read_bytes()
    return [r for r in (_parse(line) for line in data.split(b"\n") if line) if r is not None]


def summary(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many of each event a journal holds (for people and tests)."""
    counts: dict[str, int] = {}
    for record in records:
        event = str(record.get("event", "header" if "journal" in record else "?"))
        counts[event] = counts.get(event, 0) + 1
    return counts
