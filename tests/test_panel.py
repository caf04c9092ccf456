"""StatusPanel, headless, against a real sandbox on loopback driven by a fake clock."""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import comm
import ipywidgets.widgets.widget as widget_module
import pandas as pd
import pytest
import requests

import argil_nb
from argil_nb import READY, Client
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox

from .conftest import FakeClock, wait_until

CREATED = "2026-11-01T10:00:00.000Z"
PANEL_CLOCK = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


class CountingComm:
    """Stands in for a kernel comm and records every message a widget sends."""

    ids = itertools.count()
    kernel = "a kernel"

    def __init__(self, log: list[dict[str, Any]], **kwargs: Any) -> None:
        self.comm_id = f"comm-{next(self.ids)}"
        self.log = log

    def on_msg(self, callback: Any) -> None:
        pass

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        self.log.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every state update sent by widgets made while the fixture is active."""
    log: list[dict[str, Any]] = []
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: CountingComm(log, **kwargs))
    return log


def _updates(log: list[dict[str, Any]]) -> int:
    return sum(1 for data in log if data.get("method") == "update")


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


def _upload(client: Client, count: int) -> list[str]:
    return [
        client.create_asset(f"https://cdn.example.com/clip-{n:03d}.mp4").id for n in range(count)
    ]


def _add(sb: Sandbox, count: int, status: str = "PROCESSING", **fields: Any) -> list[str]:
    ids = [str(uuid.UUID(int=n + 1, version=4)) for n in range(count)]
    for n, asset_id in enumerate(ids):
        raw = {"id": asset_id, "name": f"asset-{n:04d}.mp4", "type": "VIDEO", "status": status}
        sb.add_asset({**raw, "createdAt": CREATED, "fileUrl": None, "thumbnailUrl": None, **fields})
    return ids


@pytest.fixture
def make_panel() -> Iterator[Callable[..., StatusPanel]]:
    made: list[StatusPanel] = []

    def make(ids: Any, client: Client, **options: Any) -> StatusPanel:
        options.setdefault("clock", lambda: PANEL_CLOCK)
        panel = StatusPanel(ids, client=client, **options)
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.close()


def test_traits_follow_the_statuses(box, fast, clock, make_panel) -> None:
    ids = _upload(fast, 8)
    panel = make_panel(ids, fast)
    assert repr(panel) == "StatusPanel(assets=8, interval=2.0)"
    assert panel.state_label.value == "paused"
    panel.refresh()
    assert "PROCESSING</span>&nbsp;<b>8</b>" in panel.counts_html.value
    bar = panel.progress_bar.value
    assert 'aria-valuenow="0"' in bar and 'aria-valuemax="8"' in bar
    assert panel.progress_text.value == "0/8 finished"
    assert panel.change_label.value == "· last change 08:00:00 UTC"
    for asset_id, card in zip(ids, panel.cards):
        assert asset_id[:8] in card.value and "clip-" in card.value
        assert "argil-thumb-placeholder" in card.value and ">processing</div>" in card.value
        assert "<img" not in card.value
    assert [c.layout.display for c in panel.cards] == [""] * 8 + ["none"] * 16

    box.set_status(ids[0], "FAILED")
    clock.advance(30)
    panel.refresh()
    counts = panel.counts_html.value
    assert "READY</span>&nbsp;<b>7</b>" in counts and "FAILED</span>&nbsp;<b>1</b>" in counts
    bar = panel.progress_bar.value
    assert 'aria-valuenow="8"' in bar
    # the failure shows in its colour: 1/8 of the bar, beside 7/8 READY
    assert (
        'title="1 FAILED" style="width:12.500%;background:#b91c1c;background:var(--jp-error' in bar
    )
    assert 'title="7 READY" style="width:87.500%;background:#15803d;background:var(--jp-succ' in bar
    assert panel.state_label.value == "done"
    assert ">failed</div>" in panel.cards[0].value and "<img" not in panel.cards[0].value
    assert f'<img src="{box.url}/files/{ids[1]}/thumbnail.png"' in panel.cards[1].value
    assert "processed in ~" in panel.cards[1].value
    assert list(panel.frame["status"]) == ["FAILED"] + [READY] * 7
    assert list(panel.frame["id"]) == ids


def test_paging_sixty_assets(box, fast, make_panel) -> None:
    ids = _add(box, 60)
    panel = make_panel(ids, fast, page_size=24)
    panel.refresh()
    assert panel.page_label.value == "page 1 of 3"
    assert panel.prev_button.disabled and not panel.next_button.disabled
    panel.next_button.click()
    assert panel.page_label.value == "page 2 of 3"
    assert all(i[:8] in c.value for i, c in zip(ids[24:48], panel.cards))
    panel.next_button.click()
    assert panel.page_label.value == "page 3 of 3" and panel.next_button.disabled
    assert all(i[:8] in c.value for i, c in zip(ids[48:], panel.cards))
    assert [c.layout.display for c in panel.cards] == [""] * 12 + ["none"] * 12
    panel.prev_button.click()
    assert panel.page_label.value == "page 2 of 3"


def test_status_filter(box, fast, make_panel) -> None:
    ids = _add(box, 30)
    panel = make_panel(ids, fast, page_size=10)
    for asset_id in ids[:3]:
        box.set_status(asset_id, "FAILED")
    panel.refresh()
    panel.next_button.click()
    panel.filter_dropdown.value = "FAILED"
    assert panel.page_label.value == "page 1 of 1"
    shown = [c.value for c in panel.cards if c.layout.display != "none"]
    assert len(shown) == 3 and all(i[:8] in v for i, v in zip(ids[:3], shown))
    panel.filter_dropdown.value = "PROCESSING"
    assert panel.page_label.value == "page 1 of 3"
    assert ids[3][:8] in panel.cards[0].value
    panel.filter_dropdown.value = "READY"
    assert panel.page_label.value == "page 1 of 1"
    assert all(c.layout.display == "none" for c in panel.cards)


def test_export_button_writes_the_frame(box, fast, clock, make_panel, tmp_path) -> None:
    ids = _upload(fast, 5) + _add(box, 2, name="=SUM(A1)")
    target = tmp_path / "status.csv"
    panel = make_panel(ids, fast, export_path=target)
    assert panel.export_label.value == "exports all 7 rows"
    clock.advance(12)
    panel.refresh()
    panel.export_button.click()
    pd.testing.assert_frame_equal(argil_nb.read_csv(target), panel.frame)
    assert panel.export_label.value == f"wrote 7 rows to {target}"
    panel.export_path = str(tmp_path / "status.txt")
    panel.export_button.click()
    assert panel.export_label.value.startswith("export failed: path must end in .csv")


@pytest.mark.parametrize("where", ["on the page", "on another page"])
def test_message_counts_on_2000_assets(box, fast, make_panel, messages, where, capsys) -> None:
    ids = _add(box, 2000)
    clock = FakeClock(PANEL_CLOCK)
    panel = make_panel(ids, fast, page_size=24, layout="cards", clock=clock)
    panel.refresh()
    assert panel.progress_text.value == "0/2000 finished"
    del messages[:]
    panel.refresh()
    assert _updates(messages) == 0  # nothing changed, nothing sent
    clock.advance(1)
    panel.refresh()
    assert _updates(messages) == 0  # the clock moved, nothing else: still nothing sent
    changed = ids[:10] if where == "on the page" else ids[100:110]
    for asset_id in changed:
        box.set_status(asset_id, READY)
    clock.advance(1)
    del messages[:]
    panel.refresh()
    sent = _updates(messages)
    assert panel.progress_text.value == "10/2000 finished"
    # the counts, the bar and its text, "last change", the elapsed time and rate as of it,
    # plus one per visible card
    header = 5
    assert sent == header + (10 if where == "on the page" else 0)
    del messages[:]
    panel.refresh()
    assert _updates(messages) == 0
    with capsys.disabled():
        print(f"\n2000 assets, 10 changed {where}: {sent} update messages; unchanged: 0")


def test_on_change_once_per_transition_and_history(box, fast, clock, make_panel, caplog) -> None:
    ids = _upload(fast, 6)
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
    assert list(history.columns) == ["id", "from", "to", "seen_at", "checked_before"]
    assert str(history["seen_at"].dtype) == "datetime64[ns, UTC]"
    assert str(history["checked_before"].dtype) == "datetime64[ns, UTC]"
    at = pd.Timestamp(PANEL_CLOCK, unit="s", tz="UTC")
    assert list(history.itertuples(index=False, name=None)) == [(*row, at, at) for row in expected]
    assert threads == {threading.current_thread().name}
    panel.on_change(record, remove=True)


def test_background_loop_pause_resume_and_done(box, fast, clock, make_panel) -> None:
    ids = _upload(fast, 4)
    panel = make_panel(ids, fast, interval=0.05)
    panel.start()
    panel.start()  # no-op
    assert panel.running and panel.pause_button.description == "pause"
    assert wait_until(lambda: panel.frame["status"].notna().all())
    assert panel.state_label.value == "watching, every 0.05 s"
    panel.pause_button.click()
    assert not panel.running
    assert panel.state_label.value == "paused" and panel.pause_button.description == "resume"
    assert wait_until(lambda: not any(t.name == "argil-panel" for t in threading.enumerate()))
    clock.advance(30)
    panel.pause_button.click()
    assert panel.running
    assert wait_until(lambda: panel.state_label.value == "done")
    assert wait_until(lambda: not panel.running)  # it stopped polling by itself
    assert panel.progress_text.value == "4/4 finished" and panel.pause_button.disabled


def test_refresh_now_button(box, fast, clock, make_panel) -> None:
    ids = _upload(fast, 3)
    panel = make_panel(ids, fast)
    panel.refresh_button.click()
    assert panel.progress_text.value == "0/3 finished"
    clock.advance(30)
    panel.refresh_button.click()
    assert panel.progress_text.value == "3/3 finished"


def test_close_stops_everything(box, fast, make_panel, messages) -> None:
    before = set(widget_module._instances)
    panel = make_panel(_add(box, 3), fast, interval=30, inline_thumbnails=True)
    panel.start()
    children = [panel.state_label, panel.pause_button, panel.search_box, *panel.cards]
    panel.close()
    assert not panel.running and panel.comm is None
    assert all(w.comm is None for w in children)
    assert not any(t.name == "argil-panel" for t in threading.enumerate())
    assert set(widget_module._instances) == before  # every widget closed, layouts too
    panel.refresh()  # a no-op once closed
    panel.start()
    assert not panel.running
    panel.close()


def test_no_thread_outlives_100_cycles(box, fast) -> None:
    ids = _add(box, 3)
    fast.get_assets(ids, errors="coerce", progress=False)  # warm the connection pool

    def ours() -> set[threading.Thread]:
        # The sandbox serves each kept-alive connection on a thread of its own: not ours.
        return {t for t in threading.enumerate() if "process_request" not in t.name}

    before = ours()
    for _ in range(100):
        panel = StatusPanel(ids, client=fast, interval=60, page_size=3)
        panel.start()
        panel.close()
    assert ours() - before == set()


def test_outage_keeps_the_table_and_recovers(box, fast, clock, make_panel) -> None:
    ids = _upload(fast, 3)
    panel = make_panel(ids, fast, interval=5)
    panel.refresh()
    known = panel.frame
    box.stop()
    panel.start()  # the first poll runs at once, in the background, and fails
    assert wait_until(lambda: panel.state_label.value.startswith("API unreachable"))
    assert panel.state_label.value.startswith(
        "API unreachable, retrying in 10 s: APIConnectionError"
    )
    panel.refresh()
    assert panel.state_label.value.startswith("API unreachable, retrying in 20 s")
    pd.testing.assert_frame_equal(panel.frame, known)
    assert ids[0][:8] in panel.cards[0].value
    box.start()
    clock.advance(30)
    panel.refresh()
    assert panel.state_label.value == "done"
    assert panel.progress_text.value == "3/3 finished"


def test_server_errors_and_missing_assets(box, fast, make_panel) -> None:
    ids = _add(box, 3)
    panel = make_panel(ids, fast)
    panel.refresh()
    box.respond_next(503, {"message": "maintenance"}, times=3, path_prefix="/assets/")
    panel.refresh()
    assert panel.state_label.value.startswith("API server error (paused): ServerError: 503")
    fast.delete_asset(ids[1])
    panel.refresh()
    assert panel.state_label.value == "paused"  # a 404 is an answer, not a failed fetch
    assert "deleted: the API answers 404" in panel.cards[1].value
    assert panel.frame["status"].tolist() == ["PROCESSING", "NOT_FOUND", "PROCESSING"]


def test_user_data_is_escaped(box, fast, make_panel) -> None:
    ids = _add(
        box,
        1,
        status=READY,
        name="<img src=x onerror=alert(1)>",
        thumbnailUrl="javascript:alert(1)",
    )
    for inline in (False, True):
        panel = make_panel(ids, fast, inline_thumbnails=inline)
        panel.refresh()
        card = panel.cards[0].value
        assert "&lt;img src=x onerror=alert(1)&gt;" in card
        assert "<img src=x" not in card and "javascript:" not in card
        assert "<img" not in card  # no image at all: the URL is not http(s)


class _ThumbnailHost(BaseHTTPRequestHandler):
    """A thumbnail host that records the headers it receives."""

    png = b""
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(self.png)))
        self.end_headers()
        self.wfile.write(self.png)

    def log_message(self, *args: Any) -> None:
        pass


def test_inline_thumbnails_fetched_once_without_the_key(
    box, fast, clock, make_panel, messages
) -> None:
    ready = _upload(fast, 3)
    for asset_id in ready:
        box.set_status(asset_id, READY)
    _ThumbnailHost.png = requests.get(
        f"{box.url}/files/{ready[0]}/thumbnail.png", timeout=5
    ).content
    _ThumbnailHost.seen = []
    host = ThreadingHTTPServer(("127.0.0.1", 0), _ThumbnailHost)
    threading.Thread(target=host.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{host.server_address[1]}/thumb.png"
        outside = _add(box, 1, status=READY, thumbnailUrl=url)
        pending = _upload(fast, 1)
        box.reset_stats()
        panel = make_panel(ready + outside + pending, fast, inline_thumbnails=True)
        for _ in range(3):
            panel.refresh()
        clock.advance(30)  # the last upload becomes READY: its thumbnail is fetched once too
        for _ in range(3):
            panel.refresh()
        del messages[:]
        panel.refresh()
        assert _updates(messages) == 0
    finally:
        host.shutdown()
        host.server_close()
    assert box.stats.by_route["file"] == 4  # three READY at first, one later: once each
    assert len(_ThumbnailHost.seen) == 1
    assert all("x-api-key" not in h for h in _ThumbnailHost.seen)
    assert box.api_key not in str(_ThumbnailHost.seen)
    for card in panel._ui.slots:
        if card.widget.layout.display != "none":
            (image,) = card.thumb.children
            assert bytes(image.value).startswith(b"\x89PNG") and image.format == "png"
            assert "<img" not in card.html.value
    panel.layout_toggle.value = "list"  # the same images, in the rows' smaller box
    for card in panel._ui.slots:
        if card.shown:
            (image,) = card.thumb.children
            assert card.thumb.layout.width == "48px" and "argil-row" in card.html.value
            assert "<img" not in card.html.value


def test_watch_starts_a_panel(box, fast) -> None:
    panel = argil_nb.watch(_add(box, 2), client=fast, interval=30)
    try:
        assert isinstance(panel, StatusPanel) and panel.running
        assert isinstance(argil_nb.StatusPanel, type)
    finally:
        panel.close()
    assert not panel.running


def test_starts_from_a_frame_and_validates_arguments(box, fast, make_panel) -> None:
    ids = _add(box, 2)
    frame = fast.get_assets(ids)
    frame.loc[0, "status"] = "FAILED"  # terminal in the frame: never fetched again
    panel = make_panel(frame, fast)
    assert panel.progress_text.value == "1/2 finished"
    panel.refresh()
    assert panel.frame["status"].tolist() == ["FAILED", "PROCESSING"]
    with pytest.raises(argil_nb.InvalidArgument, match="interval"):
        StatusPanel(ids, client=fast, interval=0)
    with pytest.raises(argil_nb.InvalidArgument, match="page_size"):
        StatusPanel(ids, client=fast, page_size=0)
    with pytest.raises(argil_nb.InvalidAssetId):
        StatusPanel(["nope"], client=fast)
