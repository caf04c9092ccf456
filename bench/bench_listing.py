"""Benchmarks for the listing (issue 16): ``list_assets()`` on a server that keeps to the docs.

Every account is a ``Sandbox(mode="documented")``: one ``status`` per request (a repeated
one answered as chosen), ``createdAt`` in whole seconds with uploads of one second tied and
listed in insertion order, no rate-limit headers. The *minimum* is what a pager needs that
reads each status's pages of 100 once: ``sum over statuses of ceil(n / 100)`` (at least one
each), counted on the account as it was before the call. The *baseline*, run in the same
process, interleaved, on an identical account, is that pager itself (pages of 100 per status,
each once, all at once after page 1, on the same kind of client): it costs the minimum and
proves nothing, so it shows what the listing's proof costs and what it buys.

1. Static: 3,000 seeded assets and 600 uploads made in the same second (3,600). Target:
   requests <= 1.15x the minimum, nothing lost.
2. Live: 6,000 assets at a server limit of 20 reads/s (burst 20), uploads arriving (5/s),
   the seeded PROCESSING ones and the uploads finishing (1-5 s), deletions (2/s) all along.
   Target: requests <= 1.3x the minimum, nothing lost (every asset of ``assets()`` before the
   call that is not in ``deleted_ids()`` after it), wall against the bound (requests - burst)
   / rate. Two clients: one given the server's budget (``reads_per_minute=1200``), one with
   none (the default off Argil's host: it meets the limit as 429s).
3. A server that answers a repeated ``status`` with a 500: requests and 500s per
   ``list_assets()``, against the same account answering ``"first"``.
4. 150 PROCESSING, the 120 listed first finish right after PROCESSING's page 1 (issue 16's
   first row: 30 of 150 lost on main).

Requests are the sandbox's counts of list requests answered 200 (429s counted apart).
Run: ``.venv/bin/python bench/bench_listing.py``.
"""

from __future__ import annotations

import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from _common import log, machine_line, main, md_table, ratio, seconds, yes_no

from argil_nb import Client, listing
from argil_nb.models import STATUSES, TERMINAL_STATUSES, pages_for
from argil_nb.sandbox import Sandbox

STATIC, TIES = 3000, 600
LIVE, RATE, BURST, ARRIVALS, DELETES = 6000, 20.0, 20, 5.0, 2.0
RUNS = 3
SECOND = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


@dataclass
class Row:
    """One measured call."""

    case: str
    who: str
    minimum: int
    requests: int = 0
    throttled: int = 0
    errors: int = 0
    elapsed: float = 0.0
    lost: int = 0
    wrong: int = 0
    bound: float | None = None
    target: float | None = None
    notes: list[str] = field(default_factory=list)

    def cells(self) -> list[object]:
        bound = (
            "-"
            if self.bound is None
            else f"{seconds(self.bound)} ({ratio(self.elapsed / self.bound)})"
        )
        met = "-"
        if self.target is not None:
            met = yes_no(self.requests <= self.target * self.minimum and not self.lost + self.wrong)
        return [
            self.case,
            self.who,
            f"{self.requests} ({ratio(self.requests / self.minimum)} of {self.minimum})",
            self.throttled,
            self.errors,
            f"{self.lost} / {self.wrong}",
            seconds(self.elapsed),
            bound,
            "; ".join(self.notes),
            met,
        ]


def minimum(sb: Sandbox) -> int:
    counts = dict.fromkeys(STATUSES, 0)
    for asset in sb.assets():
        counts[asset["status"]] += 1
    return sum(pages_for(n) for n in counts.values())


def pager(client: Client) -> dict[str, str]:
    """The baseline: each status's pages of 100 once, all at once after its page 1."""
    found: dict[str, str] = {}
    with ThreadPoolExecutor(client.max_workers) as pool:
        for status in STATUSES:
            for asset in listing.list_once(client, status, (), pool):
                found[asset.id] = asset.status
    return found


