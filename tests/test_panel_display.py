"""How a panel reaches a notebook: the widget beside a static snapshot under one display id,
replaced by the saved view alone once the panel is finished (routed to the panel's own cell
too) or closed. Runs in an IPython shell with a publisher that records."""

from __future__ import annotations

import base64
import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell

from argil_nb import READY
from argil_nb.panel import StatusPanel
from argil_nb.sandbox import Sandbox

from .conftest import FakeClock

WIDGET = "application/vnd.jupyter.widget-view+json"
XSS = "<img src=x onerror=alert(1)>"


class RecordingPublisher(DisplayPublisher):
    """Records every publish, with the parent header in force (as ipykernel 7's has)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[dict[str, Any]] = []
        self.parent_header: dict[str, Any] = {"msg_id": "cell-1"}
        self._thread_parent: dict[str, Any] | None = None

    def set_thread_parent(self, parent: dict[str, Any]) -> dict[str, Any]:
        token, self._thread_parent = self.parent_header, parent["header"]
        return token

    def reset_thread_parent(self, token: dict[str, Any]) -> None:
        self._thread_parent = None

    def publish(self, data: dict[str, Any], metadata: Any = None, *args: Any, **kw: Any) -> None:
        parent = self._thread_parent or self.parent_header
        self.sent.append({"data": data, "parent": parent["msg_id"], **kw})


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[InteractiveShell, RecordingPublisher]]:
    ip = InteractiveShell.instance()
    publisher = RecordingPublisher()
    monkeypatch.setattr(ip, "display_pub", publisher)
    yield ip, publisher


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(seed=3, initial_assets=0, processing_seconds=(1e6, 2e6), failure_rate=0) as sb:
        yield sb


def _panel(box: Sandbox, names: list[str]) -> StatusPanel:
    client = box.client(max_retries=0)
    ids = []
    for name in names:
        asset_id = str(uuid.uuid4())
        box.add_asset(
            {
                "id": asset_id,
                "name": name,
                "type": "IMAGE",
                "status": "PROCESSING",
                "createdAt": "2026-11-01T10:00:00Z",
                "thumbnailUrl": f"{box.url}/files/{asset_id}/thumbnail.png",
            }
        )
        ids.append(asset_id)
    return StatusPanel(ids, client=client, clock=FakeClock(1_800_000_000.0))


def test_the_widget_is_displayed_beside_a_static_snapshot(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["cover.png", XSS])
    try:
        panel.refresh()
        ip.display_formatter.format(panel)  # what a cell's last expression does
        (first,) = publisher.sent
        assert set(first["data"]) == {"text/plain", "text/html", WIDGET}
        assert first["data"][WIDGET]["model_id"] == panel.model_id
        assert first["transient"]["display_id"].startswith("argil-panel-")
        html = first["data"]["text/html"]
        assert 'class="argil-snapshot"' in html and "0/2 finished" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html and XSS not in html
    finally:
        panel.close()


def _finish(box: Sandbox, panel: StatusPanel) -> None:
    for asset_id in panel.frame["id"]:
        box.set_status(asset_id, READY)
    panel.refresh()


def _sync(panel: StatusPanel) -> None:
    """The browser's timer asking for news (the message handler runs on this thread)."""
    panel._on_message(panel, {"k": "sync", "r": -1, "h": -1, "seq": 1}, [])


def test_a_finished_panel_leaves_its_saved_view_in_both_cells(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png", "b.png"])
    try:
        ip.display_formatter.format(panel)  # displayed by cell-1
        display_id = publisher.sent[0]["transient"]["display_id"]
        publisher.parent_header = {"msg_id": "comm-7"}  # the browser's message
        _sync(panel)
        ip.events.trigger("post_run_cell", None)
        assert len(publisher.sent) == 1  # not finished: the live view stays
        _finish(box, panel)
        _sync(panel)  # the browser asks: the answer is the saved view, at once
        updates = publisher.sent[1:]
        # under the message handled (nbclient, VS Code) and under the panel's cell (JupyterLab)
        assert [u["parent"] for u in updates] == ["comm-7", "cell-1"]
        for update in updates:
            assert update["update"] is True and update["transient"]["display_id"] == display_id
            html = update["data"]["text/html"]
            assert WIDGET not in update["data"] and "2/2 finished" in html and ">done" in html
            # READY thumbnails from the sandbox are embedded: they outlive it.
            assert (
                html.count('src="data:image/png;base64,') == 2 and f"{box.url}/files/" not in html
            )
            # ... and the whole table, as a CSV the page downloads without a kernel.
            link = re.search(
                r'download="argil-status.csv" href="data:text/csv;[^,]*,([^"]+)"', html
            )
            assert link and base64.b64decode(link.group(1)).startswith(b"id,name,type,status")
        _sync(panel)
        ip.events.trigger("post_run_cell", None)
        assert len(publisher.sent) == 3  # once
    finally:
        panel.close()


def test_without_a_browser_the_end_of_a_cell_leaves_the_saved_view(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png"])
    try:
        ip.display_formatter.format(panel)
        _finish(box, panel)
        publisher.parent_header = {"msg_id": "cell-2"}
        ip.events.trigger("post_run_cell", None)  # nbclient: the next cell ended
        assert [u["parent"] for u in publisher.sent[1:]] == ["cell-2", "cell-1"]
        assert WIDGET not in publisher.sent[-1]["data"]
    finally:
        panel.close()


def test_shown_again_once_finished_it_stays_live_until_closed(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png"])
    try:
        _finish(box, panel)
        ip.display_formatter.format(panel)  # `panel` in cell-1, to filter and export
        _sync(panel)
        ip.events.trigger("post_run_cell", None)  # the end of cell-1 itself
        assert len(publisher.sent) == 1 and WIDGET in publisher.sent[0]["data"]
        publisher.parent_header = {"msg_id": "cell-2"}
        ip.events.trigger("post_run_cell", None)  # the user moved on: still live
        assert len(publisher.sent) == 1
    finally:
        panel.close()
    assert WIDGET not in publisher.sent[-1]["data"]


def test_closing_leaves_only_the_snapshot(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png"])
    ip.display_formatter.format(panel)
    panel._on_message(panel, {"k": "close"}, [])
    last = publisher.sent[-1]
    assert WIDGET not in last["data"] and last["update"] is True
    assert re.search(r">closed\b", last["data"]["text/html"])
    count = len(publisher.sent)
    ip.events.trigger("post_run_cell", None)
    assert len(publisher.sent) == count  # a closed panel sends nothing more


def test_the_panels_threads_never_display(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png"])
    try:
        ip.display_formatter.format(panel)
        _finish(box, panel)
        sent: list[bool] = []
        worker = threading.Thread(
            target=lambda: sent.append(panel._display.settle()), name="argil-panel"
        )
        worker.start()
        worker.join(10)
        assert sent == [False] and len(publisher.sent) == 1
    finally:
        panel.close()


def test_marimo_shows_it_as_its_anywidget_element(box) -> None:
    marimo = pytest.importorskip("marimo")
    panel = _panel(box, ["a.png"])
    try:
        shown = panel._display_()
        assert isinstance(shown, marimo.ui.anywidget) and shown.widget is panel
    finally:
        panel.close()
