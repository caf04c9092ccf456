"""Benchmarks 4 and 5: watching uploads finish (``wait()``, ``StatusPanel``) on the sandbox.

4. 200 uploads processing 2-20 s (``processing_seconds=(2, 20)``): the requests that
   ``wait()`` and the panel send to see them all through, at most 10 % of the baseline's
   (every id GET every second until all are terminal), and each finish seen within one
   interval of the poller (detection lag = first seen READY/FAILED minus the true finish,
   which comes from the sandbox's store: each record's ``done_at``, read right after the
   upload, before it settles).
5. A 2,000-asset panel: bytes sent to the browser per refresh when nothing, 10 or 200 assets
   changed (target: proportional to the change, never to the panel's size, below the
   previous panel's), counted like ``tests/test_panel.py`` (comm creation patched, ``send()``
   recorded), against the previous panel (commit ``BASELINE``) in the same run; and the
   main thread's longest stall while the panel polls a slow API (target under 50 ms).

Simulated time: one fake clock drives the sandbox's processing, ``wait(clock=, sleep=)`` and
the panel (``clock=``); every sleep advances it at once, so ~20 simulated seconds run in a
few wall seconds and a round of requests takes no simulated time. The panel's background
thread is not used: the script calls ``panel.refresh()`` (one synchronous poll, what the
thread's loop calls) and advances the clock by ``panel.interval`` (the loop's wait when no
poll failed). Counts under a fake clock are deterministic for a seed, so one run each.
All traffic goes to a sandbox in this process on 127.0.0.1.
Run: ``.venv/bin/python bench/bench_live.py``.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import comm
import pandas as pd
import requests
from _common import ROOT, log, machine_line, main, md_table, yes_no

from argil_nb import polling, waiting
from argil_nb.listing import get_assets
from argil_nb.models import TERMINAL_STATUSES
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox

UPLOADS = 200
PROCESSING = (2.0, 20.0)
BASELINE_INTERVAL = 1.0
PANEL_INTERVAL = 2.0
REQUEST_TARGET = 0.10
EPOCH = 1_800_000_000.0
"""What the panel's clock shows at simulated time 0 (2027-01-15 08:00 UTC)."""


@dataclass(frozen=True)
class LiveCase:
    """One account for benchmark 4."""

    label: str
    seed: int
    account: int
    target: bool


LIVE_CASES = (
    LiveCase("default account (24 assets)", 401, 24, target=True),
    LiveCase("large account (5,000 assets)", 402, 5_000, target=False),
)

PANEL_ASSETS = 2_000
PAGE_SIZE = 24
CHANGED = 10


class SimClock:
    """Simulated seconds; moves only when told (every sleep of every poller advances it)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- benchmark 4 ------------------------------------------------------------------------


@dataclass
class Box:
    """A sandbox with 200 fresh uploads, its clock, and each upload's true finish."""

    sb: Sandbox
    clock: SimClock
    ids: list[str]
    done_at: dict[str, float]
    """Simulated second at which each upload turns READY or FAILED (the store's record)."""

    def sim(self) -> float:
        """The store's simulated time now (the unit of ``done_at``)."""
        return float(self.sb._store.sim_time())


@contextmanager
def upload_box(case: LiveCase) -> Iterator[Box]:
    """A fresh sandbox (same seed: same ids and finish times), 200 uploads at time 0."""
    clock = SimClock()
    with Sandbox(
        seed=case.seed,
        initial_assets=case.account,
        clock=clock,
        processing_seconds=PROCESSING,
        upload_id_salt=0,  # the same upload ids in every box, so the runs compare
    ) as sb:
        with sb.client() as client:
            ids = [
                client.create_asset(f"https://cdn.example.com/clip-{n:03d}.mp4").id
                for n in range(UPLOADS)
            ]
        store = sb._store
        with store._lock:  # read before any settles: settling clears done_at
            done_at = {i: store._by_id[i].done_at for i in ids}
        assert all(d is not None for d in done_at.values())
        sb.reset_stats()
        yield Box(sb, clock, ids, {i: float(d) for i, d in done_at.items()})


