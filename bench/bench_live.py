"""Benchmarks 4 and 5: watching uploads finish (``wait()``, ``StatusPanel``) on the sandbox.

4. 200 uploads processing 2-20 s (``processing_seconds=(2, 20)``): the requests that
   ``wait()`` and the panel send to see them all through, at most 10 % of the baseline's
   (every id GET every second until all are terminal), and each finish seen within one
   interval of the poller (detection lag = first seen READY/FAILED minus the true finish,
   which comes from the sandbox's store: each record's ``done_at``, read right after the
   upload, before it settles).
5. A 2,000-asset panel: widget messages per refresh when nothing changed (target 0) and when
   10 assets changed (target: proportional to 10, not 2,000), counted like
   ``tests/test_panel.py`` (comm creation patched, ``send()`` recorded); image bytes sent
   through the kernel (target 0 with thumbnail URLs; sent once per image when inline).

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
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import comm
import ipywidgets as widgets
import ipywidgets.widgets.widget as widget_module
import pandas as pd
import requests
from _common import log, machine_line, main, md_table, ratio, yes_no

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
HEADER_MESSAGES = 5
"""The counts, the progress bar and its text, "last change", and the elapsed time, rate and
time left as of it: one each."""


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
                assert panel._data.failures == 0, panel.state_label.value
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


class CountingComm:
    """A kernel comm that records every message: the open (widget creation) and each send.

    As in ``tests/test_panel.py``; the open is recorded too, since an ``Image``'s bytes
    travel in it.
    """

    ids = itertools.count()
    kernel = "a kernel"

    def __init__(self, log: list[tuple[str, Any, int]], **kwargs: Any) -> None:
        self.comm_id = f"comm-{next(self.ids)}"
        self.log = log
        log.append(("open", kwargs.get("data"), buffer_bytes(kwargs.get("buffers"))))

    def on_msg(self, callback: Any) -> None:
        pass

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        kind = data.get("method", "other") if isinstance(data, dict) else "other"
        self.log.append((kind, data, buffer_bytes(buffers)))

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


def buffer_bytes(buffers: Any) -> int:
    """Bytes in a message's binary buffers."""
    return sum(memoryview(b).nbytes for b in buffers or ())


@contextmanager
def counting_comms() -> Iterator[list[tuple[str, Any, int]]]:
    """Patch ``comm.create_comm`` (as the tests' ``messages`` fixture does) while active."""
    messages: list[tuple[str, Any, int]] = []
    original = comm.create_comm
    comm.create_comm = lambda **kwargs: CountingComm(messages, **kwargs)
    try:
        yield messages
    finally:
        comm.create_comm = original


@dataclass(frozen=True)
class Sent:
    """Messages sent by one step."""

    updates: int
    opens: int
    json_bytes: int
    buffer_bytes: int

    @classmethod
    def of(cls, messages: Sequence[tuple[str, Any, int]]) -> Sent:
        return cls(
            sum(1 for kind, _, _ in messages if kind == "update"),
            sum(1 for kind, _, _ in messages if kind == "open"),
            sum(len(json.dumps(data, default=str)) for _, data, _ in messages),
            sum(n for _, _, n in messages),
        )

    @property
    def count(self) -> int:
        return self.updates + self.opens

    def show(self) -> str:
        opens = f" + {self.opens} opens" if self.opens else ""
        data = f"{self.json_bytes:,} B JSON"
        binary = f" + {self.buffer_bytes:,} B binary" if self.buffer_bytes else ""
        updates = f"{self.updates} update" + ("" if self.updates == 1 else "s")
        return f"{updates}{opens} ({data}{binary})"


def step(messages: list[tuple[str, Any, int]], action: Callable[[], object]) -> Sent:
    """What ``action`` sent."""
    del messages[:]
    action()
    return Sent.of(messages)


@contextmanager
def panel_box(seed: int) -> Iterator[tuple[Sandbox, list[str]]]:
    """2,000 assets, all PROCESSING with no scheduled end (they change only when told)."""
    with Sandbox(seed=seed, initial_assets=PANEL_ASSETS, clock=SimClock()) as sb:
        ids = [a["id"] for a in sb.assets()]
        for asset_id in ids:
            sb.set_status(asset_id, "PROCESSING")
        yield sb, ids


@dataclass
class TableBaseline:
    """The baseline view: one ``widgets.HTML`` holding the frame's table, set after each poll."""

    client: Any
    ids: list[str]
    html: widgets.HTML = field(default_factory=widgets.HTML)

    def refresh(self) -> None:
        frame = self.client.get_assets(self.ids, progress=False)
        self.html.value = frame.to_html(index=False)


