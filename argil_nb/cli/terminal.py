"""A live status table in the terminal, for ``argil-nb watch`` and ``argil-nb demo``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import pandas as pd

from ..client import Client
from ..errors import BatchError
from ..models import TERMINAL_STATUSES
from ..waiting import TRANSIENT, Interrupts

__all__ = ["failures", "summary_line", "table_text", "watch_table"]

_SHOWN = ["id", "name", "type", "status", "created_at"]


def table_text(frame: pd.DataFrame) -> str:
    """A compact plain-text table of the main columns (``error`` when a row has one)."""
    if frame.empty:
        return "(no assets)"
    failed = "error" in frame.columns and bool(frame["error"].notna().any())
    shown = frame[
        [c for c in [*_SHOWN, "error"] if c in frame.columns and (failed or c != "error")]
    ]
    shown = shown.copy()
    shown["created_at"] = shown["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    shown["name"] = shown["name"].str.slice(0, 40)
    shown = shown.astype(object)
    return shown.where(shown.notna(), "-").to_string(index=False)


def summary_line(frame: pd.DataFrame) -> str:
    """``3/8 finished · READY 2 · FAILED 1 · PROCESSING 5``, with a text progress bar."""
    counts = frame["status"].value_counts(sort=False)
    done = int(frame["status"].isin(list(TERMINAL_STATUSES)).sum())
    total = len(frame)
    width = 24
    filled = width * done // total if total else width
    parts = " · ".join(f"{k} {int(v)}" for k, v in counts.items() if v)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} finished · {parts}"


def failures(exc: BatchError) -> str:
    """``2 of 5 assets failed (2 AssetNotFound); first: ID: ...``: a BatchError without its
    advice to Python callers (``.frame``, ``errors=``), for a terminal."""
    kinds: dict[str, int] = {}
    for error in exc.errors.values():
        kinds[type(error).__name__] = kinds.get(type(error).__name__, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    first_id, first = next(iter(exc.errors.items()))
    total = len(exc.errors) + len(exc.frame)
    return f"{len(exc.errors)} of {total} assets failed ({summary}); first: {first_id}: {first}"


def watch_table(
    client: Client,
    ids: Any,
    *,
    interval: float = 2.0,
    out: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    first: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Refresh a table in place until every asset is READY or FAILED, or Ctrl-C.

    On a terminal the table is redrawn in place; elsewhere (a pipe, a log) only the summary
    line is printed, when it changes. Returns the last frame and whether Ctrl-C stopped it
    (the command then exits 130).

    ``first``: the assets' frame when the caller has just fetched it (not fetched again).
    """
    stopped = False
    stream = out or sys.stdout
    live = stream.isatty()
    frame = client.get_assets(ids, progress=False) if first is None else first
    last_lines = 0
    last_summary = ""
    with Interrupts() as interrupts:
        try:
            while True:
                summary = summary_line(frame)
                if live:
                    text = table_text(frame) + "\n" + summary
                    stream.write(f"\x1b[{last_lines}F\x1b[J" if last_lines else "")
                    stream.write(text + "\n")
                    last_lines = text.count("\n") + 1
                elif summary != last_summary:
                    stream.write(summary + "\n")
                last_summary = summary
                stream.flush()
                if frame["status"].isin(list(TERMINAL_STATUSES)).all():
                    break
                interrupts.check()
                sleep(interval)
                try:
                    frame = client.get_assets(frame["id"], progress=False)
                except BatchError as exc:  # transport errors come per id, inside a BatchError
                    if not all(isinstance(e, TRANSIENT) for e in exc.errors.values()):
                        raise
                    stream.write(f"(refresh failed, retrying: {failures(exc)})\n")
                    last_lines = 0
        except KeyboardInterrupt:
            stream.write("stopped\n")
            stopped = True
    if not live:
        stream.write(table_text(frame) + "\n")
    return frame, stopped
