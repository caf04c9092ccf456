"""Benchmarks for issue 10: 300 uploads at the write limit, exactly once.

The sandbox allows 10 writes a second with a burst of 10 (Argil's 60 a minute, scaled up to
keep the runs short). For 300 uploads the bound is ``(300 - burst) / 10`` = 29 s: no client
can do better without being refused. Targets for ``create_assets``: POST requests at most
1.02x the rows, 429s at most 1 % of requests, wall within 1.1x of the bound, every row
uploaded once. The baseline is what users write today, a ``for`` loop of ``create_asset``:

* with the default client (no budget of its own off Argil's host: it meets the limit once
  and learns it from that 429, see ``waiting.limiter``);
* with the same budgeted client as ``create_assets``.

The client's write budget is given as a user would (``writes_per_minute=600,
write_burst=10``: ``budget``), or learnt from the sandbox's rate-limit headers (IETF, draft
08 form: ``headers``). Two more settings: a 200 ms round trip on every request (a real
network: a loop waits for each answer, ``create_assets`` has 8 in flight), and faults (5 %
of requests answered 5xx, half of the POST ones after creating the asset; 2 % of
connections dropped), where the loop retries a failed upload as users do, and duplicates.
Every figure is from one run against a sandbox on 127.0.0.1 (its friendly mode, for the
headers), counted by the sandbox. Uploads to a server that documents no headers and a
client told no budget are in ``bench_limits.py`` (job 6).
Run: ``.venv/bin/python bench/bench_uploads.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _common import log, machine_line, main, md_table, ratio, seconds, yes_no

from argil_nb import APIConnectionError, ArgilError, Client, ServerError
from argil_nb.sandbox import Sandbox
from argil_nb.uploads import create_assets

ROWS = 300
RATE = 10.0
BURST = 10
LATENCY = 0.2
HEADERS = "ietf-structured"
FAULTS = {"error_rate": 0.05, "error_after": 0.5, "drop_rate": 0.02, "fault_seed": 10}
URLS = [f"https://media.example.com/bench/{i:03d}/clip.mp4" for i in range(ROWS)]
NAMES = [f"bench-{i:03d}.mp4" for i in range(ROWS)]
BOUND = (ROWS - BURST) / RATE


@dataclass
class Run:
    """One job's figures, counted by the sandbox."""

    job: str
    pacing: str
    setting: str
    posts: int = 0
    requests: int = 0
    throttled: int = 0
    elapsed: float = 0.0
    failed: int = 0
    duplicates: int = 0
    missing: int = 0
    checks: dict[str, bool] = field(default_factory=dict)

    def row(self) -> list[object]:
        met = all(self.checks.values()) if self.checks else None
        share = self.throttled / self.requests if self.requests else 0.0
        return [
            self.job,
            self.pacing,
            self.setting,
            f"{self.posts} ({ratio(self.posts / ROWS)})",
            f"{self.throttled} ({share:.1%} of {self.requests})",
            f"{seconds(self.elapsed)} ({ratio(self.elapsed / BOUND)})",
            self.failed,
            f"{self.duplicates} / {self.missing}",
            "-" if met is None else yes_no(met),
        ]


def client_for(sb: Sandbox, pacing: str, **options: Any) -> Client:
    if pacing == "budget":
        return sb.client(writes_per_minute=RATE * 60, write_burst=BURST, **options)
    if pacing == "headers":
        return sb.client(writes_per_minute=None, **options)
    return sb.client(**options)  # the default: no budget of its own off Argil's host


def batch(client: Client) -> int:
    """create_assets; returns the rows that failed."""
    items = {"url": URLS, "name": NAMES}
    import pandas as pd

    frame = create_assets(client, pd.DataFrame(items), errors="coerce", progress=False)
    return int(frame["error"].notna().sum())


def loop(client: Client, retry: bool = False) -> int:
    """A for loop of create_asset (retrying a 5xx or a dropped connection when ``retry``)."""
    failed = 0
    for url, name in zip(URLS, NAMES, strict=True):
        for attempt in range(3 if retry else 1):
            try:
                client.create_asset(url, name=name)
                break
            except (ServerError, APIConnectionError):
                if attempt == (2 if retry else 0):
                    failed += 1
            except ArgilError:
                failed += 1
                break
    return failed


