"""How a batch call runs: calls on a pool, per-id GETs, and their progress bars.

* :func:`run_calls` and :func:`run_all` run calls on a ``ThreadPoolExecutor``; a caller that
  stops (a failure, Ctrl-C) leaves nothing running and nothing queued behind it.
* :func:`fetch_each`: per-id GETs, concurrently. The ids whose GET failed transiently
  (``waiting.TRANSIENT``, after the request's own retries) are fetched once more after the
  others. Under 18 % random faults a request exhausts its 4 retries with probability ~2e-4,
  both tries ~4e-8. An outage is cut short instead by ``waiting.Breaker``: a batch of any
  size reports it within a few request lifetimes (``waiting.request_seconds``) rather than
  one per id.
* :class:`Progress`: ``tqdm.auto`` bars (a widget in notebooks, text elsewhere); a bar given
  the client's rate limiter says when the limiter holds the requests back ("held 2.5 s:
  paced at 60/min"), so that a paced batch does not look stuck.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from functools import partial
from typing import Any

from .errors import ArgilError, AuthenticationError, retold
from .models import Asset, AssetSource
from .waiting import BREAKER, TRANSIENT, Breaker, Hold, RateLimiter, Stop, Stopped, current_stop

__all__ = ["SHOW_AFTER", "Progress", "batch_stop", "fetch_each", "run_all", "run_calls"]

log = logging.getLogger("argil_nb")

SHOW_AFTER = 1.0
"""``progress=None``: a bar appears once the call has run this many seconds (tqdm's
``delay``). Deciding on the first guess of a total showed nothing for a listing (3 pages
known at first, 53 in the end) or 12 uploads at Argil's write limit (12 s); a call that
takes more than a moment shows a bar, a quick one leaves no trace."""


class Progress:
    """A tqdm.auto bar (a widget in notebooks, text in a terminal), or nothing at all.

    In a notebook the bar is displayed under a display id of its own, and replaced by one
    line of text when it closes: a widget left behind would show "Error displaying widget:
    model not found" once the notebook is reopened without its kernel.

    Parameters
    ----------
    enabled
        True: a bar at once; False: none; None: a bar once the call has run
        :data:`SHOW_AFTER` seconds.
    total, desc, unit
        As for tqdm (``total`` may grow: :meth:`grow`).
    limiter
        The client's rate limiter: its holds are shown beside the bar while they last.
    """

    def __init__(
        self,
        enabled: bool | None,
        total: int,
        desc: str,
        unit: str = "req",
        limiter: RateLimiter | None = None,
    ) -> None:
        self._bar: Any = None
        self._handle: Any = None  # the notebook's display of the bar
        self._show_at = math.inf  # when the notebook's bar is to be displayed
        if enabled is not False:
            from tqdm.auto import tqdm  # lazy: in a notebook it imports ipywidgets

            delay = SHOW_AFTER if enabled is None else 0.0
            notebook = sys.modules.get("tqdm.notebook")  # tqdm.auto chose it: in a kernel
            if notebook is not None and issubclass(tqdm, notebook.tqdm_notebook):
                self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False, display=False)
                self._show_at = time.monotonic() + delay
                self._show()
            else:
                self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False, delay=delay)
        self._limiter = limiter if self._bar is not None else None
        self._held_until = 0.0
        if self._limiter is not None:
            self._limiter.add_hold_listener(self._held)

    def _show(self) -> None:
        if self._handle is None and time.monotonic() >= self._show_at:
            from IPython.display import display

            self._show_at = math.inf
            self._handle = display(self._bar.container, display_id=True)

    def _held(self, hold: Hold) -> None:
        if self._bar is not None:
            self._held_until = time.monotonic() + hold.seconds
            self._bar.set_postfix_str(f"held {hold.seconds:.1f} s: {hold.why}")
            self._show()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more done."""
        if self._bar is not None:
            if self._held_until and time.monotonic() >= self._held_until:
                self._held_until = 0.0
                self._bar.set_postfix_str("", refresh=False)
            self._bar.update(n)
            self._show()

    def grow(self, n: int) -> None:
        """Add ``n`` to the total (more work found on the way)."""
        if self._bar is not None and n:
            self._bar.total = (self._bar.total or 0) + n
            self._bar.refresh()
            self._show()

    def close(self) -> None:
        """Remove the bar; in a notebook, leave a line saying what it counted."""
        if self._limiter is not None:
            self._limiter.remove_hold_listener(self._held)
        if self._bar is None:
            return
        done = self._bar.format_dict
        self._bar.close()
        if self._handle is not None:
            total = done.get("total") or done["n"]
            stopped = "" if done["n"] >= total else " (stopped)"
            counted = f"{done['n']} of {total} {done['unit']}"
            line = f"{done['prefix']}: {counted} in {done['elapsed']:.1f} s{stopped}"
            self._handle.update({"text/plain": line}, raw=True)
            self._handle = None


