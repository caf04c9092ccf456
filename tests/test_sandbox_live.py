"""The sandbox's live account: uploads arriving and finishing, deletions, over real HTTP.

Time-driven events run on the injected processing clock; nothing sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from argil_nb.sandbox import Sandbox

from .conftest import FakeClock, session_for

ALL_STATUSES: dict[str, Any] = {"status": ["PROCESSING", "READY", "FAILED"], "pageSize": 100}
UPLOAD = {"name": "clip.mp4", "type": "VIDEO", "url": "https://example.com/clip.mp4"}


def fixed_now() -> datetime:
    return datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def listing(api: requests.Session, sb: Sandbox) -> list[dict[str, Any]]:
    """Every status, one request each (Argil documents one status per request), in the
    sandbox's own order."""
    items: list[dict[str, Any]] = []
    for status in ALL_STATUSES["status"]:
        response = api.get(f"{sb.base_url}/assets", params={**ALL_STATUSES, "status": status})
        assert response.status_code == 200
        items += response.json()
    order = {a["id"]: n for n, a in enumerate(sb.assets())}
    return sorted(items, key=lambda a: order.get(a["id"], -1))


def live_uploads(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in assets if a["name"].startswith("live-upload-")]


# -- time-driven ---------------------------------------------------------------------------


def test_uploads_arrive_and_finish_as_the_clock_advances(clock: FakeClock) -> None:
    sb = Sandbox(
        seed=1,
        initial_assets=0,
        clock=clock,
        now=lambda: datetime.fromtimestamp(clock.now, UTC),  # arrivals seconds apart
        arrival_rate=0.5,
        processing_seconds=(5.0, 5.0),
        failure_rate=0.0,
    )
    with sb, session_for(sb) as api:
        clock.advance(1.9)
        assert listing(api, sb) == []
        clock.advance(0.1)  # the first arrival is due at 2 s
        (first,) = listing(api, sb)
        assert first["status"] == "PROCESSING" and first["fileUrl"] is None
        extension = {"IMAGE": "png", "VIDEO": "mp4"}[first["type"]]
        assert first["name"] == f"live-upload-00001.{extension}"
        clock.advance(5.0)  # t = 7: arrivals at 2, 4, 6; the first finished at 7
        items = listing(api, sb)
        stems = [a["name"].split(".")[0] for a in items]
        assert stems == ["live-upload-00003", "live-upload-00002", "live-upload-00001"]
        assert [a["status"] for a in items] == ["PROCESSING", "PROCESSING", "READY"]
        assert items[2]["id"] == first["id"] and items[2]["fileUrl"]
        assert api.get(f"{sb.base_url}/assets").json() == [items[2]]  # READY by default
        sb.arrival_rate = 0.0
        clock.advance(100.0)
        assert len(listing(api, sb)) == 3
        assert all(a["status"] == "READY" for a in sb.assets())


def test_speed_scales_the_live_clock(clock: FakeClock) -> None:
    with Sandbox(initial_assets=0, clock=clock, speed=10.0, arrival_rate=1.0) as sb:
        clock.advance(0.35)  # 3.5 simulated seconds
        assert len(sb.assets()) == 3
        sb.speed = 1.0
        clock.advance(0.5)  # 4.0 simulated
        assert len(sb.assets()) == 4


def test_a_new_rate_counts_from_when_it_is_set(clock: FakeClock) -> None:
    with Sandbox(initial_assets=0, clock=clock) as sb:
        clock.advance(50.0)
        sb.arrival_rate = 0.1
        clock.advance(9.9)
        assert sb.assets() == []
        clock.advance(0.1)
        assert len(sb.assets()) == 1
        sb.configure(arrival_rate=2.0)  # the pending fraction is not carried over
        clock.advance(0.4)
        assert len(sb.assets()) == 1
        clock.advance(0.1)
        assert len(sb.assets()) == 2


def test_assets_are_deleted_as_the_clock_advances(clock: FakeClock) -> None:
    with Sandbox(seed=4, clock=clock, delete_rate=0.25) as sb, session_for(sb) as api:
        before = {a["id"] for a in sb.assets()}
        clock.advance(12.0)
        after = listing(api, sb)
        gone = sb.deleted_ids()
        assert len(gone) == 3 and len(set(gone)) == 3
        assert set(gone) <= before
        assert {a["id"] for a in after} == before - set(gone)
        response = api.get(f"{sb.base_url}/assets/{gone[0]}")
        assert response.status_code == 404 and response.json()["code"] == 404


def test_arrivals_and_deletions_together(clock: FakeClock) -> None:
    sb = Sandbox(seed=9, initial_assets=10, clock=clock, arrival_rate=1.0, delete_rate=1.0)
    with sb:
        clock.advance(30.0)
        assets = sb.assets()
        assert len(assets) == 10  # 30 in, 30 out
        assert len(sb.deleted_ids()) == 30
        assert not set(sb.deleted_ids()) & {a["id"] for a in assets}


# -- per request ---------------------------------------------------------------------------


