"""Benchmarks for issue 9: big jobs at the rate limit, paced by the client's limiter.

The sandbox allows 20 reads a second with a burst of 20 (Argil's 600 a minute, scaled up to
keep the runs short). For a job that needs ``n`` requests, the bound is
``(n - burst) / rate`` seconds: no client can do better without being refused. Jobs:

1. ``list_assets()`` on a live 20,000-asset account: seeded uploads finish, new uploads
   arrive (2/s) and assets are deleted (0.2/s) during the whole run. Targets: requests within
   1.1x of the minimum pages, 429s at most 1 % of requests, wall within 1.15x of the bound,
   nothing lost (every asset that existed for the whole listing is in the result, checked
   against the sandbox's own records).
2. ``get_assets`` of 200 ids out of 20,000: 429s at most 1 %, wall within 1.1x of the bound.
3. A ``StatusPanel`` on 200 uploads and a ``get_assets`` of 500 ids at the same time, same
   client: together under the limit (429s at most 1 %), and the panel keeps refreshing.
4. The server allows 10/s while the client is configured for 20/s: at most 10 429s, wall
   within 1.3x of the bound at 10/s.
5. The same jobs with the limiter switched off (each request on its own, as before the
   limiter: urllib3's retries and ``Retry-After`` per worker), as the baseline.

The client's budget is given as a user would for Argil (``reads_per_minute``,
``read_burst``); rows marked "headers" give it no budget and let the sandbox's
``RateLimit`` headers (IETF, draft 08 form) set the pace. Every figure comes from one run in
this process, against a sandbox on 127.0.0.1: requests and 429s are the sandbox's counts.
Run: ``.venv/bin/python bench/bench_limits.py``.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _common import log, machine_line, main, md_table, ratio, seconds, yes_no

from argil_nb import Client
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox
from argil_nb.waiting import RateLimiter

RATE = 20.0
BURST = 20
ACCOUNT = 20_000
ARRIVALS = 2.0
DELETES = 0.2
WANTED = 200
PANEL_UPLOADS = 200
PANEL_WANTED = 500
PANEL_INTERVAL = 2.0
SLOW_RATE = 10.0
SLOW_BURST = 10
HEADERS = "ietf-structured"


class Unpaced(RateLimiter):
    """No limiter: every request goes at once, a retry sleeps only its own back-off."""

    def reserve(self, method: str, at_least: float = 0.0) -> float:
        return at_least

    def observe(self, method: str, status: int, headers: Any) -> None:
        return None


@dataclass
class Run:
    """One job's figures."""

    job: str
    mode: str
    needed: int
    bound: float
    requests: int = 0
    throttled: int = 0
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def share_429(self) -> float:
        return self.throttled / self.requests if self.requests else 0.0

    def row(self) -> list[object]:
        met = all(self.checks.values()) if self.checks else None
        return [
            self.job,
            self.mode,
            f"{self.requests} ({ratio(self.requests / self.needed)} of {self.needed})",
            f"{self.throttled} ({self.share_429:.1%})",
            seconds(self.elapsed),
            f"{seconds(self.bound)} ({ratio(self.elapsed / self.bound)})",
            "; ".join(self.notes),
            "-" if met is None else yes_no(met),
        ]


def client_for(sb: Sandbox, mode: str, rate: float = RATE, burst: int = BURST) -> Client:
    """A client for ``sb``: paced by a budget, by the headers alone, or not at all."""
    if mode == "budget":
        return sb.client(reads_per_minute=rate * 60, read_burst=burst)
    if mode == "headers":
        return sb.client(reads_per_minute=None)
    return sb.client(rate_limiter=Unpaced())


def measured(sb: Sandbox, run: Run, job: Callable[[], Any]) -> Any:
    """Run ``job`` against ``sb`` and record the sandbox's counts and the wall time."""
    sb.reset_stats()
    start = time.perf_counter()
    result = job()
    run.elapsed = time.perf_counter() - start
    stats = sb.stats
    run.requests, run.throttled = stats.requests, stats.responses.get(429, 0)
    log(
        f"[limits] {run.job} / {run.mode}: {run.requests} requests, {run.throttled} x 429, "
        f"{seconds(run.elapsed)} (bound {seconds(run.bound)})"
    )
    return result


def bound(needed: int, rate: float = RATE, burst: int = BURST) -> float:
    return max(needed - burst, 0) / rate


# -- 1. list_assets on a live account ------------------------------------------------------


def job_listing(mode: str) -> Run:
    with Sandbox(
        seed=901,
        initial_assets=ACCOUNT,
        rate_limit=RATE,
        burst=BURST,
        rate_limit_headers=HEADERS if mode == "headers" else None,
        arrival_rate=ARRIVALS,
        delete_rate=DELETES,
    ) as sb:
        before = {a["id"]: a["status"] for a in sb.assets()}
        deleted_before = set(sb.deleted_ids())
        counts: dict[str, int] = {}
        for status in before.values():
            counts[status] = counts.get(status, 0) + 1
        needed = sum(
            max(1, math.ceil(counts.get(s, 0) / 100)) for s in ("PROCESSING", "READY", "FAILED")
        )
        run = Run("1. list_assets, live 20,000", mode, needed, bound(needed))
        client = client_for(sb, mode)
        frame = measured(sb, run, lambda: client.list_assets(progress=False))
        after = {a["id"]: a["status"] for a in sb.assets()}
        deleted = set(sb.deleted_ids()) - deleted_before
    got = list(frame["id"])
    survivors = set(before) - deleted
    lost = survivors - set(got)
    wrong = [
        i
        for i, s in zip(frame["id"], frame["status"], strict=True)
        if i in after and after[i] != s and s != "PROCESSING"  # a finished status never changes
    ]
    run.notes += [
        f"{len(survivors)} existed throughout, {len(lost)} lost, "
        f"{len(got) - len(set(got))} duplicates, {len(wrong)} wrong statuses",
        f"{len(deleted)} deleted and {len(after) - len(before) + len(deleted)} uploaded meanwhile",
    ]
    if mode != "off":
        run.checks = {
            "requests": run.requests <= 1.1 * needed,
            "429s": run.share_429 <= 0.01,
            "wall": run.elapsed <= 1.15 * run.bound,
            "nothing lost": not lost and len(got) == len(set(got)) and not wrong,
        }
    return run