def _in_scope(stop: Stop, call: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with stop.scope():
            return call()

    return run


def batch_stop() -> Stop:
    """The stop a batch's workers answer to: the enclosing batch's when this one runs inside
    another's worker (one Ctrl-C stops both), else a new one."""
    return current_stop() or Stop()


def run_calls(
    pool: ThreadPoolExecutor, calls: Sequence[Callable[[], Any]]
) -> Iterator[tuple[int, Any, Exception | None]]:
    """Run calls on the pool; yield (index, result, ArgilError or None) as they finish.

    A caller that stops early (Ctrl-C) leaves nothing behind and sends nothing more: the
    calls not started are cancelled, those waiting for the rate limiter or a retry are
    woken and send nothing (``waiting.Stop``), and those in flight are finished before it
    goes on.
    """
    stop = batch_stop()
    futures = {pool.submit(_in_scope(stop, call)): i for i, call in enumerate(calls)}
    finished = False
    try:
        for future in as_completed(futures):
            index = futures[future]
            try:
                yield index, future.result(), None
            except ArgilError as exc:
                yield index, None, exc
        finished = True
    finally:
        if not finished:
            stop.set()
        for future in futures:
            future.cancel()
        wait(futures)


def run_all(pool: ThreadPoolExecutor, calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run calls on the pool; their results, in order, or the error of the first that failed.

    A failure stops the calls not started yet: they are never sent, and the running ones
    finish before this returns. The worker that failed stops them itself, so which calls
    were sent depends on the pool only, not on how fast the caller wakes (a listing that
    failed once went on sending pages that changed what the caller read next). Ctrl-C
    also wakes the calls waiting to send, which then send nothing (``waiting.Stop``).
    """
    stop = batch_stop()
    failed = threading.Event()

    def guarded(call: Callable[[], Any]) -> Any:
        if failed.is_set():
            return None
        try:
            return call()
        except BaseException:
            failed.set()
            raise

    futures = [pool.submit(_in_scope(stop, partial(guarded, call))) for call in calls]
    try:
        wait(futures)
    except BaseException:  # Ctrl-C: send nothing more, and leave nothing running
        failed.set()
        stop.set()
        wait(futures)
        raise
    for future in futures:
        exc = future.exception()
        if exc is not None:
            raise exc
    return [future.result() for future in futures]


def _fetch_round(
    client: AssetSource, ids: Sequence[str], pool: ThreadPoolExecutor, bar: Progress
) -> tuple[dict[str, Asset], dict[str, Exception], Exception | None]:
    breaker = Breaker()
    found: dict[str, Asset] = {}
    failed: dict[str, Exception] = {}
    refused: list[AuthenticationError] = []
    stop = batch_stop()

    def get(asset_id: str) -> Asset | None:
        if refused:  # a wrong key: the rest would be refused too
            return None
        try:
            return breaker.call(lambda: client.get_asset(asset_id))
        except Stopped:
            return None

    with stop.scope():
        for index, asset, exc in run_calls(pool, [partial(get, i) for i in ids]):
            if isinstance(exc, AuthenticationError):
                refused.append(exc)
                stop.set()  # those waiting for their slot send nothing
            elif exc is not None:
                failed[ids[index]] = exc
            elif asset is not None:
                found[ids[index]] = asset
            elif breaker.tripped is not None:
                why = f"{BREAKER} requests in a row failed after their retries"
                message = f"{ids[index]} was not fetched: {why}; the last error: {breaker.tripped}"
                failed[ids[index]] = retold(breaker.tripped, message)
            bar.update()
    if refused:
        raise refused[0]
    return found, failed, breaker.tripped


def fetch_each(
    client: AssetSource,
    ids: Sequence[str],
    pool: ThreadPoolExecutor,
    bar: Progress,
    *,
    again: bool = True,
) -> tuple[dict[str, Asset], dict[str, Exception]]:
    """GET each id concurrently; return the assets and the errors, by id.

    With ``again``, the ids that failed transiently are fetched once more at the end. Once
    ``waiting.BREAKER`` GETs in a row have failed transiently (after their own retries), no
    more are sent: the ids left get an error of the same kind saying so, and there is no
    second try. So an outage costs at most ``BREAKER + max_workers - 1`` requests: about
    two request lifetimes of wall time when ``max_workers >= BREAKER``, whatever the number
    of ids.

    Raises
    ------
    AuthenticationError
        At the first 401 or 403 (a wrong key is wrong for every id): nothing more is sent,
        at most the requests already in flight.
    """
    found, failed, tripped = _fetch_round(client, ids, pool, bar)
    retry = [i for i in ids if isinstance(failed.get(i), TRANSIENT)]
    if again and retry and tripped is None:
        log.debug("fetching %d ids once more after transient failures", len(retry))
        bar.grow(len(retry))
        more, still, _ = _fetch_round(client, retry, pool, bar)
        found.update(more)
        failed = {i: still.get(i, e) for i, e in failed.items() if i not in more}
    return found, failed
