"""Complete listings over HTTP against the sandbox, in both modes, while the account changes.

Every test runs against ``Sandbox(mode="documented")`` (one ``status`` per request, whole-second
``createdAt`` with ties in insertion order, no rate-limit headers) and ``mode="friendly"``
(the sandbox's extensions), named explicitly so that both CI jobs run both. The live account
changes it (``churn_per_request``: before each API request an upload arrives, a PROCESSING
asset finishes, an asset is deleted; ``arrival_rate``, ``delete_rate``), and
``Sandbox.deleted_ids()`` says what went. :class:`ChurnSession`, the client's
``requests.Session``, records what each answer showed (for the latest status seen), and can
change the account itself in ways the live account does not.
"""

from __future__ import annotations

import math
import random
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import argil_nb as an
from argil_nb import listing
from argil_nb.models import TERMINAL_STATUSES
from argil_nb.sandbox import Sandbox

from .conftest import CANARY_KEY
from .test_listing_model import trusting_the_pages

STATUSES = ("PROCESSING", "READY", "FAILED")
MODES = pytest.mark.parametrize("mode", ["documented", "friendly"])


class ChurnSession(requests.Session):
    """Changes the sandbox before each API request (``churn`` uploads, finishes and
    deletions, or ``hook(query)``), and records what each answer showed."""

    def __init__(
        self, sandbox: Sandbox, churn: int = 0, seed: int = 0, mix: tuple[int, int, int] = (1, 1, 1)
    ) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.churn = churn
        self.mix = mix  # uploads, finishes, deletions per unit of churn
        self.hook: Callable[[dict[str, list[str]]], None] | None = None
        self.rng = random.Random(seed)
        self.side = requests.Session()  # the changes' own requests: not the client's
        self.lock = threading.Lock()
        self.deleted: set[str] = set()
        self.changes = 0
        self.requests = 0
        self.seen: dict[str, set[str]] = {}  # id -> statuses it was seen with

    def close(self) -> None:
        self.side.close()
        super().close()

    def change(self) -> None:
        box, headers = self.sandbox, {"x-api-key": self.sandbox.api_key}
        uploads, finishes, deletions = (n * self.churn for n in self.mix)
        for _ in range(uploads):
            name = f"upload-{self.rng.getrandbits(32):08x}.png"
            body = {"name": name, "type": "IMAGE", "url": f"https://media.example.com/{name}"}
            assert self.side.post(f"{box.base_url}/assets", json=body, headers=headers).ok
        assets = box.assets()
        processing = [a["id"] for a in assets if a["status"] == "PROCESSING"]
        for asset_id in self.rng.sample(processing, min(finishes, len(processing))):
            box.set_status(asset_id, self.rng.choice(["READY", "FAILED"]))
        for victim in self.rng.sample(assets, deletions):
            self.delete(victim["id"])
        self.changes += uploads + finishes + deletions

    def delete(self, asset_id: str) -> None:
        url = f"{self.sandbox.base_url}/assets/{asset_id}"
        assert self.side.delete(url, headers={"x-api-key": self.sandbox.api_key}).ok
        self.deleted.add(asset_id)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        listed = urlsplit(url).path.rstrip("/").endswith("/assets") and method == "GET"
        with self.lock:
            self.requests += 1
            if self.hook is not None and listed:
                self.hook(parse_qs(urlsplit(url).query) | parse_qs_of(kwargs.get("params")))
            self.change()
        response = super().request(method, url, *args, **kwargs)
        if response.ok and listed:
            with self.lock:
                for item in response.json():
                    self.seen.setdefault(item["id"], set()).add(item["status"])
        return response


