"""Shared helpers of the benchmark scripts: timing, the machine, markdown, the CLI.

Not a benchmark itself (``run_all.py`` runs only ``bench_*.py``). Every figure is a ratio
against a baseline timed in the same process, interleaved with it: the machine is shared
and noisy, so an absolute time means little and a ratio holds.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
"""The repository root."""


@dataclass
class Timing:
    """Wall times of repeated runs of one timed section, in seconds."""

    times: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        """Record one run."""
        self.times.append(seconds)

    @property
    def median(self) -> float:
        """The median run (the figure the ratios use)."""
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        """The fastest run."""
        return min(self.times)

    def show(self) -> str:
        """``median s (min .., n=..)`` for tables."""
        if len(self.times) == 1:
            return f"{seconds(self.times[0])} (n=1)"
        return f"{seconds(self.median)} (min {seconds(self.best)}, n={len(self.times)})"


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Run ``fn`` once after a garbage collection; return (seconds, result)."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def seconds(value: float) -> str:
    """A duration for a table: ms below one second."""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def ratio(value: float) -> str:
    """A ratio for a table."""
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def yes_no(met: bool) -> str:
    """``yes`` or a bold ``no``, so misses stand out."""
    return "yes" if met else "**no**"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    try:
        usable = str(len(os.sched_getaffinity(0)))
    except AttributeError:
        usable = "?"
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return {
        "cores": f"{os.cpu_count()} ({usable} usable)",
        "cpu": _cpu_model(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "pandas": _version("pandas"),
        "numpy": _version("numpy"),
        "pyarrow": _version("pyarrow"),
        "requests": _version("requests"),
        "urllib3": _version("urllib3"),
        "load average (1, 5, 15 min)": load,
    }


def machine_line() -> str:
    """The machine in one markdown line (each section carries it)."""
    info = machine()
    return (
        f"Machine: {info['cores']} cores, Python {info['python']}, pandas {info['pandas']}, "
        f"numpy {info['numpy']}, load {info['load average (1, 5, 15 min)']}."
    )


def git_state() -> str:
    """Short HEAD, plus a note when the library or tests have uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "argil_nb"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head} (argil_nb/ has uncommitted changes)" if dirty else head


def md_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def log(message: str) -> None:
    """Progress on stderr, flushed (stdout carries the markdown)."""
    print(message, file=sys.stderr, flush=True)


def main(run: Callable[[], str], description: str) -> None:
    """The CLI of a benchmark script: run it, print its section, optionally save it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--markdown", metavar="PATH", help="also write the section to PATH")
    args = parser.parse_args()
    section = run()
    print(section)
    if args.markdown:
        Path(args.markdown).write_text(section, encoding="utf-8")
