"""Ctrl-C stops every batch call promptly, sends nothing new, and loses nothing made.

Each test runs the call in a child process and sends it a real SIGINT, as Jupyter's
Kernel > Interrupt does, while its workers wait for their rate-limit slots (where a Ctrl-C
used to be ignored until every queued request was sent: 20 of 20 uploads, 9.8 s late). The
sandbox, in this process, counts what arrives after the signal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from argil_nb.sandbox import Sandbox

from .conftest import wait_until

ROOT = Path(__file__).resolve().parent.parent
STOP_WITHIN = 2.0  # seconds from the signal to the child's exit (the bound)


def start(call: str, sb: Sandbox, cache: Path, *flags: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "ARGIL_BASE_URL": sb.base_url,
        "ARGIL_API_KEY": sb.api_key,
        "XDG_CACHE_HOME": str(cache),  # the default journal, shared by a re-run
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "tests._interrupt_child", call, *flags],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None and child.stdout.readline().strip() == "started"
    return child


def interrupt(
    child: subprocess.Popen[str], sent: Callable[[], int], after: int
) -> tuple[float, int, str]:
    """SIGINT once ``after`` requests arrived; (seconds to exit, requests after it, output)."""
    assert wait_until(lambda: sent() >= after or child.poll() is not None, 60)
    assert child.poll() is None, child.communicate()
    before = sent()
    signalled = time.monotonic()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=30)
    took = time.monotonic() - signalled
    assert child.returncode == 130, (out, err)
    assert "Traceback" not in err, err
    return took, sent() - before, out


def route(sb: Sandbox, name: str) -> Callable[[], int]:
    return lambda: sb.stats.by_route.get(name, 0)


def test_create_assets_stops_and_a_rerun_uploads_only_the_rest(tmp_path):
    with Sandbox(initial_assets=0) as sb:
        child = start("create_assets", sb, tmp_path)
        took, late, out = interrupt(child, route(sb, "create"), after=5)
        assert took < STOP_WITHIN and late <= 2, (took, late)
        made = int(out.split("made ")[1].split()[0])
        uploads = [a for a in sb.assets() if a["name"].endswith(".mp4")]
        assert made == len(uploads) < 40  # what was made is what the frame holds
        assert "Run the same call again" in out and "the journal is" in out
        again = start("create_assets", sb, tmp_path, "--unpaced")
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0 and "done 40" in out, err
        names = [a["name"] for a in sb.assets()]
        assert len(names) == len(set(names)) == 40  # the rest uploaded, none twice


@pytest.mark.parametrize(
    ("call", "assets", "name", "after"),
    [
        ("get_assets", 20, "get", 10),
        ("list_assets", 6000, "list", 5),
    ],
)
def test_a_read_batch_stops_within_two_seconds(tmp_path, call, assets, name, after):
    with Sandbox(initial_assets=assets) as sb:
        took, late, _ = interrupt(start(call, sb, tmp_path), route(sb, name), after=after)
    assert took < STOP_WITHIN and late <= 2, (took, late)


def test_wait_stops_within_two_seconds(tmp_path):
    with Sandbox(initial_assets=60, processing_seconds=(1e6, 2e6)) as sb:
        child = start("wait", sb, tmp_path)
        took, late, _ = interrupt(child, lambda: sb.stats.requests, after=4)
    assert took < STOP_WITHIN and late <= 2, (took, late)
