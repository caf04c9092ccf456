"""StatusPanel, headless: its traits and messages, against a real sandbox on loopback.

``Front`` does in Python what ``panel.js`` does with the messages (rows kept by id, the
header, asking for what it lacks), so each test reads what a browser would show.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import comm
import pandas as pd
import pytest

import argil_nb
from argil_nb import READY, Client
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox

from .conftest import FakeClock, wait_until

CREATED = "2026-11-01T10:00:00.000Z"
PANEL_CLOCK = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
WAIT = 10.0  # an upper bound for a background event; never reached when things work


class RecordingComm:
    """Stands in for a kernel comm: records every message a widget sends, and its thread."""

    ids = itertools.count()
    kernel = "a kernel"

    def __init__(self, log: list[dict[str, Any]], drop_off_main: bool, **kwargs: Any) -> None:
        self.comm_id = f"comm-{next(self.ids)}"
        self.log = log
        self.drop_off_main = drop_off_main
        self.handler: Any = None
        self.closed = False
        log.append({"comm": self, "thread": "open", "data": kwargs.get("data"), "buffers": []})

    def on_msg(self, callback: Any) -> None:
        self.handler = callback

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        thread = threading.current_thread()
        if self.drop_off_main and thread is not threading.main_thread():
            return  # as Colab does with sends from a background thread: never shown
        self.log.append({"comm": self, "thread": thread.name, "data": data, "buffers": buffers})

    def close(self, *args: Any, **kwargs: Any) -> None:
        self.closed = True


class Wire:
    """Every message widgets send while the fixture is active."""

    def __init__(self) -> None:
        self.log: list[dict[str, Any]] = []
        self.drop_off_main = False

    def custom(self, panel: StatusPanel) -> list[dict[str, Any]]:
        """The custom messages sent by ``panel``, oldest first."""
        return [
            m["data"]["content"]
            for m in self.log
            if m["comm"] is panel.comm and (m["data"] or {}).get("method") == "custom"
        ]

    def bytes(self, since: int = 0) -> int:
        return sum(len(json.dumps(m["data"], default=str)) for m in self.log[since:])


def recording_wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Comms that record what widgets made from now on send (the ``wire`` fixture)."""
    made = Wire()
    monkeypatch.setattr(
        comm, "create_comm", lambda **kw: RecordingComm(made.log, made.drop_off_main, **kw)
    )
    return made


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    return recording_wire(monkeypatch)


