"""The panel's states, headless, against a sandbox on loopback with fake clocks: not found,
transient fetch errors, honest processing times, the header's timing, empty input. What the
browser shows is read through ``Front`` (tests/test_panel.py)."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

import argil_nb as an
from argil_nb import READY
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox

from .conftest import FakeClock, wait_until
from .test_panel import Front, Wire, recording_wire


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    return recording_wire(monkeypatch)


T0 = 1_800_000_000.0  # the panel's clock starts here (2027-01-15 08:00:00 UTC)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def now() -> FakeClock:
    return FakeClock(T0)


def _add(sb: Sandbox, names: list[str], created: float = T0 - 1) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in names]
    for asset_id, name in zip(ids, names):
        sb.add_asset(
            {
                "id": asset_id,
                "name": name,
                "type": "VIDEO",
                "status": "PROCESSING",
                "createdAt": _iso(created),
                "fileUrl": None,
                "thumbnailUrl": None,
            }
        )
    return ids


def _panel(panels: list[StatusPanel], ids: Any, client: an.Client, **options: Any) -> StatusPanel:
    panel = StatusPanel(ids, client=client, **options)
    panels.append(panel)
    return panel


def test_a_deleted_asset_is_not_found_final_and_the_rest_finish(
    box, fast, now, panels, wire
) -> None:
    ids = _add(box, [f"clip-{n}.mp4" for n in range(5)])
    panel = _panel(panels, ids, fast, clock=now, interval=0.05)
    front = Front(panel, wire)
    seen: list[tuple[str, Any, Any]] = []
    panel.on_change(lambda *change: seen.append(change))
    panel.refresh()
    fast.delete_asset(ids[2])
    now.advance(5)
    panel.refresh()
    front.ask()
    assert ["NOT_FOUND", 1] in front.head["counts"]
    assert front.note(ids[2]) == "deleted (API: 404)"
    assert front.head["state"] == "paused"  # not "could not be fetched": it answered
    for asset_id in ids[:2] + ids[3:]:
        box.set_status(asset_id, READY)
    panel.start()  # the loop stops by itself: not found counts as final
    assert wait_until(lambda: not panel.running)
    front.ask()
    assert panel.done and front.head["state"] == "done"
    assert (front.head["finished"], front.head["total"]) == (5, 5)
    assert panel.frame["status"].tolist() == [READY, READY, "NOT_FOUND", READY, READY]
    assert (ids[2], "PROCESSING", "NOT_FOUND") in seen
    gone = panel.history.query("to_status == 'NOT_FOUND'")
    assert gone["id"].tolist() == [ids[2]]
    assert gone["checked_before"].iloc[0] == pd.Timestamp(T0, unit="s", tz="UTC")


def test_an_id_never_seen_is_not_found_at_once_and_never_stalls_the_poll(
    box, fast, now, panels, wire
) -> None:
    stranger = str(uuid.uuid4())
    alone = _panel(panels, [stranger], fast, clock=now)
    front = Front(alone, wire)
    alone.refresh()
    front.ask()
    assert front.head["state"] == "done"  # not "refresh failed, retrying in 32 s"
    assert front.note(stranger) == "not found: wrong id?"
    assert front.rows[stranger][7] == "the API answers 404: a wrong id, or another account's"
    assert front.rows[stranger][8] == 1  # shown as a problem
    ids = _add(box, ["a.mp4", "b.mp4"])
    mixed = _panel(panels, [ids[0], stranger, ids[1]], fast, clock=now)
    mixed.refresh()
    box.set_status(ids[1], READY)
    mixed.refresh()
    assert mixed.frame["status"].tolist() == ["PROCESSING", "NOT_FOUND", READY]
    assert not mixed.done


def test_a_transient_fetch_error_shows_on_the_card_without_changing_the_status(
    box, fast, now, panels, wire
) -> None:
    ids = _add(box, ["kept.mp4", "new.mp4", "other.mp4"])
    panel = _panel(panels, ids[:2], fast, clock=now)
    front = Front(panel, wire)
    panel.refresh()
    message = "maintenance: " + "&<>" * 60  # long, full of characters to escape
    box.respond_next(503, {"message": message}, path_prefix=f"/assets/{ids[0]}")
    panel.refresh()
    front.ask()
    assert front.status(ids[0]) == "PROCESSING"
    assert front.note(ids[0]).startswith("not refreshed: ServerError: 503")
    assert front.rows[ids[0]][8] == 1
    assert panel.frame["status"].tolist() == ["PROCESSING", "PROCESSING"]
    assert front.head["state"] == "paused (1 could not be fetched)"
    panel.refresh()  # it answers again: the note goes
    front.ask()
    assert front.note(ids[0]) == "" and front.head["state"] == "paused"
    # An asset never fetched yet counts as "not fetched", not as a status "unknown".
    fresh = _panel(panels, ids[1:], fast, clock=now)
    other = Front(fresh, wire)
    box.respond_next(503, {"message": "busy"}, path_prefix=f"/assets/{ids[1]}")
    fresh.refresh()
    other.ask()
    assert [None, 1] in other.head["counts"]
    assert other.note(ids[1]).startswith("not fetched yet: ServerError: 503")


def test_processing_times_are_bounds_tight_only_when_checked_often(
    box, fast, now, panels, wire
) -> None:
    ids = _add(box, ["quick.mp4", "during-a-pause.mp4"], created=T0 - 1)
    panel = _panel(panels, ids, fast, clock=now)
    front = Front(panel, wire)
    panel.refresh()  # both seen PROCESSING at T0
    now.advance(2)
    box.set_status(ids[0], READY)
    panel.refresh()  # quick: seen READY at T0+2, last seen PROCESSING at T0
    front.ask()
    assert front.note(ids[0]) == "processed in ~3 s"
    assert front.rows[ids[0]][7] == "between 1 s and 3 s"
    now.advance(45)  # a pause: nobody looks for 45 s
    box.set_status(ids[1], "FAILED")
    panel.refresh()
    front.ask()
    assert front.note(ids[1]) == "failed after ≤ 48 s"
    assert front.rows[ids[1]][7] == "between 3 s and 48 s"
    history = panel.history.set_index("id")
    assert history.loc[ids[1], "checked_before"] == pd.Timestamp(T0 + 2, unit="s", tz="UTC")
    assert history.loc[ids[1], "seen_at"] == pd.Timestamp(T0 + 47, unit="s", tz="UTC")


def test_a_start_from_a_frame_has_no_lower_bound(box, fast, now, panels, wire) -> None:
    ids = _add(box, ["from-a-frame.mp4"])
    frame = fast.get_assets(ids)
    panel = _panel(panels, frame, fast, clock=now)
    front = Front(panel, wire)
    now.advance(1)
    box.set_status(ids[0], READY)
    panel.refresh()
    front.ask()
    assert front.note(ids[0]) == "processed in ≤ 2 s"
    assert front.rows[ids[0]][7] == "at most 2 s after upload (not checked before)"
    assert pd.isna(panel.history["checked_before"].iloc[0])


def test_the_header_tells_elapsed_rate_and_time_left(box, fast, now, panels, wire) -> None:
    ids = _add(box, [f"c{n}.mp4" for n in range(4)])
    panel = _panel(panels, ids, fast, clock=now, interval=3600)
    front = Front(panel, wire)

    def timing() -> str:
        front.ask()
        return str(front.head["timing"])

    assert timing() == ""  # nothing known yet
    panel.start()  # the first poll runs now; the next in an hour
    assert wait_until(lambda: panel.frame["status"].notna().all())
    assert timing() == "elapsed 0 s"
    now.advance(30)
    for asset_id in ids[:2]:
        box.set_status(asset_id, READY)
    panel.refresh()
    assert timing() == "elapsed 30 s · 4.0/min · ~30 s left"
    panel.stop()
    assert timing() == "elapsed 30 s · 4.0/min"  # no estimate while paused
    now.advance(20)
    panel.refresh()  # nothing changed: the line stays as of the last change
    assert timing() == "elapsed 30 s · 4.0/min"
    box.set_status(ids[2], READY)
    box.set_status(ids[3], "FAILED")
    now.advance(10)
    panel.refresh()
    now.advance(600)
    panel.refresh()
    assert timing() == "elapsed 1 min 00 s · 4.0/min"


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([], "ids_or_frame must be one or more asset ids, got an empty list"),
        (pd.DataFrame({"id": pd.Series([], dtype="string")}), "got an empty DataFrame"),
        (pd.Series([], dtype="string"), "got an empty Series"),
        ("3f2b8c1e-6a4d-4c1f-9e2a-1b2c3d4e5f60", "wrap a single id in a list"),
        (None, "ids must be a list of asset ids"),
        (pd.DataFrame({"name": ["x"]}), "no 'id' column"),
    ],
)
def test_watch_refuses_empty_or_malformed_ids(fast, ids, message) -> None:
    with pytest.raises(an.InvalidArgument, match=re.escape(message)):
        an.watch(ids, client=fast)


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"client": "http://api"}, "client"),
        ({"interval": 0}, "interval"),
        ({"interval": "2"}, "interval"),
        ({"page_size": True}, "page_size"),
        ({"layout": "grid"}, "layout"),
        ({"export_path": 3}, "export_path"),
    ],
)
def test_bad_panel_options_name_the_argument(box, fast, options, name) -> None:
    options = {"client": fast, **options}
    with pytest.raises(an.InvalidArgument, match=f"^{name} must be"):
        StatusPanel(_add(box, ["x.mp4"]), **options)


def test_no_thread_is_left_when_the_constructor_refuses(fast) -> None:
    before = set(threading.enumerate())
    with pytest.raises(an.InvalidArgument):
        StatusPanel([], client=fast)
    assert set(threading.enumerate()) - before == set()
