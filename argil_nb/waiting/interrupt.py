"""Ctrl-C that stops a polling loop even when a library swallowed it.

Python raises ``KeyboardInterrupt`` at whatever line the main thread is on when the signal
arrives. When that line is Python code called from C that discards errors (numpy's
``npy_ctypes_check`` during pandas' dtype inference does), the interrupt is lost and a
loop such as ``argil-nb watch`` or ``wait()`` polls on as if nothing happened (``watch``
on pandas 2.2, Ctrl-C soon after its first line, 2 busy cores: 5 runs in 855;
``scripts/ctrl_c_stress.py``). :class:`Interrupts` remembers the signal as well, and the
loop asks it once a round.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

__all__ = ["Interrupts"]


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