class Front:
    """What panel.js does with the kernel's messages, in Python (see panel.js)."""

    def __init__(self, panel: StatusPanel, wire: Wire) -> None:
        self.panel, self.wire = panel, wire
        self.rows: dict[str, list[Any]] = {}
        self.order: list[str] = []
        self.have, self.head_version = -1, -1
        self.head: dict[str, Any] = {}
        self.read_up_to = len(wire.log)
        self.exports: list[tuple[dict[str, Any], list[Any]]] = []
        self.seq = 0

    def message(self, content: dict[str, Any]) -> None:
        """A message from the browser, handled as the kernel does (on this thread)."""
        msg = {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        self.panel.comm.handler(msg)
        self.read()

    def ask(self) -> None:
        self.seq += 1
        self.message({"k": "sync", "r": self.have, "h": self.head_version, "seq": self.seq})

    def read(self) -> None:
        for entry in self.wire.log[self.read_up_to :]:
            data = entry["data"] or {}
            if entry["comm"] is not self.panel.comm or data.get("method") != "custom":
                continue
            m = data["content"]
            if m["k"] == "export":
                self.exports.append((m, entry["buffers"] or []))
            if m["k"] != "state":
                continue
            if "rows" in m and (m.get("full") or m["f"] <= self.have):
                self.rows.update((r[0], r) for r in m["rows"])
                if m.get("full"):
                    self.order = [r[0] for r in m["rows"]]
                self.have = max(self.have, m["r"])
            elif "rows" not in m and m["f"] <= self.have:
                self.have = max(self.have, m["r"])
            if "head" in m:
                self.head, self.head_version = m["head"], m["h"]
        self.read_up_to = len(self.wire.log)

    def status(self, asset_id: str) -> Any:
        return self.rows[asset_id][3]

    def note(self, asset_id: str) -> str:
        return str(self.rows[asset_id][6])


@pytest.fixture
def box(clock: Any) -> Iterator[Sandbox]:
    """An empty sandbox: uploads take 10-20 simulated s on ``clock`` and never fail."""
    with Sandbox(
        seed=3, initial_assets=0, clock=clock, processing_seconds=(10, 20), failure_rate=0
    ) as sb:
        yield sb


@pytest.fixture
def fast(box: Sandbox) -> Iterator[Client]:
    """A client that fails fast: no retries, short timeouts."""
    with box.client(max_retries=0, timeout=(0.5, 2), backoff_factor=0) as c:
        yield c


def upload(client: Client, count: int) -> list[str]:
    return [
        client.create_asset(f"https://cdn.example.com/clip-{n:03d}.mp4").id for n in range(count)
    ]


def add(sb: Sandbox, count: int, status: str = "PROCESSING", **fields: Any) -> list[str]:
    ids = [str(uuid.UUID(int=n + 1, version=4)) for n in range(count)]
    for n, asset_id in enumerate(ids):
        raw = {"id": asset_id, "name": f"asset-{n:04d}.mp4", "type": "VIDEO", "status": status}
        sb.add_asset({**raw, "createdAt": CREATED, "fileUrl": None, "thumbnailUrl": None, **fields})
    return ids


@pytest.fixture
def make_panel(panels: list[StatusPanel]) -> Callable[..., StatusPanel]:
    def make(ids: Any, client: Any, **options: Any) -> StatusPanel:
        options.setdefault("clock", lambda: PANEL_CLOCK)
        panel = StatusPanel(ids, client=client, **options)
        panels.append(panel)
        return panel

    return make


def test_the_traits_are_small_and_the_view_is_a_package_file(box, fast, make_panel, wire):
    panel = make_panel(add(box, 2000), fast, page_size=24)
    assert repr(panel) == "StatusPanel(assets=2000, interval=2.0)"
    state = panel.get_state()
    assert state["_settings"] == {"interval": 2.0, "page_size": 24}
    assert state["_query"] == {
        "status": "all", "search": "", "sort": "as given", "layout": "list", "page": 0
    }  # fmt: skip
    assert "export default { render }" in state["_esm"] and ".argil-panel" in state["_css"]
    # No trait holds the rows: the widget opens with the same few hundred bytes for 2,000
    # assets as for one (ipywidgets 2922: a trait is re-sent whole on any change).
    sizes = {k: len(json.dumps(v)) for k, v in state.items() if k not in ("_esm", "_css")}
    assert sum(sizes.values()) < 1500, sizes
    assert "textContent" in state["_esm"] and "innerHTML" not in state["_esm"]


def test_the_browser_gets_every_state_by_asking(box, fast, clock, make_panel, wire) -> None:
    ids = upload(fast, 8)
    panel = make_panel(ids, fast)
    front = Front(panel, wire)
    front.ask()  # a view that has nothing gets every row, in the order given
    assert front.order == ids and all(front.status(i) is None for i in ids)
    assert front.head["state"] == "paused" and front.head["counts"] == [[None, 8]]
    panel.refresh()
    front.read()
    assert [front.status(i) for i in ids] == ["PROCESSING"] * 8
    assert front.head["counts"] == [["PROCESSING", 8]]
    assert (front.head["finished"], front.head["total"]) == (0, 8)
    assert front.head["change"] == "08:00:00 UTC" and front.head["timing"] == "elapsed 0 s"
    assert all(front.rows[i][5] is None for i in ids)  # no thumbnail while processing
    box.set_status(ids[0], "FAILED")
    clock.advance(30)
    panel.refresh()
    front.read()
    assert front.head["counts"] == [[READY, 7], ["FAILED", 1]]
    assert front.head["state"] == "done" and front.head["done"] and front.head["finished"] == 8
    assert front.rows[ids[1]][5] == f"{box.url}/files/{ids[1]}/thumbnail.png"
    assert front.note(ids[1]).startswith("processed in ~") and front.rows[ids[1]][8] == 0
    assert front.rows[ids[0]][5] is None and front.note(ids[0]).startswith("failed after")
    assert list(panel.frame["status"]) == ["FAILED"] + [READY] * 7
    before = len(wire.log)
    front.ask()  # up to date: the answer is a few bytes, with no row and no header
    (answer,) = wire.custom(panel)[-1:]
    assert set(answer) == {"k", "f", "r", "h", "re"} and wire.bytes(before) < 150


@pytest.mark.parametrize("changed", [0, 10, 200])
def test_bytes_per_refresh_follow_what_changed_not_the_size(
    box, fast, make_panel, wire, changed, capsys
) -> None:
    ids = add(box, 2000)
    clock = FakeClock(PANEL_CLOCK)
    panel = make_panel(ids, fast, page_size=24, clock=clock)
    front = Front(panel, wire)
    panel.refresh()
    front.ask()
    for asset_id in ids[500 : 500 + changed]:  # not on the first page: it does not matter
        box.set_status(asset_id, READY)
    clock.advance(1)
    before = len(wire.log)
    panel.refresh()
    sent = wire.log[before:]
    front.read()
    if not changed:
        assert sent == []  # nothing changed, nothing sent
    else:
        (message,) = sent
        assert len(message["data"]["content"]["rows"]) == changed
        assert wire.bytes(before) < 400 + 200 * changed  # the header, then each row
    assert sum(front.status(i) == READY for i in ids) == changed
    with capsys.disabled():
        print(f"\n2000 assets, {changed} changed: {wire.bytes(before)} B sent")


def test_where_the_worker_is_not_heard_the_browser_still_gets_there(
    box, fast, clock, make_panel, wire
) -> None:
    # Colab repaints nothing sent from a background thread (colabtools 3373): the view's
    # own timer must be enough. Sends off the main thread are dropped here.
    wire.drop_off_main = True
    ids = upload(fast, 3)
    panel = make_panel(ids, fast, interval=0.05, clock=clock)
    front = Front(panel, wire)
    front.ask()
    panel.start()
    assert wait_until(lambda: panel.frame["status"].notna().all())
    clock.advance(30)
    assert wait_until(lambda: panel.done)
    assert wait_until(lambda: not panel.running)
    assert not [f for f in front.rows.values() if f[3] == READY]  # the worker's sends: lost
    front.ask()
    assert [front.status(i) for i in ids] == [READY] * 3 and front.head["state"] == "done"
    answers = [m for m in wire.log if m["comm"] is panel.comm and m["thread"] != "open"]
    assert answers and {m["thread"] for m in answers} == {threading.current_thread().name}


class Gate:
    """A client whose reads wait on an event: the API as slow as the test wants."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self.max_workers = client.max_workers
        self.rate_limiter = client.rate_limiter
        self.open = threading.Event()
        self.waiting = threading.Event()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._client, name)
        if name not in ("get_asset", "list_page"):
            return target

        def slow(*args: Any, **kwargs: Any) -> Any:
            self.waiting.set()
            self.open.wait(WAIT * 3)
            return target(*args, **kwargs)

        return slow


def test_no_click_waits_for_the_network(box, fast, make_panel, wire, tmp_path) -> None:
    ids = upload(fast, 3)
    gate = Gate(fast)
    argil_nb.models.AssetSource.register(Gate)
    panel = make_panel(ids, gate, interval=0.05, export_path=tmp_path / "s.csv")
    front = Front(panel, wire)
    panel.start()
    assert gate.waiting.wait(WAIT)  # the worker is inside a request, holding its poll lock
    clicks = [{"k": "sync", "r": -1, "h": -1}, {"k": "refresh"}, {"k": "export"},
              {"k": "pause"}, {"k": "resume"}, {"k": "refresh"}]  # fmt: skip
    done = threading.Event()

    def handle() -> None:
        for click in clicks:
            front.message(click)
        done.set()

    worker = threading.Thread(target=handle, daemon=True)
    worker.start()
    handled = done.wait(WAIT)  # a deadlock detector: handlers take no lock held over I/O
    gate.open.set()
    assert handled, "a message handler waited for the poll in flight"
    assert front.order == ids and front.exports and front.exports[0][0]["ok"]


def test_on_change_once_per_transition_and_history(box, fast, clock, make_panel, caplog) -> None:
    ids = upload(fast, 6)
    panel = make_panel(ids, fast)
    seen: list[tuple[str, Any, Any]] = []
    threads = set()

    def broken(*args: Any) -> None:
        raise RuntimeError("callback bug")

    panel.on_change(broken)

    @panel.on_change
    def record(asset_id: str, old: Any, new: Any) -> None:
        seen.append((asset_id, old, new))
        threads.add(threading.current_thread().name)

    panel.refresh()
    assert seen == [] and len(panel.history) == 0
    box.set_status(ids[0], "FAILED")
    clock.advance(30)
    with caplog.at_level(logging.ERROR, logger="argil_nb"):
        panel.refresh()
        panel.refresh()
    assert "callback bug" in caplog.text
    expected = [(ids[0], "PROCESSING", "FAILED")] + [(i, "PROCESSING", READY) for i in ids[1:]]
    assert seen == expected
    history = panel.history
    assert list(history.columns) == ["id", "from_status", "to_status", "seen_at", "checked_before"]
    assert str(history["seen_at"].dtype) == "datetime64[ns, UTC]"
    assert str(history["checked_before"].dtype) == "datetime64[ns, UTC]"
    at = pd.Timestamp(PANEL_CLOCK, unit="s", tz="UTC")
    assert list(history.itertuples(index=False, name=None)) == [(*row, at, at) for row in expected]
    assert threads == {threading.current_thread().name}  # the thread that polled
    panel.on_change(record, remove=True)


def test_pause_resume_refresh_and_done_travel_as_messages(box, fast, clock, make_panel, wire):
    ids = upload(fast, 4)
    panel = make_panel(ids, fast, interval=0.05, clock=clock)
    front = Front(panel, wire)
    front.message({"k": "refresh"})  # paused: one poll, in the background
    assert wait_until(lambda: panel.frame["status"].notna().all())
    assert not panel.running
    front.message({"k": "resume"})
    assert panel.running
    front.ask()
    assert front.head["watching"] and front.head["state"] == "watching, every 0.05 s"
    front.message({"k": "pause"})
    assert not panel.running
    front.ask()
    assert front.head["state"] == "paused" and not front.head["watching"]
    assert wait_until(lambda: not any(t.name == "argil-panel" for t in threading.enumerate()))
    clock.advance(30)
    front.message({"k": "resume"})
    assert wait_until(lambda: panel.done and not panel.running)  # it stopped by itself
    front.ask()
    assert front.head["state"] == "done" and front.head["finished"] == 4


def test_close_stops_everything_and_leaves_no_thread(box, fast, make_panel, wire) -> None:
    panel = make_panel(add(box, 3), fast, interval=30, inline_thumbnails=True)
    front = Front(panel, wire)
    panel.start()
    handler_comm = panel.comm
    front.message({"k": "close"})
    assert not panel.running and panel.comm is None and handler_comm.closed
    assert wait_until(lambda: not any(t.name == "argil-panel" for t in threading.enumerate()))
    panel.refresh()  # a no-op once closed
    panel.start()
    assert not panel.running
    panel.close()


def test_no_thread_outlives_100_cycles(box, fast) -> None:
    ids = add(box, 3)
    fast.get_assets(ids, errors="coerce", progress=False)  # warm the connection pool

    def ours() -> set[threading.Thread]:
        # The sandbox serves each kept-alive connection on a thread of its own: not ours.
        return {t for t in threading.enumerate() if "process_request" not in t.name}

    before = ours()
    for _ in range(100):
        panel = StatusPanel(ids, client=fast, interval=60, page_size=3)
        panel.start()
        panel.close()
    assert wait_until(lambda: ours() - before == set())


def test_outage_keeps_the_table_and_recovers(box, fast, clock, make_panel, wire) -> None:
    ids = upload(fast, 3)
    panel = make_panel(ids, fast, interval=5)
    front = Front(panel, wire)
    panel.refresh()
    known = panel.frame
    box.stop()
    panel.start()  # the first poll runs at once, in the background, and fails
    assert wait_until(lambda: panel._data.failures > 0)
    front.ask()
    assert front.head["state"].startswith("API unreachable, retrying in 10 s: APIConnectionError")
    assert front.head["problem"]
    panel.refresh()
    front.ask()
    assert front.head["state"].startswith("API unreachable, retrying in 20 s")
    pd.testing.assert_frame_equal(panel.frame, known)
    box.start()
    clock.advance(30)
    panel.refresh()
    front.ask()
    assert front.head["state"] == "done" and not front.head["problem"]


def test_a_refused_key_stops_polling_and_names_the_variable(box, make_panel, wire) -> None:
    ids = add(box, 2)
    with Client(api_key="sk-wrong-key-0000", base_url=box.base_url, max_retries=0) as wrong:
        panel = make_panel(ids, wrong, interval=0.05)
        front = Front(panel, wire)
        panel.start()
        assert wait_until(lambda: not panel.running)
    front.ask()
    state = front.head["state"]
    assert state.startswith("API key refused, polling stopped: check ARGIL_API_KEY"), state
    assert "AuthenticationError" in state and front.head["problem"]
    assert "sk-wrong" not in json.dumps(wire.custom(panel))


def test_a_panel_left_open_stops_after_its_idle_timeout(box, fast, clock, make_panel, wire):
    ids = add(box, 2)
    panel = make_panel(ids, fast, interval=0.05, idle_timeout=60, clock=clock)
    front = Front(panel, wire)
    panel.start()
    assert wait_until(lambda: panel.frame["status"].notna().all())
    assert panel.running
    clock.advance(61)
    assert wait_until(lambda: not panel.running)
    front.ask()
    assert front.head["state"] == "stopped: no change in 1 min 00 s; resume to go on"
    front.message({"k": "resume"})
    assert panel.running


def test_server_errors_and_missing_assets(box, fast, make_panel, wire) -> None:
    ids = add(box, 3)
    panel = make_panel(ids, fast)
    front = Front(panel, wire)
    panel.refresh()
    box.respond_next(503, {"message": "maintenance"}, times=3, path_prefix="/assets/")
    panel.refresh()
    front.ask()
    assert front.head["state"].startswith("API server error (paused): ServerError: 503")
    fast.delete_asset(ids[1])
    panel.refresh()
    front.ask()
    assert front.head["state"] == "paused"  # a 404 is an answer, not a failed fetch
    assert front.status(ids[1]) == "NOT_FOUND" and front.note(ids[1]) == "deleted (API: 404)"
    assert panel.frame["status"].tolist() == ["PROCESSING", "NOT_FOUND", "PROCESSING"]


def test_user_data_reaches_the_browser_as_data(box, fast, make_panel, wire) -> None:
    hostile = "<img src=x onerror=alert(1)>"
    ids = add(box, 1, status=READY, name=hostile, thumbnailUrl="javascript:alert(1)")
    panel = make_panel(ids, fast)
    front = Front(panel, wire)
    panel.refresh()
    front.ask()
    # The name is a JSON string that panel.js puts in with textContent; the URL is dropped.
    assert front.rows[ids[0]][1] == hostile and front.rows[ids[0]][5] is None


def test_inline_thumbnails_are_fetched_once_in_the_worker(
    box, fast, clock, make_panel, wire
) -> None:
    ready = upload(fast, 3)
    for asset_id in ready:
        box.set_status(asset_id, READY)
    box.reset_stats()
    panel = make_panel(ready, fast, inline_thumbnails=True)
    front = Front(panel, wire)
    for _ in range(3):
        panel.refresh()
    front.ask()
    assert box.stats.by_route["file"] == 3  # once each
    for asset_id in ready:
        assert front.rows[asset_id][5].startswith("data:image/png;base64,")
    before = len(wire.log)
    panel.refresh()
    assert wire.log[before:] == []  # nothing new: nothing sent, nothing fetched
    assert box.stats.by_route["file"] == 3


def test_watch_starts_a_panel(box, fast) -> None:
    panel = argil_nb.watch(add(box, 2), client=fast, interval=30)
    try:
        assert isinstance(panel, StatusPanel) and panel.running
        assert isinstance(argil_nb.StatusPanel, type)
    finally:
        panel.close()
    assert not panel.running


def test_starts_from_a_frame_and_validates_arguments(box, fast, make_panel, wire) -> None:
    ids = add(box, 2)
    frame = fast.get_assets(ids)
    frame.loc[0, "status"] = "FAILED"  # terminal in the frame: never fetched again
    panel = make_panel(frame, fast)
    front = Front(panel, wire)
    front.ask()
    assert front.head["finished"] == 1
    panel.refresh()
    assert panel.frame["status"].tolist() == ["FAILED", "PROCESSING"]
    with pytest.raises(argil_nb.InvalidArgument, match="interval"):
        StatusPanel(ids, client=fast, interval=0)
    with pytest.raises(argil_nb.InvalidArgument, match="page_size"):
        StatusPanel(ids, client=fast, page_size=0)
    with pytest.raises(argil_nb.InvalidArgument, match="idle_timeout"):
        StatusPanel(ids, client=fast, idle_timeout=-1)
    with pytest.raises(argil_nb.InvalidAssetId):
        StatusPanel(["nope"], client=fast)
