"""The files a command reads and writes, checked before its first request.

Each check raises :class:`Usage`, a message for the terminal (the command exits 2):

* an ids or items file: it exists, is a file, is UTF-8 text, has what the command needs; a
  bad value is named by its line, so that the user can find it in an editor;
* an output: the path :func:`argil_nb.csvio.check_csv_path` accepts (``--force`` replaces a
  file argil_nb did not write), and never one of the command's inputs.

A ``.csv`` is read as :func:`argil_nb.read_csv` reads what :func:`argil_nb.to_csv` wrote: one
leading ``'`` (the escape that keeps a spreadsheet from running ``=...`` as a formula) is taken
off, so a table argil_nb wrote can be fed back as it is. Any other file holds one value a line;
blank lines and ``#`` comments are skipped.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from .._checks import is_web_url
from ..csvio import check_csv_path, unescape
from ..errors import InvalidArgument
from ..models import canonical_id
from ..uploads import read_journal
from ..uploads.journal import HEADER_KIND, Journal
from ..uploads.rows import UploadRow, upload_fields

__all__ = [
    "Item",
    "Usage",
    "check_journal",
    "check_output",
    "journal_state",
    "read_ids",
    "read_items",
]

_SHOWN = 3


class Usage(Exception):
    """A command given something it cannot use: the message, then exit 2, nothing sent."""


@dataclass(frozen=True)
class Item:
    """One upload: where it is in its file, its cells (None: blank), and its journal key."""

    line: int
    url: str
    name: str | None
    type: str | None
    key: str = ""


def _text(path: str, label: str) -> str:
    file = Path(path)
    if file.is_dir():
        raise Usage(f"{label} {path!r} is a folder: pass a file")
    if not file.is_file():
        raise Usage(f"{label} {path!r} does not exist")
    try:
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise Usage(f"{label} {path!r} is not UTF-8 text: pass a .csv or a text file") from None
    except OSError as exc:
        raise Usage(f"cannot read {label} {path!r}: {exc.strerror or exc}") from None


def _rows(path: str, label: str, column: str, more: str) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV with ``column``, cells unescaped; blank rows skipped."""
    text = _text(path, label)
    if not text.strip():
        raise Usage(f"{label} {path!r} is empty: it needs a header line with a {column!r} column")
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader)]
        if column not in header:
            shown = ", ".join(header[:8])
            raise Usage(
                f"{path!r} has no {column!r} column (its header: {shown}); the {label} needs "
                f"one{more}"
            )
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                raise Usage(
                    f"{path!r} line {reader.line_num} has {len(cells)} fields, its header "
                    f"{len(header)}: quote a value that holds a comma"
                )
            values = {h: str(unescape(c)) for h, c in zip(header, cells, strict=False)}
            rows.append((reader.line_num, values))
    except csv.Error as exc:
        raise Usage(f"{path!r} line {reader.line_num} is not CSV: {exc}") from None
    if not rows:
        raise Usage(f"{label} {path!r} has no rows under its header")
    return rows


