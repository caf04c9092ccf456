"""Fault soak, outages and the batch-level retry budget, against the sandbox on loopback.

The soak runs every batch path against a sandbox that, all at once, answers 10 % of API
requests with a 5xx (some with an HTML proxy page), 5 % with a 429 and ``Retry-After: 1``,
drops 2 % of connections, stalls 1 % past the client's read timeout and adds 20 ms to
every request. Every call must return every asset exactly once with the sandbox's true
state, and raise nothing the retry policy is there to absorb.

The short soak runs by default (CI); the long one is ``pytest -m slow tests/test_soak.py``.
``python -m tests.test_soak [--long]`` runs one outside pytest and prints its figures as
the markdown row kept in docs/reliability.md.

Why the short soak takes about a minute: each 429 pauses every worker of the client for
its Retry-After (1 s: the client's rate limiter takes a 429 as the server's word for the
whole workspace, and learns a pace from the first), and 5 % of ~725 requests are 429s. The
2,500-id ``get_assets`` itself is listing (~30 pages); the per-id path is soaked on 500 ids
(5,000 of a 20,000-asset account in the long run). The read
timeout (1 s) leaves room for a loaded CI machine; stalls last 2 s, past it.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest
import requests

import argil_nb as an
from argil_nb import listing
from argil_nb.sandbox import Sandbox
from argil_nb.waiting import BREAKER, RateLimiter, request_seconds

from .conftest import CANARY_KEY

FAULTS = {
    "error_rate": 0.10,
    "throttle_rate": 0.05,
    "drop_rate": 0.02,
    "stall_rate": 0.01,
    "latency": 0.02,
    "stall_seconds": 2.0,
}
CLIENT = {"timeout": (2.0, 1.0), "backoff_factor": 0.05, "max_workers": 8}


@dataclass(frozen=True)
class Plan:
    """The size of one soak run."""

    name: str
    assets: int = 2500  # the account, uploads included
    per_id: int = 500  # ids fetched one GET each (plan="get")
    uploads: int = 150  # created before the faults, then waited for
    seed: int = 7


SHORT = Plan("short")
LONG = Plan("long", assets=20_000, per_id=5000, uploads=1000, seed=8)


@dataclass
class Figures:
    """What one soak run did and saw (stats from the sandbox, rows from the frames)."""

    plan: Plan
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    rows_expected: int = 0
    rows_returned: int = 0
    rows_lost: int = 0
    duplicates: int = 0
    wall_seconds: float = 0.0

    def markdown_row(self) -> str:
        f = self.faults
        return (
            f"| {self.plan.name} | {self.plan.assets:,} / {self.plan.per_id:,} / "
            f"{self.plan.uploads:,} | {self.requests:,} | {f.get('error', 0):,} | "
            f"{f.get('throttled', 0):,} | {f.get('dropped', 0):,} | {f.get('stalled', 0):,} | "
            f"{self.rows_returned:,} | {self.rows_lost} | {self.wall_seconds:.0f} s |"
        )


class StoreClock:
    """The sandbox's processing clock: stopped at 0 until :meth:`run`, then real time."""

    def __init__(self) -> None:
        self._started: float | None = None

    def __call__(self) -> float:
        return 0.0 if self._started is None else time.monotonic() - self._started

    def run(self) -> None:
        self._started = time.monotonic()


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("id", kind="stable").reset_index(drop=True)


def _check(frame: pd.DataFrame, truth: list[dict[str, Any]], figures: Figures) -> None:
    """Every true asset exactly once, each with the sandbox's state; tallied in figures."""
    ids = {a["id"] for a in truth}
    figures.rows_expected += len(truth)
    figures.rows_returned += len(frame)
    figures.duplicates += len(frame) - frame["id"].nunique()
    figures.rows_lost += len(ids - set(frame["id"]))
    assert figures.duplicates == 0 and figures.rows_lost == 0
    assert set(frame["id"]) == ids
    pd.testing.assert_frame_equal(_by_id(frame), _by_id(an.assets_frame(truth)))