# -- 2. get_assets of 200 ids ---------------------------------------------------------------


def job_get(mode: str, server: tuple[float, int] = (RATE, BURST), label: str = "") -> Run:
    rate, burst = server
    with Sandbox(
        seed=902,
        initial_assets=ACCOUNT,
        rate_limit=rate,
        burst=burst,
        rate_limit_headers=HEADERS if mode in ("headers", "budget+headers") else None,
    ) as sb:
        ready = [a["id"] for a in sb.assets() if a["status"] == "READY"]
        ids = random.Random(2).sample(ready, WANTED)
        run = Run(label or "2. get_assets, 200 of 20,000", mode, WANTED, bound(WANTED, rate, burst))
        client = client_for(sb, "budget" if mode.startswith("budget") else mode)
        frame = measured(sb, run, lambda: client.get_assets(ids, progress=False))
    run.notes.append(f"{len(frame)} of {WANTED} rows")
    return run


# -- 3. a panel and a batch on one client ------------------------------------------------------


def job_panel(mode: str) -> Run:
    with Sandbox(
        seed=903,
        initial_assets=ACCOUNT,
        rate_limit=RATE,
        burst=BURST,
        processing_seconds=(5.0, 40.0),
    ) as sb:
        client = client_for(sb, mode)
        uploads = [
            client.create_asset(f"https://media.example.com/bench/clip-{i:03d}.mp4").id
            for i in range(PANEL_UPLOADS)
        ]
        ready = [a["id"] for a in sb.assets() if a["status"] == "READY"]
        ids = random.Random(3).sample(ready, PANEL_WANTED)
        run = Run("3. panel on 200 uploads + get_assets of 500", mode, PANEL_WANTED, 0.0)
        panel = StatusPanel(uploads, client=client, interval=PANEL_INTERVAL)
        polls: list[float] = []
        refresh = panel.refresh

        def counted() -> None:
            polls.append(time.perf_counter())
            refresh()

        panel.refresh = counted  # type: ignore[method-assign]
        try:
            panel.start()
            start = time.perf_counter()
            measured(sb, run, lambda: client.get_assets(ids, progress=False))
            end = time.perf_counter()
        finally:
            panel.close()
    during = [t for t in polls if start <= t <= end]
    edges = [start, *during, end]
    gap = max(b - a for a, b in itertools.pairwise(edges))
    run.needed = run.requests if run.requests else 1
    run.bound = bound(run.requests)
    run.notes.append(f"the panel refreshed {len(during)} times meanwhile, longest gap {gap:.1f} s")
    if mode != "off":
        run.checks = {"429s": run.share_429 <= 0.01, "panel refreshing": gap <= 3 * PANEL_INTERVAL}
    return run


# -- the section ---------------------------------------------------------------------------


def run() -> str:
    """Run every job with the limiter and without; return the markdown section."""
    runs: list[Run] = []
    for mode in ("budget", "headers", "off"):
        runs.append(job_listing(mode))
    for mode in ("budget", "headers", "off"):
        r = job_get(mode)
        if mode != "off":
            r.checks = {"429s": r.share_429 <= 0.01, "wall": r.elapsed <= 1.1 * r.bound}
        runs.append(r)
    for mode in ("budget", "off"):
        runs.append(job_panel(mode))
    slow = (SLOW_RATE, SLOW_BURST)
    label = "4. server 10/s, client set to 20/s"
    for mode in ("budget", "budget+headers", "off"):
        r = job_get(mode, slow, label)
        if mode != "off":
            r.checks = {"429s": r.throttled <= 10, "wall": r.elapsed <= 1.3 * r.bound}
        runs.append(r)
    table = md_table(
        [
            "job",
            "pacing",
            "requests (of the minimum)",
            "429s",
            "wall",
            "bound (ratio)",
            "notes",
            "met",
        ],
        [r.row() for r in runs],
    )
    return (
        "## Rate limits: big jobs paced by the client's limiter (issue 9)\n\n"
        f"{machine_line()}\n\n"
        f"Sandbox: {RATE:g} reads/s, burst {BURST} (Argil's 600/min scaled up); bound = "
        f"(requests needed - burst) / rate. Pacing: `budget` = "
        f"`Client(reads_per_minute={RATE * 60:g}, read_burst={BURST})`; `headers` = no budget, "
        f"the sandbox sends `RateLimit`/`RateLimit-Policy` ({HEADERS}); `off` = no limiter "
        "(the baseline: each worker retries its own 429s). Job 4's bound is at the server's "
        f"{SLOW_RATE:g}/s, burst {SLOW_BURST}. Job 3's bound is that of all its requests "
        "(panel polls included). `met` checks the issue's targets for that job.\n\n"
        f"{table}\n"
    )


if __name__ == "__main__":
    main(run, __doc__ or "")
