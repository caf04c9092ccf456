"""The complete listing against an in-memory account whose lists change under it.

:class:`Account` implements ``argil_nb.models.AssetSource`` over offset pages. Each
``list_page`` call is one instant: the adversary (``before``) changes the account, the answer
is a snapshot, then ``after`` changes it again. Every answer is recorded, so a test can tell
which assets existed for the whole listing and the latest status each was seen with.
:class:`SyncPool` runs the pool's tasks at once, so that a listing is repeatable (hypothesis);
the threaded tests use a real pool.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from argil_nb import listing, listing_cover, listing_proof
from argil_nb.batch import Progress
from argil_nb.errors import APIError, AssetNotFound
from argil_nb.models import Asset, Page

BASE = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("PROCESSING", "READY", "FAILED")


@dataclass
class Item:
    id: str
    created: int  # milliseconds after BASE
    status: str
    type: str = "IMAGE"
    undated: bool = False  # served without a createdAt

    def asset(self) -> Asset:
        return Asset(
            id=self.id,
            name=f"n-{self.id[:6]}",
            type=self.type,
            status=self.status,
            created_at=None if self.undated else BASE + timedelta(milliseconds=self.created),
        )


def newest_first(item: Item) -> tuple[int, str]:
    return (-item.created, item.id)


@dataclass(frozen=True)
class Request:
    """What one ``list_page`` call asked: the window starts at ``(page - 1) * size``."""

    statuses: tuple[str, ...]
    page: int
    size: int

    @property
    def start(self) -> int:
        return (self.page - 1) * self.size


@dataclass
class Answer:
    """One recorded page answer."""

    call: int
    statuses: tuple[str, ...]
    page: int
    size: int
    seen: dict[str, str]  # id -> status


@dataclass
class Account:
    """Items by id, kept in listing order; see the module docstring.

    ``order``: "newest" (createdAt desc, id), or "id" / "shuffled" (a fixed order that is not
    newest first). ``union``: what a repeated ``status`` lists: True the union, False a 400,
    "last" only the last one. ``totals``: whether answers carry ``X-Total-Count``.
    """

    items: dict[str, Item] = field(default_factory=dict)
    order: str = "newest"
    union: bool | str = True
    totals: bool = True
    max_workers: int = 1
    rate_limiter: Any = None  # no pacing (a stand-in for the client's RateLimiter)
    before: Callable[[Account, Request], None] | None = None
    after: Callable[[Account, Request], None] | None = None
    calls: int = 0
    gets: int = 0
    answers: list[Answer] = field(default_factory=list)
    changes: int = 0
    deleted: dict[str, int] = field(default_factory=dict)  # id -> call
    arrived: dict[str, int] = field(default_factory=dict)  # id -> call
    clock: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    # -- building and changing -------------------------------------------------------

    @classmethod
    def seeded(cls, count: int, seed: int, **options: Any) -> Account:
        """``count`` assets a minute or so apart, about 6 % PROCESSING and 8 % FAILED."""
        rng = random.Random(seed)
        account = cls(rng=random.Random(seed + 1), **options)
        created = 0
        for _ in range(count):
            created += rng.randint(1, 120_000)
            draw = rng.random()
            status = "FAILED" if draw < 0.08 else "PROCESSING" if draw < 0.14 else "READY"
            account.add(Item(account.new_id(rng), -created, status, rng.choice(("IMAGE", "VIDEO"))))
        account.clock = 1
        return account

    def new_id(self, rng: random.Random | None = None) -> str:
        return f"{(rng or self.rng).getrandbits(128):032x}"

    def add(self, item: Item) -> None:
        self.items[item.id] = item

    def arrive(self) -> Item:
        """A new upload: PROCESSING, created now (the newest asset)."""
        self.clock += 1
        item = Item(self.new_id(), self.clock, "PROCESSING")
        self.items[item.id] = item
        self.arrived[item.id] = self.calls
        self.changes += 1
        return item

    def finish(self, pick: int, outcome: str | None = None) -> Item | None:
        """A PROCESSING asset (``pick``-th, any age) becomes READY or FAILED."""
        processing = [item for item in self.ordered() if item.status == "PROCESSING"]
        if not processing:
            return None
        item = processing[pick % len(processing)]
        item.status = outcome or ("FAILED" if pick % 7 == 0 else "READY")
        self.changes += 1
        return item

    def delete(self, pick: int, status: str | None = None) -> Item | None:
        """Delete the ``pick``-th asset (of ``status``, in listing order)."""
        return self.remove(self.ordered(status and (status,)), pick)

    def remove(self, pool: list[Item], pick: int) -> Item | None:
        """Delete the ``pick``-th asset of ``pool``."""
        if not pool:
            return None
        item = pool[pick % len(pool)]
        del self.items[item.id]
        self.deleted[item.id] = self.calls
        self.changes += 1
        return item

    def region(self, request: Request, where: str) -> list[Item]:
        """The assets of the list ``request`` reads, before its window, in it, after it."""
        items = self.ordered(request.statuses)
        if where == "before":
            return items[: request.start]
        if where == "after":
            return items[request.start + request.size :]
        return items

    def apply(self, op: tuple[str, str, int], request: Request) -> None:
        """One change: ``(kind, where, pick)``, kind "arrive", "finish" or "delete", where
        "before" / "after" the window being read (in its list) or "any"."""
        kind, where, pick = op
        if kind == "arrive":
            self.arrive()
        elif kind == "delete":
            self.remove(self.region(request, where), pick)
        else:
            pool = [i for i in self.region(request, where) if i.status == "PROCESSING"]
            pool = pool or [i for i in self.items.values() if i.status == "PROCESSING"]
            if pool:
                item = pool[pick % len(pool)]
                item.status = "FAILED" if pick % 5 == 0 else "READY"
                self.changes += 1

    # -- the API -----------------------------------------------------------------------

    def ordered(self, statuses: Iterable[str] | None = None) -> list[Item]:
        wanted = set(statuses or STATUSES)
        items = [item for item in self.items.values() if item.status in wanted]
        if self.order == "newest":
            return sorted(items, key=newest_first)
        if self.order == "id":
            return sorted(items, key=lambda item: item.id)
        return sorted(items, key=lambda item: hash((item.id, 7)))

    def list_page(
        self,
        *,
        page: int = 1,
        page_size: int = 100,
        types: Iterable[str] = (),
        statuses: Iterable[str] = (),
    ) -> Page:
        asked = tuple(statuses) or ("READY",)
        if len(asked) > 1 and not self.union:
            raise APIError(400, "GET", "/assets", "status must be given once")
        if self.union == "last":
            asked = asked[-1:]
        request = Request(asked, page, page_size)
        with self.lock:
            self.calls += 1
            if self.before is not None:
                self.before(self, request)
            wanted = [item for item in self.ordered(asked) if not types or item.type in types]
            window = wanted[(page - 1) * page_size : page * page_size]
            assets = [item.asset() for item in window]
            seen = {item.id: item.status for item in window}
            self.answers.append(Answer(self.calls, asked, page, page_size, seen))
            if self.after is not None:
                self.after(self, request)
        total = len(wanted) if self.totals else -1
        pages = max(1, -(-total // page_size)) if total >= 0 else page + 1
        return Page(assets, page, pages, total)

    def get_asset(self, asset_id: object) -> Asset:
        with self.lock:
            self.gets += 1
            item = self.items.get(str(asset_id))
            if item is None:
                raise AssetNotFound(404, "GET", f"/assets/{asset_id}", "not found")
            return item.asset()

    # -- what a test checks --------------------------------------------------------------

    def minimum(self, statuses: Iterable[str] = STATUSES) -> int:
        """Fewest pages that hold each status as it is now (one at least per status)."""
        return sum(max(1, -(-len(self.ordered((s,))) // 100)) for s in statuses)

    def latest_seen(self) -> dict[str, tuple[int, str]]:
        """id -> (call, status) of the last answer that showed it."""
        latest: dict[str, tuple[int, str]] = {}
        for answer in self.answers:
            for asset_id, status in answer.seen.items():
                if asset_id not in latest or answer.call >= latest[asset_id][0]:
                    latest[asset_id] = (answer.call, status)
        return latest


class SyncPool:
    """A stand-in for ThreadPoolExecutor that runs each task at once: runs are repeatable."""

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


# -- the tests ---------------------------------------------------------------------------


QUIET = Progress(False, 0, "")


def run(account: Account, statuses: Iterable[str] = STATUSES, pool: Any = None) -> dict[str, Asset]:
    """A complete listing of ``account`` (a repeatable one unless a pool is given)."""
    listed = listing.Listing(account, list(statuses), (), pool or SyncPool(), QUIET)
    return listed.run()


def check(account: Account, start: set[str], result: dict[str, Asset]) -> None:
    """The guarantee: every asset there for the whole listing is in the result, with the
    status of the last answer that showed it; nothing in it that no answer showed."""
    latest = account.latest_seen()
    throughout = {i for i in start if i not in account.deleted}
    missing = sorted(throughout - set(result))
    assert not missing, f"{len(missing)} lost, e.g. {missing[:3]}"
    wrong = {
        i: (result[i].status, latest[i]) for i in throughout if result[i].status != latest[i][1]
    }
    assert not wrong, wrong
    assert set(result) <= set(latest)


def extra_allowed(account: Account, minimum: int, lanes: int = 1) -> int:
    """Requests beyond the minimum a listing may spend: a few per change, a probe, one per
    lane seam, and overlapping windows (~14 %) where READY/FAILED may gain assets unseen."""
    return 4 * account.changes + 5 + 2 * lanes + minimum // 7


ops = st.tuples(
    st.sampled_from(["arrive", "finish", "delete"]),
    st.sampled_from(["before", "after", "any"]),
    st.integers(0, 10**6),
)
rates = st.tuples(*[st.sampled_from([0.0, 0.1, 0.3, 1.0, 2.0])] * 3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(250, 900) | st.integers(0, 250),
    seed=st.integers(0, 10**6),
    union=st.booleans(),
    totals=st.booleans(),
    lane_pages=st.sampled_from([2, 3, 30]),
    schedule=st.lists(st.lists(ops, max_size=4), max_size=40),
    churn=rates,
    after=st.booleans(),
)
def test_the_guarantee_holds_whatever_changes(
    size, seed, union, totals, lane_pages, schedule, churn, after
):
    """Arrivals, finishes and deletions before, in and after the window read, on every
    request (before its answer, or after it), in every mode: nothing there for the whole
    listing is lost, each with its latest status, for a few requests per change. Changes
    come from ``schedule`` (one list of changes per request) and, at random, ``churn``
    (uploads, finishes, deletions per request, on average)."""
    account = Account.seeded(size, seed, union=union, totals=totals, max_workers=4)
    start, minimum = set(account.items), account.minimum()
    chance = random.Random(seed)

    def change(acct: Account, request: Request) -> None:
        todo = list(schedule[acct.calls - 1]) if acct.calls <= len(schedule) else []
        for kind, rate in zip(("arrive", "finish", "delete"), churn, strict=True):
            for _ in range(int(rate) + (chance.random() < rate % 1)):
                where = chance.choice(["before", "before", "after", "any"])
                todo.append((kind, where, chance.randrange(10**6)))
        for op in todo:
            acct.apply(op, request)

    if after:
        account.after = change
    else:
        account.before = change
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(listing_cover, "PAGES_PER_LANE", lane_pages)
        patch.setattr(listing_cover, "LANE_RATE", 1e12)  # lanes whatever the round trip
        patch.setattr(listing, "UNION_FROM_PAGES", 2)
        result = run(account)
    check(account, start, result)
    lanes = 1 + (minimum // lane_pages if lane_pages < 30 else 0)
    assert account.calls - minimum <= extra_allowed(account, minimum, lanes)


# -- each way an asset slips, on purpose ---------------------------------------------------


def union_account(size: int, seed: int = 1, **options: Any) -> Account:
    return Account.seeded(size, seed, union=True, **options)


@pytest.fixture
def one_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """List the statuses as one list from 2 pages on (else from UNION_FROM_PAGES)."""
    monkeypatch.setattr(listing, "UNION_FROM_PAGES", 2)


def at(statuses: tuple[str, ...], page: int, size: int = 100) -> Callable[[Request], bool]:
    return lambda r: r == Request(statuses, page, size)


UNION = STATUSES


def test_a_deletion_before_the_cursor_slips_an_asset_that_a_window_recovers(one_list):
    """Page 5 of the one list is asked after an asset before it was deleted: the first asset
    of page 5 moved into page 4's range, already read. The total dropped, so no bridge: a
    window straddling the boundary finds it."""
    account = union_account(800)
    start, minimum = set(account.items), account.minimum()
    slipped: list[str] = []

    def delete_before(acct: Account, request: Request) -> None:
        if request == Request(UNION, 5, 100):
            slipped.append(acct.ordered()[400].id)
            acct.remove(acct.ordered(), 123)

    account.before = delete_before
    result = run(account)
    check(account, start, result)
    assert slipped[0] in result
    window = [a for a in account.answers if slipped[0] in a.seen]
    assert window and all(a.size != 100 for a in window)  # only the straddling window saw it
    assert account.calls == minimum + 1 + 1  # the union's probe, one window


def test_arrivals_in_front_cost_nothing_and_cancel_deletions_safely(one_list):
    """An upload is the newest asset: in front of every boundary. An arrival and a deletion
    before the cursor cancel in the total and cannot slip anything (the arrival is in front
    too): bridges prove every boundary, no window is needed."""
    account = union_account(800)
    start = set(account.items)

    def churn(acct: Account, request: Request) -> None:
        if len(request.statuses) > 1:
            acct.arrive()
            acct.apply(("delete", "before", acct.calls), request)

    account.before = churn
    result = run(account)
    check(account, start, result)
    assert account.changes > 10
    asked = [(a.statuses, a.page, a.size) for a in account.answers]
    assert len(set(asked)) == len(asked) and {a.size for a in account.answers} == {100}


def test_a_finish_out_of_processing_before_the_cursor_is_recovered():
    """Each status alone (the API refuses a repeated status): PROCESSING is listed first;
    one of its assets finishing before the cursor slips the next one, found by a window;
    the one that finished is seen in READY, listed after."""
    account = Account.seeded(3000, 2, union=False)
    start = set(account.items)
    moved: list[str] = []

    def finish_before(acct: Account, request: Request) -> None:
        if request == Request(("PROCESSING",), 2, 100):
            item = acct.region(request, "before")[50]
            item.status, moved[:] = "READY", [item.id]
            acct.changes += 1

    account.before = finish_before
    result = run(account)
    check(account, start, result)
    assert result[moved[0]].status == "READY"


def fresh_processing_account(size: int, uploads: int, seed: int = 3) -> Account:
    """READY/FAILED assets, then ``uploads`` new ones still PROCESSING (the newest)."""
    account = Account.seeded(size, seed, union=False)
    for item in account.items.values():
        if item.status == "PROCESSING":
            item.status = "READY"
    for _ in range(uploads):
        account.arrive()
    account.changes = 0
    return account


def test_a_finish_behind_the_cursor_cannot_hide_a_deletion_before_it():
    """READY gains an asset wherever a PROCESSING one finishes: a finish behind the cursor
    and a deletion before it leave the total unchanged yet slip an asset. Listing each
    status, READY is bridged only after its oldest PROCESSING asset; before it, windows
    overlap, and the lost overlap shows the slip."""
    account = Account.seeded(2500, 4, union=False)
    start = set(account.items)

    def cancel(acct: Account, request: Request) -> None:
        if request.statuses == ("READY",) and request.page > 1 and acct.changes < 20:
            behind = [i for i in acct.region(request, "after") if i.status == "PROCESSING"]
            old = [i for i in acct.ordered(("PROCESSING",)) if i in behind or not behind]
            if old:
                old[-1].status = "READY"
                acct.changes += 1
            acct.remove(acct.region(request, "before"), 7)

    account.before = cancel
    check(account, start, run(account))


def test_no_processing_behind_the_cursor_means_bridges_for_ready():
    """When PROCESSING holds only fresh uploads (the newest assets), nothing can finish
    behind READY's cursor: READY is bridged page after page, at the minimum cost."""
    account = fresh_processing_account(2500, 30)
    start, minimum = set(account.items), account.minimum()
    check(account, start, run(account))
    assert account.calls == minimum