def parse_qs_of(params: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in params or ():
        found.setdefault(key, []).append(str(value))
    return found


def gone(session: ChurnSession, sandbox: Sandbox) -> set[str]:
    return session.deleted | set(sandbox.deleted_ids())


def minimum_pages(sandbox: Sandbox) -> int:
    counts = dict.fromkeys(STATUSES, 0)
    for asset in sandbox.assets():
        counts[asset["status"]] += 1
    return sum(max(1, math.ceil(n / 100)) for n in counts.values())


def check(session: ChurnSession, start: set[str], frame: Any) -> None:
    """Each asset there for the whole call: in the frame once, with its latest status seen
    (a finished one when it was seen finished: statuses only move that way)."""
    assert frame["id"].is_unique
    rows = dict(zip(frame["id"], frame["status"], strict=True))
    throughout = start - gone(session, session.sandbox)
    missing = throughout - set(rows)
    assert not missing, f"{len(missing)} lost"
    for asset_id in throughout:
        finished = session.seen[asset_id] & TERMINAL_STATUSES
        assert rows[asset_id] == (next(iter(finished)) if finished else "PROCESSING")


def account(mode: str, clock: Any, count: int = 2500, **options: Any) -> Sandbox:
    """``count`` seeded assets; the clock stands still, so only the tests' changes happen."""
    return Sandbox(mode=mode, seed=21, initial_assets=count, clock=clock, api_key=CANARY_KEY,
                   **options)  # fmt: skip


ops = st.tuples(
    st.sampled_from(["arrive", "finish", "delete", "shift"]),
    st.sampled_from(["before", "after", "any"]),
    st.integers(0, 10**6),
)
changes = st.lists(ops, max_size=3)


class Adversary:
    """Changes the sandbox before the n-th list request as ``schedule[n]`` says: an upload
    dated like any asset (tied with it: anywhere in the list), a finish, a deletion, before
    or after the window being read (in its status's list) or anywhere, 1 to 20 assets in
    front of the window leaving its list, or a status emptied past the window's start
    (finished or deleted)."""

    def __init__(self, session: ChurnSession, schedule: list[list[tuple[str, str, int]]]):
        self.session, self.schedule, self.calls = session, schedule, 0

    def __call__(self, query: dict[str, list[str]]) -> None:
        todo = self.schedule[self.calls] if self.calls < len(self.schedule) else []
        self.calls += 1
        box = self.session.sandbox
        status = query["status"][0]
        size, page = int(query["pageSize"][0]), int(query["page"][0])
        start = (page - 1) * size
        for kind, where, pick in todo:
            assets = box.assets()
            listed = [a for a in assets if a["status"] == status]
            pool = {"before": listed[:start], "after": listed[start + size :]}.get(where, assets)
            if kind == "arrive" and assets:
                like = assets[pick % len(assets)]["createdAt"]
                raw = raw_asset(10**6 + len(self.session.seen) * 10 + pick % 10, "PROCESSING")
                box.add_asset({**raw, "id": str(uuid.uuid4()), "createdAt": like})
            elif kind == "empty":
                for asset in listed[start:]:
                    self.leave(asset, pick)
            elif kind == "shift":  # 1 to 20 leave in front of the window: it moves up
                for asset in listed[:start][-(1 + pick % 20) :]:
                    self.leave(asset, pick)
            elif pool:
                self.leave(pool[pick % len(pool)], pick, finish_only=kind == "finish")

    def leave(self, asset: dict[str, Any], pick: int, finish_only: bool = False) -> None:
        if asset["status"] == "PROCESSING":
            self.session.sandbox.set_status(asset["id"], "FAILED" if pick % 5 == 0 else "READY")
        elif not finish_only:
            self.session.delete(asset["id"])


HTTP_SCENARIOS = dict(
    size=st.integers(0, 150) | st.integers(150, 450) | st.integers(250, 450),
    seconds=st.integers(1, 40),
    seed=st.integers(0, 10**6),
    schedule=st.lists(changes | st.just([("empty", "any", 0)]), min_size=4, max_size=12),
    workers=st.sampled_from([1, 4]),
)


def listed_over_http(mode, size, seconds, seed, schedule, workers):
    """One listing over HTTP: an account whose createdAt takes ``seconds`` distinct values
    (ties everywhere), changed before list requests by :class:`Adversary`."""
    rng = random.Random(seed)
    with Sandbox(mode=mode, initial_assets=0, processing_seconds=(1e6, 2e6)) as box:
        for i in range(size):
            status = rng.choice(["PROCESSING", "READY", "READY", "READY", "FAILED"])
            box.add_asset(raw_asset(i, status, second=rng.randrange(seconds)))
        start = {a["id"] for a in box.assets()}
        session = ChurnSession(box)
        session.hook = Adversary(session, schedule)
        with box.client(session=session, max_workers=workers) as client:
            frame = listing.list_assets(client, progress=False)
        check(session, start, frame)


@MODES
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**HTTP_SCENARIOS)
def test_the_guarantee_holds_over_http(mode, **scenario):
    """The model's property (tests/test_listing_model.py) over HTTP, in both modes."""
    listed_over_http(mode, **scenario)


