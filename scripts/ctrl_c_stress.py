"""Press Ctrl-C on ``argil-nb watch`` many times; count the runs that did not stop.

    python scripts/ctrl_c_stress.py --runs 150

Each run starts ``argil-nb watch`` on an asset that never finishes (a sandbox in this
process), waits for its first line, sends SIGINT at once or up to 0.3 s later, and gives it
15 s to print "stopped" and exit 0. A run that hangs is killed with SIGABRT, which makes
Python print every thread's stack (``-X faulthandler``). The hangs came with the machine
busy: run two or three of these at once, or beside a CPU-bound loop. Not a test: it takes
minutes and a failure is rare (5 hangs in 855 runs before ``waiting.Interrupts``).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time

from argil_nb.sandbox import Sandbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=150)
    runs = parser.parse_args().runs
    hangs = 0
    with Sandbox() as box:
        box.configure(processing_seconds=(1000.0, 1000.0))
        asset_id = box.client().create_asset("https://x.example.com/slow.png").id
        env = dict(os.environ, ARGIL_API_KEY=box.api_key, ARGIL_BASE_URL=box.base_url)
        command = [sys.executable, "-X", "faulthandler", "-m", "argil_nb.cli", "watch"]
        for _ in range(runs):
            proc = subprocess.Popen(  # noqa: S603 - fixed argv
                [*command, asset_id, "--interval", "0.2"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            assert proc.stdout is not None
            proc.stdout.readline()
            time.sleep(random.choice([0.0, 0.0, random.uniform(0, 0.3)]))
            proc.send_signal(signal.SIGINT)
            try:
                out, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                hangs += 1
                proc.send_signal(signal.SIGABRT)
                _, err = proc.communicate()
                print(f"hang: still polling 15 s after Ctrl-C\n{err[:4000]}")
                continue
            if proc.returncode != 130 or "stopped" not in out:  # 130: stopped by Ctrl-C
                print(f"exit {proc.returncode} without 'stopped'\n{err[-2000:]}")
    print(f"{hangs} hang(s) in {runs} runs")
    return 1 if hangs else 0


if __name__ == "__main__":
    raise SystemExit(main())
