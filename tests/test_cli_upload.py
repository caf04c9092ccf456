"""``argil-nb upload``: a CSV of URLs, a journal, the exit code, the failed rows listed.

The first test runs the command in a subprocess; the others call ``cli.main`` in this
process (the same code, without a second of interpreter start-up each).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import argil_nb as an
from argil_nb.cli import main
from argil_nb.sandbox import Sandbox

from .conftest import CANARY_KEY
from .test_cli import env_with

URLS = [f"https://media.example.com/cli/shot-{i}.png" for i in range(5)]


@pytest.fixture
def box():
    with Sandbox(seed=4, initial_assets=10, api_key=CANARY_KEY, speed=1000.0) as sandbox:
        yield sandbox


def upload(box: Sandbox, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = env_with(ARGIL_API_KEY=box.api_key, ARGIL_BASE_URL=box.base_url)
    return subprocess.run(
        [sys.executable, "-m", "argil_nb.cli", "upload", *args],
        capture_output=True, text=True, env=env, timeout=60, cwd=cwd,
    )  # fmt: skip


def test_upload_a_csv_with_a_journal_then_again_uploads_nothing(box, tmp_path):
    pd.DataFrame({"url": URLS, "name": ["", "second", "", "", ""]}).to_csv(
        tmp_path / "items.csv", index=False
    )
    first = upload(box, "items.csv", "--journal", "j.jsonl", "--csv", "out.csv", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "5 of 5 rows uploaded; journal: j.jsonl" in first.stdout
    out = an.read_csv(tmp_path / "out.csv")
    assert out["name"].tolist() == [
        "shot-0.png",
        "second",
        "shot-2.png",
        "shot-3.png",
        "shot-4.png",
    ]
    assert out["url"].tolist() == URLS and out["error"].isna().all()
    box.reset_stats()
    again = upload(box, "items.csv", "--journal", "j.jsonl", cwd=tmp_path)
    assert again.returncode == 0 and box.stats.by_route["create"] == 0
    assert CANARY_KEY not in first.stdout + first.stderr + (tmp_path / "j.jsonl").read_text()


@pytest.fixture
def here(box, tmp_path, monkeypatch):
    """Run ``main`` in ``tmp_path`` against ``box``."""
    monkeypatch.setenv("ARGIL_API_KEY", box.api_key)
    monkeypatch.setenv("ARGIL_BASE_URL", box.base_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_failed_rows_are_listed_and_the_exit_code_is_not_zero(box, here, capsys):
    tmp_path = here
    (tmp_path / "urls.txt").write_text("\n".join(URLS[:3]) + "\n")
    box.respond_next(400, {"code": 400, "message": "unreachable"}, method="POST", times=3)
    result = upload(box, "urls.txt", "--journal", "j.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert "0 of 3 rows uploaded" in result.stdout
    assert (
        "3 rows failed:" in result.stderr
        and "line 3: https://media.example.com/cli/shot-2.png" in result.stderr
    )
    assert "run the same command again --journal j.jsonl" in result.stderr
    retry = upload(box, "urls.txt", "--journal", "j.jsonl", cwd=tmp_path)
    assert retry.returncode == 0, retry.stderr
    counts = Counter(a["name"] for a in box.assets())
    assert all(counts[f"shot-{i}.png"] == 1 for i in range(3))


def test_watch_then_write_the_final_statuses(box, here):
    (here / "urls.txt").write_text("\n".join(URLS[:2]) + "\n")
    assert main(["upload", "urls.txt", "--watch", "--interval", "0.1", "--csv", "o.csv"]) == 0
    assert an.read_csv(here / "o.csv")["status"].isin(["READY", "FAILED"]).all()


def test_bad_items_are_refused_before_any_request(box, here, capsys):
    tmp_path = here
    pd.DataFrame({"link": URLS}).to_csv(tmp_path / "items.csv", index=False)
    box.reset_stats()
    assert main(["upload", "items.csv"]) == 2
    assert "has no 'url' column" in capsys.readouterr().err
    pd.DataFrame({"url": ["https://x.example.com/a.png"] * 2}).to_csv(
        tmp_path / "d.csv", index=False
    )
    assert main(["upload", "d.csv"]) == 2
    err = capsys.readouterr().err
    assert "lines 2 and 3 are both named 'a.png'" in err and "add a name column" in err
    assert "DataFrame" not in err and "items[" not in err  # no pandas recipe in a terminal
    assert box.stats.requests == 0


def test_a_csv_argil_nb_wrote_is_read_back_unescaped(box, here):
    # issue 20 item 8: names to_csv had escaped were uploaded with the apostrophe.
    odd = ["=SUM(A1).png", "-draft.png", "'quoted.png", "@home.png"]
    frame = pd.DataFrame({"url": [f"https://x.example.com/{i}.png" for i in range(4)], "name": odd})
    an.to_csv(frame, here / "retry.csv")
    assert "'=SUM(A1).png" in (here / "retry.csv").read_text()
    assert main(["upload", "retry.csv", "--csv", "out.csv"]) == 0
    assert an.read_csv(here / "out.csv")["name"].tolist() == odd
    assert sorted(a["name"] for a in box.assets() if a["name"] in odd) == sorted(odd)


@pytest.mark.parametrize("journal", ["j.jsonl", None], ids=["--journal", "the default journal"])
def test_a_resumed_upload_says_what_it_waits_for(box, here, capsys, monkeypatch, journal):
    # issue 20 item 8: a batch that died after sending left intents without answers; the
    # rerun waited 30 s (the read timeout) before looking for them, saying nothing.
    from argil_nb.uploads import create_assets

    (here / "urls.txt").write_text("\n".join(URLS[:2]) + "\n")
    client = box.client()
    box.respond_next(500, {"code": 500, "message": "boom"}, method="POST", times=2)

    class Died(Exception):
        pass

    def die(seconds):
        raise Died  # the batch dies while it waits to look for its lost uploads

    from argil_nb.uploads import create as create_module
    from argil_nb.waiting import Settle

    with pytest.raises(Died):
        create_assets(
            client, URLS[:2], journal=journal and here / journal, progress=False,
            settle=Settle(30, sleep=die),
        )  # fmt: skip
    slept: list[float] = []
    monkeypatch.setattr(create_module, "Settle", lambda s: Settle(s, sleep=slept.append))
    assert main(["upload", "urls.txt", *(["--journal", journal] if journal else [])]) == 0
    out = capsys.readouterr().out
    assert "2 uploads of the last run were sent without an answer" in out, out
    assert "waiting 30 s" in out and slept == [pytest.approx(30, abs=1)]
    uploaded = sorted(a["name"] for a in box.assets() if a["name"].startswith("shot-"))
    assert uploaded == ["shot-0.png", "shot-1.png"]  # each once
