"""The background loop behind the status panel: call a function, sleep, repeat, until stopped.

It knows nothing of widgets. The function returns the delay before its next call (so the
caller can back off after an error) or None to end the loop. Modelled on tqdm's
``_monitor.py``: a daemon thread that sleeps on ``threading.Event.wait(timeout)``, so that
``stop()`` (or ``wake()``) ends the wait at once, and every wait has a timeout.

Running tickers are also stopped by an ``atexit`` hook, so none outlives the interpreter's
shutdown (a kernel restart) even when nobody called ``stop()``.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable

__all__ = ["Ticker"]

log = logging.getLogger("argil_nb")

JOIN_TIMEOUT = 5.0
"""Seconds ``stop()`` waits for the thread by default."""

MAX_DELAY = 86400.0
"""Longest single wait (a larger one could overflow the platform's timeout)."""

_live: weakref.WeakSet[Ticker] = weakref.WeakSet()


class Ticker:
    """A daemon thread that calls ``func`` now, then again after each delay it returns.

    Parameters
    ----------
    func
        Called with no argument; returns the seconds to wait before the next call, or None
        to stop the loop. An exception is logged and the loop goes on after ``interval``.
    interval
        The delay used after an exception (the caller's normal delay is its return value).
    name
        The thread's name.

    Notes
    -----
    Each ``start()`` gets its own stop event, so a thread that outlived ``stop()``'s join
    timeout (stuck in ``func``) still ends when ``func`` returns, and never runs twice
    alongside a new one for long.
    """

    def __init__(
        self, func: Callable[[], float | None], interval: float, *, name: str = "argil-ticker"
    ) -> None:
        if not interval >= 0:
            raise ValueError(f"interval must be a number of seconds >= 0, got {interval!r}")
        self._func = func
        self.interval = float(interval)
        self.name = name
        self._guard = threading.Lock()  # start/stop may come from any thread
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._wake = threading.Event()

    @property
    def running(self) -> bool:
        """True while the loop runs (started, not stopped, and ``func`` has not ended it)."""
        with self._guard:
            thread, stopped = self._thread, self._stopped
        return thread is not None and thread.is_alive() and not stopped.is_set()

    def start(self) -> bool:
        """Start the loop; a no-op when it runs already.

        Returns
        -------
        bool
            True when a thread was started.
        """
        with self._guard:
            if self._thread is not None and self._thread.is_alive() and not self._stopped.is_set():
                return False
            self._stopped = stopped = threading.Event()
            self._wake = wake = threading.Event()
            self._thread = thread = threading.Thread(
                target=self._run, args=(stopped, wake), name=self.name, daemon=True
            )
            _live.add(self)
        thread.start()
        return True

    def stop(self, timeout: float = JOIN_TIMEOUT) -> bool:
        """Stop the loop and wait up to ``timeout`` seconds for the thread to end.

        Safe to call from ``func`` itself (then it does not wait) and when not running.

        Returns
        -------
        bool
            True when no thread of this ticker is alive any more.
        """
        with self._guard:
            thread, self._thread = self._thread, None
            self._stopped.set()
            self._wake.set()
            _live.discard(self)
        if thread is None:
            return True
        if thread is not threading.current_thread():
            thread.join(max(0.0, timeout))
        return not thread.is_alive() or thread is threading.current_thread()

    def wake(self) -> None:
        """Cut the current wait short: ``func`` runs again now. Ignored from ``func`` itself."""
        with self._guard:
            if self._thread is not None and self._thread is not threading.current_thread():
                self._wake.set()

    def _run(self, stopped: threading.Event, wake: threading.Event) -> None:
        while not stopped.is_set():
            try:
                delay = self._func()
            except Exception:  # the loop must survive anything func does
                log.exception("argil_nb: error in the %s loop; retrying", self.name)
                delay = self.interval
            if delay is None:
                break
            wake.wait(min(max(0.0, float(delay)), MAX_DELAY))
            wake.clear()  # stop() sets ``stopped`` first, so the loop test still sees it
        with self._guard:
            if self._thread is threading.current_thread():
                self._stopped.set()  # ended by func: ``running`` is False from now on

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"Ticker(name={self.name!r}, {state})"


@atexit.register
def _stop_all() -> None:
    """Stop every running ticker at interpreter exit (threads are daemons anyway)."""
    for ticker in list(_live):
        ticker.stop(timeout=1.0)
