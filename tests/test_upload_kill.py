"""The kill test: a batch SIGKILLed again and again, resumed each time, uploads each row once.

A sandbox runs in its own process (``argil-nb sandbox``) with a write limit and latency.
A child process (``tests/_upload_child.py``) uploads a CSV of URLs with a journal; it is
SIGKILLed at chosen moments (after a POST's answer arrived but before its id was
journaled, while the server holds a POST, between an intent and its POST, half-way through
writing a record) and at random times from here, then started again with the same items
and journal. At the end the sandbox must hold exactly one asset per row (0 duplicates, 0
missing) and the child's final frame must map every row to it.

The short run is in the default suite; ``pytest -m slow tests/test_upload_kill.py`` runs
the long one; ``python -m tests.test_upload_kill [--long]`` prints the figures kept in
docs/reliability.md.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import argil_nb as an
from argil_nb.uploads.journal import read_journal

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("answer", "flight", "intent", "torn", "timer")


@dataclass(frozen=True)
class Plan:
    """One kill test's size."""

    name: str
    rows: int = 300
    kills: int = 12
    latency: float = 0.05
    seed: int = 3


SHORT = Plan("short")
LONG = Plan("long", rows=1000, kills=40, latency=0.1, seed=4)


@dataclass
class Figures:
    plan: Plan
    kills: Counter[str] = field(default_factory=Counter)
    runs: int = 0
    assets: int = 0
    duplicates: int = 0
    missing: int = 0
    adopted: int = 0
    torn_lines: int = 0
    wall_seconds: float = 0.0

    def markdown_row(self) -> str:
        kinds = ", ".join(f"{self.kills[k]} {k}" for k in KINDS if self.kills[k])
        return (
            f"| {self.plan.name} | {self.plan.rows:,} | {sum(self.kills.values())} ({kinds}) | "
            f"{self.runs} | {self.assets:,} | {self.duplicates} | {self.missing} | "
            f"{self.adopted} | {self.torn_lines} | {self.wall_seconds:.0f} s |"
        )