def test_without_the_overlap_check_hypothesis_finds_a_loss_over_http(monkeypatch):
    """The HTTP property can fail too: with the check switched off, a search of the same
    scenarios (no shrinking: each example is an HTTP listing) finds an asset lost."""
    trusting_the_pages(monkeypatch)
    search = settings(max_examples=150, deadline=None, phases=[Phase.generate], database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip

    @search
    @given(**HTTP_SCENARIOS)
    def documented(**scenario: Any) -> None:
        listed_over_http("documented", **scenario)

    with pytest.raises(AssertionError, match="lost"):
        documented()


@MODES
def test_list_assets_under_churn_on_every_request(mode, clock):
    """The live account's churn: before every request an upload, a finish and a deletion,
    anywhere; windows read six at once."""
    with account(mode, clock) as box:
        start, minimum = {a["id"] for a in box.assets()}, minimum_pages(box)
        box.configure(churn_per_request=1)
        session = ChurnSession(box)
        with box.client(session=session, max_workers=6) as client:
            frame = listing.list_assets(client, progress=False)
        box.configure(churn_per_request=0)
        check(session, start, frame)
        assert session.requests <= 1.2 * minimum + session.requests // 4 + 3


@MODES
def test_list_assets_while_the_account_shrinks(mode, clock):
    """Two deletions anywhere and a finish before every request, no upload to fill in."""
    with account(mode, clock) as box:
        start, minimum = {a["id"] for a in box.assets()}, minimum_pages(box)
        session = ChurnSession(box, churn=1, seed=5, mix=(0, 1, 2))
        with box.client(session=session, max_workers=6) as client:
            frame = listing.list_assets(client, progress=False)
        check(session, start, frame)
        assert session.requests <= 1.2 * minimum + session.changes + 3


@MODES
def test_the_newest_finishing_after_page_one_are_all_found(mode):
    """150 PROCESSING; the 120 listed first finish right after PROCESSING's page 1 (main:
    30 of 150 missing, none of which ever left PROCESSING)."""
    with Sandbox(mode=mode, initial_assets=0) as box:
        for i in range(150):
            box.add_asset(raw_asset(i, "PROCESSING", second=i))
        ids = [a["id"] for a in box.assets()]  # listing order: the newest first
        session = ChurnSession(box)

        def finish(query: dict[str, list[str]]) -> None:
            if query["status"] == ["PROCESSING"] and session.requests == 2:  # after page 1
                for asset_id in ids[:120]:
                    box.set_status(asset_id, "READY")

        session.hook = finish
        with box.client(session=session) as client:
            frame = listing.list_assets(client, progress=False)
        assert sorted(frame["id"]) == sorted(ids)
        assert dict(zip(frame["id"], frame["status"], strict=True)) == {
            i: "READY" if n < 120 else "PROCESSING" for n, i in enumerate(ids)
        }
        assert session.requests == 3 + 3  # the empty window, page 1 again; READY 2, FAILED 1


def raw_asset(i: int, status: str = "READY", second: int = 0) -> dict[str, Any]:
    return {
        "id": str(uuid.UUID(int=i + 1, version=4)),
        "name": f"asset-{i:04d}.png",
        "type": "IMAGE",
        "status": status,
        "fileUrl": None,
        "thumbnailUrl": None,
        "createdAt": datetime.fromtimestamp(1_790_000_000 + second, UTC).isoformat(),
    }


@MODES
def test_uploads_in_one_second_cost_their_windows_only(mode):
    """300 uploads made in the same second (documented mode: one createdAt, listed in
    insertion order): nothing depends on createdAt, so a static account costs its windows."""
    second = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
    with Sandbox(mode=mode, seed=4, initial_assets=900, now=lambda: second,
                 processing_seconds=(1e6, 2e6)) as box:  # fmt: skip
        with box.client() as client:
            for i in range(300):
                client.create_asset(f"https://media.example.com/tie-{i}.png")
            box.reset_stats()
            frame = listing.list_assets(client, progress=False)
        assert sorted(frame["id"]) == sorted(a["id"] for a in box.assets())
        assert box.stats.by_route["list"] <= 1.2 * minimum_pages(box)


@pytest.mark.parametrize("answer", ["first", "last", 400, 500])
def test_a_repeated_status_is_never_sent(answer, clock):
    """Whatever a server does with ``?status=A&status=B`` (documented mode: cut to one, a 400,
    a 500), the listing costs the same: it never sends one."""
    with account("documented", clock, count=1200, repeated_status=answer) as box:
        with box.client() as client:
            box.reset_stats()
            frame = listing.list_assets(client, progress=False)
            first = box.stats
            listing.list_assets(client, progress=False)
        assert len(frame) == 1200
        assert first.responses == {200: first.requests}
        assert box.stats.requests == 2 * first.requests  # nothing remembered, nothing probed
        assert first.requests <= 1.2 * minimum_pages(box)


def test_a_wrong_key_raises_at_once(clock):
    with account("documented", clock, count=300) as box:
        box.reset_stats()
        with (
            an.Client(api_key="sk-wrong", base_url=box.base_url) as client,
            pytest.raises(an.AuthenticationError),
        ):
            client.list_assets(progress=False)
        assert box.stats.requests == 1


@MODES
def test_a_401_in_the_middle_stops_the_listing_at_once(mode, clock):
    """The key revoked while READY's windows are read: AuthenticationError, and the
    windows queued behind the refused one are never sent."""
    with account(mode, clock, count=4000) as box:
        session, ready = ChurnSession(box), []

        def revoke(query: dict[str, list[str]]) -> None:
            ready.extend(query["status"] if query["status"] == ["READY"] else [])
            if len(ready) == 10:
                box.respond_next(401, {"code": 401, "message": "revoked"}, times=100,
                                 path_prefix="/assets", method="GET")  # fmt: skip

        session.hook = revoke
        with (
            box.client(session=session, max_workers=2) as client,
            pytest.raises(an.AuthenticationError, match="401"),
        ):
            client.list_assets(progress=False)
        refused = box.stats.responses.get(401, 0)
        assert 1 <= refused <= 2  # the refused one and the one running beside it


@MODES
def test_list_assets_at_the_rate_limit_of_a_live_account(mode):
    """A live account (uploads arriving and finishing, deletions on the sandbox's clock) read
    at 20 requests a second: every asset there all along, for a few requests more than the
    windows."""
    with Sandbox(mode=mode, seed=23, initial_assets=4000, rate_limit=20, burst=20,
                 arrival_rate=5.0, delete_rate=3.0, processing_seconds=(1.0, 5.0),
                 api_key=CANARY_KEY) as box:  # fmt: skip
        start, minimum = {a["id"] for a in box.assets()}, minimum_pages(box)
        before = set(box.deleted_ids())
        session = ChurnSession(box)
        with box.client(session=session, reads_per_minute=1200, read_burst=5) as client:
            frame = listing.list_assets(client, progress=False)
        check(session, start, frame)
        deleted = len(set(box.deleted_ids()) - before)
        assert deleted, "the live account deleted nothing while listing"
        assert session.requests <= 1.2 * minimum + 2 * deleted + 3


@MODES
def test_get_assets_listing_plan_under_churn(mode, clock):
    """get_assets lists, then GETs what the listing did not show: every id still there."""
    with account(mode, clock) as box:
        ids = [a["id"] for a in box.assets()][::2]
        session = ChurnSession(box, churn=1, seed=7)
        with box.client(session=session, max_workers=6) as client:
            frame = listing.get_assets(client, ids, plan="list", errors="coerce", progress=False)
        kept = frame[~frame["id"].isin(session.deleted)]
        assert kept["error"].isna().all() and len(kept) == len(set(ids) - session.deleted)
        assert frame["id"].tolist() == ids


@MODES
def test_the_warning_reaches_the_callers_line_through_the_client(mode, clock, monkeypatch):
    """No budget at all (patched): READY is not shown complete after its page 1, and the
    user is told, on their own line, how many may be missing."""
    with account(mode, clock, count=1000) as box:
        monkeypatch.setattr(listing, "REPAIRS", -100)
        with box.client() as client, pytest.warns(listing.IncompleteListing) as info:
            frame = client.list_assets(progress=False)
        message = str(info[0].message)
        assert info[0].filename == __file__
        ready = sum(1 for a in box.assets() if a["status"] == "READY")
        assert f"READY: about {ready - 100} of the {ready} may be missing" in message
        assert "get_assets(ids)" in message
        assert len(frame) >= 100