def measured(run: Run, setting: str, pacing: str, job: Callable[[Client], int]) -> Run:
    headers = HEADERS if pacing == "headers" else None
    latency = LATENCY if setting == "200 ms round trip" else 0.0
    with Sandbox(
        mode="friendly",  # the rate-limit headers of the `headers` rows are its extension
        seed=10,
        initial_assets=50,
        write_rate_limit=RATE,
        write_burst=BURST,
        rate_limit_headers=headers,
        latency=latency,
    ) as sb:
        if setting == "faults":
            sb.configure(**FAULTS)
        client = client_for(sb, pacing, timeout=(5.0, 2.0))
        sb.reset_stats()
        start = time.perf_counter()
        run.failed = job(client)
        run.elapsed = time.perf_counter() - start
        stats = sb.stats
        counts = Counter(a["name"] for a in sb.assets() if a["name"] in set(NAMES))
    run.posts = stats.by_route["create"]
    run.requests = stats.requests
    run.throttled = stats.responses.get(429, 0)
    run.duplicates = sum(n - 1 for n in counts.values())
    run.missing = ROWS - len(counts)
    log(
        f"[uploads] {run.job} / {run.pacing} / {setting}: {run.posts} POSTs, {run.requests} "
        f"requests, {run.throttled} x 429, {seconds(run.elapsed)}, {run.failed} failed, "
        f"{run.duplicates} duplicates, {run.missing} missing"
    )
    return run


def run() -> str:
    """Every job; returns the markdown section."""
    runs: list[Run] = []
    for pacing in ("budget", "headers"):
        r = measured(Run("create_assets", pacing, "plain"), "plain", pacing, batch)
        share = r.throttled / r.requests if r.requests else 0.0
        r.checks = {
            "POSTs": r.posts <= 1.02 * ROWS,
            "429s": share <= 0.01,
            "wall": r.elapsed <= 1.1 * BOUND,
            "once": r.failed == r.duplicates == r.missing == 0,
        }
        runs.append(r)
    for pacing in ("default", "budget"):
        runs.append(measured(Run("for loop", pacing, "plain"), "plain", pacing, loop))
    setting = "200 ms round trip"
    r = measured(Run("create_assets", "budget", setting), setting, "budget", batch)
    r.checks = {"wall": r.elapsed <= 1.1 * BOUND, "once": r.duplicates == r.missing == 0}
    runs.append(r)
    runs.append(measured(Run("for loop", "budget", setting), setting, "budget", loop))
    r = measured(Run("create_assets", "budget", "faults"), "faults", "budget", batch)
    r.checks = {"once": r.failed == r.duplicates == r.missing == 0}
    runs.append(r)
    runs.append(
        measured(
            Run("for loop, retrying", "budget", "faults"), "faults", "budget",
            lambda c: loop(c, retry=True),
        )
    )  # fmt: skip
    table = md_table(
        [
            "job",
            "pacing",
            "setting",
            "POSTs (x rows)",
            "429s (of requests)",
            "wall (x bound)",
            "rows failed",
            "duplicates / missing",
            "met",
        ],
        [r.row() for r in runs],
    )
    return (
        "## Bulk uploads: 300 rows at the write limit, exactly once (issue 10)\n\n"
        f"{machine_line()}\n\n"
        f"Sandbox: {RATE:g} writes/s, burst {BURST} (Argil's 60/min scaled up); bound = "
        f"({ROWS} - burst) / rate = {BOUND:g} s. Pacing: `budget` = "
        f"`Client(writes_per_minute={RATE * 60:g}, write_burst={BURST})`; `headers` = no "
        f"budget, the sandbox sends `RateLimit`/`RateLimit-Policy` ({HEADERS}); `default` = "
        "the default client (no budget of its own off Argil's host: it learns the limit from "
        "its 429s). Settings: `200 ms round trip` adds 200 ms to every request; `faults`: 5 % "
        "of requests answered 5xx (half of the POST ones after creating the asset), 2 % of "
        "connections dropped; the loop retries "
        "a failed upload up to 3 times. Client read timeout 2 s (the settle wait before "
        "looking for a lost upload). `met` checks the issue's targets for that job.\n\n"
        f"{table}\n"
    )


if __name__ == "__main__":
    main(run, __doc__ or "")