class SandboxProcess:
    """``argil-nb sandbox`` in its own process; its base URL and key from its second line."""

    def __init__(self, latency: float) -> None:
        command = [
            sys.executable, "-m", "argil_nb.cli", "sandbox", "--port", "0", "--assets", "20",
            "--seed", "9", "--write-rate-limit", "100", "--write-burst", "10",
            "--latency", str(latency),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()
        exports = self.process.stdout.readline().split()
        values = dict(item.split("=", 1) for item in exports[1:])
        self.base_url, self.api_key = values["ARGIL_BASE_URL"], values["ARGIL_API_KEY"]

    def stop(self) -> None:
        self.process.terminate()  # our own child, by its handle
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _child(box: SandboxProcess, work: Path, kill: str, latency: float) -> subprocess.Popen[str]:
    env = {**os.environ, "ARGIL_BASE_URL": box.base_url, "ARGIL_API_KEY": box.api_key}
    command = [
        sys.executable, "-m", "tests._upload_child", str(work / "items.csv"),
        str(work / "uploads.jsonl"), str(work / "out.csv"), "--kill", kill,
        "--latency", str(latency),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


def run_kill_test(plan: Plan, work: Path) -> Figures:
    """Kill and resume a batch ``plan.kills`` times, then let it finish; check the account."""
    rng = random.Random(plan.seed)
    figures = Figures(plan)
    names = [f"kill-{i:04d}.mp4" for i in range(plan.rows)]
    urls = [f"https://media.example.com/kill/{i:04d}/clip.mp4" for i in range(plan.rows)]
    pd.DataFrame({"url": urls, "name": names}).to_csv(work / "items.csv", index=False)
    start = time.perf_counter()
    box = SandboxProcess(plan.latency)
    try:
        kinds = [KINDS[i % len(KINDS)] for i in range(plan.kills)]
        rng.shuffle(kinds)
        finished = False
        for kind in [*kinds, "none"]:
            at = rng.randint(1, 25)
            child = _child(box, work, f"{kind}:{at}", plan.latency)
            figures.runs += 1
            timer = None
            if kind == "timer":  # this child only, by its handle
                timer = threading.Timer(rng.uniform(0.2, 0.9), child.send_signal, [signal.SIGKILL])
                timer.start()
            _, err = child.communicate(timeout=120)
            if timer is not None:
                timer.cancel()
            if child.returncode == -signal.SIGKILL:
                figures.kills[kind] += 1
                continue
            assert child.returncode == 0, f"{kind}:{at} exited {child.returncode}: {err[-2000:]}"
            finished = True
        assert finished, "the last run, with no kill, must finish the batch"
        client = an.Client(api_key=box.api_key, base_url=box.base_url)
        account = client.list_assets(progress=False)
    finally:
        box.stop()
    figures.wall_seconds = time.perf_counter() - start
    ours = account[account["name"].isin(names)]
    counts = Counter(ours["name"])
    figures.assets = len(ours)
    figures.duplicates = sum(n - 1 for n in counts.values())
    figures.missing = sum(1 for name in names if name not in counts)
    records = read_journal(work / "uploads.jsonl")
    figures.adopted = sum(1 for r in records if r.get("how") == "adopted")
    figures.torn_lines = sum(1 for r in records if r.get("event") == "torn")
    assert figures.duplicates == 0 and figures.missing == 0, figures
    final = an.read_csv(work / "out.csv")
    assert final["name"].tolist() == names and final["url"].tolist() == urls
    by_name = dict(zip(ours["name"], ours["id"], strict=True))
    assert final["id"].tolist() == [by_name[name] for name in names]
    assert final["error"].isna().all()
    assert sum(figures.kills.values()) >= min(10, plan.kills)
    return figures


def _report(figures: Figures, record: Any) -> None:
    print(f"\nkill test {figures.plan.name}: {figures}")
    record("kills", dict(figures.kills))
    record("adopted", figures.adopted)
    record("wall_seconds", round(figures.wall_seconds, 1))


def test_kill_and_resume_uploads_each_row_exactly_once(tmp_path: Path, record_property: Any):
    figures = run_kill_test(SHORT, tmp_path)
    assert figures.kills["torn"] and figures.kills["answer"] and figures.kills["flight"]
    _report(figures, record_property)


@pytest.mark.slow
def test_kill_and_resume_long(tmp_path: Path, record_property: Any):
    _report(run_kill_test(LONG, tmp_path), record_property)


# -- the uploads section of docs/reliability.md ------------------------------------------------

KILL_BEGIN, KILL_END = "<!-- kill:begin -->", "<!-- kill:end -->"
DEFAULT_KILL = f"""{KILL_BEGIN}
(Run `python -m tests.test_upload_kill` and `python -m tests.test_upload_kill --long`, paste the
rows here.)
{KILL_END}"""


def uploads_section(existing: str | None) -> str:
    """What "exactly once" covers and what it cannot, from the code's constants; the kill
    test's figures are kept from ``existing``."""
    from argil_nb import uploads, waiting
    from argil_nb.uploads import reconcile

    kill = DEFAULT_KILL
    if existing and KILL_BEGIN in existing and KILL_END in existing:
        start = existing.index(KILL_BEGIN)
        kill = existing[start : existing.index(KILL_END, start) + len(KILL_END)]
    return f"""\
## Uploads: exactly once

`create_assets(items, journal=...)` (argil_nb/uploads/: create.py, journal.py, reconcile.py;
waiting/settle.py) uploads each row of a batch once, whatever happens to the process.

**How.** Every row is checked before any request, and two rows may not share a name (a name
is how a lost upload is recognised). Each POST waits for the client's rate limiter (the
write budget, a 429's `Retry-After`, the server's `RateLimit` headers), on `max_workers`
threads. The transport retries a POST only when the server cannot have acted on it (a 429,
a failure to connect). With a journal, the row's *intent* (its key, URL, name, type, and a
lower bound of the server's clock from the `Date` of its answers) is appended and fsynced
**before** its POST is sent, and its asset id after the answer. An upload is *lost* when
the server may have acted but its answer never came: a 5xx, a dropped connection, a read
timeout, a 2xx that is not an asset, or, on a resumed batch, an intent without an answer.
A lost upload is looked for once the server has had one more read timeout to finish it
(for a resumed batch, from the call's start, unless the intent is older than
{waiting.QUIET_AFTER:g} s): PROCESSING, READY and FAILED are listed newest first back to the
intent's time less {reconcile.SERVER_MARGIN:g} s ({reconcile.LOCAL_MARGIN:g} s when the
server sent no `Date` and our clock was used); an asset with the row's name and type
created since is adopted, else the row is sent again (at most {uploads.MAX_POSTS} POSTs per
row in one call). A row that cannot be looked for (the listing fails) is reported and never
sent again in that call; the next call with the journal looks for it again.

**Why once.** No POST is sent without its intent on disk, so a row with no intent was never
sent. A row with an id in the journal is fetched, never sent. A row with an intent and no
answer had at most the POSTs of those intents; an asset created by any of them has a
`createdAt` after the earliest, which the listing reaches, so it is found and adopted; only
when none exists is it sent again. The journal is only appended to, under an exclusive lock
(two processes cannot run one batch), a failed write is taken back (a full disk leaves whole
records and stops the batch with `JournalError`), and a line cut short by a crash is ignored
(its row is looked for) and marked.

**What it cannot cover.**

- An asset deleted between the crash and the resume (by someone else, or a cleanup job)
  is not found: the row is uploaded again. The account ends with one asset for the row,
  but it was uploaded twice. An asset deleted *after* its id was journaled is reported
  (`AssetNotFound` in `.errors`), not uploaded again.
- An asset of the same name and type created by someone else after the intent and before
  the look is taken for the row's (the oldest such is adopted), and the row is not uploaded.
- A server that acts on a POST more than one read timeout after the client gave up on it,
  an API whose listing lags behind its POSTs, or a `createdAt` more than the margin behind
  the server's own `Date`: the look may miss the asset, and the row is uploaded twice.
- Two journals for the same items (or none): each call is exactly once on its own. Without
  a journal, a batch is exactly once within one call; a crash loses what it knew.
- A journal deleted or edited by hand, or a disk that acknowledges an fsync it did not do.

**The kill test** (tests/test_upload_kill.py): a sandbox in its own process (write limit
100/s, burst 10, 50 ms latency on every request); a child process uploads the rows with a
journal and is SIGKILLed: after a POST's answer arrived but before its id was journaled
(`answer`), while the server holds a POST (`flight`), between an intent and its POST
(`intent`), half-way through writing a record (`torn`), and at random times (`timer`);
each time it is started again with the same items and journal. At the end the sandbox must
hold exactly one asset per row, and the last run's frame map every row to it.

{kill}
"""


def main() -> None:
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="the long run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        figures = run_kill_test(LONG if args.long else SHORT, Path(work))
    print(figures)
    print(figures.markdown_row())


if __name__ == "__main__":
    main()
