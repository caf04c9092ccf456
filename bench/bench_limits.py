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
6. The API as Argil documents it (issue 16; ``Sandbox(mode="documented")``: no rate-limit
   headers, a limit shown only by 429s with ``Retry-After``) and a client told nothing (no
   budget: a host other than ``api.argil.ai``), which must learn the limit from the 429s:
   200 per-id GETs at a server limit of 20/s and of 8/s; 40 ``create_asset`` in a loop at
   5 writes/s; ``create_assets`` of 60 at 10 writes/s. The bound is ``requests / rate``.
   Targets: 429s at most 3 % of requests, wall within 1.15x of the bound; the bulk upload
   at most 3 429s. Baseline: the same job without the limiter (``off``).

The client's budget is given as a user would for Argil (``reads_per_minute``,
``read_burst``); rows marked "headers" give it no budget and let the sandbox's
``RateLimit`` headers (IETF, draft 08 form; the sandbox's friendly mode) set the pace; jobs
1 to 4 run on the friendly mode, job 6 on the documented one. Every figure comes from one
run in this process, against a sandbox on 127.0.0.1: requests and 429s are the sandbox's
counts. Run: ``.venv/bin/python bench/bench_limits.py`` (``--only 6``: job 6 alone).
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

from argil_nb import Client, listing
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
FRIENDLY = "friendly"  # jobs 1-4: the sandbox's extensions (rate-limit headers) allowed
DOC_READS = ((20.0, 200), (8.0, 200))  # server rate, per-id GETs
DOC_LOOP = (5.0, 40)  # server write rate, create_asset calls in a loop
DOC_BULK = (10.0, 60)  # server write rate, rows of one create_assets


class Unpaced(RateLimiter):
    """No limiter: every request goes at once, a retry sleeps only its own back-off."""

    def reserve(self, method: str, at_least: float = 0.0) -> float:
        return at_least

    def acquire(self, method: str, at_least: float = 0.0) -> float:
        if at_least > 0:
            time.sleep(at_least)
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
        mode=FRIENDLY,
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
        mode=FRIENDLY,
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
        mode=FRIENDLY,
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


# -- 6. the documented API: a limit nobody told the client --------------------------------


def doc_client(sb: Sandbox, mode: str) -> Client:
    """The default client (no budget off Argil's host: it learns), or no limiter at all."""
    return sb.client() if mode == "learnt" else sb.client(rate_limiter=Unpaced())


def doc_checks(run: Run, bulk: bool = False) -> None:
    run.checks = {"429s": run.share_429 <= 0.03, "wall": run.elapsed <= 1.15 * run.bound}
    if bulk:
        run.checks["bulk 429s"] = run.throttled <= 3


def job_doc_reads(mode: str, rate: float, wanted: int) -> Run:
    with Sandbox(mode="documented", seed=904, initial_assets=wanted, rate_limit=rate) as sb:
        ids = [a["id"] for a in sb.assets()][:wanted]
        label = f"6. {wanted} per-id GETs, server {rate:g}/s"
        run = Run(label, mode, wanted, wanted / rate)
        client = doc_client(sb, mode)
        frame = measured(
            sb, run, lambda: listing.get_assets(client, ids, plan="get", progress=False)
        )
    run.notes.append(f"{len(frame)} of {wanted} rows")
    if mode != "off":
        doc_checks(run)
    return run


def job_doc_writes(mode: str, rate: float, rows: int, bulk: bool) -> Run:
    """``rows`` uploads: a loop of ``create_asset``, or one ``create_assets`` (``bulk``)."""
    with Sandbox(mode="documented", seed=905, initial_assets=0, write_rate_limit=rate) as sb:
        job = f"create_assets of {rows}" if bulk else f"{rows} create_asset in a loop"
        run = Run(f"6. {job}, server {rate:g} writes/s", mode, rows, rows / rate)
        client = doc_client(sb, mode)
        urls = [f"https://media.example.com/doc/{i:03d}.mp4" for i in range(rows)]

        def upload() -> None:
            if bulk:
                client.create_assets(urls, journal=None, errors="coerce", progress=False)
            else:
                for url in urls:
                    client.create_asset(url)

        measured(sb, run, upload)
        made = len(sb.assets())
    run.notes.append(f"{made} of {rows} uploaded")
    if mode != "off":
        doc_checks(run, bulk=bulk)
    return run


def documented_runs() -> list[Run]:
    """Job 6, each row with the limiter learning and without it, interleaved."""
    runs: list[Run] = []
    for rate, wanted in DOC_READS:
        runs += [job_doc_reads(mode, rate, wanted) for mode in ("learnt", "off")]
    runs += [job_doc_writes(mode, *DOC_LOOP, bulk=False) for mode in ("learnt", "off")]
    runs += [job_doc_writes(mode, *DOC_BULK, bulk=True) for mode in ("learnt", "off")]
    return runs


# -- the section ---------------------------------------------------------------------------

HEADINGS = [
    "job",
    "pacing",
    "requests (of the minimum)",
    "429s",
    "wall",
    "bound (ratio)",
    "notes",
    "met",
]
DOC_NOTE = (
    'Job 6: `Sandbox(mode="documented")` (no rate-limit headers; 429 with `Retry-After`, '
    "whole seconds, at least 1), burst one second's worth; `learnt` = the default client, "
    "told nothing (no budget off `api.argil.ai`): it learns the limit from the 429s; `off` = "
    "no limiter. Bound = requests / rate. Targets: 429s at most 3 % of requests, wall within "
    "1.15x of the bound; the bulk upload at most 3 429s."
)


def run_documented() -> str:
    """Job 6 alone; returns its markdown section."""
    table = md_table(HEADINGS, [r.row() for r in documented_runs()])
    return (
        "## Rate limits nobody told the client: the documented API (issue 16)\n\n"
        f"{machine_line()}\n\n{DOC_NOTE}\n\n{table}\n"
    )


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
    runs += documented_runs()
    table = md_table(HEADINGS, [r.row() for r in runs])
    return (
        "## Rate limits: big jobs paced by the client's limiter (issue 9)\n\n"
        f"{machine_line()}\n\n"
        f"Sandbox: {RATE:g} reads/s, burst {BURST} (Argil's 600/min scaled up); bound = "
        f"(requests needed - burst) / rate. Pacing: `budget` = "
        f"`Client(reads_per_minute={RATE * 60:g}, read_burst={BURST})`; `headers` = no budget, "
        f"the sandbox sends `RateLimit`/`RateLimit-Policy` ({HEADERS}); `off` = no limiter "
        "(the baseline: each worker retries its own 429s). Job 4's bound is at the server's "
        f"{SLOW_RATE:g}/s, burst {SLOW_BURST}. Job 3's bound is that of all its requests "
        "(panel polls included). `met` checks the issue's targets for that job. "
        f"{DOC_NOTE}\n\n{table}\n"
    )


if __name__ == "__main__":
    import sys

    if sys.argv[1:3] == ["--only", "6"]:
        del sys.argv[1:3]
        main(run_documented, __doc__ or "")
    else:
        main(run, __doc__ or "")