@dataclass
class Watch:
    """What one poller did: its requests, its rounds, and when it saw each finish."""

    label: str
    requests: int
    routes: dict[str, int]
    rounds: list[float]
    """Simulated time of each round (a round's requests take no simulated time)."""
    seen: dict[str, float]
    """id -> simulated time it was first seen READY or FAILED."""
    interval_note: str
    info: bool = False
    """Not one of the issue's pollers: shown for comparison."""

    def lags(self, done_at: dict[str, float]) -> list[tuple[float, float]]:
        """(detection lag, the poller's interval then) per asset."""
        out = []
        for asset_id, finished in done_at.items():
            seen = self.seen[asset_id]
            index = bisect.bisect_right(self.rounds, seen) - 1
            gap = self.rounds[index] - self.rounds[index - 1] if index > 0 else 0.0
            out.append((seen - finished, gap))
        return out


class Observed:
    """Wraps a client and notes the simulated time each watched id is first seen terminal.

    ``wait()`` calls ``get_asset``/``list_page``; the panel calls ``get_assets``, which is the
    library's own ``batch.get_assets`` sent through this wrapper.
    """

    def __init__(self, client: Any, box: Box) -> None:
        self._client = client
        self._box = box
        self._watched = set(box.ids)
        self.max_workers = client.max_workers
        self.rate_limiter = client.rate_limiter
        self.seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def _note(self, assets: Iterable[Any]) -> None:
        now = self._box.sim()
        with self._lock:
            for asset in assets:
                if asset.id in self._watched and asset.status in TERMINAL_STATUSES:
                    self.seen.setdefault(asset.id, now)

    def get_asset(self, asset_id: object) -> Any:
        asset = self._client.get_asset(asset_id)
        self._note([asset])
        return asset

    def list_page(self, **kwargs: Any) -> Any:
        page = self._client.list_page(**kwargs)
        self._note(page.assets)
        return page

    def get_assets(
        self, ids: Any, *, errors: str = "raise", progress: bool | None = None
    ) -> pd.DataFrame:
        return get_assets(self, ids, errors=errors, progress=progress)


def naive_loop(box: Box, stop_when_done: bool) -> Watch:
    """The baseline: each second, GET every id (or every id not yet terminal), one Session."""
    seen: dict[str, float] = {}
    rounds: list[float] = []
    url = box.sb.base_url
    headers = {"x-api-key": box.sb.api_key}
    with requests.Session() as session:
        while True:
            now = box.sim()
            rounds.append(now)
            asked = [i for i in box.ids if i not in seen] if stop_when_done else box.ids
            for asset_id in asked:
                response = session.get(f"{url}/assets/{asset_id}", headers=headers, timeout=30)
                response.raise_for_status()
                if response.json()["status"] in TERMINAL_STATUSES:
                    seen.setdefault(asset_id, now)
            if len(seen) == len(box.ids):
                break
            box.clock.advance(BASELINE_INTERVAL)
    stats = box.sb.stats
    label = (
        "baseline: GET every id each second, until all are terminal"
        if not stop_when_done
        else "variant: GET each id each second until it is terminal"
    )
    return Watch(label, stats.requests, dict(stats.by_route), rounds, seen, "1 s")


