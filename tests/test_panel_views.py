"""What the panel shows, headless: the saved view's fixed-size cards and list rows, the
query the browser reports (filter, search, order), export, and the view module's rules.
The browser test checks the live view in a real page (bounding boxes, no round trip)."""

from __future__ import annotations

import re
import stat
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import argil_nb as an
from argil_nb import READY
from argil_nb.panel import StatusPanel
from argil_nb.panel._snapshot import CARD_HEIGHT, card_html
from argil_nb.panel._view import NOT_FOUND, AssetView, Timing
from argil_nb.sandbox import Sandbox

from .conftest import FakeClock
from .test_panel import Front, Wire, recording_wire


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    return recording_wire(monkeypatch)


T0 = 1_800_000_000.0
LONG = "a-very-long-name-without-any-space-" * 4 + "end.mp4"  # 144 characters
PANEL = Path(an.__file__).parent / "panel"


def _add(sb: Sandbox, rows: list[tuple[str, str, int]]) -> list[str]:
    """(name, status, minutes after T0 it was created) per asset."""
    ids = []
    for name, status, minutes in rows:
        asset_id = str(uuid.uuid4())
        created = datetime.fromtimestamp(T0 + 60 * minutes, UTC).isoformat()
        sb.add_asset(
            {
                "id": asset_id,
                "name": name,
                "type": "VIDEO",
                "status": status,
                "createdAt": created,
                "fileUrl": None,
                "thumbnailUrl": None,
            }
        )
        ids.append(asset_id)
    return ids


def _panel(panels: list[StatusPanel], ids: Any, client: an.Client, **options: Any) -> StatusPanel:
    options.setdefault("clock", FakeClock(T0))
    panel = StatusPanel(ids, client=client, **options)
    panels.append(panel)
    return panel


def _choose(panel: StatusPanel, **query: Any) -> None:
    """What panel.js does when the user picks a filter, types a search, or an order."""
    panel.set_state({"_query": {**panel._query, **query}})


ASSETS = [
    AssetView(id=str(uuid.uuid4()), name=LONG, type="VIDEO", status=status, seen=True, **extra)
    for status, extra in [
        ("PROCESSING", {}),
        (READY, {"took": Timing(10.0, 12.0), "thumbnail_url": "https://cdn.example.com/t.png"}),
        ("FAILED", {"took": Timing(None, 55.0)}),
        (NOT_FOUND, {}),
        (None, {"error": "ServerError: 503 on GET /v1/assets/x: " + "x" * 300}),
    ]
]


@pytest.mark.parametrize("asset", ASSETS, ids=lambda a: str(a.status))
def test_every_saved_card_has_the_same_fixed_shape(asset) -> None:
    card = card_html(asset)
    assert f"height:{CARD_HEIGHT}px" in card and "box-sizing:border-box;width:100%" in card
    # Four lines, each one line long (nowrap + ellipsis): the height never changes.
    lines = re.findall(
        r'<div (?:class="argil-\w+" )?style="white-space:nowrap;overflow:hidden;'
        r"text-overflow:ellipsis",
        card,
    )
    assert len(lines) == 4, card
    assert "flex:1 1 0;width:0;min-width:0" in card  # the text cannot widen the card
    assert f'title="{LONG}"' in card
    assert "argil-thumb-placeholder" in card or "<img" in card
    row = card_html(asset, row=True)
    assert "grid-template-columns:48px minmax(0,2fr) 96px 150px minmax(0,1fr)" in row
    assert "height:34px" in row and f'title="{LONG}"' in row


def test_saved_colours_come_from_the_theme_with_fallbacks() -> None:
    html = "".join(card_html(a) + card_html(a, row=True) for a in ASSETS)
    for style in re.findall(r'style="([^"]*)"', html):
        declarations = [d.split(":", 1) for d in style.split(";") if ":" in d]
        for n, (prop, value) in enumerate(declarations):
            if re.search(r"#[0-9a-f]{6}|rgba\(", value) and "var(" not in value:
                # A plain colour only as the fallback of the themed one that follows it
                # (for sanitizers that drop var()); never for text.
                assert prop != "color", style
                assert declarations[n + 1][0] == prop and "var(--jp-" in declarations[n + 1][1]


