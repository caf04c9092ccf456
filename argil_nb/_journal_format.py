"""The upload journal's file format: records as bytes, and an existing file read back.

Pure code, no I/O but :func:`read_journal`; ``argil_nb.journal`` writes and locks the file.
The format itself is described in ``argil_nb.journal``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InvalidArgument

__all__ = [
    "HEADER_KIND",
    "VERSION",
    "encode",
    "header_record",
    "iso",
    "now",
    "parse_journal",
    "read_journal",
    "summary",
]

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