def _lines(path: str, label: str) -> list[tuple[int, str]]:
    """(line, value) of a file of one value a line, without blanks and ``#`` comments."""
    lines = _text(path, label).splitlines()
    return [
        (number, line.strip())
        for number, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _many(path: str, problems: list[str], what: str) -> str:
    shown = "; ".join(problems[:_SHOWN])
    more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
    return f"{path!r}: {len(problems)} {what}: {shown}{more}"


def read_ids(path: str) -> tuple[list[str], int]:
    """Asset ids from a .csv with an ``id`` column, or one per line; each checked.

    Returns the ids, and how many rows of a .csv had none (a failed upload's row).
    """
    skipped = 0
    if Path(path).suffix.lower() == ".csv":
        found = [(n, row.get("id", "").strip()) for n, row in _rows(path, "ids file", "id", "")]
        skipped = sum(not v for _, v in found)
        found = [(n, v) for n, v in found if v]
    else:
        found = _lines(path, "ids file")
    if not found:
        raise Usage(f"ids file {path!r} holds no ids: put one asset id per line")
    bad = [f"line {n}: {v[:40]!r}" for n, v in found if canonical_id(v) is None]
    if bad:
        what = "values are not asset ids" if len(bad) > 1 else "value is not an asset id"
        example = "3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60"
        raise Usage(_many(path, bad, what) + f" (asset ids look like {example})")
    return [v for _, v in found], skipped


def read_items(path: str) -> list[Item]:
    """The uploads of an items file, each checked as the upload will check it.

    Every bad line is reported at once, with what to change in the file; so are names given
    to more than one line (a name is how a resumed upload recognises an upload whose answer
    was lost).
    """
    is_csv = Path(path).suffix.lower() == ".csv"
    if is_csv:
        more = ", and may have 'name' and 'type' columns"
        items = [
            Item(n, row["url"].strip(), row.get("name", "").strip() or None,
                 row.get("type", "").strip() or None)
            for n, row in _rows(path, "items file", "url", more)
        ]  # fmt: skip
    else:
        items = [Item(n, value, None, None) for n, value in _lines(path, "items file")]
    if not items:
        raise Usage(f"items file {path!r} holds no URLs: put one URL per line, or use a .csv")
    problems: list[str] = []
    names: dict[str, list[int]] = {}
    for at, item in enumerate(items):
        try:
            row = UploadRow(at, *upload_fields(item.url, item.name, item.type))
        except InvalidArgument as exc:
            problems.append(f"line {item.line}: {_why(item, exc)}")
            continue
        items[at] = replace(item, key=row.key)
        names.setdefault(row.name, []).append(item.line)
    if problems:
        hint = ""
        if any("cannot tell IMAGE" in p for p in problems):
            hint = "; add a type column (IMAGE or VIDEO)" + (
                " to the CSV" if is_csv else " to a .csv"
            )
        what = "lines cannot be uploaded" if len(problems) > 1 else "line cannot be uploaded"
        raise Usage(_many(path, problems, what) + f"; nothing was sent{hint}")
    twice = [(name, lines) for name, lines in names.items() if len(lines) > 1]
    if twice:
        name, lines = twice[0]
        also = f" (and {len(twice) - 1} more names)" if len(twice) > 1 else ""
        fix = "add a name column to the CSV" if is_csv else "use a .csv with a name column"
        raise Usage(
            f"{path!r} lines {', '.join(map(str, lines[:-1]))} and {lines[-1]} are both named "
            f"{name[:60]!r}{also}: each upload needs its own name, by which a resumed upload "
            f"recognises it\n{fix}, with a different name on each line; nothing was sent"
        )
    return items


def _why(item: Item, exc: InvalidArgument) -> str:
    """The problem in the file's terms."""
    if not item.url:
        return "no url"
    if item.type is None and is_web_url(item.url):
        try:
            upload_fields(item.url, item.name, "IMAGE")
        except InvalidArgument:
            pass
        else:  # only the type was missing: the file name has no known extension
            return f"cannot tell IMAGE or VIDEO from {item.url[:80]!r}"
    return str(exc).rstrip(".")


def _same(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(a).resolve() == Path(b).resolve()


def check_output(
    path: str, *, force: bool, inputs: dict[str, str | None], label: str = "--csv"
) -> None:
    """``path`` is somewhere the command may write its table; else :class:`Usage`.

    Parameters
    ----------
    inputs
        What the command reads, each by its description ("the input (--ids)"): an output is
        never one of them.
    """
    for what, source in inputs.items():
        if source is not None and _same(path, source):
            raise Usage(
                f"{label} {path!r} is also {what}: argil_nb never writes over what it reads; "
                "choose another path"
            )
    try:
        check_csv_path(path, overwrite=force, force="--force")
    except InvalidArgument as exc:
        raise Usage(str(exc)) from None


def check_journal(journal: str, items: str) -> None:
    """``--journal`` can be the batch's journal: a file (new, or one an upload wrote) in a
    folder that exists, and not the items file."""
    path = Path(journal)
    if path.is_dir():
        raise Usage(f"--journal {journal!r} is a folder: pass a file, e.g. uploads.jsonl")
    if not path.absolute().parent.is_dir():
        raise Usage(f"--journal {journal!r}: folder {str(path.parent)!r} does not exist")
    if path.exists() and _same(journal, items):
        raise Usage(f"--journal {journal!r} is also the input items file: choose another path")
    if path.is_file() and path.stat().st_size:
        try:
            records = read_journal(path)
        except OSError as exc:
            raise Usage(f"cannot read --journal {journal!r}: {exc.strerror or exc}") from None
        if not records or records[0].get("journal") != HEADER_KIND:
            raise Usage(
                f"--journal {journal!r} is not an argil_nb upload journal; it is left as it is: "
                "pass a new file's path, or one an upload wrote"
            )


def journal_state(journal: str, keys: list[str]) -> tuple[int, list[datetime]]:
    """Of these rows (by key): how many the journal has as uploaded, and when each row sent
    without an answer was sent (the uploads a resumed batch first looks for)."""
    if not Path(journal).is_file():
        return 0, []
    book = Journal()  # replays the records as create_assets does
    for record in read_journal(journal):
        book.apply(record)
    states = [book.states[k] for k in dict.fromkeys(keys) if k in book.states]
    lost = [s.since for s in states if s.unknown and s.since is not None]
    return sum(s.asset_id is not None for s in states), lost
