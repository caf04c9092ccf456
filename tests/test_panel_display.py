"""How a panel reaches a notebook: the widget beside a static snapshot under one display id,
the snapshot sent again after cells (routed to the panel's own cell too), and only a
snapshot left once closed. Runs in an IPython shell with a publisher that records."""

from __future__ import annotations

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


def test_after_each_cell_a_changed_snapshot_reaches_both_cells(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png", "b.png"])
    try:
        ip.display_formatter.format(panel)  # displayed by cell-1
        display_id = publisher.sent[0]["transient"]["display_id"]
        publisher.parent_header = {"msg_id": "cell-2"}
        ip.events.trigger("post_run_cell", None)
        assert len(publisher.sent) == 1  # nothing changed: nothing sent
        for asset_id in panel.frame["id"]:
            box.set_status(asset_id, READY)
        panel.refresh()
        ip.events.trigger("post_run_cell", None)
        updates = publisher.sent[1:]
        # under the running cell (nbclient, VS Code) and under the panel's own (JupyterLab)
        assert [u["parent"] for u in updates] == ["cell-2", "cell-1"]
        for update in updates:
            assert update["update"] is True and update["transient"]["display_id"] == display_id
            assert "2/2 finished" in update["data"]["text/html"]
            # READY thumbnails from the sandbox are embedded: they outlive it.
            assert update["data"]["text/html"].count('src="data:image/png;base64,') == 2
            assert f"{box.url}/files/" not in update["data"]["text/html"]
        ip.events.trigger("post_run_cell", None)
        assert len(publisher.sent) == 3  # sent once per change
    finally:
        panel.close()


def test_closing_leaves_only_the_snapshot(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png"])
    ip.display_formatter.format(panel)
    panel.close_button.click()
    last = publisher.sent[-1]
    assert WIDGET not in last["data"] and last["update"] is True
    assert re.search(r">closed\b", last["data"]["text/html"])
    count = len(publisher.sent)
    ip.events.trigger("post_run_cell", None)
    assert len(publisher.sent) == count  # a closed panel sends nothing more


def test_a_background_thread_never_displays(shell, box) -> None:
    ip, publisher = shell
    panel = _panel(box, ["a.png"])
    try:
        ip.display_formatter.format(panel)
        box.set_status(panel.frame["id"][0], READY)
        panel.refresh()
        sent: list[bool] = []
        worker = threading.Thread(target=lambda: sent.append(panel._display.update()))
        worker.start()
        worker.join(10)
        assert sent == [False] and len(publisher.sent) == 1
    finally:
        panel.close()