def argil_wait(box: Box, every: float | None = None) -> Watch:
    """``polling.wait`` with the fake clock and a sleep that advances it.

    ``every``: a fixed interval (``interval=max_interval=every``) instead of the defaults.
    """
    rounds = [box.sim()]

    def sleep(pause: float) -> None:
        box.clock.advance(pause)
        rounds.append(box.sim())

    with box.sb.client() as client:
        observed = Observed(client, box)
        fixed = {} if every is None else {"interval": every, "max_interval": every}
        frame = polling.wait(
            observed, box.ids, clock=box.clock, sleep=sleep, progress=False, **fixed
        )
    assert frame["status"].isin(list(TERMINAL_STATUSES)).all()
    stats = box.sb.stats
    if every is not None:
        return Watch(
            f"(info) `wait(interval={every:g}, max_interval={every:g})`: the panel's cadence, "
            f"`wait()`'s rounds",
            stats.requests,
            dict(stats.by_route),
            rounds,
            observed.seen,
            f"{every:g} s",
            info=True,
        )
    return Watch(
        "argil_nb `wait()`",
        stats.requests,
        dict(stats.by_route),
        rounds,
        observed.seen,
        f"{waiting.WAIT_INTERVAL:g} s x{waiting.WAIT_GROWTH:g} "
        f"up to {waiting.WAIT_MAX_INTERVAL:g} s",
    )


def argil_panel(box: Box) -> Watch:
    """``StatusPanel``: ``refresh()`` every ``interval`` simulated seconds until done."""
    rounds: list[float] = []
    with box.sb.client() as client:
        observed = Observed(client, box)
        panel = StatusPanel(
            box.ids, client=observed, interval=PANEL_INTERVAL, clock=lambda: EPOCH + box.clock()
        )
        try:
            while True:
                rounds.append(box.sim())
                panel.refresh()
                assert panel._data.failures == 0
                if panel.done:
                    break
                box.clock.advance(panel.interval)
            assert panel.frame["status"].isin(list(TERMINAL_STATUSES)).all()
            # The panel's own record agrees: its history stamps each finish when polled.
            history = panel.history
            shown = dict(zip(history["id"], history["seen_at"], strict=True))
            for asset_id, when in observed.seen.items():
                assert abs(shown[asset_id].timestamp() - EPOCH - when) < 1e-3, asset_id
        finally:
            panel.close()
    stats = box.sb.stats
    return Watch(
        f"argil_nb `StatusPanel(interval={PANEL_INTERVAL:g})`",
        stats.requests,
        dict(stats.by_route),
        rounds,
        observed.seen,
        f"{PANEL_INTERVAL:g} s",
    )


@dataclass
class LiveResult:
    """Figures of one account of benchmark 4."""

    case: LiveCase
    done_at: dict[str, float]
    oracle_agreed: int
    naive: Watch
    variant: Watch
    pollers: list[Watch] = field(default_factory=list)


def oracle_check(box: Box) -> int:
    """How many uploads the API shows PROCESSING just before their ``done_at`` and
    READY/FAILED at it: the internals read as the true finish, checked over HTTP."""
    agreed = 0
    url, headers = box.sb.base_url, {"x-api-key": box.sb.api_key}
    with requests.Session() as session:

        def status(asset_id: str) -> str:
            response = session.get(f"{url}/assets/{asset_id}", headers=headers, timeout=30)
            response.raise_for_status()
            return str(response.json()["status"])

        for asset_id, finished in sorted(box.done_at.items(), key=lambda item: item[1]):
            before = finished - 1e-6
            early_ok = True
            if before > box.clock.now:  # the clock only moves forward (ties skip this half)
                box.clock.now = before
                early_ok = status(asset_id) == "PROCESSING"
            box.clock.now = max(box.clock.now, finished)
            agreed += early_ok and status(asset_id) in TERMINAL_STATUSES
    return agreed