@dataclass
class PanelResult:
    """Figures of benchmark 5."""

    first: tuple[Sent, Sent] | None = None
    steps: list[tuple[str, Sent, Sent, str, bool]] = field(default_factory=list)
    url_images: int = 0
    url_buffer_bytes: int = 0
    url_file_requests: int = 0
    url_visible_ready: int = 0
    inline_steps: list[tuple[str, Sent]] = field(default_factory=list)
    inline_images: int = 0
    inline_image_bytes: int = 0
    inline_file_requests: int = 0
    inline_refreshes: int = 0


def image_widgets() -> list[widgets.Image]:
    """Every open ``widgets.Image`` with a non-empty value."""
    return [
        w
        for w in list(widget_module._instances.values())
        if isinstance(w, widgets.Image) and len(w.value) > 0
    ]


def run_panel_urls(result: PanelResult) -> None:
    """URL thumbnails (the default): messages per refresh against the table baseline."""
    log(f"[panel] {PANEL_ASSETS:,} assets, thumbnails as URLs")
    with panel_box(501) as (sb, ids), sb.client() as client, counting_comms() as messages:
        before = {id(w) for w in image_widgets()}
        clock = itertools.count(EPOCH, 1.0).__next__  # "last change" moves with each poll
        panel = StatusPanel(ids, client=client, page_size=PAGE_SIZE, clock=clock)
        base = TableBaseline(client, ids)
        try:
            total_buffers = Sent.of(messages).buffer_bytes
            first = (step(messages, base.refresh), step(messages, panel.refresh))
            total_buffers += first[1].buffer_bytes
            result.first = first
            log(f"[panel] first refresh: table {first[0].show()}; panel {first[1].show()}")

            def changed(label: str, which: Sequence[str], visible: int, target: str) -> None:
                nonlocal total_buffers
                for asset_id in which:
                    sb.set_status(asset_id, "READY")
                table = step(messages, base.refresh)
                sent = step(messages, panel.refresh)
                total_buffers += sent.buffer_bytes
                bound = HEADER_MESSAGES + visible if which else 0
                result.steps.append((label, table, sent, target, sent.count <= bound))
                log(f"[panel] {label}: table {table.show()}; panel {sent.show()}")

            changed("nothing changed", [], 0, "0 messages")
            changed(
                f"{CHANGED} changed, on the page shown",
                ids[:CHANGED],
                CHANGED,
                f"≤ {HEADER_MESSAGES} header + {CHANGED} cards",
            )
            changed("nothing changed (again)", [], 0, "0 messages")
            changed(
                f"{CHANGED} changed, on another page",
                ids[500 : 500 + CHANGED],
                0,
                f"≤ {HEADER_MESSAGES} header",
            )
            changed(
                "(info) 200 changed, 14 of them on the page",
                ids[CHANGED : CHANGED + PAGE_SIZE - CHANGED] + ids[1000 : 1000 + 200 - 14],
                PAGE_SIZE - CHANGED,
                f"≤ {HEADER_MESSAGES} header + {PAGE_SIZE - CHANGED} cards",
            )
            result.url_images = len([w for w in image_widgets() if id(w) not in before])
            result.url_buffer_bytes = total_buffers
            result.url_file_requests = sb.stats.by_route.get("file", 0)
            result.url_visible_ready = sum(
                1 for card in panel.cards if '<img src="http' in card.value
            )
        finally:
            panel.close()
            base.html.close()


def run_panel_inline(result: PanelResult) -> None:
    """Inline thumbnails: every image's bytes should cross the comm once, across refreshes."""
    log(f"[panel] {PANEL_ASSETS:,} assets, inline thumbnails")
    with panel_box(502) as (sb, ids), sb.client() as client, counting_comms() as messages:
        clock = itertools.count(EPOCH, 1.0).__next__
        panel = StatusPanel(
            ids, client=client, page_size=PAGE_SIZE, clock=clock, inline_thumbnails=True
        )
        try:
            panel.refresh()
            sb.reset_stats()
            for asset_id in ids[:CHANGED] + ids[PAGE_SIZE : PAGE_SIZE + CHANGED]:
                sb.set_status(asset_id, "READY")

            def refreshes(times: int) -> None:
                for _ in range(times):
                    panel.refresh()
                    result.inline_refreshes += 1

            actions: list[tuple[str, Callable[[], object]]] = [
                (
                    f"{CHANGED} on page 1 and {CHANGED} on page 2 turn READY; refresh",
                    lambda: refreshes(1),
                ),
                ("refresh x3, nothing changed", lambda: refreshes(3)),
                (f"next page (its {CHANGED} READY shown)", panel.next_button.click),
                ("back to page 1", panel.prev_button.click),
                ("refresh x3, nothing changed", lambda: refreshes(3)),
                ("next page again", panel.next_button.click),
            ]
            for label, action in actions:
                sent = step(messages, action)
                result.inline_steps.append((label, sent))
                log(f"[panel inline] {label}: {sent.show()}")
            images = image_widgets()
            result.inline_images = len(images)
            result.inline_image_bytes = sum(len(w.value) for w in images)
            result.inline_file_requests = sb.stats.by_route.get("file", 0)
        finally:
            panel.close()