def test_churn_per_request(clock: FakeClock) -> None:
    sb = Sandbox(seed=2, initial_assets=40, clock=clock, processing_seconds=(900.0, 900.0))
    with sb, session_for(sb) as api:
        sb.churn_per_request = 1
        for turn in range(1, 6):
            before = {a["id"]: a["status"] for a in sb.assets()}  # sb.assets() never churns
            assert "PROCESSING" in before.values()
            assert api.get(f"{sb.base_url}/assets").status_code == 200
            after = sb.assets()
            assert len(after) == 40 and len(sb.deleted_ids()) == turn
            deleted = set(sb.deleted_ids()[-1:])
            assert deleted <= set(before)  # an asset that was there, not this turn's arrival
            (newest,) = [a for a in after if a["id"] not in before]  # first in friendly mode
            assert newest["name"].startswith(f"live-upload-{turn:05d}.")
            assert newest["status"] == "PROCESSING" and newest["id"] not in before
            finished = [
                a
                for a in after
                if before.get(a["id"]) == "PROCESSING" and a["status"] != "PROCESSING"
            ]
            assert len(finished) == 1 or {i for i in deleted if before[i] == "PROCESSING"}
            assert all(a["status"] in ("READY", "FAILED") for a in finished)
        sb.churn_per_request = 0
        api.get(f"{sb.base_url}/assets")
        assert len(sb.deleted_ids()) == 5


def test_churn_also_runs_on_writes_but_not_on_refused_requests(clock: FakeClock) -> None:
    sb = Sandbox(seed=3, clock=clock, churn_per_request=2, rate_limit=1.0, burst=1)
    with sb, session_for(sb) as api:
        created = api.post(f"{sb.base_url}/assets", json=UPLOAD)
        assert created.status_code == 201
        assert len(sb.deleted_ids()) == 2
        assert requests.get(f"{sb.base_url}/assets", timeout=5).status_code == 401
        assert api.get(f"{sb.base_url}/assets").status_code == 200
        assert api.get(f"{sb.base_url}/assets").status_code == 429
        assert len(sb.deleted_ids()) == 4


def test_deleted_ids_count_api_deletes(clock: FakeClock) -> None:
    with Sandbox(seed=5, clock=clock) as sb, session_for(sb) as api:
        assert sb.deleted_ids() == []
        victims = [a["id"] for a in sb.assets()[:2]]
        for victim in victims:
            assert api.delete(f"{sb.base_url}/assets/{victim}").status_code == 204
        assert sb.deleted_ids() == victims


def test_a_listing_checker_catches_a_pager_that_misses_assets(clock: FakeClock) -> None:
    """What deleted_ids is for: what existed throughout a listing must be in its result."""
    with Sandbox(seed=6, initial_assets=300, clock=clock) as sb, session_for(sb) as api:
        before = {a["id"] for a in sb.assets() if a["status"] == "READY"}
        sb.churn_per_request = 1
        seen: list[str] = []
        page = 1
        while True:  # a naive pager over the default (READY) listing
            items = api.get(f"{sb.base_url}/assets", params={"page": page, "pageSize": 20}).json()
            if not items:
                break
            seen += [a["id"] for a in items]
            page += 1
        required = before - set(sb.deleted_ids())
        missed = required - set(seen)
        assert missed, "deletions on pages already read shift later assets forward"


# -- determinism ---------------------------------------------------------------------------


def live_run(seed: int, salt: int | None = 0) -> tuple[list[dict[str, Any]], list[str]]:
    clock = FakeClock()
    sb = Sandbox(
        seed=seed,
        clock=clock,
        now=fixed_now,
        upload_id_salt=salt,
        arrival_rate=0.7,
        delete_rate=0.3,
    )
    with sb, session_for(sb) as api:
        for step in range(12):
            clock.advance(1.3)
            sb.churn_per_request = step % 2
            listing(api, sb)
        assets = [{**a, "fileUrl": None, "thumbnailUrl": None} for a in sb.assets()]  # ports
        return assets, sb.deleted_ids()


def test_live_events_are_deterministic_for_a_seed() -> None:
    first, again, other = live_run(8), live_run(8), live_run(9)
    assert first == again
    assert first != other
    salted = live_run(8, salt=None)  # random upload ids, the same events otherwise
    strip = [{k: v for k, v in a.items() if k != "id"} for a in salted[0]]
    assert strip == [{k: v for k, v in a.items() if k != "id"} for a in first[0]]
    assert {a["id"] for a in live_uploads(salted[0])}.isdisjoint(
        a["id"] for a in live_uploads(first[0])
    )


def test_live_events_leave_seeded_behaviour_alone(clock: FakeClock) -> None:
    def upload(**live: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        sb = Sandbox(seed=12, clock=clock, now=fixed_now, upload_id_salt=0, **live)
        with sb, session_for(sb) as api:
            seeded = [{**a, "fileUrl": None, "thumbnailUrl": None} for a in sb.assets()]
            created = api.post(f"{sb.base_url}/assets", json=UPLOAD).json()
            return seeded, created

    quiet, busy = upload(), upload(churn_per_request=3, arrival_rate=5.0)
    assert quiet[0] == busy[0]  # the seeded assets
    assert quiet[1]["id"] == busy[1]["id"]  # the store's RNG made the same draws


def test_live_options_are_validated() -> None:
    sb = Sandbox(initial_assets=0)
    assert (sb.arrival_rate, sb.delete_rate, sb.churn_per_request) == (0.0, 0.0, 0)
    for bad in (
        {"arrival_rate": -1.0},
        {"delete_rate": float("inf")},
        {"churn_per_request": -1},
        {"churn_per_request": 1.5},
    ):
        with pytest.raises(ValueError):
            sb.configure(**bad)
        with pytest.raises(ValueError):
            Sandbox(initial_assets=0, **bad)
