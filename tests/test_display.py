"""show(frame) and Asset._repr_html_: thumbnails, badges, escaping, stable markup."""

import re

import pandas as pd
import pytest

import argil_nb as an
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


def test_max_rows_and_the_count_line():
    html = an.show(frame(10), max_rows=4)._repr_html_()
    assert html.count("<tr>") == 1 + 4 + 1  # header, rows, "more" line
    assert "… 6 more rows" in html and "10 assets" in html


def test_extra_columns_are_shown_and_na_is_blank():
    f = frame(2)
    f["error"] = pd.array([None, "ServerError: 503"], dtype=STRING)
    html = an.show(f)._repr_html_()
    assert "<th>error</th>" in html and "ServerError: 503" in html and "&lt;NA&gt;" not in html


def test_text_repr_is_the_frame():
    f = frame(2)
    assert repr(an.show(f)) == repr(f)


@pytest.mark.parametrize("bad", [[1, 2], None, {"id": []}])
def test_show_rejects_non_frames(bad):
    with pytest.raises(an.InvalidArgument):
        an.show(bad)
