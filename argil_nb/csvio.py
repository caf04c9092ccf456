"""Lossless, spreadsheet-safe CSV for status tables.

The encoding, one rule per problem:

* NA is an empty field. A text value that is empty, or that starts with a character a
  spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR) or with the escape
  character ``'`` itself, gets one leading ``'``. :func:`read_csv` removes it, so the empty
  string, NA and every formula-looking text come back exactly as they were.
* ``created_at`` is ISO 8601 UTC with nanoseconds, ``2026-11-01T10:00:00.000000000Z``.
* UTF-8 with CRLF line ends (RFC 4180: a CR or LF inside a value gets quoted). A lone
  surrogate (invalid Unicode that a JSON ``\\ud800`` escape can carry) is written as its
  three bytes ("surrogatepass") so that it comes back too; other readers show U+FFFD.
  A NUL is written as it is and comes back too: before pandas 3.1, whose C parser cuts a
  text at a NUL, :func:`read_csv` reads a file holding one with pandas' python parser.
  The index is not written (a read frame has a fresh RangeIndex). Schema columns and
  ``error`` get their dtypes back; any other column comes back as ``string``.
* The write is atomic: a temporary file beside the target, then a rename. A new file gets
  the user's umask (0644 under the usual 022); an existing one keeps its mode.

What is refused, before anything is written: a path not ending in ``.csv``, a missing folder,
a directory, and, unless ``overwrite=True``, an existing file that argil_nb did not write: one
whose first line is not argil_nb's header (the schema's columns, in order, then any others).
An empty file counts as argil_nb's (nothing in it can be lost). So a typo cannot replace a
notebook, a spreadsheet or another CSV, even one with an ``id`` column.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from ._checks import invalid
from .errors import InvalidArgument
from .frames import COLUMNS, STRING, c_parser_cuts_at_nul

__all__ = [
    "check_csv_path",
    "read_csv",
    "to_csv",
    "unescape",
    "write_atomically",
    "written_by_argil_nb",
]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


def _escape(value: object) -> object:
    if value is None or value is pd.NA or not isinstance(value, str):
        return value
    return "'" + value if value == "" or value.startswith(_FORMULA_STARTS) else value


def unescape(value: object) -> object:
    """A cell as it was before :func:`to_csv` escaped it (one leading ``'`` taken off)."""
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]
    return value


