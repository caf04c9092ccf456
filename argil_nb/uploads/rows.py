"""What to upload: one URL, or the rows of a batch, checked before any request.

:func:`upload_fields` is the one home of the rules of ``POST /assets`` as argil_nb applies
them (``Client.create_asset`` and ``create_assets`` both ask it): an http(s) URL, a name of
1 to 256 characters that defaults to the URL's file name, a type that is ``IMAGE`` or
``VIDEO`` and is inferred from the file's extension when not given.

:func:`upload_rows` turns the items of a batch (URLs, or a frame with a ``url`` column and
optional ``name`` and ``type`` columns) into :class:`UploadRow`\\ s, reporting every bad row
at once. Names must be unique within a batch: a name is how a resumed batch recognises an
upload whose answer was lost (see ``argil_nb.uploads``).

Pure code: imports nothing of ours but the errors, ``_checks`` and ``models``.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import pandas as pd

from .._checks import invalid, is_missing, is_web_url
from ..errors import InvalidArgument
from ..models import IMAGE, VIDEO

__all__ = ["MAX_NAME", "UploadRow", "infer_type", "upload_fields", "upload_rows"]

MAX_NAME = 256
"""The longest asset name the API accepts, in characters."""
_IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".avif"}
_VIDEO_EXTENSIONS = {".mp4", ".mov", ".webm", ".mkv", ".avi", ".m4v", ".mpeg", ".mpg"}
_SHOWN_ERRORS = 10


@dataclass(frozen=True)
class UploadRow:
    """One row of a batch, checked: where it was in the items, and what to send.

    ``key`` identifies the row's content (URL, name and type) in an upload journal.
    """

    index: int
    url: str
    name: str
    type: str

    @property
    def key(self) -> str:
        """16 hex digits of the SHA-256 of ``[url, name, type]`` as JSON."""
        text = json.dumps([self.url, self.name, self.type], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def infer_type(file_name: str) -> str:
    """``IMAGE`` or ``VIDEO`` from a file name's extension; :class:`InvalidArgument` else."""
    ext = posixpath.splitext(file_name.lower())[1]
    if ext in _IMAGE_EXTENSIONS:
        return IMAGE
    if ext in _VIDEO_EXTENSIONS:
        return VIDEO
    raise InvalidArgument(
        f"cannot tell the asset type from the file name {file_name!r}: "
        "pass type='IMAGE' or type='VIDEO'."
    )


def _check_type(value: object) -> str:
    text = value.strip().upper() if isinstance(value, str) else None
    if text in (IMAGE, VIDEO):
        return text
    if text == "AUDIO":
        raise InvalidArgument("type='AUDIO' cannot be uploaded: the API accepts IMAGE or VIDEO.")
    raise InvalidArgument(f"type must be 'IMAGE' or 'VIDEO', got {value!r}")


def upload_fields(url: object, name: object = None, type: object = None) -> tuple[str, str, str]:
    """``(url, name, type)`` as ``POST /assets`` is sent them, or :class:`InvalidArgument`.

    Parameters
    ----------
    url
        An http(s) URL with a host; surrounding blanks are dropped.
    name
        1 to 256 characters; None: the URL's file name (percent-decoded).
    type
        ``"IMAGE"`` or ``"VIDEO"`` (any case); None: from the file name's extension.
    """
    if not is_web_url(url):
        raise InvalidArgument(f"url must be an http(s) URL of the file, got {url!r}")
    assert isinstance(url, str)
    clean = url.strip()
    file_name = unquote(posixpath.basename(urlsplit(clean).path))
    if name is None:
        name = file_name
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        shown = name if not isinstance(name, str) or len(name) < 60 else name[:60] + "…"
        raise InvalidArgument(f"name must be a string of 1 to {MAX_NAME} characters, got {shown!r}")
    asset_type = infer_type(file_name) if type is None else _check_type(type)
    return clean, name, asset_type


def _blank(value: object) -> bool:
    """A missing cell: None, NA, NaN, or text of blanks only (an empty spreadsheet cell)."""
    return is_missing(value) or (isinstance(value, str) and not value.strip())


def _cells(items: Any) -> list[tuple[object, object, object]]:
    """``(url, name, type)`` per item, blanks as None; no check of the values yet."""
    if isinstance(items, pd.DataFrame):
        if "url" not in items.columns:
            raise InvalidArgument(
                "items must have a 'url' column (and optionally 'name' and 'type'); "
                f"the frame has {list(items.columns)[:8]}"
            )
        columns = [
            items[c].tolist() if c in items.columns else [None] * len(items)
            for c in ("url", "name", "type")
        ]
        return [
            (url, None if _blank(name) else name, None if _blank(kind) else kind)
            for url, name, kind in zip(*columns, strict=True)
        ]
    if items is None or isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        hint = "Wrap a single URL in a list" if isinstance(items, str) else ""
        raise invalid(
            "items", "a list of URLs or a DataFrame with a 'url' column", type(items), hint
        )
    return [(url, None, None) for url in items]


def _duplicates(rows: list[UploadRow]) -> list[str]:
    by_name: dict[str, list[int]] = {}
    for row in rows:
        by_name.setdefault(row.name, []).append(row.index)
    return [
        f"rows {', '.join(map(str, at[:5]))}{' ...' if len(at) > 5 else ''} are all named "
        f"{name[:60]!r}"
        for name, at in by_name.items()
        if len(at) > 1
    ]


def upload_rows(items: Any) -> list[UploadRow]:
    """Check every item of a batch; return the rows, in order.

    Parameters
    ----------
    items
        URLs (an iterable of str), or a DataFrame with a ``url`` column and optional
        ``name`` and ``type`` columns, whose missing or blank cells take the defaults of
        :func:`upload_fields`. Other columns are ignored.

    Raises
    ------
    InvalidArgument
        Naming every bad row at once (rows are counted from 0, in the order given), and
        every name given to more than one row.
    """
    rows: list[UploadRow] = []
    problems: list[str] = []
    cells = _cells(items)
    for index, (url, name, kind) in enumerate(cells):
        if _blank(url):
            problems.append(f"row {index}: url is missing")
            continue
        try:
            rows.append(UploadRow(index, *upload_fields(url, name, kind)))
        except InvalidArgument as exc:
            problems.append(f"row {index}: {exc}")
    duplicates = _duplicates(rows)
    if problems:
        shown = "; ".join(problems[:_SHOWN_ERRORS])
        hidden = len(problems) - _SHOWN_ERRORS
        more = f" (and {hidden} more)" if hidden > 0 else ""
        also = f" Also, {'; '.join(duplicates[:_SHOWN_ERRORS])}." if duplicates else ""
        raise InvalidArgument(
            f"{len(problems)} of {len(cells)} rows cannot be uploaded: {shown}{more}.{also} "
            "Nothing was sent."
        )
    if duplicates:
        shown = "; ".join(duplicates[:_SHOWN_ERRORS])
        raise InvalidArgument(
            f"names must be unique within a batch: {shown}. A name is how a resumed batch "
            "recognises an upload whose answer was lost, so each row needs its own: pass a "
            "DataFrame with a 'name' column, e.g. items['name'] = [f'{i:03d}-{n}' for i, n in "
            "enumerate(names)]. Nothing was sent."
        )
    return rows
