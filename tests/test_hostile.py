"""Hostile data: HTML/JS payloads, formula payloads, unsafe URLs, huge values.

Assertions are on the HTML strings (parsed with the standard library's HTML parser, the way
a browser tokenises them) and on the CSV bytes, never on time.
"""

from __future__ import annotations

import csv
import html
import uuid
from html.parser import HTMLParser

import pandas as pd
import pytest

import argil_nb as an
from argil_nb._checks import is_web_url
from argil_nb.display import MAX_TEXT, asset_html
from argil_nb.frames import STRING

ALLOWED_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "b", "i", "code", "span", "div", "img"}

HTML_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "'><iframe src=javascript:alert(1)>",
    "</b></td></tr></table><script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    "<style>*{display:none}</style>",
    "&lt;script&gt; (already escaped)",
    "\x00<script>alert(1)</script>",
    "javascript:alert(1)",
    "{{7*7}} ${7*7}",
]

UNSAFE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x00javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    "//evil.example/x.png",
    "/files/x.png",
    "file:///etc/passwd",
    "http:evil.example",
    "https:/evil.example/x.png",
    "&#106;avascript:alert(1)",
    "ftp://evil.example/x.png",
]

FORMULAS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example","click")',
    "+1+1",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=already quoted",
]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser would tokenise."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(markup: str) -> Tags:
    """No script, no event handler, no unsafe URL in any attribute; only expected tags."""
    lowered = markup.lower()
    assert "<script" not in lowered and "<img src=x" not in lowered
    assert "<svg" not in lowered and "<iframe" not in lowered and "<style" not in lowered
    parsed = Tags(markup)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in ("href", "srcset", "formaction", "action")
            if name == "src":
                assert tag == "img" and is_web_url(value), value
            squashed = "".join((value or "").split()).lower()
            assert not squashed.startswith(("javascript:", "vbscript:", "data:")), (name, value)
    return parsed


def hostile_frame(count: int = len(HTML_PAYLOADS)) -> pd.DataFrame:
    rows = []
    for i in range(count):
        payload = HTML_PAYLOADS[i % len(HTML_PAYLOADS)]
        rows.append(
            {
                "id": payload if i % 3 == 0 else str(uuid.UUID(int=i + 1, version=4)),
                "name": payload,
                "type": payload if i % 2 else "IMAGE",
                "status": payload if i % 4 == 1 else "READY",
                "thumbnailUrl": UNSAFE_URLS[i % len(UNSAFE_URLS)],
                "fileUrl": UNSAFE_URLS[-1 - i % len(UNSAFE_URLS)],
                "createdAt": "2026-11-01T10:00:00Z",
            }
        )
    frame = an.assets_frame(rows)
    frame["error"] = pd.array(HTML_PAYLOADS[:count], dtype=STRING)
    frame[HTML_PAYLOADS[0]] = pd.array(["<b>bold</b>"] * count, dtype=STRING)  # a hostile name
    return frame


# -- HTML ---------------------------------------------------------------------------------


def test_show_renders_every_payload_as_inert_text():
    frame = hostile_frame()
    markup = an.show(frame)._repr_html_()
    parsed = assert_inert(markup)
    text = "".join(parsed.text)
    for payload in HTML_PAYLOADS:
        assert payload.replace("\x00", "\ufffd") in text or payload in text  # shown, verbatim
    assert not any(tag == "img" for tag, _ in parsed.tags)  # no URL above is a web URL


@pytest.mark.parametrize("payload", HTML_PAYLOADS)
def test_asset_repr_html_is_inert(payload):
    asset = an.Asset.from_api(
        {"id": payload, "name": payload, "type": payload, "status": payload,
         "thumbnailUrl": "javascript:alert(1)", "createdAt": "2026-11-01T10:00:00Z"}
    )  # fmt: skip
    markup = asset_html(asset)
    assert_inert(markup)
    assert html.escape(payload[:MAX_TEXT], quote=True) in markup


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_unsafe_thumbnail_urls_never_become_an_image_or_link(url):
    asset = an.Asset.from_api(
        {
            "id": str(uuid.uuid4()),
            "name": "x",
            "status": "READY",
            "thumbnailUrl": url,
            "fileUrl": url,
        }
    )
    for markup in (asset_html(asset), an.show(an.assets_frame([asset]))._repr_html_()):
        parsed = assert_inert(markup)
        assert not [t for t, _ in parsed.tags if t == "img"]
        assert "argil-thumb-placeholder" in markup