def check_csv_path(
    path: str | os.PathLike[str], *, overwrite: bool = False, force: str = "overwrite=True"
) -> Path:
    """``path`` as a Path when :func:`to_csv` may write there; else :class:`InvalidArgument`.

    Parameters
    ----------
    path
        The target.
    overwrite
        Whether an existing file argil_nb did not write may be replaced.
    force
        How the caller says ``overwrite`` (``"--force"`` on the command line), for the message.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise invalid("path", "a str or a Path", type(path))
    if not isinstance(overwrite, bool):
        raise invalid("overwrite", "True or False", overwrite)
    target = Path(path)
    if target.suffix.lower() != ".csv":
        raise InvalidArgument(f"refusing to write {str(target)!r}: the path must end in .csv")
    if target.is_dir():
        raise InvalidArgument(f"refusing to write {str(target)!r}: it is a directory")
    if not target.parent.is_dir():
        raise InvalidArgument(
            f"cannot write {str(target)!r}: folder {str(target.parent)!r} does not exist"
        )
    if target.exists() and not overwrite and not written_by_argil_nb(target):
        raise InvalidArgument(
            f"refusing to overwrite {str(target)!r}: it is not a status table argil_nb wrote "
            f"(its first line is not {','.join(COLUMNS[:3])},...). Choose another path, or "
            f"pass {force} to replace it."
        )
    return target


def written_by_argil_nb(path: str | os.PathLike[str]) -> bool:
    """True for an empty file, or a CSV whose header starts with the schema's columns in order.

    The header :func:`to_csv` writes for any argil_nb frame; a CSV that merely has an ``id``
    column (a customer list, say) is someone else's.
    """
    try:
        with open(path, "rb") as handle:
            first = handle.readline(64 * 1024)
    except OSError:
        return False
    if not first.strip():
        return True
    try:
        header = next(csv.reader([first.decode("utf-8-sig")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return False
    return tuple(header[: len(COLUMNS)]) == COLUMNS


def _encode(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=range(len(frame)))
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            utc = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
            texts = np.char.add(np.datetime_as_string(utc, unit="ns"), "Z").astype(object)
            texts[column.isna().to_numpy()] = None
            out[name] = texts
        elif column.dtype == object or isinstance(
            column.dtype, (pd.StringDtype, pd.CategoricalDtype)
        ):
            values = column.astype(object).to_numpy()
            out[name] = [_escape(v) for v in values]
        else:
            out[name] = column.to_numpy()
    return out


def to_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write a status table to ``path`` as CSV, atomically and spreadsheet-safe.

    Parameters
    ----------
    frame
        A frame from argil_nb (any extra columns are written too).
    path
        Where to write; must end in ``.csv``. See the module docstring for what is refused.
    overwrite
        False (the default): an existing file is replaced only when argil_nb wrote it (see
        :func:`written_by_argil_nb`). True: replace whatever is there.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidArgument(f"to_csv takes a pandas DataFrame, got {type(frame).__name__}")
    target = check_csv_path(path, overwrite=overwrite)
    encoded = _encode(frame)
    write_atomically(
        target,
        lambda handle: encoded.to_csv(handle, index=False, na_rep="", lineterminator="\r\n"),
        errors="surrogatepass",
        newline="",
    )
    return target


def write_atomically(
    target: Path, write: Callable[[TextIO], object], *, mode: int = 0o666, **open_args: Any
) -> Path:
    """Write ``target`` through a temporary file beside it, synced, then renamed over it.

    A reader sees the old file or the new one, never half of one, and a failure (Ctrl-C
    included) leaves the old one as it was. A file replaced keeps its mode; a new one gets
    ``mode`` less the user's umask. ``open_args`` go to ``open`` (UTF-8 by default).
    """
    temporary, descriptor = _create_beside(target, mode)
    try:
        with open(descriptor, "w", **{"encoding": "utf-8", **open_args}) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(temporary, target.stat().st_mode & 0o777)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def _create_beside(target: Path, mode: int) -> tuple[Path, int]:
    """A new, empty temporary file beside ``target``, open for writing.

    Created with ``mode`` for the system to apply the user's umask, as it does for any file
    the user creates (``tempfile`` makes 0600 files, and the mode survives the rename).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return temporary, os.open(temporary, flags, mode)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {str(target)!r}")


def _holds_nul(path: str | os.PathLike[str]) -> bool:
    """True when the file has a NUL byte (read in 1 MiB chunks); False when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return any(b"\0" in chunk for chunk in iter(lambda: handle.read(1 << 20), b""))
    except (OSError, TypeError):  # pandas reports a missing file or a bad path itself
        return False


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table written by :func:`to_csv`, with the argil_nb dtypes restored.

    Raises
    ------
    InvalidArgument
        When the file is not a status table: not UTF-8 CSV, no header, the schema's columns
        missing, or a ``created_at`` that is not ISO 8601.
    FileNotFoundError
        When there is no such file (the message names the full path it looked at).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise invalid("path", "a str or a Path", type(path))
    source = Path(path)
    if source.is_dir():
        raise InvalidArgument(f"{str(source)!r} is a folder: read_csv takes a .csv file's path")
    if not source.exists():
        full = source if source.is_absolute() else Path.cwd() / source
        raise FileNotFoundError(
            errno.ENOENT, f"No status table to read: no file {str(full)!r}", os.fspath(path)
        )
    # pandas < 3.1: the C parser cuts a text at a NUL byte; the python one reads it whole
    # (slower, so only for the rare file that holds one).
    engine = "python" if c_parser_cuts_at_nul() and _holds_nul(path) else "c"
    try:
        raw = pd.read_csv(
            path,
            dtype=object,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
            encoding_errors="surrogatepass",
            engine=engine,
        )
    except ValueError as exc:  # also UnicodeDecodeError, pandas' EmptyDataError, ParserError
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgument(f"{path!r} is not an argil_nb status table: {reason}") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InvalidArgument(
            f"{os.fspath(path)!r} is not an argil_nb status table: missing columns {missing}"
        )
    frame = pd.DataFrame(index=range(len(raw)))
    for name in raw.columns:
        values = [None if v is None or v != v else v for v in raw[name].to_numpy()]
        if name == "created_at":
            try:
                parsed = pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")
            except ValueError as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise InvalidArgument(
                    f"{os.fspath(path)!r}: created_at must be ISO 8601 text: {reason}"
                ) from None
            frame[name] = parsed.dt.as_unit("ns")
            continue
        frame[name] = pd.array([unescape(v) for v in values], dtype=STRING)
    return frame[list(raw.columns)]
