"""What differs between the pandas lines argil_nb supports (2.2 to 3.x). Pure: no I/O.

Each difference is found by asking pandas once (a tiny probe, cached), not by reading its
version number, so a fix backported to an older line is used as soon as it ships:

* :func:`c_parser_cuts_at_nul`: ``read_csv``'s C parser cuts a text at a NUL byte before
  pandas 3.1 (``'a\\x00b'`` comes back ``'a'``, ``'\\x00a'`` as NA; pandas GH-19886).
* :func:`naive_time_takes_previous_offset`: ``to_datetime(..., utc=True, format="ISO8601")``
  gives a text without an offset the offset of the text before it, before pandas 3.0
  (``["...T02:00:00+02:00", "...T00:00:00"]`` -> the second is read as 22:00 UTC).
"""

from __future__ import annotations

import functools
import io

import pandas as pd

__all__ = ["c_parser_cuts_at_nul", "naive_time_takes_previous_offset"]


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