def test_the_live_view_keeps_names_as_text_and_its_sizes_fixed() -> None:
    js = (PANEL / "panel.js").read_text(encoding="utf-8")
    css = (PANEL / "panel.css").read_text(encoding="utf-8")
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js
    assert "import " not in js.replace("export default", "")  # nothing fetched at run time
    assert re.search(r"\.argil-card \{[^}]*height: 84px", css)
    assert re.search(r"\.argil-list \.argil-card \{[^}]*height: 34px", css)
    assert re.search(r"\.argil-close \{[^}]*position: absolute", css)  # never jumps
    # Every rule is scoped to the panel: anywidget puts this file in the page's <head>.
    for selector in re.findall(r"^([^\s/@*}][^{]*)\{", css, flags=re.M):
        assert all(s.strip().startswith(".argil-panel") for s in selector.split(",")), selector


def test_search_order_and_filter_from_the_browser(box, fast, panels) -> None:
    ids = _add(
        box,
        [
            ("beach-sunset.mp4", READY, 3),
            ("city-timelapse.mov", "FAILED", 1),
            ("Beach-drone.mp4", "PROCESSING", 5),
            ("team-photo.jpg", READY, 2),
            ("logo.webm", "PROCESSING", 4),
        ],
    )
    panel = _panel(panels, ids, fast, page_size=2, layout="cards")
    panel.refresh()

    def names() -> list[str]:
        return panel.shown["name"].tolist()

    _choose(panel, search="BEACH")
    assert names() == ["beach-sunset.mp4", "Beach-drone.mp4"]
    _choose(panel, search=ids[3][:8])  # an id prefix works too
    assert names() == ["team-photo.jpg"]
    _choose(panel, search="", sort="status")
    assert names()[:3] == ["city-timelapse.mov", "Beach-drone.mp4", "logo.webm"]
    _choose(panel, sort="newest first")
    assert names()[:2] == ["Beach-drone.mp4", "logo.webm"]
    _choose(panel, sort="oldest first", status=READY)
    assert names() == ["team-photo.jpg", "beach-sunset.mp4"]
    _choose(panel, status="<bogus>", sort=3)  # a query the kernel does not know: all, as given
    assert names() == [n for n in panel.frame["name"]]


def test_large_panels_start_with_the_list_view(box, fast, panels) -> None:
    ids = _add(box, [(f"clip-{n:03d}.mp4", "PROCESSING", n) for n in range(60)])
    assert _panel(panels, ids, fast)._query["layout"] == "list"
    assert _panel(panels, ids[:5], fast)._query["layout"] == "cards"


def test_export_writes_what_is_shown_never_overwrites_and_offers_a_download(
    box, fast, panels, tmp_path, wire
) -> None:
    ids = _add(box, [("a.mp4", "FAILED", 1), ("b.mp4", READY, 2), ("c.mp4", "FAILED", 3)])
    target = tmp_path / "status.csv"
    panel = _panel(panels, ids, fast, export_path=target)
    front = Front(panel, wire)
    panel.refresh()
    _choose(panel, status="FAILED")
    front.message({"k": "export", "seq": 1})
    front.message({"k": "export", "seq": 2})
    (first, _), (second, got2) = front.exports
    assert first["text"] == f"wrote 2 rows to {target}" and first["re"] == 1
    assert second["text"] == f"wrote 2 rows to {tmp_path / 'status-1.csv'}"  # never overwritten
    assert second["name"] == "status-1.csv"
    assert got2 == [(tmp_path / "status-1.csv").read_bytes()]  # the browser saves these bytes
    assert an.read_csv(target)["name"].tolist() == ["a.mp4", "c.mp4"]
    assert stat.S_IMODE(target.stat().st_mode) & 0o044  # a file for the user, not 0600
    everything = panel.export_csv(target, overwrite=True)
    assert everything == target and len(an.read_csv(target)) == 2  # what is shown
    _choose(panel, status="all")
    pd.testing.assert_frame_equal(
        an.read_csv(panel.export_csv(target, overwrite=True)), panel.frame
    )
    with pytest.raises(an.InvalidArgument, match=r"must end in \.csv"):
        panel.export_csv(tmp_path / "status.txt")
    _choose(panel, search="nothing like this")
    with pytest.raises(an.InvalidArgument, match="nothing to export: no asset is shown"):
        panel.export_csv()
    front.message({"k": "export", "seq": 3})  # the button says so too, and writes nothing
    assert front.exports[-1][0]["text"].startswith("export failed: nothing to export")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status-1.csv", "status.csv"]
