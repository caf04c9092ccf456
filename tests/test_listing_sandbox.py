"""Complete listings over HTTP, against the sandbox, while the account changes on every request.

The sandbox's live account changes it: ``churn_per_request`` (before each API request an
upload arrives, a PROCESSING asset finishes, an asset is deleted), ``arrival_rate`` and
``delete_rate``, and ``Sandbox.deleted_ids()`` says what went. :class:`ChurnSession`, the
client's ``requests.Session``, records what each answer showed (for the latest status seen),
and can change the account itself in ways the live account does not (deletions only).
"""

from __future__ import annotations

import math
import random
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from argil_nb import listing, listing_cover
from argil_nb.models import TERMINAL_STATUSES
from argil_nb.sandbox import Sandbox

from .conftest import CANARY_KEY

STATUSES = ("PROCESSING", "READY", "FAILED")


class ChurnSession(requests.Session):
    """Changes the sandbox before each API request (``churn`` uploads, finishes and
    deletions), and records what each answer showed."""

    def __init__(
        self, sandbox: Sandbox, churn: int, seed: int, mix: tuple[int, int, int] = (1, 1, 1)
    ) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.churn = churn
        self.mix = mix  # uploads, finishes, deletions per unit of churn
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
            assert self.side.delete(f"{box.base_url}/assets/{victim['id']}", headers=headers).ok
            self.deleted.add(victim["id"])
        self.changes += uploads + finishes + deletions

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with self.lock:
            self.requests += 1
            self.change()
        response = super().request(method, url, *args, **kwargs)
        if response.ok and urlsplit(url).path.rstrip("/").endswith("/assets"):
            with self.lock:
                for item in response.json():
                    self.seen.setdefault(item["id"], set()).add(item["status"])
        return response


@pytest.fixture
def account(clock):
    """2,500 seeded assets; the clock stands still, so only the tests' changes happen."""
    with Sandbox(seed=21, initial_assets=2500, clock=clock, api_key=CANARY_KEY) as box:
        yield box


def gone(session: ChurnSession, sandbox: Sandbox) -> set[str]:
    return session.deleted | set(sandbox.deleted_ids())


def minimum_pages(sandbox: Sandbox) -> int:
    counts = {s: 0 for s in STATUSES}
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
        seen = session.seen[asset_id]
        finished = seen & TERMINAL_STATUSES
        assert rows[asset_id] == (next(iter(finished)) if finished else "PROCESSING")


