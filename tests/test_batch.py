"""get_assets and list_assets against the sandbox: plans, order, errors, pagination."""

import uuid

import pandas as pd
import pytest

import argil_nb as an
from argil_nb import listing
from argil_nb.sandbox import Sandbox

from .conftest import CANARY_KEY


def ids_of(sandbox, status=None):
    return [a["id"] for a in sandbox.assets() if status is None or a["status"] == status]


def raw_asset(i, status="READY", type_="IMAGE"):
    return {
        "id": str(uuid.UUID(int=i, version=4)),
        "name": f"asset-{i:04d}.png",
        "type": type_,
        "status": status,
        "fileUrl": None,
        "thumbnailUrl": None,
        "createdAt": f"2026-10-{1 + i % 28:02d}T10:{i % 60:02d}:00.000Z",
    }


@pytest.fixture
def big_sandbox(clock):
    with Sandbox(seed=5, initial_assets=250, clock=clock, api_key=CANARY_KEY) as box:
        yield box


def test_both_plans_give_identical_frames(big_sandbox):
    client = big_sandbox.client()
    wanted = ids_of(big_sandbox)[::2]
    big_sandbox.reset_stats()
    by_get = listing.get_assets(client, wanted, plan="get", progress=False)
    assert big_sandbox.stats.by_route.get("list", 0) == 0
    big_sandbox.reset_stats()
    by_list = listing.get_assets(client, wanted, plan="list", progress=False)
    assert big_sandbox.stats.by_route.get("get", 0) == 0
    pd.testing.assert_frame_equal(by_get, by_list)
    assert by_get["id"].tolist() == wanted


def test_auto_plan_lists_when_the_account_is_small(big_sandbox):
    client = big_sandbox.client()
    big_sandbox.reset_stats()
    frame = client.get_assets(ids_of(big_sandbox), progress=False)
    assert len(frame) == 250
    stats = big_sandbox.stats
    assert stats.by_route.get("get", 0) == 0
    assert stats.requests <= 5  # 3 probes + the rest of READY's pages


def test_auto_plan_gets_when_few_ids(big_sandbox):
    client = big_sandbox.client()
    wanted = ids_of(big_sandbox)[:5]
    big_sandbox.reset_stats()
    client.get_assets(wanted, progress=False)
    assert big_sandbox.stats.requests == 5
    assert big_sandbox.stats.by_route.get("list", 0) == 0


def test_listing_misses_are_fetched_one_by_one(big_sandbox):
    """An id the listing cannot show (unknown status) is still found, by a GET."""
    odd = raw_asset(99999, status="QUARANTINED")
    big_sandbox.add_asset(odd)
    client = big_sandbox.client()
    frame = listing.get_assets(
        client, [*ids_of(big_sandbox, "READY"), odd["id"]], plan="list", progress=False
    )
    assert frame["status"].iloc[-1] == "QUARANTINED"


def test_order_duplicates_and_forms(sandbox, client):
    ids = ids_of(sandbox)[:6]
    messy = [ids[3], ids[1].upper(), uuid.UUID(ids[3]), ids[0], f" {ids[1]} "]
    frame = client.get_assets(messy, progress=False)
    assert frame["id"].tolist() == [ids[3], ids[1], ids[0]]
    series = client.get_assets(pd.Series(ids), progress=False)
    from_frame = client.get_assets(series, progress=False)
    pd.testing.assert_frame_equal(series, from_frame)


@pytest.mark.parametrize(
    "bad", ["3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60", None, 42, pd.DataFrame({"x": [1]})]
)
def test_bad_containers_are_clear_errors(client, bad):
    with pytest.raises(an.InvalidArgument):
        client.get_assets(bad)


def test_every_bad_id_is_reported_before_any_request(sandbox, client):
    sandbox.reset_stats()
    with pytest.raises(an.InvalidAssetId) as info:
        client.get_assets([ids_of(sandbox)[0], "nope", "", None])
    assert info.value.values == ["nope", "", None]
    assert sandbox.stats.requests == 0


def test_errors_raise_keeps_what_was_fetched(sandbox, client):
    good = ids_of(sandbox)[:3]
    missing = [str(uuid.uuid4()) for _ in range(2)]
    with pytest.raises(an.BatchError) as info:
        client.get_assets([good[0], missing[0], good[1], missing[1], good[2]], progress=False)
    error = info.value
    assert error.frame["id"].tolist() == good
    assert list(error.errors) == missing
    assert all(isinstance(e, an.AssetNotFound) for e in error.errors.values())
    assert "2 of 5 assets failed" in str(error)


def test_errors_coerce_returns_every_row(sandbox, client):
    good = ids_of(sandbox)[:2]
    missing = str(uuid.uuid4())
    frame = client.get_assets([good[0], missing, good[1]], errors="coerce", progress=False)
    assert frame["id"].tolist() == [good[0], missing, good[1]]
    assert frame["error"].notna().tolist() == [False, True, False]
    assert frame.loc[1, "error"].startswith("AssetNotFound: 404")
    assert pd.isna(frame.loc[1, "status"]) and pd.isna(frame.loc[1, "name"])
    assert str(frame["error"].dtype) == "string"


