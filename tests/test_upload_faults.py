"""Faults during a batch of uploads: no row is lost, none is uploaded twice.

Against the sandbox on loopback: a 5xx after (and before) the server created the asset, a
POST held past the read timeout, a 429 storm, an outage. A connection dropped after the
server acted cannot be produced by a server: a session drops the answer it received.
``find_lost``'s handling of an API that does not list newest first, or whose list moves
faster than it can be read, is tested on a stub.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

import argil_nb as an
from argil_nb import uploads
from argil_nb.models import MAX_PAGE_SIZE, Asset, Page
from argil_nb.uploads.journal import read_journal, summary
from argil_nb.uploads.reconcile import Lost, ServerClock, find_lost
from argil_nb.waiting import BREAKER, RateLimiter, Settle

from .conftest import FakeClock

URLS = [f"https://media.example.com/f/clip-{i:02d}.mp4" for i in range(6)]
NAMES = [f"clip-{i:02d}.mp4" for i in range(6)]


class HookSession(requests.Session):
    """Calls ``before(n)`` and ``after(n)`` around the n-th POST (from 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.posts = 0
        self.before: Callable[[int], None] = lambda n: None
        self.after: Callable[[int], None] = lambda n: None
        self._lock = threading.Lock()

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method != "POST":
            return super().request(method, url, *args, **kwargs)
        with self._lock:
            self.posts += 1
            n = self.posts
        self.before(n)
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            self.after(n)


def once_each(sandbox: Any) -> bool:
    counts = Counter(a["name"] for a in sandbox.assets() if a["name"] in NAMES)
    return set(counts) == set(NAMES) and set(counts.values()) == {1}


def posts(sandbox: Any) -> int:
    return sandbox.stats.by_route["create"]


@pytest.fixture
def settle(clock: FakeClock) -> Settle:
    """A settle wait on the fake clock: waiting advances it, nothing sleeps."""
    return Settle(30.0, clock=clock, sleep=clock.advance)


def faulty_client(sandbox: Any, session: HookSession) -> an.Client:
    return sandbox.client(max_workers=1, backoff_factor=0, timeout=(2, 5), session=session)


@pytest.mark.parametrize("after", [1.0, 0.0], ids=["created-then-5xx", "5xx-not-created"])
def test_a_5xx_on_a_post_is_looked_for_before_sending_again(
    sandbox, settle, clock, tmp_path, after
):
    session = HookSession()
    session.before = lambda n: (
        sandbox.configure(error_rate=1.0, error_after=after) if n == 3 else None
    )
    session.after = lambda n: sandbox.configure(error_rate=0.0)
    client = faulty_client(sandbox, session)
    journal = tmp_path / "uploads.jsonl"
    start = clock()
    frame = uploads.create_assets(client, URLS, journal=journal, progress=False, settle=settle)
    assert frame["name"].tolist() == NAMES and once_each(sandbox)
    assert clock() - start == 30.0  # waited the settle time once, on the fake clock
    counts = summary(read_journal(journal))
    if after:
        assert posts(sandbox) == 6 and counts["done"] == 6 and "absent" not in counts
        assert sum(r.get("how") == "adopted" for r in read_journal(journal)) == 1
    else:
        assert posts(sandbox) == 7 and counts["absent"] == 1 and counts["intent"] == 7


def test_a_connection_dropped_after_the_server_acted(sandbox, settle):
    class Dropping(HookSession):
        def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            response = super().request(method, url, *args, **kwargs)
            if method == "POST" and self.posts == 2:
                raise requests.exceptions.ConnectionError("Connection aborted")
            return response

    client = faulty_client(sandbox, Dropping())
    frame = uploads.create_assets(client, URLS, progress=False, settle=settle)
    assert posts(sandbox) == 6 and once_each(sandbox)
    assert frame["id"].tolist() == [
        next(a["id"] for a in sandbox.assets() if a["name"] == n) for n in NAMES
    ]


def test_a_post_held_past_the_read_timeout_is_found_after_the_settle_wait(sandbox):
    """The server creates the asset 0.5 s in, the client gave up at 0.4 s: it must not look
    before the server is done (it waits its read timeout again), else it would send twice."""
    session = HookSession()
    session.before = lambda n: (
        sandbox.configure(stall_rate=1.0, stall_seconds=0.5) if n == 1 else None
    )
    session.after = lambda n: sandbox.configure(stall_rate=0.0)
    client = sandbox.client(max_workers=1, backoff_factor=0, timeout=(2, 0.4), session=session)
    uploads.create_assets(client, URLS[:2], progress=False)
    assert posts(sandbox) == 2
    counts = Counter(a["name"] for a in sandbox.assets() if a["name"] in NAMES)
    assert counts == {NAMES[0]: 1, NAMES[1]: 1}


def test_a_429_storm_costs_retries_never_duplicates(sandbox, tmp_path):
    storm = {"code": 429, "message": "slow down"}
    sandbox.respond_next(429, storm, headers={"Retry-After": "0"}, method="POST", times=17)
    limiter = RateLimiter(sleep=lambda seconds: None)  # Retry-After is honoured, not slept
    client = sandbox.client(max_workers=1, backoff_factor=0, rate_limiter=limiter)
    journal = tmp_path / "uploads.jsonl"
    frame = client.create_assets(URLS, journal=journal, progress=False)
    assert frame["name"].tolist() == NAMES and once_each(sandbox)
    assert sandbox.stats.responses[429] == 17
    # Rows 0, 1 and 2 met 5 x 429 each (the answers of a server that is there: three in a
    # row do not trip the outage breaker), and were sent again in the next round.
    assert summary(read_journal(journal))["refused"] == 3


def test_an_outage_stops_sending_and_a_rerun_finishes(sandbox, settle, tmp_path, monkeypatch):
    client = sandbox.client(max_workers=2, backoff_factor=0, timeout=(1, 1))
    journal = tmp_path / "uploads.jsonl"
    sandbox.stop()
    frame = uploads.create_assets(
        client, URLS, journal=journal, errors="coerce", progress=False, settle=settle
    )
    assert frame["error"].notna().all() and frame["id"].isna().all()
    sent = sum(r.get("event") == "intent" for r in read_journal(journal))
    assert sent <= BREAKER + client.max_workers - 1
    assert frame["error"].str.contains("was not sent|could not be looked for").all()
    sandbox.start()
    sandbox.reset_stats()
    done = uploads.create_assets(client, URLS, journal=journal, progress=False, settle=settle)
    assert done["name"].tolist() == NAMES and once_each(sandbox) and posts(sandbox) == 6


def test_an_asset_deleted_after_its_upload_is_reported_not_uploaded_again(
    sandbox, client, tmp_path
):
    journal = tmp_path / "uploads.jsonl"
    first = client.create_assets(URLS[:3], journal=journal, progress=False)
    client.delete_asset(first["id"][1])
    sandbox.reset_stats()
    with pytest.raises(an.BatchError) as info:
        client.create_assets(URLS[:3], journal=journal, progress=False)
    assert list(info.value.errors) == [1] and posts(sandbox) == 0
    assert isinstance(info.value.errors[1], an.AssetNotFound)
    assert "no longer has it" in str(info.value.errors[1])


# -- find_lost and the server's clock, on a stub -------------------------------------------------

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def asset(i: int, minutes: float, name: str | None = None, status: str = "READY") -> Asset:
    created = (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    return Asset.from_api(
        {"id": f"id-{i}", "name": name or f"other-{i}", "type": "VIDEO", "status": status,
         "createdAt": created}
    )  # fmt: skip


class StubLister:
    """Lists fixed pages per status; READY's totals may change per page (a list that moves)."""

    max_workers = 1
    rate_limiter = RateLimiter()
    server_date = None

    def __init__(self, by_status: dict[str, list[Asset]], totals: Iterable[int] = ()) -> None:
        self.by_status = by_status
        self.asked: list[tuple[str, int]] = []
        self.totals = list(totals)  # of READY's pages, in the order asked

    def get_asset(self, asset_id: object) -> Asset:
        raise NotImplementedError

    def list_page(self, *, page: int = 1, page_size: int = MAX_PAGE_SIZE, types: Any = (),
                  statuses: Any = ()) -> Page:  # fmt: skip
        status = next(iter(statuses))
        self.asked.append((status, page))
        assets = self.by_status.get(status, [])
        moving = status == "READY" and self.totals
        count = self.totals.pop(0) if moving else len(assets)
        pages = max(1, -(-len(assets) // page_size))
        return Page(assets[(page - 1) * page_size : page * page_size], page, pages, count)


def newest_first(n: int, start: float = 0.0) -> list[Asset]:
    return [asset(i, start - i) for i in range(n)]  # one a minute, going back


def test_find_lost_stops_after_processing_once_every_upload_is_found():
    """The one early stop: every lost upload has its asset, so none is sent again."""
    processing = [*newest_first(150), asset(999, -3, name="mine.mp4", status="PROCESSING")]
    stub = StubLister({"PROCESSING": processing, "READY": newest_first(350)})
    lost = Lost("k", "mine.mp4", "VIDEO", T0 - timedelta(minutes=20))
    assert find_lost(stub, [lost])["k"].id == "id-999"
    assert {status for status, _ in stub.asked} == {"PROCESSING"}


def test_find_lost_lists_every_status_to_its_end_whatever_the_order():
    """No status is cut short by time (no order is promised): the match sorting last in
    READY, behind 249 older assets, is found; and an upload not found was looked for in
    every window of every status."""
    ready = [*newest_first(249), asset(250, 0, name="mine.mp4")]
    stub = StubLister({"READY": ready})
    lost = Lost("k", "mine.mp4", "VIDEO", T0 - timedelta(minutes=20))
    assert find_lost(stub, [lost])["k"].id == "id-250"
    stub.asked.clear()
    assert find_lost(stub, [Lost("k", "x.mp4", "VIDEO", T0)]) == {}
    assert {s for s, _ in stub.asked} == {"PROCESSING", "READY", "FAILED"}


class Churning(StubLister):
    """READY changes completely between any two requests: no window shares an asset."""

    def list_page(self, *, page: int = 1, page_size: int = MAX_PAGE_SIZE, types: Any = (),
                  statuses: Any = ()) -> Page:  # fmt: skip
        if next(iter(statuses)) != "READY":
            return super().list_page(page=page, page_size=page_size, statuses=statuses)
        self.asked.append(("READY", page))
        fresh = [asset(10_000 * len(self.asked) + i, -i) for i in range(page_size)]
        return Page(fresh, page, 50, 5000)


def test_find_lost_raises_when_the_listing_cannot_be_shown_complete():
    """Not found in a listing not shown complete: unknown, so raised (the caller then does
    not upload the row again)."""
    stub = Churning({})
    with pytest.raises(an.ArgilError, match="could not be shown complete"):
        find_lost(stub, [Lost("k", "mine.mp4", "VIDEO", T0)])
    assert len(stub.asked) <= 5 + 2 * 50 + 10  # PROCESSING, FAILED, READY's budget


def test_find_lost_ignores_older_or_other_assets_and_takes_the_oldest_match():
    processing = [asset(1, 3, "mine.mp4", "PROCESSING"), asset(2, 1, "mine.mp4", "PROCESSING")]
    ready = [asset(3, -90, "mine.mp4")]  # before the intent (less the margin): not ours
    stub = StubLister({"PROCESSING": processing, "READY": ready})
    found = find_lost(stub, [Lost("k", "mine.mp4", "VIDEO", T0)])
    assert found["k"].id == "id-2"
    assert find_lost(stub, [Lost("k", "mine.mp4", "IMAGE", T0)]) == {}


def test_the_server_clock_is_a_lower_bound_from_the_last_date():
    stub = StubLister({})
    wall = FakeClock(1000.0)
    clock = ServerClock(stub, wall)
    assert clock.now()[1] == "local"
    stub.server_date = (T0, 990.0)  # type: ignore[assignment]
    assert clock.now() == (T0 + timedelta(seconds=10), "server")


def test_settle_waits_only_what_is_left(clock):
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(seconds)

    settle = Settle(5.0, clock=clock, sleep=sleep)
    assert settle.wait(1) == 0.0
    settle.note()
    clock.advance(2.0)
    assert settle.wait(1) == 3.0 and settle.wait(1) == 0.0 and slept == [3.0]