@pytest.mark.parametrize("one_list", [True, False], ids=["one list", "each status"])
def test_list_assets_under_churn_on_every_request(account, one_list, monkeypatch):
    """The live account's churn: before every request an upload, a finish and a deletion,
    anywhere. One list: the sandbox honours a repeated ``status``; each status: as for an
    API that does not. Lanes of 4 pages, 6 at once: seams read in any order."""
    monkeypatch.setattr(listing_cover, "PAGES_PER_LANE", 4)
    monkeypatch.setattr(listing_cover, "LANE_RATE", 1e12)  # 6 lanes, however fast loopback is
    if not one_list:
        monkeypatch.setattr(listing, "UNION_FROM_PAGES", 10**6)
    start, minimum = {a["id"] for a in account.assets()}, minimum_pages(account)
    account.configure(churn_per_request=1)
    session = ChurnSession(account, churn=0, seed=5)
    with account.client(session=session, max_workers=6) as client:
        frame = listing.list_assets(client, progress=False)
    account.configure(churn_per_request=0)
    check(session, start, frame)
    extra = session.requests - minimum
    assert extra <= 3 * session.requests + 2 * 6 + 3 + (0 if one_list else minimum // 7)
    assert extra <= session.requests // 2 + 20


@pytest.mark.parametrize("one_list", [True, False], ids=["one list", "each status"])
def test_list_assets_while_the_account_shrinks(account, one_list, monkeypatch):
    """Two deletions anywhere and a finish before every request, no upload to fill in: every
    lane keeps losing the asset after its boundary."""
    monkeypatch.setattr(listing_cover, "PAGES_PER_LANE", 4)
    monkeypatch.setattr(listing_cover, "LANE_RATE", 1e12)
    if not one_list:
        monkeypatch.setattr(listing, "UNION_FROM_PAGES", 10**6)
    start, minimum = {a["id"] for a in account.assets()}, minimum_pages(account)
    session = ChurnSession(account, churn=1, seed=5, mix=(0, 1, 2))
    with account.client(session=session, max_workers=6) as client:
        frame = listing.list_assets(client, progress=False)
    check(session, start, frame)
    assert session.requests - minimum <= session.changes + 2 * 6 + 3


def test_list_assets_at_the_rate_limit_of_a_live_account():
    """A live account (uploads arriving, processing, a few deletions on the sandbox's clock)
    read at 20 requests a second by the client's rate limiter: every asset there all along,
    for a few requests more than the pages."""
    with Sandbox(
        seed=23,
        initial_assets=4000,
        rate_limit=20,
        burst=20,
        arrival_rate=5.0,
        delete_rate=3.0,
        processing_seconds=(1.0, 5.0),
        api_key=CANARY_KEY,
    ) as box:
        start, minimum = {a["id"] for a in box.assets()}, minimum_pages(box)
        session = ChurnSession(box, churn=0, seed=9)
        with box.client(session=session, reads_per_minute=1200, read_burst=5) as client:
            frame = listing.list_assets(client, progress=False)
        check(session, start, frame)
        deleted = len(set(box.deleted_ids()) & start)
        assert deleted, "the live account deleted none of the assets listed"
        assert session.requests <= minimum + 3 + 2 * deleted
        assert box.stats.responses.get(429, 0) == 0  # paced by the client, not refused


def test_list_assets_with_few_changes_costs_about_its_pages(account):
    """Two uploads and a deletion in the whole call: a few requests more than the pages."""
    start, minimum = {a["id"] for a in account.assets()}, minimum_pages(account)
    session = ChurnSession(account, churn=0, seed=6)
    plan = iter(range(1000))

    def few(real: Any = session.change) -> None:
        if next(plan) in (5, 12):
            session.churn = 1
            real()
            session.churn = 0

    session.change = few  # type: ignore[method-assign]
    with account.client(session=session, max_workers=6) as client:
        frame = listing.list_assets(client, progress=False)
    check(session, start, frame)
    assert session.requests <= minimum + 1 + 6  # the union's probe, a window per change


def test_get_assets_listing_plan_under_churn(account):
    """get_assets lists, then GETs what the listing did not show: every id still there."""
    ids = [a["id"] for a in account.assets()][::2]
    session = ChurnSession(account, churn=1, seed=7)
    with account.client(session=session, max_workers=6) as client:
        frame = listing.get_assets(client, ids, plan="list", errors="coerce", progress=False)
    kept = frame[~frame["id"].isin(session.deleted)]
    assert kept["error"].isna().all() and len(kept) == len(set(ids) - session.deleted)
    assert frame["id"].tolist() == ids


def test_the_existing_moves_between_pages_still_cost_little(clock):
    """Assets finishing between pages (tests/test_batch.py's MovingClient), five at a time."""
    with Sandbox(seed=22, initial_assets=600, clock=clock) as box:
        processing = [a["id"] for a in box.assets() if a["status"] == "PROCESSING"]
        start = {a["id"] for a in box.assets()}
        session = ChurnSession(box, churn=0, seed=8)
        moves = iter(processing)

        def finish_five() -> None:
            for asset_id in [next(moves, None) for _ in range(5)]:
                if asset_id is not None:
                    box.set_status(asset_id, "READY")
                    session.changes += 1

        session.change = finish_five  # type: ignore[method-assign]
        with box.client(session=session, max_workers=1) as client:
            frame = listing.list_assets(client, progress=False)
        check(session, start, frame)
