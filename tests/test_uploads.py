"""``create_assets`` against the sandbox on loopback: the frame, the journal, errors, pacing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import argil_nb as an
from argil_nb.frames import COLUMNS, empty_frame
from argil_nb.uploads.journal import read_journal, summary
from argil_nb.waiting import RateLimiter

from .conftest import CANARY_KEY

URLS = [f"https://media.example.com/batch/clip-{i:02d}.mp4" for i in range(12)]
NAMES = [f"clip-{i:02d}.mp4" for i in range(12)]


def names_in(sandbox: Any) -> Counter[str]:
    return Counter(a["name"] for a in sandbox.assets())


def posts(sandbox: Any) -> int:
    return sandbox.stats.by_route["create"]


def test_a_list_of_urls_gives_one_row_each_in_order(sandbox, client):
    frame = client.create_assets(URLS, progress=False)
    assert list(frame.columns) == [*COLUMNS, "url"]
    assert frame["url"].tolist() == URLS and frame["name"].tolist() == NAMES
    assert (frame["type"] == "VIDEO").all() and (frame["status"] == "PROCESSING").all()
    assert frame["id"].is_unique and posts(sandbox) == 12
    assert all(sandbox.asset(i)["name"] == n for i, n in zip(frame["id"], NAMES, strict=True))
    expected = empty_frame().dtypes.to_dict() | {"url": pd.StringDtype("python")}
    assert frame.dtypes.to_dict() == expected


def test_a_frame_gives_names_and_types_and_defaults_for_blank_cells(sandbox, client):
    items = pd.DataFrame(
        {
            "url": ["https://x.example.com/a.png", "https://x.example.com/b", "https://x.example.com/c.mp4"],
            "name": ["first", float("nan"), "  "],
            "type": [None, "image", ""],
            "notes": ["ignored", "too", "yes"],
        }
    )  # fmt: skip
    frame = client.create_assets(items, progress=False)
    assert frame["name"].tolist() == ["first", "b", "c.mp4"]
    assert frame["type"].tolist() == ["IMAGE", "IMAGE", "VIDEO"]
    assert frame["url"].tolist() == items["url"].tolist()


def test_the_result_goes_to_wait_and_get_assets_as_it_is(sandbox, client, clock):
    frame = client.create_assets(URLS[:3], progress=False)
    clock.advance(3600)
    done = client.wait(frame, timeout=30, progress=False)
    assert done["id"].tolist() == frame["id"].tolist()
    assert done["status"].isin(["READY", "FAILED"]).all()
    assert client.get_assets(frame, progress=False)["id"].tolist() == frame["id"].tolist()


def test_an_empty_batch_sends_nothing_and_writes_no_journal(sandbox, client, tmp_path):
    sandbox.reset_stats()
    journal = tmp_path / "j.jsonl"
    frame = client.create_assets([], journal=journal)
    assert frame.empty and list(frame.columns) == [*COLUMNS, "url"]
    coerced = client.create_assets(pd.DataFrame({"url": []}), errors="coerce")
    assert list(coerced.columns) == [*COLUMNS, "url", "error"]
    assert sandbox.stats.requests == 0 and not journal.exists()


def test_a_rerun_with_the_journal_uploads_nothing_and_fetches_the_rows(sandbox, client, tmp_path):
    journal = tmp_path / "uploads.jsonl"
    first = client.create_assets(URLS, journal=journal, progress=False)
    written = journal.read_bytes()
    counts = summary(read_journal(journal))
    assert counts == {"header": 1, "batch": 1, "intent": 12, "done": 12}
    sandbox.reset_stats()
    again = client.create_assets(URLS, journal=journal, progress=False)
    assert posts(sandbox) == 0
    assert again["id"].tolist() == first["id"].tolist()
    assert again["url"].tolist() == URLS
    assert journal.read_bytes() == written  # nothing new to record
    assert all(names_in(sandbox)[n] == 1 for n in NAMES)


def test_rows_added_to_a_journaled_batch_are_uploaded_alone(sandbox, client, tmp_path):
    journal = tmp_path / "uploads.jsonl"
    client.create_assets(URLS[:8], journal=journal, progress=False)
    sandbox.reset_stats()
    frame = client.create_assets(URLS, journal=journal, progress=False)
    assert posts(sandbox) == 4 and frame["url"].tolist() == URLS
    assert all(names_in(sandbox)[n] == 1 for n in NAMES)


def test_raise_keeps_the_rows_that_made_it_and_the_failed_rows_finish_the_job(sandbox, tmp_path):
    client = sandbox.client(max_workers=1, backoff_factor=0)
    journal = tmp_path / "uploads.jsonl"
    sandbox.respond_next(400, {"code": 400, "message": "url unreachable"}, method="POST")
    with pytest.raises(an.BatchError) as info:
        client.create_assets(URLS[:6], journal=journal, progress=False)
    failed, made = info.value.errors, info.value.frame
    assert list(failed) == [0] and isinstance(failed[0], an.APIError)
    assert failed[0].status_code == 400 and "url unreachable" in str(failed[0])
    assert made["url"].tolist() == URLS[1:6] and list(made.columns) == [*COLUMNS, "url"]
    assert "1 of 6 assets failed" in str(info.value)
    rest = client.create_assets([URLS[i] for i in failed], journal=journal, progress=False)
    assert rest["name"].tolist() == [NAMES[0]]
    assert all(names_in(sandbox)[n] == 1 for n in NAMES[:6])
    assert summary(read_journal(journal))["refused"] == 1


def test_coerce_returns_every_row_the_failed_ones_with_an_error(sandbox):
    client = sandbox.client(max_workers=1, backoff_factor=0)
    sandbox.respond_next(400, {"code": 400, "message": "no such file"}, method="POST")
    frame = client.create_assets(URLS[:3], errors="coerce", progress=False)
    assert frame["url"].tolist() == URLS[:3] and frame["name"].tolist() == NAMES[:3]
    assert pd.isna(frame["id"][0]) and frame["error"][0].startswith("APIError: 400")
    assert frame["error"][1:].isna().all() and frame["id"][1:].notna().all()
    assert frame["type"].tolist() == ["VIDEO"] * 3


def test_a_progress_bar_counts_the_uploads(client, capsys):
    client.create_assets(URLS[:4], progress=True)
    assert "argil uploading" in capsys.readouterr().err


class CountingLimiter(RateLimiter):
    def __init__(self) -> None:
        super().__init__(None, 60.0, write_burst=50)
        self.asked: Counter[str] = Counter()

    def acquire(self, method: str, at_least: float = 0.0) -> float:
        self.asked[method] += 1
        return super().acquire(method, at_least)


def test_every_post_waits_for_the_clients_write_budget(sandbox):
    limiter = CountingLimiter()
    client = sandbox.client(rate_limiter=limiter)
    client.create_assets(URLS, progress=False)
    assert limiter.asked["POST"] == len(URLS)


def test_module_helper_uses_the_default_client(sandbox, client, monkeypatch):
    monkeypatch.setattr("argil_nb._default._default", None)  # restored after the test
    an.use(client)
    frame = an.create_assets(URLS[:2], progress=False)
    assert frame["name"].tolist() == NAMES[:2] and posts(sandbox) == 2


def test_the_key_never_reaches_the_journal_or_the_errors(sandbox, client, tmp_path: Path):
    journal = tmp_path / "uploads.jsonl"
    sandbox.respond_next(403, {"code": 403, "message": "forbidden"}, method="POST")
    with pytest.raises(an.AuthenticationError) as info:  # a refused key stops the batch
        client.create_assets(URLS[:3], journal=journal, errors="coerce", progress=False)
    text = journal.read_text() + str(info.value)
    assert "forbidden" in text and CANARY_KEY not in text and CANARY_KEY[-8:] not in text


# -- the default journal ----------------------------------------------------------------------


def test_the_same_call_run_again_uploads_nothing_with_no_journal_argument(sandbox, client):
    first = client.create_assets(URLS, progress=False)
    again = client.create_assets(URLS, progress=False)  # a re-run cell, a resumed notebook
    assert again["id"].tolist() == first["id"].tolist()
    assert posts(sandbox) == 12 and max(names_in(sandbox).values()) == 1
    client.create_assets(URLS, journal=False, progress=False)  # asked for: no journal
    assert posts(sandbox) == 24


def test_the_default_journal_lives_in_the_cache_folder_and_old_ones_go(
    sandbox, client, tmp_path, monkeypatch
):
    import os
    import time

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "argil_nb" / "uploads"
    client.create_assets(URLS[:2], progress=False)
    (made,) = folder.glob("*.jsonl")
    assert summary(read_journal(made))["done"] == 2
    month = time.time() - 31 * 86400
    os.utime(made, (month, month))
    client.create_assets(URLS[2:4], progress=False)
    assert len(list(folder.glob("*.jsonl"))) == 1 and not made.exists()


def test_a_journal_keeps_no_query_string(sandbox, client, tmp_path):
    signed = "https://bucket.example.com/b/clip.mp4?X-Amz-Signature=s3cr3t&X-Amz-Credential=AK"
    path = tmp_path / "j.jsonl"
    done = client.create_assets([signed], journal=path, progress=False)
    assert done["url"].tolist() == [signed]  # the frame has the user's URL, whole
    text = path.read_text()
    assert "s3cr3t" not in text and "X-Amz" not in text
    (intent,) = [r for r in read_journal(path) if r.get("event") == "intent"]
    assert intent["url"] == "https://bucket.example.com/b/clip.mp4?…"
    again = client.create_assets([signed], journal=path, progress=False)
    assert again["id"].tolist() == done["id"].tolist() and posts(sandbox) == 1


def test_wait_and_watch_of_a_coerced_upload_skip_the_failed_rows_and_say_so(
    sandbox, client, panels
):
    refused = {"code": 400, "message": "bad url"}
    sandbox.respond_next(400, refused, path_prefix="/assets", method="POST")
    frame = client.create_assets(URLS[:3], errors="coerce", journal=False, progress=False)
    assert frame["id"].isna().sum() == 1
    with pytest.warns(an.ArgilWarning, match="1 of 3 rows have no id and were skipped") as seen:
        with pytest.raises(an.WaitTimeout) as info:
            client.wait(frame, timeout=0, progress=False)
        panels.append(an.watch(frame, client=client, interval=60))
    ours = [w for w in seen if issubclass(w.category, an.ArgilWarning)]
    assert {w.filename for w in ours} == {__file__}  # the caller's lines, not argil_nb's
    assert len(info.value.frame) == 2 and len(panels[0].frame) == 2