def run_live(case: LiveCase) -> LiveResult:
    """The two baselines and the argil_nb pollers, each on a fresh identical sandbox."""
    runners: list[tuple[str, Callable[[Box], Watch]]] = [
        ("naive", lambda b: naive_loop(b, stop_when_done=False)),
        ("variant", lambda b: naive_loop(b, stop_when_done=True)),
        ("wait", argil_wait),
        ("panel", argil_panel),
        ("wait@2s", lambda b: argil_wait(b, PANEL_INTERVAL)),
    ]
    watches: dict[str, Watch] = {}
    truth: dict[str, float] | None = None
    for name, runner in runners:
        with upload_box(case) as box:
            if truth is None:
                truth = box.done_at
            assert box.done_at == truth, "the same seed must give the same uploads"
            watches[name] = runner(box)
            w = watches[name]
            log(
                f"[live {case.account}] {name:8s} {w.requests:5d} requests, "
                f"{len(w.rounds)} rounds, last seen at {max(w.seen.values()):.2f} s"
            )
    with upload_box(case) as box:
        agreed = oracle_check(box)
    log(f"[live {case.account}] oracle agreed with done_at for {agreed}/{UPLOADS}")
    assert truth is not None
    pollers = [watches["wait"], watches["panel"], watches["wait@2s"]]
    return LiveResult(case, truth, agreed, watches["naive"], watches["variant"], pollers)


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def describe_routes(routes: dict[str, int]) -> str:
    """``12 list + 200 get`` for tables."""
    return f"{routes.get('list', 0)} list + {routes.get('get', 0)} get"


def lag_cells(watch: Watch, done_at: dict[str, float]) -> tuple[list[object], bool]:
    """max lag, p95 lag, the worst lag/interval, assets over their interval; and whether met."""
    pairs = watch.lags(done_at)
    lags = [lag for lag, _ in pairs]
    over = sum(1 for lag, gap in pairs if lag > gap + 1e-9)
    worst = max(lag / gap for lag, gap in pairs if gap > 0)
    assert min(lags) >= -1e-9, "seen terminal before the true finish: clock mix-up"
    cells: list[object] = [
        f"{max(lags):.2f} s",
        f"{p95(lags):.2f} s",
        watch.interval_note,
        f"{worst:.2f}",
        f"{over} / {len(pairs)}",
    ]
    return cells, over == 0


def met_cell(met: bool, info: bool, within: tuple[str, str] = ("yes", "**no**")) -> str:
    """``yes``/``**no**`` for a target; ``(info) ...`` without bold for information rows."""
    return f"(info) {within[0] if met else within[1].strip('*')}" if info else yes_no(met)


def live_notes(results: Sequence[LiveResult]) -> str:
    """What the figures say, misses first (written from the figures, not fixed text)."""
    notes = []
    for r in results:
        wait, panel, fixed = r.pollers
        label = r.case.label + ("" if r.case.target else ", information only")
        for w in (wait, panel):
            share = w.requests / r.naive.requests
            if share > REQUEST_TARGET:
                rounds = len(w.rounds)
                gets = w.routes.get("get", 0)
                notes.append(
                    f"- **{w.label}, {label}: {share:.1%} of the baseline, over "
                    f"{REQUEST_TARGET:.0%}.** Each refresh calls `client.get_assets(pending)`, "
                    f"whose plan probes the first page of each status, finds listing the "
                    f"whole account too dear ({r.case.account:,} assets, mostly READY), and "
                    f"GETs every pending id missing from those first pages: {gets} GETs in "
                    f"{rounds} refreshes ({gets / rounds:.0f} per refresh), while "
                    f"`wait()`'s round (list `status=PROCESSING` only, then GET only the ids "
                    f"that left it) at the same {PANEL_INTERVAL:g} s cadence sent "
                    f"{fixed.requests} ({fixed.requests / r.naive.requests:.1%}). Suggested "
                    f"fix (library, not done here): let `Tracker.poll` use "
                    f"`listing.PendingFetcher`'s strategy for its pending ids."
                )
        share = wait.requests / r.variant.requests
        if r.case.target and share > REQUEST_TARGET:
            notes.append(
                f"- {wait.label}, {label}: within the target against the baseline, but "
                f"{share:.1%} of the stop-when-done variant's requests (not the target). Of "
                f"its {wait.requests}, {wait.routes.get('get', 0)} are one GET per finished "
                f"upload to learn its outcome, the rest {wait.routes.get('list', 0)} listing "
                f"pages over {len(wait.rounds)} rounds: the interval goes back to "
                f"{waiting.WAIT_INTERVAL:g} s after any change, and with {UPLOADS} finishes "
                f"spread over {PROCESSING[1] - PROCESSING[0]:g} s almost every round sees one. "
                f"Listing READY/FAILED newest first (uploads list first) could learn most "
                f"outcomes without the per-id GETs."
            )
    return "\n".join(notes) if notes else "- Nothing missed."