def panel_section(result: PanelResult) -> str:
    """Markdown of benchmark 5."""
    rows = []
    for label, table, sent, target, met in result.steps:
        info = label.startswith("(info)")
        ratio_cell = f"{sent.json_bytes / table.json_bytes:.2%}" if table.json_bytes else "—"
        rows.append(
            [
                label,
                table.show(),
                sent.show(),
                f"{sent.count} msgs; bytes {ratio_cell}",
                target,
                f"(info) {yes_no(met)}" if info else yes_no(met),
            ]
        )
    msg_table = md_table(
        [
            "refresh of 2,000 PROCESSING assets",
            "baseline: frame `to_html` in one `widgets.HTML`",
            "argil_nb `StatusPanel` (URL thumbnails)",
            "argil_nb messages; bytes vs. baseline",
            "target",
            "met",
        ],
        rows,
    )
    sent_total = sum(s.buffer_bytes for _, s in result.inline_steps)
    once = sent_total == result.inline_image_bytes and result.inline_images > 0
    url_met = result.url_buffer_bytes == 0 and result.url_images == 0
    per_image = result.inline_image_bytes / max(result.inline_images, 1)
    image_rows = [
        [
            "URL thumbnails (default)",
            f"{result.url_visible_ready} READY cards shown; inline mode would send "
            f"~{result.url_visible_ready * per_image:,.0f} B",
            f"{result.url_buffer_bytes:,} B binary; {result.url_images} `Image` widgets with "
            f"data; {result.url_file_requests} thumbnail GETs by the kernel",
            "0x",
            "0 B",
            yes_no(url_met),
        ],
        [
            "inline thumbnails (information)",
            f"{result.inline_images} distinct images, {result.inline_image_bytes:,} B (each once)",
            f"{sent_total:,} B binary over {result.inline_refreshes} refreshes and 3 page "
            f"turns; {result.inline_file_requests} thumbnail GETs",
            ratio(sent_total / result.inline_image_bytes) if result.inline_image_bytes else "—",
            "each image once (1.00x)",
            f"(info) {yes_no(once)}",
        ],
    ]
    image_table = md_table(
        ["mode", "image bytes (reference)", "argil_nb sent", "ratio", "target", "met"],
        image_rows,
    )
    inline_rows = [[label, sent.show()] for label, sent in result.inline_steps]
    assert result.first is not None
    first_table, first_panel = (sent.show() for sent in result.first)
    return (
        f"### 5. A {PANEL_ASSETS:,}-asset panel: widget messages per refresh\n\n"
        f"`StatusPanel(ids, page_size={PAGE_SIZE})` over {PANEL_ASSETS:,} assets kept "
        f"PROCESSING (`sb.set_status`), changed by `sb.set_status(id, 'READY')` between "
        f"refreshes. Messages counted as in `tests/test_panel.py`: `comm.create_comm` is "
        f"patched with a comm that records each `send()` (an `update`), and here also each "
        f"widget creation (an `open`, which carries an `Image`'s bytes); bytes are the JSON "
        f"of the messages plus their binary buffers. Baseline: what a user writes today, one "
        f"`widgets.HTML` set to `client.get_assets(ids).to_html()` after each poll (counted "
        f"the same way; traitlets already skip an unchanged value). Each row is one refresh "
        f"after the first (the first, everything new: baseline {first_table}, panel "
        f"{first_panel}). The header's {HEADER_MESSAGES} messages are the counts, the "
        f"progress bar and its text, the time of the last change, and the elapsed time, "
        f"rate and time left as of it.\n\n"
        f"{msg_table}\n\n"
        f"Image bytes through the kernel: with URL thumbnails the cards carry "
        f'`<img src="http...">` and the browser fetches them; the kernel sends no image '
        f"bytes (binary buffers of every message, from the panel's creation on, summed) and "
        f"holds no `widgets.Image` with data. Inline mode fetches each READY thumbnail once "
        f"and sends it in its `Image` widget's open message; later refreshes and page turns "
        f"only point cards at it.\n\n"
        f"{image_table}\n\n"
        f"Inline mode, step by step:\n\n{md_table(['step', 'sent'], inline_rows)}\n"
    )


def run_panel() -> PanelResult:
    """Both modes of benchmark 5."""
    result = PanelResult()
    run_panel_urls(result)
    run_panel_inline(result)
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
