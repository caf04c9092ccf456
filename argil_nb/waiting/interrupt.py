"""Ctrl-C that stops a polling loop even when a library swallowed it.

Python raises ``KeyboardInterrupt`` at whatever line the main thread is on when the signal
arrives. When that line is Python code called from C that discards errors (numpy's
``npy_ctypes_check`` during pandas' dtype inference does), the interrupt is lost and a
loop such as ``argil-nb watch`` or ``wait()`` polls on as if nothing happened (``watch``
on pandas 2.2, Ctrl-C soon after its first line, 2 busy cores: 5 runs in 855;
``scripts/ctrl_c_stress.py``). :class:`Interrupts` remembers the signal as well, and the
loop asks it once a round.

A batch's worker threads never see Ctrl-C: :class:`Stop` tells them (see below).
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType, TracebackType
from typing import Any

__all__ = ["Interrupts", "Stop", "Stopped", "current_stop", "pause", "raise_if_stopped"]


class Interrupts:
    """A context in which a Ctrl-C is remembered; :meth:`check` raises it again.

    Only in the main thread while SIGINT has Python's default handler (a terminal, a
    Jupyter kernel running a cell); elsewhere it does nothing and the usual handler stays.
    """

    def __init__(self) -> None:
        self.seen = False
        self._previous: Any = None

    def __enter__(self) -> Interrupts:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.seen = True
        signal.default_int_handler(signum, frame)  # raises KeyboardInterrupt

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed and its exception got lost."""
        if self.seen:
            self.seen = False
            raise KeyboardInterrupt


# -- stopping a batch's workers -------------------------------------------------------------
# Ctrl-C reaches the main thread only. A batch's workers may be asleep in the rate limiter
# (a slot seconds away at a write limit) or in a retry's back-off; woken later, they would
# send what the user asked to stop. So a batch gives its workers a Stop: their waits are
# cut short when it is set, and nothing is sent after it (the transport and the retry ask
# raise_if_stopped() just before sending).

_scope = threading.local()


class Stopped(Exception):
    """Raised in a worker, instead of sending a request, once its batch was told to stop."""


class Stop:
    """One batch's stop signal; its workers run inside :meth:`scope`."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Stop: every wait of the batch's workers ends now, and none of them sends again."""
        self._event.set()

    def is_set(self) -> bool:
        """Whether :meth:`set` was called."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``, less once stopped; True when stopped."""
        return self._event.wait(seconds)

    def scope(self) -> _Scope:
        """The calling thread's waits and requests answer to this stop while inside."""
        return _Scope(self)


class _Scope:
    def __init__(self, stop: Stop) -> None:
        self.stop = stop
        self.outer: Stop | None = None

    def __enter__(self) -> Stop:
        self.outer = getattr(_scope, "stop", None)
        _scope.stop = self.stop
        return self.stop

    def __exit__(self, *exc: object) -> None:
        _scope.stop = self.outer


def current_stop() -> Stop | None:
    """The stop of the batch the calling thread works for, if any."""
    stop: Stop | None = getattr(_scope, "stop", None)
    return stop


def pause(seconds: float) -> None:
    """Sleep ``seconds``, or less if the calling thread's batch is told to stop meanwhile.

    Outside a batch's worker it is ``time.sleep`` (which Ctrl-C interrupts in the main thread).
    """
    stop: Stop | None = getattr(_scope, "stop", None)
    if stop is None:
        time.sleep(seconds)
    else:
        stop.wait(seconds)


def raise_if_stopped() -> None:
    """Raise :class:`Stopped` when the calling thread's batch was told to stop."""
    stop: Stop | None = getattr(_scope, "stop", None)
    if stop is not None and stop.is_set():
        raise Stopped("the batch was stopped (Ctrl-C): nothing more is sent")
