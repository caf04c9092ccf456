"""The README's "Command line" session works as written: run in a fresh folder, with no key.

Its first ``bash`` block is run line by line by bash (``set -e``: the first command that
fails fails the test), ``argil-nb`` being this checkout's command, the user's state folder a
temporary one (so the shared sandbox is this test's own).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

import argil_nb as an

ROOT = Path(__file__).resolve().parents[1]


def session() -> str:
    """The first bash block of the README's "## Command line" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the Command line section has no bash block"
    return match.group(1)


def test_the_readme_session_runs_end_to_end(tmp_path):
    script = session()
    assert "--sandbox" in script and "sandbox --stop" in script.splitlines()[-1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGIL_")}
    env |= {
        "PYTHONPATH": str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "ARGIL_NB_PYTHON": sys.executable,
    }
    prelude = (
        'argil-nb() { "$ARGIL_NB_PYTHON" -m argil_nb.cli "$@"; }\n'
        "trap 'argil-nb sandbox --stop >/dev/null 2>&1' EXIT\n"  # even when a line fails
        "set -e\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output and "fresh" not in result.stderr
    uploads = an.read_csv(work / "uploads.csv")
    assert uploads["name"].tolist() == ["beach", "team"]
    assert uploads["status"].isin(["READY", "FAILED"]).all()
    assert "2 rows already uploaded are not uploaded again" in result.stdout
    status = an.read_csv(work / "status.csv")
    assert status["id"].tolist() == uploads["id"].tolist()
    ready = pd.read_csv(work / "ready.csv")
    assert all(asset_id in result.stdout for asset_id in ready["id"][:2])
    assert "stopped the shared sandbox" in result.stdout