def test_bad_errors_argument(client):
    with pytest.raises(an.InvalidArgument, match="errors"):
        client.get_assets([], errors="ignore")


@pytest.mark.parametrize("errors", ["raise", "coerce"])
def test_empty_input_gives_an_empty_frame(sandbox, client, errors):
    sandbox.reset_stats()
    frame = client.get_assets([], errors=errors)
    assert len(frame) == 0 and "created_at" in frame
    assert ("error" in frame) == (errors == "coerce")
    assert sandbox.stats.requests == 0


def test_list_assets_sees_every_status(sandbox, client):
    frame = client.list_assets(progress=False)
    truth = sandbox.assets()
    assert sorted(frame["id"]) == sorted(a["id"] for a in truth)
    assert set(frame["status"]) == {"PROCESSING", "READY", "FAILED"}
    assert frame["id"].is_unique


def test_list_assets_filters(sandbox, client):
    frame = client.list_assets(status="failed", type=["IMAGE", "VIDEO"], progress=False)
    truth = [
        a for a in sandbox.assets() if a["status"] == "FAILED" and a["type"] in ("IMAGE", "VIDEO")
    ]
    assert sorted(frame["id"]) == sorted(a["id"] for a in truth)


@pytest.mark.parametrize("kwargs", [{"status": "DONE"}, {"type": "GIF"}, {"status": ["READY", 3]}])
def test_list_assets_bad_filters(sandbox, client, kwargs):
    sandbox.reset_stats()
    with pytest.raises(an.InvalidArgument):
        client.list_assets(**kwargs)
    assert sandbox.stats.requests == 0


@pytest.mark.parametrize(
    ("count", "requests"), [(0, 1), (1, 1), (99, 1), (100, 2), (101, 2), (200, 3), (250, 3)]
)
def test_pagination_edges(count, requests):
    """Windows overlapping by listing.OVERLAP ([0, 100), [98, 196), [194, 291)) until one is
    short: only a short window shows the end (X-Total-Count may be counted apart from the
    page), so exactly 100 costs a second window."""
    with Sandbox(initial_assets=0) as box:
        for i in range(count):
            box.add_asset(raw_asset(i + 1))
        client = box.client()
        box.reset_stats()
        frame = client.list_assets(status="READY", progress=False)
        assert len(frame) == count and frame["id"].is_unique
        assert box.stats.requests == requests


class MovingClient:
    """A real client whose account changes between listing pages (assets finish)."""

    def __init__(self, client, sandbox, moves):
        self._client, self._sandbox, self._moves = client, sandbox, list(moves)
        self.max_workers = 1  # one page at a time, so the moves land between pages
        self.rate_limiter = client.rate_limiter

    def get_asset(self, asset_id):
        return self._client.get_asset(asset_id)

    def list_page(self, **kwargs):
        page = self._client.list_page(**kwargs)
        for asset_id in self._moves[:5]:
            self._sandbox.set_status(asset_id, "READY")
        del self._moves[:5]
        return page


def test_listing_loses_nothing_while_assets_move():
    with Sandbox(initial_assets=0) as box:
        for i in range(1, 261):
            box.add_asset(raw_asset(i, status="PROCESSING" if i % 2 else "READY"))
        processing = [a["id"] for a in box.assets() if a["status"] == "PROCESSING"]
        client = MovingClient(box.client(), box, processing[::3])
        frame = listing.list_assets(client, progress=False)
        assert frame["id"].is_unique
        assert sorted(frame["id"]) == sorted(a["id"] for a in box.assets())


def test_progress_off_writes_nothing_and_on_writes_to_stderr(sandbox, client, capsys):
    client.get_assets(ids_of(sandbox), progress=False)
    client.list_assets(progress=False)
    assert capsys.readouterr() == ("", "")
    client.get_assets(ids_of(sandbox), progress=True, errors="coerce")
    out, err = capsys.readouterr()
    assert out == "" and "argil" in err


def test_run_all_sends_nothing_after_a_failure_and_leaves_nothing_running():
    """The calls queued behind a failed one never run; the error is the caller's."""
    from concurrent.futures import ThreadPoolExecutor

    from argil_nb.batch import run_all

    ran: list[int] = []

    def call(n: int) -> int:
        ran.append(n)
        if n == 1:
            raise an.ServerError(502, "GET", "/assets", "bad gateway")
        return n

    with ThreadPoolExecutor(1) as pool:
        assert run_all(pool, [lambda n=n: call(n) for n in (0, 2)]) == [0, 2]
        ran.clear()
        with pytest.raises(an.ServerError, match="502"):
            run_all(pool, [lambda n=n: call(n) for n in range(5)])
        assert ran == [0, 1]  # 2, 3 and 4 were queued behind 1 on the one worker