def live_section(results: Sequence[LiveResult]) -> str:
    """Markdown of benchmark 4."""
    req_rows = []
    lag_rows = []
    met_all = True
    for r in results:
        naive, variant = r.naive, r.variant
        last = max(r.done_at.values())
        account = r.case.label + ("" if r.case.target else " (info)")
        for w in (naive, variant):
            cells, _ = lag_cells(w, r.done_at)
            lag_rows.append([account, w.label, *cells, "—", "—"])
        for w in r.pollers:
            info = w.info or not r.case.target
            share = w.requests / naive.requests
            met = share <= REQUEST_TARGET
            req_rows.append(
                [
                    account,
                    w.label,
                    f"{naive.requests:,}",
                    f"{w.requests:,} ({describe_routes(w.routes)})",
                    f"**{share:.1%}**",
                    f"{variant.requests:,} → {w.requests / variant.requests:.1%}",
                    f"{len(w.rounds)} rounds, all seen at {max(w.seen.values()):.1f} s "
                    f"(last finish {last:.1f} s)",
                    f"≤ {REQUEST_TARGET:.0%} of baseline",
                    met_cell(met, info, ("within", "outside")),
                ]
            )
            cells, lag_met = lag_cells(w, r.done_at)
            lag_rows.append(
                [account, w.label, *cells, "every lag ≤ interval", met_cell(lag_met, info)]
            )
            if not info:
                met_all &= met and lag_met
    main_case = results[0]
    outcomes = list(main_case.done_at.values())
    req_table = md_table(
        [
            "account",
            "poller",
            "baseline requests",
            "argil_nb requests",
            "share of baseline",
            "vs. stop-when-done variant (info)",
            "simulated run",
            "target",
            "met",
        ],
        req_rows,
    )
    lag_table = md_table(
        [
            "account",
            "poller",
            "max lag",
            "p95 lag",
            "interval",
            "worst lag / interval",
            "assets seen later than one interval",
            "target",
            "met",
        ],
        lag_rows,
    )
    oracle = ", ".join(f"{r.oracle_agreed}/{UPLOADS}" for r in results)
    return (
        f"### 4. Waiting for {UPLOADS} uploads processing "
        f"{PROCESSING[0]:g}-{PROCESSING[1]:g} s\n\n"
        f"`Sandbox(processing_seconds={PROCESSING}, failure_rate=0.1)`; {UPLOADS} uploads by "
        f"`create_asset` at simulated time 0, each finishing (READY or FAILED) at its drawn "
        f"time, from {min(outcomes):.1f} s to {max(outcomes):.1f} s in the main case. Each "
        f"poller runs on a fresh sandbox of the same seed (the same ids and finish times, "
        f"checked). Requests are the sandbox's count (`sb.stats.requests`, uploads excluded). "
        f"Baseline: a `requests.Session` loop that GETs every id every "
        f"{BASELINE_INTERVAL:g} s until all are terminal (the variant stops asking an id "
        f"once it is terminal; reported, not the target). argil_nb: "
        f"`polling.wait(client, ids, clock=, sleep=)` (interval {waiting.WAIT_INTERVAL:g} s, "
        f"x{waiting.WAIT_GROWTH:g} while nothing changes, "
        f"at most {waiting.WAIT_MAX_INTERVAL:g} s), and "
        f"`StatusPanel(ids, interval={PANEL_INTERVAL:g}, clock=)` driven by calling "
        f"`refresh()` every {PANEL_INTERVAL:g} simulated seconds (what its background loop "
        f"does, without the thread; the finish times seen agree with `panel.history`). "
        f"Rows marked (info) are not the issue's targets: an "
        f"account of 5,000 assets (it changes what the panel's `get_assets` plan costs), and "
        f"`wait()` held at the panel's interval, for comparison.\n\n"
        f"{req_table}\n\n"
        f"Detection lag: for each asset, the simulated time a response to the poller first "
        f"showed it READY/FAILED minus its true finish. The true finish is the store's "
        f"`done_at` (sandbox internals, `sb._store._by_id[id].done_at`, read right after the "
        f"upload, before it settles), checked by an oracle on another sandbox of the same "
        f"seed: stepping the clock to just before and to each `done_at`, a GET showed "
        f"PROCESSING then READY/FAILED for {oracle} uploads. The interval is the gap between "
        f"the round that saw the asset and the round before (for `wait()`, the backed-off "
        f"pause then). A fake clock makes a round instantaneous, so the lag is the polling "
        f"delay alone (no request latency).\n\n"
        f"{lag_table}\n\n"
        f"Targets (main case): {'all met' if met_all else '**not all met**'}. Notes:\n\n"
        f"{live_notes(results)}\n"
    )