def test_a_web_thumbnail_with_quotes_stays_one_attribute():
    url = 'https://cdn.example.com/a.png" onerror="alert(1)'
    markup = an.show(an.assets_frame([{"id": "a", "thumbnailUrl": url}]))._repr_html_()
    (img,) = [attrs for tag, attrs in assert_inert(markup).tags if tag == "img"]
    assert img["src"] == url and "onerror" not in img


def test_hostile_assets_through_the_api_render_inert(sandbox, client):
    """The same payloads served by the sandbox, fetched by the client, shown."""
    ids = []
    for i, payload in enumerate(HTML_PAYLOADS):
        asset_id = str(uuid.uuid4())
        ids.append(asset_id)
        sandbox.add_asset({"id": asset_id, "name": payload, "type": payload,
                           "status": payload if i % 2 else "READY",
                           "thumbnailUrl": UNSAFE_URLS[i], "fileUrl": UNSAFE_URLS[-i],
                           "createdAt": "2026-11-01T10:00:00Z"})  # fmt: skip
    frame = client.get_assets(ids, progress=False)
    assert frame["name"].tolist() == HTML_PAYLOADS  # kept as it came
    assert_inert(an.show(frame)._repr_html_())
    for asset_id in ids:
        assert_inert(asset_html(client.get_asset(asset_id)))


# -- size ---------------------------------------------------------------------------------


def test_a_1_mb_name_is_cut_in_html():
    huge = "<script>" + "n" * 1_000_000
    asset = an.Asset.from_api({"id": "a", "name": huge, "type": huge, "status": huge})
    assert len(asset_html(asset)) < 3 * MAX_TEXT * 6
    markup = an.show(an.assets_frame([asset]))._repr_html_()
    assert len(markup) < 3 * MAX_TEXT * 6 + 2000
    assert_inert(markup)
    assert "…" in markup and asset.name == huge  # the data keeps every character


def test_5000_assets_with_1_mb_names_render_at_most_max_rows():
    huge = "<img src=x onerror=alert(1)>" + "n" * 1_000_000  # one string, shared by every row
    rows = [{"id": str(uuid.UUID(int=i + 1, version=4)), "name": huge, "status": "READY"}
            for i in range(5000)]  # fmt: skip
    frame = an.assets_frame(rows)
    frame["note"] = huge
    markup = an.show(frame)._repr_html_()
    assert markup.count("<tr>") == 1 + 50 + 1  # head, 50 rows, "more rows"
    assert "… 4950 more rows" in markup and "5000 assets" in markup
    assert len(markup) < 50 * 2 * (MAX_TEXT * 6 + 1000)
    assert_inert(markup)
    assert an.show(frame, max_rows=0)._repr_html_().count("<tr>") == 2


# -- CSV ----------------------------------------------------------------------------------


def test_formula_payloads_in_every_text_column_are_neutralised_and_round_trip(tmp_path):
    rows = [
        {"id": f, "name": f, "type": f, "status": f, "fileUrl": f, "thumbnailUrl": f,
         "createdAt": "2026-11-01T10:00:00.123456789Z"}
        for f in FORMULAS
    ]  # fmt: skip
    frame = an.assets_frame(rows)
    frame["error"] = pd.array(FORMULAS, dtype=STRING)
    path = an.to_csv(frame, tmp_path / "formulas.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        cells = [cell for row in list(csv.reader(handle))[1:] for cell in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == []
    assert sum(c.startswith("'") for c in cells) == len(FORMULAS) * 7
    pd.testing.assert_frame_equal(an.read_csv(path), frame)


def test_html_payloads_round_trip_through_csv(tmp_path):
    frame = hostile_frame()
    path = an.to_csv(frame, tmp_path / "hostile.csv")
    pd.testing.assert_frame_equal(an.read_csv(path), frame)


def test_lone_surrogates_from_json_round_trip(tmp_path):
    """JSON may carry "\\ud800"; to_csv writes it (surrogatepass) and read_csv gets it back."""
    import json

    data = json.loads('{"id": "a", "name": "=x\\ud800y", "status": "\\udfff"}')
    frame = an.assets_frame([data])
    path = an.to_csv(frame, tmp_path / "s.csv")
    pd.testing.assert_frame_equal(an.read_csv(path), frame)
