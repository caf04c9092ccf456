"""show(frame) and Asset._repr_html_: thumbnails, badges, escaping, stable markup."""

import re

import pandas as pd
import pytest

import argil_nb as an
from argil_nb.display import asset_html
from argil_nb.frames import STRING


def frame(n=3, **overrides):
    rows = []
    for i in range(n):
        row = {
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "name": f"clip-{i}.mp4",
            "type": "VIDEO",
            "status": ["READY", "PROCESSING", "FAILED"][i % 3],
            "fileUrl": None,
            "thumbnailUrl": f"https://cdn.example.com/{i}.png" if i % 3 == 0 else None,
            "createdAt": "2026-11-01T10:00:00Z",
        }
        row.update(overrides)
        rows.append(row)
    return an.assets_frame(rows)


def test_thumbnails_badges_and_placeholders():
    html = an.show(frame())._repr_html_()
    assert '<img src="https://cdn.example.com/0.png"' in html
    assert html.count('class="argil-badge"') == 3
    assert ">processing</div>" in html and ">failed</div>" in html
    assert "2026-11-01 10:00:00 UTC" in html


def test_markup_is_stable_with_no_generated_ids():
    first = an.show(frame())._repr_html_()
    assert first == an.show(frame())._repr_html_()
    assert not re.search(r'\bid="', first)


def test_every_value_is_escaped():
    nasty = "<img src=x onerror=alert(1)>"
    f = frame(1, name=nasty, type="<b>T</b>", status='"><script>alert(2)</script>')
    f["note"] = pd.array(["<svg onload=alert(3)>"], dtype=STRING)
    html = an.show(f)._repr_html_()
    assert "<img src=x" not in html and "<script>" not in html and "<svg" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>",
        "//evil.example.com/x.png",
        " JaVaScRiPt:alert(1)",
    ],
)
def test_only_web_thumbnails_become_images(url):
    html = an.show(frame(1, thumbnailUrl=url))._repr_html_()
    assert "<img" not in html


def test_max_rows_and_the_count_line_says_how_to_see_all():
    html = an.show(frame(10), max_rows=4)._repr_html_()
    assert html.count("<tr>") == 1 + 4 + 1  # header, rows, "more" line
    assert "… 6 more rows: an.show(frame, max_rows=None) shows them all" in html
    assert "10 assets" in html
    everything = an.show(frame(60), max_rows=None)._repr_html_()
    assert everything.count("<tr>") == 1 + 60 and "more rows" not in everything
    with pytest.raises(an.InvalidArgument, match="max_rows"):
        an.show(frame(1), max_rows=-1)


def test_text_is_left_aligned_and_ids_and_times_stay_on_one_line():
    html = an.show(frame(3, name="x" * 150))._repr_html_()
    cells = re.findall(r'<t[dh][^>]*style="([^"]*)"', html)
    assert cells and all("text-align:left" in style for style in cells)
    for row in re.findall(r"<tr>(.*?)</tr>", html)[1:]:
        styles = re.findall(r'<td style="([^"]*)"', row)
        status, kind, asset_id, created = styles[2:6]
        assert all("white-space:nowrap" in s for s in (status, kind, asset_id, created))
        assert "overflow-wrap:anywhere" in styles[1]  # a long name wraps, never widens
    assert "x" * 150 in html


def test_colours_follow_the_theme_with_fallbacks():
    html = an.show(frame(3))._repr_html_()
    assert "var(--jp-ui-font-color1," in html and "var(--jp-success-color1," in html
    assert "#6b7280" not in html  # the old fixed grey, unreadable on dark


def test_loopback_thumbnails_are_embedded_and_others_are_not_fetched(sandbox, client):
    from argil_nb.display import trust_origin

    ids = client.list_assets(status="READY")["id"].head(3).tolist()
    table = client.get_assets(ids)
    table.loc[2, "thumbnail_url"] = "https://cdn.example.com/never-fetched.png"
    assert "data:image" not in an.show(table)._repr_html_()  # an origin nobody vouched for
    assert trust_origin(client.base_url)  # what connect() and the panel do for their client
    assert not trust_origin("https://api.argil.ai/v1")  # only loopback origins
    html = an.show(table)._repr_html_()
    assert html.count('<img src="data:image/png;base64,') == 2
    assert f"{sandbox.url}/files/" not in html  # the sandbox's URLs die with it
    assert '<img src="https://cdn.example.com/never-fetched.png"' in html
    asset = client.get_asset(ids[0])
    assert '<img src="data:image/png;base64,' in asset_html(asset)


def test_extra_columns_are_shown_and_na_is_blank():
    f = frame(2)
    f["error"] = pd.array([None, "ServerError: 503"], dtype=STRING)
    html = an.show(f)._repr_html_()
    assert ">error</th>" in html and "ServerError: 503" in html and "&lt;NA&gt;" not in html


def test_text_repr_is_the_frame():
    f = frame(2)
    assert repr(an.show(f)) == repr(f)


@pytest.mark.parametrize("bad", [[1, 2], None, {"id": []}])
def test_show_rejects_non_frames(bad):
    with pytest.raises(an.InvalidArgument):
        an.show(bad)


def test_an_asset_card_escapes_the_name_and_drops_unsafe_thumbnails():
    asset = an.Asset.from_api(
        {
            "id": "8f14e45f-ceea-467f-a0e6-b4d7c4e9f1a1",
            "name": "<img src=x onerror=alert(1)>",
            "type": "IMAGE",
            "status": "READY",
            "thumbnailUrl": "javascript:alert(1)",
            "createdAt": "2023-11-07T05:31:56Z",
        }
    )
    html = asset_html(asset)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "javascript:" not in html
    assert "READY" in html


def test_a_kernel_shows_an_asset_as_its_card_though_models_draws_nothing():
    from IPython.core.interactiveshell import InteractiveShell

    from argil_nb.display import register_formatter

    shell = InteractiveShell.instance()
    try:
        assert register_formatter()
        asset = an.Asset.from_api({"id": "8f14e45f-ceea-467f-a0e6-b4d7c4e9f1a1", "name": "a&b"})
        shown, _ = shell.display_formatter.format(asset)
        assert shown["text/html"] == asset_html(asset) and "a&amp;b" in shown["text/html"]
        assert not hasattr(asset, "_repr_html_")
    finally:
        InteractiveShell.clear_instance()
