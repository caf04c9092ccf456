"""The child process of the kill test: uploads a CSV of URLs with a journal, and may die.

    python -m tests._upload_child ITEMS.csv JOURNAL OUT.csv [--kill KIND:N]

Reads ``ARGIL_BASE_URL`` and ``ARGIL_API_KEY`` (a sandbox in its own process). ``--kill``
makes it SIGKILL itself at a chosen moment, with no hook in the library: the session and
the journal's write are wrapped here.

* ``answer:N``: the N-th POST's answer has arrived, its id is not journaled yet;
* ``flight:N``: the N-th POST is sent and held by the server (its latency);
* ``intent:N``: the N-th intent is journaled, its POST not sent yet;
* ``torn:N``: half of the N-th ``done`` record is written (a torn last line).

Exit code 0 when every row is uploaded (the frame is written to OUT.csv), 3 when some
failed (the frame is written too), -9 when killed.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

import pandas as pd
import requests

import argil_nb as an
from argil_nb.uploads import journal as journal_module

WRITE_RATE = 100.0  # the sandbox's, per second
WRITE_BURST = 10


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillingSession(requests.Session):
    """Counts POSTs; dies in flight or after an answer, as planned."""

    def __init__(self, kind: str, at: int, flight_delay: float) -> None:
        super().__init__()
        self.kind, self.at, self.delay = kind, at, flight_delay
        self.posts = 0
        self._lock = threading.Lock()

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method != "POST":
            return super().request(method, url, *args, **kwargs)
        with self._lock:
            self.posts += 1
            count = self.posts
        if self.kind == "flight" and count == self.at:
            threading.Timer(self.delay, die).start()
        response = super().request(method, url, *args, **kwargs)
        if self.kind == "answer" and count == self.at:
            die()
        return response


def wrap_journal(kind: str, at: int) -> None:
    """Die after the ``at``-th intent is written, or half-way through the ``at``-th done."""
    original = journal_module._FileJournal._write
    counts = {"intent": 0, "done": 0}
    lock = threading.Lock()

    def write(fd: int, data: bytes) -> None:
        event = next((e for e in counts if b'"event":"%s"' % e.encode() in data), "")
        with lock:
            if event:
                counts[event] += 1
            count = counts.get(event, 0)
        if kind == "torn" and event == "done" and count == at:
            os.write(fd, data[: len(data) // 2])
            die()
        original(fd, data)
        if kind == "intent" and event == "intent" and count == at:
            die()

    journal_module._FileJournal._write = staticmethod(write)  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("items")
    parser.add_argument("journal")
    parser.add_argument("out")
    parser.add_argument("--kill", default="none:0")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--read-timeout", type=float, default=0.5)
    args = parser.parse_args()
    kind, _, at = args.kill.partition(":")
    session = KillingSession(kind, int(at or 0), args.latency / 2)
    if kind in ("intent", "torn"):
        wrap_journal(kind, int(at))
    client = an.Client(
        session=session,
        timeout=(2.0, args.read_timeout),
        writes_per_minute=WRITE_RATE * 60,
        write_burst=WRITE_BURST,
        max_workers=8,
    )
    items = pd.read_csv(args.items, dtype=str)
    frame = client.create_assets(items, journal=args.journal, errors="coerce", progress=False)
    an.to_csv(frame, args.out)
    failed = frame[frame["error"].notna()]
    for index, row in failed.iterrows():
        print(f"row {index}: {row['error']}", file=sys.stderr)
    return 3 if len(failed) else 0


if __name__ == "__main__":
    sys.exit(main())
