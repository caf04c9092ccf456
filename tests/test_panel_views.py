"""What the panel shows and its controls, headless: fixed-size cards, the list view, search,
order, export, close. The browser test checks the same in a real page (bounding boxes)."""

from __future__ import annotations

import base64
import os
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
from argil_nb.panel._cards import CARD_HEIGHT, card_html, row_html
from argil_nb.panel._header import STALE_HTML
from argil_nb.panel._view import NOT_FOUND, AssetView, Timing
from argil_nb.sandbox import Sandbox

from .conftest import FakeClock

T0 = 1_800_000_000.0
LONG = "a-very-long-name-without-any-space-" * 4 + "end.mp4"  # 144 characters


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


def _shown(panel: StatusPanel) -> list[str]:
    names = []
    for card in panel.cards:
        if card.layout.display != "none":
            names.append(re.search(r'class="argil-name"[^>]*>(.*?)</div>', card.value).group(1))
    return names


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
def test_every_card_has_the_same_fixed_shape_whatever_the_name_and_status(asset) -> None:
    card = card_html(asset)
    assert f"height:{CARD_HEIGHT}px" in card and "box-sizing:border-box;width:100%" in card
    # Four lines, each one line long (nowrap + ellipsis): the height never changes.
    lines = re.findall(
        r'<div (?:class="argil-\w+" )?style="white-space:nowrap;overflow:hidden;'
        r"text-overflow:ellipsis",
        card,
    )
    assert len(lines) == 4, card
    # The text column cannot widen the card (flex basis 0, width 0).
    assert "flex:1 1 0;width:0;min-width:0" in card
    # The full name on hover, the creation time never wrapped.
    assert f'title="{LONG}"' in card
    assert "argil-thumb-placeholder" in card or "<img" in card
    assert "flex:0 0 auto" in card  # the thumbnail box never shrinks


def test_list_rows_are_one_line_with_fixed_columns() -> None:
    for asset in ASSETS:
        row = row_html(asset)
        assert "grid-template-columns:48px minmax(0,2fr) 96px 150px minmax(0,1fr)" in row
        assert "height:34px" in row and f'title="{LONG}"' in row


def test_colours_come_from_the_theme_with_fallbacks() -> None:
    html = "".join(card_html(a) + row_html(a) for a in ASSETS) + STALE_HTML
    for style in re.findall(r'style="([^"]*)"', html):
        declarations = [d.split(":", 1) for d in style.split(";") if ":" in d]
        for n, (prop, value) in enumerate(declarations):
            if re.search(r"#[0-9a-f]{6}|rgba\(", value) and "var(" not in value:
                # A plain colour only as the fallback of the themed one that follows it
                # (for sanitizers that drop var()); never for text, which would then stay
                # dark on a dark theme.
                assert prop != "color", style
                assert declarations[n + 1][0] == prop and "var(--jp-" in declarations[n + 1][1]
    assert "var(--jp-error-color1," in html and "var(--jp-ui-font-color1," in html


def test_a_processing_time_says_how_precise_it_is() -> None:
    ready, failed = card_html(ASSETS[1]), card_html(ASSETS[2])
    assert "processed in ~12 s" in ready
    assert 'title="finished between 10 s and 12 s after upload"' in ready
    assert "failed after ≤ 55 s" in failed


def test_search_order_filter_and_pages(box, fast, panels) -> None:
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
    assert panel.page_label.value == "page 1 of 3"
    panel.search_box.value = "BEACH"
    assert _shown(panel) == ["beach-sunset.mp4", "Beach-drone.mp4"]
    assert panel.export_label.value == "exports the 2 rows shown (search 'BEACH')"
    panel.search_box.value = ids[3][:8]  # an id prefix works too
    assert _shown(panel) == ["team-photo.jpg"]
    panel.search_box.value = ""
    panel.sort_dropdown.value = "status"
    assert _shown(panel) == ["city-timelapse.mov", "Beach-drone.mp4"]
    panel.sort_dropdown.value = "newest first"
    assert _shown(panel) == ["Beach-drone.mp4", "logo.webm"]
    panel.next_button.click()
    assert _shown(panel) == ["beach-sunset.mp4", "team-photo.jpg"]
    panel.sort_dropdown.value = "oldest first"  # a new order goes back to page 1
    assert panel.page_label.value == "page 1 of 3"
    assert _shown(panel) == ["city-timelapse.mov", "team-photo.jpg"]
    panel.filter_dropdown.value = READY
    assert _shown(panel) == ["team-photo.jpg", "beach-sunset.mp4"]
    assert panel.export_label.value == "exports the 2 rows shown (READY)"
    assert panel.shown["name"].tolist() == ["team-photo.jpg", "beach-sunset.mp4"]