# -- benchmark 5 ------------------------------------------------------------------------

BASELINE = "0dc1a62"
"""The commit of the previous panel (stock ipywidgets), measured in the same run: its
``argil_nb`` is taken from git (``git archive``) and run in a child process."""
STALL_TARGET = 0.050
SLOW_LATENCY = 0.3
STALL_SECONDS = 6.0

_BASELINE_SCRIPT = r"""
import itertools, json, sys
import comm
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox
log = []
class C:
    ids = itertools.count()
    kernel = "k"
    def __init__(self, **kw):
        self.comm_id = f"c{next(self.ids)}"
    def on_msg(self, cb): pass
    def send(self, data=None, buffers=None, **kw): log.append(data)
    def close(self, *a, **k): pass
comm.create_comm = lambda **kw: C(**kw)
class Clock:
    now = 0.0
    def __call__(self): return self.now
steps = json.loads(sys.argv[1])
with Sandbox(seed=501, initial_assets=2000, clock=Clock()) as sb:
    ids = [a["id"] for a in sb.assets()]
    for i in ids: sb.set_status(i, "PROCESSING")
    with sb.client() as client:
        panel = StatusPanel(ids, client=client, page_size=24, layout="cards",
                            clock=itertools.count(1.8e9, 1.0).__next__)
        panel.refresh()
        out = {}
        for label, which in steps:
            for n in which: sb.set_status(ids[n], "READY")
            del log[:]
            panel.refresh()
            out[label] = [len(log), sum(len(json.dumps(d, default=str)) for d in log)]
        panel.close()
print(json.dumps(out))
"""


def _steps() -> list[tuple[str, list[int]]]:
    """The changes of benchmark 5, as asset positions (both panels get the same)."""
    return [
        ("nothing changed", []),
        (f"{CHANGED} changed, on the page shown", list(range(CHANGED))),
        (f"{CHANGED} changed, on another page", list(range(500, 500 + CHANGED))),
        ("200 changed, 14 of them on the page", list(range(CHANGED, 24)) + list(range(1000, 1186))),
    ]


def baseline_panel() -> dict[str, tuple[int, int]] | None:
    """Messages and JSON bytes per step for the previous panel, or None without git."""
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE, "argil_nb"],
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            log(f"[panel] no baseline: git archive {BASELINE} failed")
            return None
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        done = subprocess.run(
            [sys.executable, "-c", _BASELINE_SCRIPT, json.dumps(_steps())],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": folder},
            cwd=folder,
            check=False,
        )
        if done.returncode != 0:
            log(f"[panel] baseline failed: {done.stderr[-500:]}")
            return None
        return {k: (v[0], v[1]) for k, v in json.loads(done.stdout.splitlines()[-1]).items()}