def run_soak(plan: Plan) -> Figures:
    """One soak run; raises AssertionError (or whatever leaked) when a call misbehaves."""
    figures = Figures(plan)
    clock = StoreClock()
    start = time.perf_counter()
    with Sandbox(
        seed=plan.seed,
        initial_assets=plan.assets - plan.uploads,
        clock=clock,
        processing_seconds=(1.0, 6.0),
        api_key=CANARY_KEY,
    ) as sb:
        client = sb.client(**CLIENT)
        uploads = [  # before the faults: a POST that met a 5xx is not repeated, by design
            client.create_asset(f"https://media.example.com/soak/clip-{i}.mp4").id
            for i in range(plan.uploads)
        ]
        truth = sb.assets()  # the clock is stopped: nothing changes until clock.run()
        assert len(truth) == plan.assets
        sb.configure(fault_seed=plan.seed, **FAULTS)
        sb.reset_stats()

        every_id = [a["id"] for a in truth]
        _check(client.get_assets(every_id, progress=False), truth, figures)
        sample = random.Random(plan.seed).sample(truth, plan.per_id)
        by_get = listing.get_assets(client, [a["id"] for a in sample], plan="get", progress=False)
        _check(by_get, sample, figures)
        _check(client.list_assets(progress=False), truth, figures)

        clock.run()  # uploads (and seeded PROCESSING assets) now finish in 1-6 s
        final = client.wait(uploads, timeout=300, progress=False)
        done = [sb.asset(i) for i in uploads]
        assert {a["status"] for a in done} <= {"READY", "FAILED"}
        _check(final, done, figures)

        stats = sb.stats
        figures.requests = stats.requests
        figures.faults = {k: v for k, v in stats.faults.items() if v}
    figures.wall_seconds = time.perf_counter() - start
    ideal = 3 * (plan.assets // 100 + 3) + plan.per_id + plan.uploads
    assert figures.requests < 3 * ideal, "retries or polling out of proportion"
    for kind in ("error", "throttled", "dropped", "stalled"):
        assert figures.faults.get(kind, 0) > 0, f"no {kind} fault was injected"
    return figures


def _report(figures: Figures, record: Any) -> None:
    print(f"\nsoak {figures.plan.name}: {figures}")
    for name in ("requests", "faults", "rows_returned", "rows_lost", "wall_seconds"):
        record(name, getattr(figures, name))


def test_soak_short(record_property: Any) -> None:
    _report(run_soak(SHORT), record_property)


@pytest.mark.slow
def test_soak_long(record_property: Any) -> None:
    _report(run_soak(LONG), record_property)


# -- the batch-level second try ---------------------------------------------------------


class Sleeps(list[float]):
    """The sleeps the clients' retries ask for (recorded, not slept), and the limiter that
    records them: a client given ``rate_limiter=sleeps.limiter`` waits for nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.limiter = RateLimiter(sleep=self.append)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sandbox: Sandbox, sleeps: Sleeps) -> Any:
    """As conftest's, but its waits are recorded in ``sleeps``, not slept."""
    with sandbox.client(backoff_factor=0, timeout=(2, 5), rate_limiter=sleeps.limiter) as c:
        yield c


class CountingSession(requests.Session):
    """Counts logical requests (urllib3's retries inside one are not counted).

    ``before(n)``, when set, is called before the n-th request is sent.
    """

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.before: Any = None
        self._lock = threading.Lock()

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self._lock:
            self.count += 1
            count = self.count
        if self.before is not None:
            self.before(count)
        return super().request(*args, **kwargs)


def ready_ids(sb: Sandbox, n: int | None = None) -> list[str]:
    return [a["id"] for a in sb.assets() if a["status"] == "READY"][:n]


def test_an_id_that_exhausts_its_retries_is_fetched_once_more(sandbox, client, sleeps):
    """5 x 503 uses up one GET's 1 + 4 attempts; the batch asks for that id again."""
    ids = ready_ids(sandbox, 5)
    sandbox.respond_next(503, "<html>busy</html>", content_type="text/html", times=5,
                         path_prefix=f"/assets/{ids[2]}")  # fmt: skip
    sandbox.reset_stats()
    frame = listing.get_assets(client, ids, plan="get", progress=False)
    assert frame["id"].tolist() == ids
    assert sandbox.stats.requests == 4 + 5 + 1  # four plain GETs; 5 attempts, then 1 more


def test_an_id_that_fails_both_tries_is_reported(sandbox, client, sleeps):
    ids = ready_ids(sandbox, 3)
    sandbox.respond_next(503, {"code": 503, "message": "down"}, times=10,
                         path_prefix=f"/assets/{ids[0]}")  # fmt: skip
    with pytest.raises(an.BatchError) as info:
        listing.get_assets(client, ids, plan="get", progress=False)
    assert list(info.value.errors) == [ids[0]]
    assert isinstance(info.value.errors[ids[0]], an.ServerError)
    assert info.value.frame["id"].tolist() == ids[1:]


def test_a_listing_page_that_exhausts_its_retries_is_asked_once_more(sandbox, client, sleeps):
    sandbox.respond_next(429, {"code": 429, "message": "slow"}, headers={"Retry-After": "1"},
                         times=5, path_prefix="/assets", method="GET")  # fmt: skip
    sandbox.reset_stats()
    frame = client.list_assets(progress=False)
    assert sorted(frame["id"]) == sorted(a["id"] for a in sandbox.assets())
    assert sandbox.stats.responses[429] == 5


def test_a_failed_listing_falls_back_to_per_id_gets(sandbox, sleeps):
    """get_assets never lets a listing failure escape: the ids go the per-id way."""
    ids = [a["id"] for a in sandbox.assets()]
    one_at_a_time = sandbox.client(backoff_factor=0, max_workers=1, rate_limiter=sleeps.limiter)
    sandbox.respond_next(502, "<html>bad gateway</html>", content_type="text/html",
                         times=10, path_prefix="/assets", method="GET")  # fmt: skip
    sandbox.reset_stats()
    frame = one_at_a_time.get_assets(ids, progress=False)
    assert frame["id"].tolist() == ids
    # The probe's PROCESSING page failed twice: READY's and FAILED's, queued behind it on the
    # one worker, were never sent (they once were, racing the per-id GETs), and every id
    # went the per-id way.
    assert sandbox.stats.by_route == {**sandbox.stats.by_route, "list": 10, "get": len(ids)}


def test_non_transient_errors_are_not_fetched_again(sandbox, client):
    missing = str(uuid.uuid4())
    sandbox.reset_stats()
    with pytest.raises(an.BatchError):
        listing.get_assets(client, [missing, *ready_ids(sandbox, 2)], plan="get", progress=False)
    assert sandbox.stats.requests == 3


# -- outages -------------------------------------------------------------------------------


def outage_client(
    sb: Sandbox, limiter: RateLimiter, session: requests.Session | None = None
) -> an.Client:
    return sb.client(max_retries=4, backoff_factor=0.5, timeout=(2, 5), session=session,
                     rate_limiter=limiter)  # fmt: skip


def test_outage_is_reported_within_the_bound(sandbox, sleeps):
    """API down for good: BatchError of APIConnectionErrors, after a bounded number of tries.

    The bound (listing.get_assets docstring): the probe's pages asked twice (3 x 2), then per-id
    GETs that stop after BREAKER failures in a row (BREAKER + max_workers - 1 more). Each of
    those sleeps at most request_seconds(...) in backoff; sleeps are recorded, not slept.
    """
    ids = ready_ids(sandbox, 20)
    session = CountingSession()
    client = outage_client(sandbox, sleeps.limiter, session)
    sandbox.stop()
    with pytest.raises(an.BatchError) as info:
        client.get_assets(ids, progress=False)
    errors = info.value.errors
    assert list(errors) == ids and len(info.value.frame) == 0
    assert all(isinstance(e, an.APIConnectionError) for e in errors.values())
    sent = [e for e in errors.values() if str(e).startswith("could not reach the API")]
    not_sent = [e for e in errors.values() if "was not fetched" in str(e)]
    assert sent and not_sent and len(sent) + len(not_sent) == len(ids)
    limit = 3 * 2 + BREAKER + client.max_workers - 1
    assert session.count <= limit
    per_request = request_seconds(4, 0.5, (0.0, 0.0))  # refused at once: no timeouts
    assert len(sleeps) <= session.count * 3  # attempts 2..4 sleep; the first retry is at once
    assert sum(sleeps) <= session.count * per_request
    assert "Check the network and base_url" in str(info.value)

    sandbox.start()  # the API comes back: the same call now works
    assert client.get_assets(ids, progress=False)["id"].tolist() == ids


def test_outage_with_the_per_id_plan_sends_few_requests(sandbox, sleeps):
    ids = ready_ids(sandbox, 15)
    session = CountingSession()
    client = outage_client(sandbox, sleeps.limiter, session)
    sandbox.stop()
    frame = listing.get_assets(client, ids, plan="get", errors="coerce", progress=False)
    assert frame["id"].tolist() == ids and frame["error"].notna().all()
    assert frame["error"].str.startswith("APIConnectionError: ").all()
    assert session.count <= BREAKER + client.max_workers - 1
    sandbox.start()


def test_a_short_outage_is_absorbed_by_the_retries(sandbox):
    """Down, then back after two backoff sleeps: get_assets returns everything."""
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the limiter serves the retries' back-off
        slept.append(seconds)
        if len(slept) == 2:
            sandbox.start()

    ids = ready_ids(sandbox)
    client = outage_client(sandbox, RateLimiter(sleep=sleep))
    sandbox.stop()
    frame = client.get_assets(ids, progress=False)
    assert sorted(frame["id"]) == sorted(ids) and slept


def test_an_outage_mid_batch_keeps_the_rows_fetched(sandbox, sleeps):
    """One request at a time; the API goes away before the 7th: 6 rows kept, 3 more tries."""
    ids = ready_ids(sandbox)[:20]
    session = CountingSession()
    session.before = lambda n: sandbox.stop() if n == 7 else None
    client = sandbox.client(max_workers=1, backoff_factor=0.5, session=session,
                            rate_limiter=sleeps.limiter)  # fmt: skip
    with pytest.raises(an.BatchError) as info:
        listing.get_assets(client, ids, plan="get", progress=False)
    fetched, failed = info.value.frame, info.value.errors
    assert fetched["id"].tolist() == ids[:6] and list(failed) == ids[6:]
    assert all(isinstance(e, an.APIConnectionError) for e in failed.values())
    assert session.count == 6 + BREAKER
    assert "14 of 20 assets failed (14 APIConnectionError)" in str(info.value)
    sandbox.start()


def test_list_assets_in_an_outage_raises_the_connection_error(sandbox, sleeps):
    """list_assets has no per-id rows to keep: a listing with holes would look complete."""
    session = CountingSession()
    client = outage_client(sandbox, sleeps.limiter, session)
    sandbox.stop()
    with pytest.raises(an.APIConnectionError, match="could not reach the API"):
        client.list_assets(progress=False)
    assert session.count == 2  # the first page, asked twice
    sandbox.start()


def test_terminal_watch_rides_out_an_outage(sandbox, clock):
    """``argil-nb watch``: a refresh that meets an outage says so and goes on."""
    from io import StringIO

    from argil_nb.cli.terminal import watch_table

    client = sandbox.client(max_retries=0, backoff_factor=0)
    ids = [client.create_asset(f"https://x.example.com/c{i}.mp4").id for i in range(2)]
    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 1:
            sandbox.stop()
        else:
            sandbox.start()
            clock.advance(3600)

    out = StringIO()
    frame, _ = watch_table(client, ids, interval=0.1, out=out, sleep=sleep)
    assert frame["status"].isin(["READY", "FAILED"]).all()
    assert (
        "(refresh failed, retrying: 2 of 2 assets failed (2 APIConnectionError)" in out.getvalue()
    )


# -- by hand: python -m tests.test_soak [--long] ----------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="the long soak")
    args = parser.parse_args()
    figures = run_soak(LONG if args.long else SHORT)
    print(figures)
    print(figures.markdown_row())


if __name__ == "__main__":
    main()
