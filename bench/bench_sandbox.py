"""Benchmarks for issue 19: the sandbox itself, the figures its unit tests no longer time.

1. Making a sandbox of 20,000 seeded assets against one of 2,000, fastest runs (the work is
   CPU-bound: noise only adds time): at most 15x (linear is 10x).
2. The first 15 pages of READY assets, 100 a page, of a 200,000-asset account against a
   2,000-asset one, processing frozen (a fixed clock: nothing changes between pages): the
   time a page within 1.5x (a page costs a slice of the cached listing, whatever the
   account's size; filtering the account again for each page measured 3.5x). A change,
   an upload finishing say, empties the cache: this is the listing at rest.
3. ``stop()`` with 16 idle keep-alive connections open (until every client has seen its
   connection end), and with one request stalled for an hour (until its handler's thread
   has ended), against ``stop()`` with nothing open: each within 5x, where waiting for the
   handlers' 30 s idle timeout or for the stall would be thousands of times.

The other figures are ratios of medians; the runs of the two sides alternate, against
sandboxes in this process on 127.0.0.1. Run: ``.venv/bin/python bench/bench_sandbox.py``.
"""

from __future__ import annotations

import functools
import http.client
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from _common import Timing, log, machine_line, main, md_table, ratio, seconds, timed, yes_no

from argil_nb.sandbox import Sandbox

SMALL, LARGE = 2_000, 20_000
HUGE = 200_000
PAGE_SIZE = 100
PAGES = 15
MAKE_REPS = 5
PAGE_REPS = 9
STOP_REPS = 9
CONNECTIONS = 16
MAKE_TARGET = 15.0
PAGE_TARGET = 1.5
STOP_TARGET = 5.0


@dataclass
class Figures:
    """The timings."""

    make: dict[int, Timing] = field(default_factory=lambda: {SMALL: Timing(), LARGE: Timing()})
    page: dict[int, Timing] = field(default_factory=lambda: {SMALL: Timing(), HUGE: Timing()})
    stop: dict[str, Timing] = field(
        default_factory=lambda: {"idle": Timing(), "connections": Timing(), "stall": Timing()}
    )


def make_runs(figures: Figures) -> None:
    """1. ``Sandbox(initial_assets=n)``, small and large alternating."""
    for rep in range(MAKE_REPS):
        for count in (SMALL, LARGE):
            elapsed, _ = timed(functools.partial(Sandbox, seed=rep, initial_assets=count))
            figures.make[count].add(elapsed)


def read_pages(sb: Sandbox, session: requests.Session) -> None:
    """The first ``PAGES`` pages of READY assets."""
    for page in range(1, PAGES + 1):
        response = session.get(
            f"{sb.base_url}/assets", params={"page": page, "pageSize": PAGE_SIZE}, timeout=30
        )
        response.raise_for_status()
        assert len(response.json()) == PAGE_SIZE


def page_runs(figures: Figures) -> None:
    """2. The time a page, in each account, the two alternating."""
    boxes = {
        count: Sandbox(seed=601, initial_assets=count, clock=lambda: 0.0).start()
        for count in (SMALL, HUGE)
    }
    sessions = {count: requests.Session() for count in boxes}
    try:
        for count, sb in boxes.items():  # warm: connections made, listings cached
            sessions[count].headers["x-api-key"] = sb.api_key
            read_pages(sb, sessions[count])
        for _ in range(PAGE_REPS):
            for count, sb in boxes.items():
                elapsed, _ = timed(functools.partial(read_pages, sb, sessions[count]))
                figures.page[count].add(elapsed / PAGES)
    finally:
        for count, sb in boxes.items():
            sessions[count].close()
            sb.stop()


def _handler_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.endswith("(process_request_thread)")}


def _stop_idle() -> Callable[[], None]:
    sb = Sandbox(initial_assets=0).start()
    return sb.stop