class CountingComm:
    """A kernel comm that records each message a widget sends (its JSON bytes)."""

    ids = itertools.count()
    kernel = "a kernel"

    def __init__(self, sent: list[Any], **kwargs: Any) -> None:
        self.comm_id = f"comm-{next(self.ids)}"
        self.sent = sent
        self.handler: Any = None

    def on_msg(self, callback: Any) -> None:
        self.handler = callback

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        self.sent.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def counting_comms() -> Iterator[list[Any]]:
    """Patch ``comm.create_comm`` (as the tests' ``wire`` fixture does) while active."""
    sent: list[Any] = []
    original = comm.create_comm
    comm.create_comm = lambda **kwargs: CountingComm(sent, **kwargs)
    try:
        yield sent
    finally:
        comm.create_comm = original


def _bytes(messages: Sequence[Any]) -> int:
    return sum(len(json.dumps(m, default=str)) for m in messages)


@dataclass
class PanelResult:
    """Figures of benchmark 5."""

    first: tuple[int, int] = (0, 0)
    steps: list[tuple[str, int, int, int]] = field(default_factory=list)
    """(label, rows in the message, messages, bytes)."""
    baseline: dict[str, tuple[int, int]] | None = None
    stall: float = 0.0
    stall_p99: float = 0.0
    asks: int = 0
    slow_polls: int = 0


def run_panel_bytes(result: PanelResult) -> None:
    """Bytes the new panel sends per refresh of 2,000 PROCESSING assets."""
    with (
        Sandbox(seed=501, initial_assets=PANEL_ASSETS, clock=SimClock()) as sb,
        sb.client() as client,
        counting_comms() as sent,
    ):
        ids = [a["id"] for a in sb.assets()]
        for asset_id in ids:
            sb.set_status(asset_id, "PROCESSING")
        clock = itertools.count(EPOCH, 1.0).__next__
        panel = StatusPanel(ids, client=client, page_size=PAGE_SIZE, layout="cards", clock=clock)
        try:
            panel.refresh()
            del sent[:]
            panel._on_message(panel, {"k": "sync", "r": -1, "h": -1}, [])  # a view opens
            result.first = (len(sent), _bytes(sent))
            for label, which in _steps():
                for n in which:
                    sb.set_status(ids[n], "READY")
                del sent[:]
                panel.refresh()
                rows = sum(len(m["content"].get("rows", [])) for m in sent)
                result.steps.append((label, rows, len(sent), _bytes(sent)))
                log(f"[panel] {label}: {len(sent)} messages, {_bytes(sent):,} B, {rows} rows")
        finally:
            panel.close()


def run_panel_stall(result: PanelResult) -> None:
    """The main thread's longest stall while the panel polls a slow API in the background,
    and the browser asks for news every 10 ms, clicks "refresh now" and changes the filter."""
    with (
        Sandbox(seed=503, initial_assets=PANEL_ASSETS, latency=SLOW_LATENCY) as sb,
        sb.client(max_retries=0) as client,
        counting_comms() as sent,
    ):
        ids = [a["id"] for a in sb.assets()]
        for asset_id in ids[:400]:
            sb.set_status(asset_id, "PROCESSING")
        panel = StatusPanel(ids, client=client, interval=0.2, page_size=PAGE_SIZE)
        before = sb.stats.requests
        try:
            panel.start()
            gaps: list[float] = []
            have, head, n = -1, -1, 0
            end = time.perf_counter() + STALL_SECONDS
            while time.perf_counter() < end:
                n += 1
                start = time.perf_counter()
                del sent[:]
                panel._on_message(panel, {"k": "sync", "r": have, "h": head}, [])
                for m in sent:
                    content = m["content"]
                    have, head = max(have, content.get("r", have)), content.get("h", head)
                if n % 50 == 0:
                    panel._on_message(panel, {"k": "refresh"}, [])
                if n % 37 == 0:
                    status = "READY" if n % 74 else "all"
                    panel.set_state({"_query": {**panel._query, "status": status}})
                gaps.append(time.perf_counter() - start)
                time.sleep(0.01)
            gaps.sort()
            result.stall = gaps[-1]
            result.stall_p99 = gaps[int(0.99 * (len(gaps) - 1))]
            result.asks = n
            result.slow_polls = sb.stats.requests - before
        finally:
            panel.close(timeout=0)
    log(f"[panel] stall: longest {result.stall * 1000:.1f} ms over {result.asks} asks")


