"""The panel's CSV export: a file that never replaces another, and a link to download it.

The file is written by :func:`argil_nb.to_csv` (lossless, atomic). Its name is reserved
first with ``O_CREAT | O_EXCL``: the reservation cannot race another writer, and gives the
file the usual permissions (``0o666`` less the umask), which ``to_csv`` keeps when it
renames its temporary file over it. The link carries the bytes as a ``data:`` URI, so it
works for a browser on another machine than the kernel.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

import pandas as pd

from ..csvio import to_csv
from ..display import FONT, clip, esc
from ..errors import InvalidArgument

__all__ = ["MAX_DOWNLOAD_BYTES", "download_html", "export_frame"]

MAX_DOWNLOAD_BYTES = 20_000_000
"""Larger files are not sent to the browser (the link says where the file is instead)."""
_MAX_NUMBER = 10_000


def _reserve(target: Path, overwrite: bool) -> tuple[Path, bool]:
    """The path to write and whether this call created it (numbered when ``target`` exists)."""
    if overwrite and target.exists():
        return target, False
    for number in range(_MAX_NUMBER):
        candidate = target if number == 0 else target.with_stem(f"{target.stem}-{number}")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate, True
    raise InvalidArgument(f"cannot export: {target} and {_MAX_NUMBER} numbered names are taken")


def export_frame(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write ``frame`` to ``path`` as CSV and return the absolute path written.

    Parameters
    ----------
    frame
        The rows to write.
    path
        Where; must end in ``.csv`` and its folder must exist. When the file exists, the
        next free numbered name is used (``status-1.csv``, ...), unless ``overwrite``.
    overwrite
        Replace an existing status table at ``path``.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidArgument(f"path must be a str or a Path, got {type(path).__name__}")
    target = Path(path).expanduser().absolute()
    if target.suffix.lower() != ".csv":
        raise InvalidArgument(f"path must end in .csv, got {str(path)!r}")
    if not target.parent.is_dir():
        raise InvalidArgument(f"cannot export to {str(target)!r}: its folder does not exist")
    chosen, created = _reserve(target, overwrite)
    try:
        return to_csv(frame, chosen).absolute()
    except BaseException:
        if created:  # leave no empty file behind
            with contextlib.suppress(OSError):
                chosen.unlink()
        raise


def download_html(path: Path) -> str:
    """A link that downloads the file in the browser, or why there is none."""
    size = path.stat().st_size
    if size > MAX_DOWNLOAD_BYTES:
        return (
            f'<span style="{FONT};font-size:12px">{size // 1_000_000} MB: too large to send '
            f"to the browser; the file is at {clip(str(path), 300)}</span>"
        )
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<a download="{esc(path.name)}" href="data:text/csv;charset=utf-8;base64,{data}" '
        f'style="{FONT};font-size:12px;color:var(--jp-content-link-color,#1d4ed8);'
        f'text-decoration:underline">download {clip(path.name, 120)}</a>'
    )