def test_the_list_view_is_one_line_per_asset_and_large_panels_start_with_it(
    box, fast, panels
) -> None:
    ids = _add(box, [(f"clip-{n:03d}.mp4", "PROCESSING", n) for n in range(60)])
    panel = _panel(panels, ids, fast)
    panel.refresh()
    assert panel.layout_toggle.value == "list"  # 60 assets: the compact list
    assert "argil-row" in panel.cards[0].value
    assert panel._ui.grid.layout.grid_template_columns == "minmax(0, 1fr)"
    panel.layout_toggle.value = "cards"
    assert "argil-row" not in panel.cards[0].value and 'class="argil-card"' in panel.cards[0].value
    small = _panel(panels, ids[:5], fast)
    assert small.layout_toggle.value == "cards"


def test_export_writes_what_is_shown_never_overwrites_and_offers_a_download(
    box, fast, panels, tmp_path
) -> None:
    ids = _add(box, [("a.mp4", "FAILED", 1), ("b.mp4", READY, 2), ("c.mp4", "FAILED", 3)])
    target = tmp_path / "status.csv"
    panel = _panel(panels, ids, fast, export_path=target)
    panel.refresh()
    panel.filter_dropdown.value = "FAILED"
    assert panel.export_label.value == "exports the 2 rows shown (FAILED)"
    old = os.umask(0o022)
    try:
        panel.export_button.click()
        first = Path(panel.export_label.value.removeprefix("wrote 2 rows to "))
        panel.export_button.click()
        second = Path(panel.export_label.value.removeprefix("wrote 2 rows to "))
    finally:
        os.umask(old)
    assert first == target and second == tmp_path / "status-1.csv"  # never overwritten
    assert first.is_absolute() and second.is_absolute()
    assert stat.S_IMODE(first.stat().st_mode) == 0o644  # not the temporary file's 0600
    assert an.read_csv(first)["name"].tolist() == ["a.mp4", "c.mp4"]
    link = re.search(
        r'download="([^"]+)" href="data:text/csv;charset=utf-8;base64,([^"]+)"',
        panel.download_link.value,
    )
    assert link.group(1) == "status-1.csv"
    assert base64.b64decode(link.group(2)) == second.read_bytes()
    everything = panel.export_csv(target, overwrite=True)
    assert everything == target and len(an.read_csv(target)) == 2  # what is shown
    panel.filter_dropdown.value = "all"
    pd.testing.assert_frame_equal(
        an.read_csv(panel.export_csv(target, overwrite=True)), panel.frame
    )
    with pytest.raises(an.InvalidArgument, match=r"must end in \.csv"):
        panel.export_csv(tmp_path / "status.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status-1.csv", "status.csv"]


def test_the_close_button_stops_polling_and_closes_the_widgets(box, fast, panels) -> None:
    panel = _panel(panels, _add(box, [("a.mp4", "PROCESSING", 1)]), fast, interval=60)
    panel.start()
    parts = [panel.search_box, panel.layout_toggle, panel.download_link, *panel.cards]
    panel.close_button.click()
    assert not panel.running and panel.comm is None
    assert all(w.comm is None for w in parts)


def test_the_live_words_hide_once_the_kernel_is_gone() -> None:
    # ipywidgets adds "jupyter-widgets-disconnected" to every view when the kernel restarts.
    assert ".jupyter-widgets-disconnected.argil-live{display:none!important}" in STALE_HTML
    assert ".jupyter-widgets-disconnected .argil-stale{display:inline}" in STALE_HTML


def test_the_state_and_timing_are_marked_live(box, fast, panels) -> None:
    panel = _panel(panels, _add(box, [("a.mp4", "PROCESSING", 1)]), fast)
    assert "argil-live" in panel.state_label._dom_classes
    assert "argil-live" in panel.timing_label._dom_classes