def panel_section(result: PanelResult) -> str:
    """Markdown of benchmark 5."""
    rows = []
    for label, changed_rows, count, size in result.steps:
        old = (result.baseline or {}).get(label)
        old_cell = f"{old[0]} messages, {old[1]:,} B" if old else "—"
        ratio_cell = f"{size / old[1]:.0%}" if old and old[1] else "—"
        changed = int(label.split()[0]) if label[0].isdigit() else 0
        rows.append(
            [label, old_cell, f"{count} message, {changed_rows} rows, {size:,} B", ratio_cell,
             yes_no(changed_rows == changed and size <= 300 * changed)]
        )  # fmt: skip
    table = md_table(
        [
            f"refresh of {PANEL_ASSETS:,} PROCESSING assets",
            f"previous panel ({BASELINE}, stock ipywidgets)",
            "argil_nb StatusPanel (anywidget)",
            "bytes vs. previous",
            "one row per change, ≤ 300 B each",
        ],
        rows,
    )
    return (
        f"### 5. A {PANEL_ASSETS:,}-asset panel: bytes per refresh, and the main thread\n\n"
        f"`StatusPanel(ids, page_size={PAGE_SIZE})` over {PANEL_ASSETS:,} assets kept "
        f"PROCESSING, changed by `sb.set_status(id, 'READY')` between refreshes. Bytes are the "
        f"JSON of every comm message the widget sends (`comm.create_comm` patched, as in the "
        f"tests). The previous panel is commit {BASELINE}'s, run in a child process on the "
        f"same sandbox seed and the same changes. A view that opens asks once for every row: "
        f"{result.first[0]} message, {result.first[1]:,} B (the previous panel's first "
        f"render was its widgets' state). The previous panel sent only the cards of "
        f"the page shown (and re-rendered them when the page turned); this one sends every "
        f"changed row once, since the browser filters and pages without asking.\n\n{table}\n\n"
        f"The main thread while the panel polls an API answering in {SLOW_LATENCY:g} s "
        f"({result.slow_polls} requests in {STALL_SECONDS:g} s, on the panel's thread), and "
        f"the browser asks for news every 10 ms ({result.asks} asks, some with a "
        f'"refresh now" or a filter change): longest handling '
        f"{result.stall * 1000:.1f} ms, 99th percentile {result.stall_p99 * 1000:.1f} ms "
        f"(target under {STALL_TARGET * 1000:.0f} ms: {yes_no(result.stall < STALL_TARGET)}).\n"
    )


def run_panel() -> PanelResult:
    """Benchmark 5."""
    result = PanelResult()
    run_panel_bytes(result)
    result.baseline = baseline_panel()
    run_panel_stall(result)
    return result


def run() -> str:
    """Run benchmarks 4 and 5; return their markdown section."""
    live = [run_live(case) for case in LIVE_CASES]
    panel = run_panel()
    return (
        "## Watching: `wait()` and `StatusPanel` versus polling every id (benchmarks 4 and 5)\n"
        f"\n{machine_line()}\n\nCommand: `.venv/bin/python bench/bench_live.py`. Every figure "
        f"is a count (requests, messages, bytes, simulated seconds), not a wall time; "
        f"simulated time comes from a fake clock shared by the sandbox and the pollers "
        f"(see below), so the counts do not depend on the machine's load.\n\n"
        f"{live_section(live)}\n{panel_section(panel)}"
    )


if __name__ == "__main__":
    main(run, __doc__ or "")