@pytest.mark.parametrize("union", [True, False])
def test_a_static_account_costs_its_pages(union):
    account = Account.seeded(2500, 5, union=union)
    start, minimum = set(account.items), account.minimum()
    check(account, start, run(account))
    # one list: its probe; each status: overlapping windows before the oldest PROCESSING
    assert account.calls <= minimum + (1 if union else minimum // 7 + 2)


def test_without_totals_every_boundary_is_proven_by_overlap(one_list):
    account = union_account(700, totals=False)
    start = set(account.items)
    account.before = lambda acct, request: acct.apply(("delete", "before", acct.calls), request)
    check(account, start, run(account))
    sizes = {a.size for a in account.answers if len(a.statuses) > 1}
    assert sizes - {100}, "overlapping windows (not pages of 100)"


@pytest.mark.parametrize("union", [False, "last"])
def test_an_api_without_a_union_of_statuses_is_listed_status_by_status(union, caplog):
    """A 400 for a repeated status, or only the last one honoured: each status alone."""
    account = Account.seeded(2500, 6, union=union)
    start = set(account.items)
    caplog.set_level(logging.DEBUG, logger="argil_nb")
    check(account, start, run(account))
    assert "listing each status" in caplog.text


@pytest.mark.parametrize(
    ("order", "undated"), [("id", False), ("shuffled", False), ("newest", True)]
)
def test_an_order_that_is_not_newest_first_falls_back_to_passes(order, undated, caplog):
    """Not sorted by createdAt descending then id (or an asset without createdAt): whole
    passes until two agree, said at DEBUG; complete while the list holds still."""
    account = Account.seeded(450, 7, union=True, order=order)
    if undated:
        next(iter(account.items.values())).undated = True
    start = set(account.items)
    caplog.set_level(logging.DEBUG, logger="argil_nb")
    check(account, start, run(account))
    assert "falling back to whole passes" in caplog.text


def test_passes_until_two_agree_after_changes_stop():
    account = Account.seeded(450, 8, order="id", union=False)
    start = set(account.items)
    account.before = lambda acct, r: acct.calls < 12 and acct.apply(("delete", "before", 3), r)
    check(account, start, run(account))


@pytest.mark.parametrize("seed", range(6))
def test_concurrent_lanes_under_churn_on_every_request(seed):
    """Real threads (lanes answered in any order, seams read backwards) while every request
    brings an upload, a finish anywhere and a deletion anywhere."""
    account = Account.seeded(3000, seed, union=seed % 2 == 0, max_workers=6)
    start = set(account.items)

    def churn(acct: Account, request: Request) -> None:
        acct.arrive()
        acct.finish(acct.rng.randrange(10**6))
        acct.delete(acct.rng.randrange(10**6))

    account.before = churn
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(6) as pool:
        patch.setattr(listing_cover, "PAGES_PER_LANE", 4)
        patch.setattr(listing_cover, "LANE_RATE", 1e12)
        result = run(account, pool=pool)
    check(account, start, result)


def test_list_assets_gives_each_asset_once():
    account = Account.seeded(1200, 9, union=True, max_workers=4)
    account.before = lambda acct, r: (acct.arrive(), acct.finish(acct.calls), acct.delete(7))
    start = set(account.items)
    frame = listing.list_assets(account, progress=False)
    assert frame["id"].is_unique
    throughout = {i for i in start if i not in account.deleted}
    assert throughout <= set(frame["id"])


def test_a_status_asked_alone_keeps_its_guarantee():
    """READY alone: an asset READY for the whole listing is in it, READY."""
    account = Account.seeded(1500, 10, union=True)
    ready = {i for i, item in account.items.items() if item.status == "READY"}
    account.before = lambda acct, r: (acct.finish(acct.calls), acct.delete(acct.calls * 7))
    result = run(account, statuses=["READY"])
    throughout = {i for i in ready if i not in account.deleted}
    assert throughout <= set(result)
    assert {a.status for a in result.values()} == {"READY"}


def test_ready_is_read_again_when_processing_was_read_after_it():
    """An upload finishing after READY's first page and before PROCESSING's page that held
    it would be in neither: READY and FAILED are listed once PROCESSING is complete, their
    first pages read again when the probe came first. Here 250 fresh uploads are all newer
    than READY's 100 newest, so the one that finishes sorts into READY's first page."""
    account = fresh_processing_account(1200, 250)
    start = set(account.items)
    moved: list[str] = []

    def finish(acct: Account, request: Request) -> None:
        if request == Request(("PROCESSING",), 2, 100) and not moved:
            item = acct.ordered(("PROCESSING",))[150]
            item.status, moved[:] = "READY", [item.id]
            acct.changes += 1

    account.before = finish
    result = run(account)
    check(account, start, result)
    assert result[moved[0]].status == "READY"


# -- the pure parts ----------------------------------------------------------------------


@given(st.integers(1, 10**7))
def test_a_chain_window_overlaps_what_was_read_and_reaches_past_it(stop):
    size, number = listing_proof.chain_window(stop)
    assert 1 <= size <= 100 and number >= 1
    assert size * (number - 1) <= stop - 1 < stop < size * number


@given(st.integers(0, 10**7), st.integers(0, 60))
def test_a_straddling_window_holds_both_offsets(first, span):
    """Always from offset 100 on (before it no window of 100 or less at a multiple of its
    size can hold 40 and 100); the one holding ``first`` that reaches furthest otherwise."""
    size, number = listing_proof.straddle_window(first, first + span)
    assert size <= 100 and size * (number - 1) <= first
    assert first + span < size * number or first < 100


def test_gaps_join_overlaps_and_bridges_only():
    keys = [(0, -1000 + i, f"{i:04d}") for i in range(300)]

    def answer(offset, lo, hi, total, after=None, end=False):
        assets = [Asset(id=str(i)) for i in range(lo, hi)]
        return listing_proof.Answer(offset, hi - lo if not end else 100, assets, keys[lo:hi],
                                    total, 0, 0, after)  # fmt: skip

    first = answer(0, 0, 100, 300)
    second = answer(100, 100, 200, 300, after=first)
    last = answer(200, 200, 300, 300, after=second)
    assert listing_proof.gaps([first, second, last], lambda a: True) == []
    gaps = listing_proof.gaps([first, second, last], lambda a: False)
    assert [(g.left, g.right) for g in gaps] == [(keys[99], keys[100]), (keys[199], keys[200])]
    dropped = answer(200, 200, 300, 299, after=second)  # the total dropped: no bridge
    assert len(listing_proof.gaps([first, second, dropped], lambda a: True)) == 1
    overlapping = answer(150, 150, 250, 300)  # one snapshot across the second boundary
    tail = answer(240, 240, 300, 300)
    assert len(listing_proof.gaps([first, second, overlapping, tail], lambda a: False)) == 1


def test_a_type_filter_keeps_the_guarantee(monkeypatch):
    monkeypatch.setattr(listing, "UNION_FROM_PAGES", 2)
    account = Account.seeded(1500, 11, union=True)
    videos = {i for i, item in account.items.items() if item.type == "VIDEO"}
    account.before = lambda acct, r: (acct.finish(acct.calls), acct.delete(acct.calls * 3))
    listed = listing.Listing(account, list(STATUSES), ("VIDEO",), SyncPool(), QUIET)
    result = listed.run()
    kept = videos - set(account.deleted)
    assert kept and kept <= set(result)
    assert {a.type for a in result.values()} == {"VIDEO"}


def test_uploads_made_while_listing_cannot_slip_an_asset_that_was_there():
    """PROCESSING empty at first: READY is bridged all along. Here 120 uploads arrive (119
    finish at once: READY's whole first page), then the oldest of them finishes behind that
    page while an asset before it is deleted: the total is unchanged and an asset slips
    back into page 1, but only an upload newer than the one that finished can."""
    account = fresh_processing_account(1500, 0)
    start = set(account.items)
    fresh: list[Item] = []

    def burst(acct: Account, request: Request) -> None:
        if request == Request(("READY",), 1, 100):
            fresh.extend(acct.arrive() for _ in range(120))
            for item in fresh[1:]:
                item.status = "READY"
        elif request == Request(("READY",), 2, 100):
            fresh[0].status = "READY"
            acct.remove(acct.ordered(("READY",)), 10)

    account.before = burst
    check(account, start, run(account))
    asked = [(a.statuses, a.page, a.size) for a in account.answers]
    assert len(set(asked)) == len(asked) and {a.size for a in account.answers} == {100}


def test_no_bridge_from_pages_read_before_the_processing_snapshot():
    """READY asked alone learns where it may gain assets from a snapshot of PROCESSING taken
    after READY's first page: no bridge may start from that page. Here the one PROCESSING
    asset, the oldest of all, finishes between the two while an asset of page 1 is deleted:
    the total is unchanged, and page 2's first asset slips into page 1's range."""
    account = fresh_processing_account(1500, 0)
    oldest = account.ordered()[-1]
    oldest.status = "PROCESSING"
    ready = {i for i, item in account.items.items() if item.status == "READY"}

    def finish(acct: Account, request: Request) -> None:
        if request == Request(("PROCESSING",), 1, 100):
            oldest.status = "READY"
            acct.remove(acct.ordered(("READY",)), 10)

    account.before = finish
    result = run(account, statuses=["READY"])
    assert ready - set(account.deleted) <= set(result)
