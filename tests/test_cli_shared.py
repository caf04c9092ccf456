"""One sandbox for a chain of commands (issue 20, item 5), without a key.

``argil-nb sandbox --background`` leaves a sandbox serving and writes where it is (in the
user's state folder: here a temporary ``XDG_STATE_HOME``); later ``--sandbox`` commands use
it, so ids from ``upload`` are found by ``watch`` and ``export`` and a ``--journal`` resumes;
``argil-nb sandbox --stop`` stops it. Without one, a ``--sandbox`` command says in one line
that its sandbox is fresh, and how to share one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import argil_nb as an

from .test_cli import env_with

URLS = [f"https://media.example.com/chain/clip-{i}.mp4" for i in range(3)]


def cli(*args: str, cwd: Path, state: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "argil_nb.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=env_with(XDG_STATE_HOME=str(state)),
    )


@pytest.fixture
def state(tmp_path):
    folder = tmp_path / "state"
    yield folder
    # Whatever a test left running is stopped (the command under test, by its own means).
    cli("sandbox", "--stop", cwd=tmp_path, state=folder)


def test_commands_chained_on_one_shared_sandbox(tmp_path, state):
    started = cli(
        "sandbox", "--background", "--port", "0", "--speed", "50", cwd=tmp_path, state=state
    )
    assert started.returncode == 0, started.stderr
    assert "sandbox --stop" in started.stdout
    record = next(state.rglob("sandbox.json"))
    if os.name == "posix":
        assert record.stat().st_mode & 0o777 == 0o600  # it holds the sandbox's key
    (tmp_path / "urls.txt").write_text("\n".join(URLS) + "\n")
    up = cli("--sandbox", "upload", "urls.txt", "--journal", "j.jsonl", "--csv", "up.csv",
             cwd=tmp_path, state=state)  # fmt: skip
    assert up.returncode == 0, up.stderr
    assert "fresh" not in up.stderr
    ids = an.read_csv(tmp_path / "up.csv")["id"].tolist()
    watched = cli("--sandbox", "watch", *ids, "--interval", "0.1", cwd=tmp_path, state=state)
    assert watched.returncode == 0, watched.stderr
    assert "3/3 finished" in watched.stdout
    exported = cli(
        "--sandbox", "export", "--ids", "up.csv", "--csv", "status.csv", cwd=tmp_path, state=state
    )
    assert exported.returncode == 0, exported.stderr
    assert an.read_csv(tmp_path / "status.csv")["id"].tolist() == ids
    again = cli(
        "--sandbox", "upload", "urls.txt", "--journal", "j.jsonl", cwd=tmp_path, state=state
    )
    assert again.returncode == 0, again.stderr  # the journal resumes: same API, same port
    assert "3 rows already uploaded" in again.stdout
    listed = cli("--sandbox", "list", "--csv", "all.csv", cwd=tmp_path, state=state)
    names = an.read_csv(tmp_path / "all.csv")["name"].tolist()
    assert listed.returncode == 0 and sorted(n for n in names if n.startswith("clip-")) == [
        "clip-0.mp4", "clip-1.mp4", "clip-2.mp4"
    ]  # fmt: skip
    base_url = json.loads(record.read_text())["base_url"]
    stopped = cli("sandbox", "--stop", cwd=tmp_path, state=state)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stderr
    assert not record.exists()
    with pytest.raises(an.APIConnectionError):
        an.Client(api_key="k", base_url=base_url, max_retries=0).list_assets(progress=False)
    for result in (started, up, watched, exported, again, listed, stopped):
        assert "sk-sandbox-" not in result.stderr  # the key only where the user asked for it


def test_without_a_shared_sandbox_each_command_says_it_is_fresh(tmp_path, state):
    result = cli("--sandbox", "list", cwd=tmp_path, state=state)
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "fresh" in line and "argil-nb sandbox --background" in line
    assert "sk-sandbox-" not in result.stdout + result.stderr


def test_a_journal_is_refused_on_a_fresh_sandbox(tmp_path, state):
    # It would be bound to a port that is gone when the command ends: it could never resume.
    (tmp_path / "urls.txt").write_text(URLS[0] + "\n")
    result = cli(
        "--sandbox", "upload", "urls.txt", "--journal", "j.jsonl", cwd=tmp_path, state=state
    )
    assert result.returncode == 2
    assert "argil-nb sandbox --background" in result.stderr and not (tmp_path / "j.jsonl").exists()


def test_a_second_background_sandbox_is_refused_and_stop_without_one_says_so(tmp_path, state):
    first = cli("sandbox", "--background", "--port", "0", cwd=tmp_path, state=state)
    assert first.returncode == 0, first.stderr
    second = cli("sandbox", "--background", "--port", "0", cwd=tmp_path, state=state)
    assert second.returncode == 1 and "already runs" in second.stderr
    assert cli("sandbox", "--stop", cwd=tmp_path, state=state).returncode == 0
    none = cli("sandbox", "--stop", cwd=tmp_path, state=state)
    assert none.returncode == 0 and "no shared sandbox" in none.stdout


def test_a_stale_record_is_not_used(tmp_path, state):
    # A sandbox killed without --stop (a reboot, kill -9) leaves its record behind.
    folder = state / "argil-nb"
    folder.mkdir(parents=True)
    (folder / "sandbox.json").write_text(
        json.dumps({"base_url": "http://127.0.0.1:9/v1", "api_key": "sk-sandbox-x", "pid": 1})
    )
    result = cli("--sandbox", "list", cwd=tmp_path, state=state)
    assert result.returncode == 0, result.stderr
    assert "fresh" in result.stderr
    stopped = cli("sandbox", "--stop", cwd=tmp_path, state=state)
    assert "no shared sandbox" in stopped.stdout and not (folder / "sandbox.json").exists()
