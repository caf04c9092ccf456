"""Assets -> DataFrame, with one schema whatever the pandas version. Pure: no HTTP.

The schema (column, dtype):

=============== ======================================================================
id              string
name            string
type            string: AUDIO, IMAGE, VIDEO, or any other value as the server sent it
status          string: PROCESSING, READY, FAILED, or any other value as the server sent it
created_at      datetime64[ns, UTC]
file_url        string
thumbnail_url   string
=============== ======================================================================

``string`` is ``pandas.StringDtype("python")`` (NA is ``pd.NA``): the same under pandas 2.2 and
3.x, with or without pyarrow. ``type`` and ``status`` are text too, not categories: a
categorical warned on every ``groupby`` under pandas 2.2 (``observed=False``), changed dtype
in a ``concat`` with an unknown status on one side, and refused ``frame.loc[i, "status"] =
"FAILED"`` on a frame without a FAILED row; text does none of that, and keeps an unknown
value as it came.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidArgument, warn
from .models import Asset, normalize_ids, parse_timestamp

__all__ = [
    "COLUMNS",
    "ERROR_COLUMN",
    "STRING",
    "assets_frame",
    "c_parser_cuts_at_nul",
    "empty_frame",
    "ids_of",
    "naive_time_takes_previous_offset",
    "schema_frame",
]

STRING = pd.StringDtype("python")
ERROR_COLUMN = "error"
COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "type",
    "status",
    "created_at",
    "file_url",
    "thumbnail_url",
)
_API_KEYS = {
    "id": "id",
    "name": "name",
    "type": "type",
    "status": "status",
    "created_at": "createdAt",
    "file_url": "fileUrl",
    "thumbnail_url": "thumbnailUrl",
}


def _text(values: Sequence[Any]) -> pd.api.extensions.ExtensionArray:
    # pandas turns non-strings into their str() and NaN-likes into NA. It is given a 1-d
    # object array, not the list: from a list, pandas 2.x lets numpy read JSON lists as
    # more dimensions ([[1, 2]] -> 2-d) and fails. np.fromiter keeps each value whole.
    flat = np.fromiter(values, dtype=object, count=len(values))
    return pd.array(flat, dtype=STRING)


_NS_RANGE = (pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC"))
_SHORTEST_ISO = len("2026-11-01T10:00:00")


def _timestamps(values: Sequence[Any]) -> pd.DatetimeIndex:
    """``created_at`` values (ISO 8601 text or datetimes) to UTC nanoseconds.

    Text is read as :func:`argil_nb.models.parse_timestamp` reads it, so a frame built from
    API dicts and one built from Assets agree (to the microsecond). pandas reads the texts
    long enough to hold a date and a time, in one vectorised pass; ``parse_timestamp`` reads
    the rest (pandas alone would also take "now", "today", "2026" or "-1"). Unreadable
    values, and times outside the nanosecond range (1677-2262, such as Go's zero time
    ``0001-01-01T00:00:00Z``), become NaT.
    """
    kept = [
        v if isinstance(v, datetime) or (isinstance(v, str) and len(v) >= _SHORTEST_ISO) else None
        for v in values
    ]
    if naive_time_takes_previous_offset():  # pandas 2.x: say "UTC" where the value does not
        kept = [_explicit_utc(v) for v in kept]
    raw = np.empty(len(values), dtype=object)
    raw[:] = kept
    parsed = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
    given = np.empty(len(values), dtype=object)
    given[:] = values
    slow = np.flatnonzero(np.asarray(pd.isna(parsed)) & np.asarray(pd.notna(given)))
    if len(slow):
        for i in slow:
            value = given[i]
            raw[i] = value if isinstance(value, datetime) else parse_timestamp(value)
        parsed = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
    index = pd.DatetimeIndex(parsed)
    if index.unit != "ns":
        index = index.where((index >= _NS_RANGE[0]) & (index <= _NS_RANGE[1])).as_unit("ns")
    return index


def _explicit_utc(value: Any) -> Any:
    """A value without an offset, with UTC made explicit (the meaning ``parse_timestamp`` gives)."""
    if isinstance(value, str):
        if value[-1] in "Zz":  # the common case first
            return value
        tail = value[_SHORTEST_ISO:]
        return value if "+" in tail or "-" in tail else value + "Z"
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def schema_frame(columns: Mapping[str, Sequence[Any]]) -> pd.DataFrame:
    """Build a schema frame from raw column lists (keys: the schema's column names).

    Every column but ``created_at`` becomes ``string`` (a value that is not text, such as a
    list from odd JSON, becomes its ``str()``); ``created_at`` is parsed from ISO 8601 text or
    datetimes (unreadable values become NaT).
    """
    length = len(columns["id"])
    data: dict[str, Any] = {}
    for name in COLUMNS:
        values = columns.get(name, [None] * length)
        if name == "created_at":
            data[name] = _timestamps(values)
        else:
            data[name] = _text(values)
    return pd.DataFrame(data, columns=list(COLUMNS), copy=False)


def empty_frame(with_error: bool = False) -> pd.DataFrame:
    """A frame with no rows and the full schema (plus ``error`` when asked)."""
    frame = schema_frame({name: [] for name in COLUMNS})
    if with_error:
        frame[ERROR_COLUMN] = pd.array([], dtype=STRING)
    return frame


def assets_frame(assets: Iterable[Asset | Mapping[str, Any]]) -> pd.DataFrame:
    """Turn Assets or API JSON dicts into a frame with the argil_nb schema.

    Parameters
    ----------
    assets
        Any iterable of :class:`Asset` or API dicts (camelCase keys), mixed freely.

    Returns
    -------
    pandas.DataFrame
        One row per input, in order; an empty input gives an empty frame with the schema.

    Raises
    ------
    InvalidArgument
        When an item is neither an Asset nor a mapping.
    """
    if isinstance(assets, (str, bytes, Mapping, Asset)):
        raise InvalidArgument(
            "assets_frame takes an iterable of Assets or API dicts, not a single "
            f"{type(assets).__name__}; wrap it in a list"
        )
    if not isinstance(assets, Iterable):
        raise InvalidArgument(
            f"assets_frame takes an iterable of Assets or API dicts, got {type(assets).__name__}"
        )
    records = list(assets)
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    # type() first: an isinstance check against the Mapping ABC costs 5x more per record.
    if records and all(type(r) is dict or isinstance(r, Mapping) for r in records):
        # The hot path (100,000 API dicts): one comprehension per column.
        for name, key in _API_KEYS.items():
            columns[name] = [r.get(key) for r in records]  # type: ignore[union-attr]
        return schema_frame(columns)
    for index, record in enumerate(records):
        if isinstance(record, Asset):
            for name in COLUMNS:
                columns[name].append(getattr(record, name))
        elif isinstance(record, Mapping):
            for name, key in _API_KEYS.items():
                columns[name].append(record.get(key))
        else:
            raise InvalidArgument(
                f"item {index} is a {type(record).__name__}; assets_frame takes Assets or API dicts"
            )
    return schema_frame(columns)


def ids_of(ids: Any) -> list[str]:
    """Normalise ids from a list, a Series or a frame with an ``id`` column.

    First-seen order, duplicates dropped, every bad id reported at once
    (:class:`~argil_nb.errors.InvalidAssetId`). A frame's rows without an id are skipped,
    with a warning that counts them.
    """
    if isinstance(ids, pd.DataFrame):
        if "id" not in ids.columns:
            raise InvalidArgument(
                f"the frame has no 'id' column (columns: {list(ids.columns)[:8]})"
            )
        missing = ids["id"].isna()
        if missing.any():  # the rows of create_assets(errors="coerce") that failed, say
            warn(
                f"{int(missing.sum())} of {len(ids)} rows have no id and were skipped (rows "
                "whose upload failed have none: see their 'error' column)"
            )
        ids = ids["id"][~missing]
    if ids is None or isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise InvalidArgument(
            f"ids must be a list of asset ids, a Series, or a frame with an 'id' column; got "
            f"{type(ids).__name__}"
            + (" (wrap a single id in a list)" if isinstance(ids, str) else "")
        )
    return normalize_ids(ids)


# -- what differs between the pandas lines argil_nb supports (2.2 to 3.x) ---------------
# Each difference is found by asking pandas once (a tiny probe, cached), not by reading its
# version number, so a fix backported to an older line is used as soon as it ships:
# - read_csv's C parser cuts a text at a NUL byte before pandas 3.1 ('a\x00b' comes back
#   'a', '\x00a' as NA; pandas GH-19886): csvio then reads such a file with the python one;
# - to_datetime(..., utc=True, format="ISO8601") gives a text without an offset the offset
#   of the text before it, before pandas 3.0 (["...T02:00:00+02:00", "...T00:00:00"] -> the
#   second is read as 22:00 UTC): _timestamps reads those one by one.


@functools.cache
def c_parser_cuts_at_nul() -> bool:
    """True when ``pd.read_csv``'s C parser truncates a value at a NUL byte."""
    probe = pd.read_csv(io.BytesIO(b'a\r\n"x\x00y"\r\n'), dtype=object)
    return bool(probe["a"].iloc[0] != "x\x00y")


@functools.cache
def naive_time_takes_previous_offset() -> bool:
    """True when ``pd.to_datetime`` reads a naive ISO text in the offset of the one before."""
    texts = ["2000-01-01T02:00:00+02:00", "2000-01-01T00:00:00"]
    parsed = pd.to_datetime(texts, utc=True, format="ISO8601")
    return bool(parsed[1] != pd.Timestamp("2000-01-01", tz="UTC"))