def _stop_with_connections() -> Callable[[], None]:
    sb = Sandbox(initial_assets=5).start()
    connections = [
        http.client.HTTPConnection("127.0.0.1", sb.port, timeout=60) for _ in range(CONNECTIONS)
    ]
    for connection in connections:
        connection.request("GET", "/v1/assets", headers={"x-api-key": sb.api_key})
        connection.getresponse().read()

    def stop() -> None:
        sb.stop()
        for connection in connections:
            assert connection.sock is not None and connection.sock.recv(1) == b""
            connection.close()

    return stop


def _stop_with_a_stall() -> Callable[[], None]:
    sb = Sandbox(initial_assets=0, stall_rate=1.0, stall_seconds=3600.0).start()
    before = _handler_threads()
    connection = http.client.HTTPConnection("127.0.0.1", sb.port, timeout=60)
    connection.request("GET", "/v1/assets", headers={"x-api-key": sb.api_key})
    for _ in range(60_000):  # a minute at most
        if sb.stats.faults["stalled"]:
            break
        threading.Event().wait(0.001)
    (held,) = _handler_threads() - before

    def stop() -> None:
        sb.stop()
        held.join(60)
        assert not held.is_alive(), "stop() left the stalled request running"
        connection.close()

    return stop


def stop_runs(figures: Figures) -> None:
    """3. ``stop()``, the three cases alternating, each set up untimed."""
    cases = {"idle": _stop_idle, "connections": _stop_with_connections, "stall": _stop_with_a_stall}
    for _ in range(STOP_REPS):
        for name, prepare in cases.items():
            stop = prepare()
            elapsed, _ = timed(stop)
            figures.stop[name].add(elapsed)


def _row(
    measure: str, baseline: Timing, measured: Timing, target: float, best: bool = False
) -> list[str]:
    value = measured.best / baseline.best if best else measured.median / baseline.median
    return [
        measure,
        baseline.show(),
        measured.show(),
        f"**{ratio(value)}**",
        f"<= {target:g}x",
        yes_no(value <= target),
    ]


def section(figures: Figures) -> str:
    """The markdown section."""
    make, page, stop = figures.make, figures.page, figures.stop
    rows = [
        _row(
            f"make {LARGE:,} seeded assets / {SMALL:,} (fastest runs)",
            make[SMALL],
            make[LARGE],
            MAKE_TARGET,
            best=True,
        ),
        _row(f"a page, {HUGE:,} assets / {SMALL:,}", page[SMALL], page[HUGE], PAGE_TARGET),
        _row(
            f"`stop()` with {CONNECTIONS} idle keep-alive connections, to their end / none",
            stop["idle"],
            stop["connections"],
            STOP_TARGET,
        ),
        _row(
            "`stop()` with a request stalled for an hour, to its thread's end / with none",
            stop["idle"],
            stop["stall"],
            STOP_TARGET,
        ),
    ]
    table = md_table(["measure", "baseline", "measured", "ratio", "target", "met"], rows)
    per_asset = make[LARGE].best / LARGE
    idle = stop["idle"].median
    return (
        "## The sandbox: making, paging, stopping (issue 19)\n\n"
        f"{machine_line()}\n\n"
        "What `tests/test_sandbox.py` and `tests/test_sandbox_faults.py` assert without "
        "timing it: a large account is made in listing order, `stop()` closes idle "
        "connections and cuts a stall short. The two sides of a ratio alternate. Pages: "
        f"{PAGES} of {PAGE_SIZE} READY assets, one `requests.Session` a sandbox, processing "
        "frozen, the listing cached by a first pass. Making costs "
        f"{per_asset * 1e6:.0f} µs an asset at {LARGE:,}; `stop()` on an idle sandbox takes "
        f"{seconds(idle)}, the serving loop's shutdown.\n\n"
        f"{table}\n"
    )


def run() -> str:
    """Run the benchmarks; return their markdown section."""
    figures = Figures()
    log(f"[sandbox] making {SMALL:,} and {LARGE:,} assets")
    make_runs(figures)
    log("[sandbox] paging")
    page_runs(figures)
    log("[sandbox] stopping")
    stop_runs(figures)
    return section(figures)


if __name__ == "__main__":
    main(run, __doc__ or "")