def ours(client: Client) -> dict[str, str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = client.list_assets(progress=False)
    if caught:
        log(f"[listing] warned: {caught[0].message}")
    return dict(zip(frame["id"], frame["status"], strict=True))


def measure(sb: Sandbox, row: Row, call: Callable[[], dict[str, str]]) -> Row:
    """Run ``call`` (a listing of ``sb``) and check it against the sandbox's truth."""
    before = {a["id"]: a["status"] for a in sb.assets()}
    deleted_before = set(sb.deleted_ids())
    sb.reset_stats()
    start = time.perf_counter()
    listed = call()
    row.elapsed = time.perf_counter() - start
    stats = sb.stats
    row.throttled = stats.faults.get("rate_limited_reads", 0)
    row.requests = stats.by_route.get("list", 0) - row.throttled
    row.errors = sum(n for code, n in stats.responses.items() if code >= 500)
    after = {a["id"]: a["status"] for a in sb.assets()}
    survivors = set(before) - (set(sb.deleted_ids()) - deleted_before)
    row.lost = len(survivors - set(listed))
    # A finished status never changes: one listed must be the true one now; PROCESSING
    # listed for an asset finished before the call began is wrong.
    row.wrong = sum(
        1
        for i, status in listed.items()
        if i in after
        and (
            (status in TERMINAL_STATUSES and status != after[i])
            or (status not in TERMINAL_STATUSES and before.get(i) in TERMINAL_STATUSES)
        )
    )
    log(
        f"[listing] {row.case} / {row.who}: {row.requests} requests (min {row.minimum}), "
        f"{row.throttled} x 429, {row.errors} x 5xx, lost {row.lost}, wrong {row.wrong}, "
        f"{seconds(row.elapsed)}"
    )
    return row


# -- 1. static, 600 uploads in one second ------------------------------------------------------


def static_account(**options: Any) -> Sandbox:
    sb = Sandbox(mode="documented", seed=1601, initial_assets=STATIC, clock=lambda: 0.0,
                 now=lambda: SECOND, upload_id_salt=0, **options).start()  # fmt: skip
    with requests.Session() as session:
        session.headers["x-api-key"] = sb.api_key
        for i in range(TIES):
            body = {
                "name": f"tie-{i:03d}.png",
                "type": "IMAGE",
                "url": f"https://m.example.com/{i}.png",
            }
            assert session.post(f"{sb.base_url}/assets", json=body).ok
    return sb


def job_static() -> list[Row]:
    rows = []
    with static_account() as sb:
        ties = sum(
            1
            for a in sb.assets()
            if a["createdAt"].startswith(SECOND.strftime("%Y-%m-%dT%H:%M:%S"))
        )
        low = minimum(sb)
        client = sb.client()
        for run in range(RUNS):
            for who, call in (("baseline pager", pager), ("list_assets", ours)):
                row = Row(
                    "1. static 3,600", who, low, target=1.15 if who == "list_assets" else None
                )
                row.notes = [f"run {run + 1}", f"{ties} share one createdAt"]
                rows.append(measure(sb, row, lambda c=call: c(client)))
    return rows


# -- 2. live, 20 reads/s ------------------------------------------------------------------------


def live_account() -> Sandbox:
    return Sandbox(mode="documented", seed=1602, initial_assets=LIVE, rate_limit=RATE,
                   burst=BURST, arrival_rate=ARRIVALS, delete_rate=DELETES,
                   processing_seconds=(1.0, 5.0))  # fmt: skip


def job_live() -> list[Row]:
    rows = []
    clients = {
        "budget": lambda sb: sb.client(reads_per_minute=RATE * 60, read_burst=BURST),
        "no budget": lambda sb: sb.client(),
    }
    for run in range(RUNS):
        for pacing, make in clients.items():
            for who, call in (("baseline pager", pager), ("list_assets", ours)):
                with live_account() as sb:
                    sb.assets()  # the live clock runs from here
                    row = Row("2. live 6,000, 20/s", f"{who}, {pacing}", minimum(sb))
                    row.target = 1.3 if who == "list_assets" else None
                    client = make(sb)
                    measure(sb, row, lambda c=call, cl=client: c(cl))
                    row.bound = max(row.requests - BURST, 0) / RATE
                    row.notes = [f"run {run + 1}", f"{len(sb.deleted_ids())} deleted while listing"]
                    rows.append(row)
    return rows


# -- 3. a repeated status answered 500 -----------------------------------------------------------


def job_repeated() -> list[Row]:
    rows = []
    for answer in ("first", 500):
        with Sandbox(mode="documented", seed=1603, initial_assets=3000, clock=lambda: 0.0,
                     repeated_status=answer) as sb:  # fmt: skip
            client = sb.client()
            for call in range(2):
                row = Row(
                    "3. repeated status", f"answered {answer!r}, call {call + 1}", minimum(sb)
                )
                rows.append(measure(sb, row, lambda cl=client: ours(cl)))
    return rows


# -- 4. 150 PROCESSING, 120 finish after page 1 -------------------------------------------------


class FinishAfterPageOne(requests.Session):
    """Finishes the 120 PROCESSING assets listed first once PROCESSING's page 1 is answered."""

    def __init__(self, sb: Sandbox, ids: list[str]) -> None:
        super().__init__()
        self.sb, self.ids, self.done = sb, ids, False

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        params = dict(kwargs.get("params") or ())
        if not self.done and params.get("status") == "PROCESSING":
            self.done = True
            for asset_id in self.ids:
                self.sb.set_status(asset_id, "READY")
        return response


def job_shrink() -> list[Row]:
    rows = []
    for who, call in (("baseline pager", pager), ("list_assets", ours)):
        with Sandbox(mode="documented", initial_assets=0) as sb:
            for i in range(150):
                created = f"2026-10-01T10:{i // 60:02d}:{i % 60:02d}Z"
                raw = {"id": str(uuid.UUID(int=i + 1, version=4)), "name": f"a{i}.png"}
                sb.add_asset({**raw, "type": "IMAGE", "status": "PROCESSING", "createdAt": created})
            ids = [a["id"] for a in sb.assets()][:120]
            client = sb.client(session=FinishAfterPageOne(sb, ids))
            row = Row("4. 120 of 150 finish after page 1", who, minimum(sb))
            row.target = 2.0 if who == "list_assets" else None
            rows.append(measure(sb, row, lambda c=call, cl=client: c(cl)))
    return rows


def run() -> str:
    """Run every job; return the markdown section."""
    rows = job_static() + job_live() + job_repeated() + job_shrink()
    table = md_table(
        ["case", "who", "requests (of the minimum)", "429s", "5xx", "lost / wrong status",
         "wall", "bound (ratio)", "notes", "met"],
        [r.cells() for r in rows],
    )  # fmt: skip
    return (
        "## The listing on a server that keeps to the docs (issue 16)\n\n"
        f"{machine_line()}\n\n"
        "Command: `.venv/bin/python bench/bench_listing.py`. Every account is "
        '`Sandbox(mode="documented")`. Minimum: each status\'s pages of 100 once, on the '
        "account before the call. Baseline: that pager itself (`listing.list_once` per "
        "status), interleaved with `list_assets()` on identical accounts; it proves nothing. "
        "Lost: assets there before the call and not deleted during it that the result lacks; "
        "wrong: a status not the latest (a finished one differs from the truth after the "
        "call, or PROCESSING for an asset finished before it). Bound: (requests - burst) / "
        f"rate at {RATE:g}/s, burst {BURST}. Targets: 1.15x static, 1.3x live, nothing lost "
        "(2x for case 4, whose minimum is 4 requests).\n\n"
        f"{table}\n"
    )


if __name__ == "__main__":
    main(run, __doc__ or "")
