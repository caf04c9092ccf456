"""How long to leave the server before looking for an upload whose answer was lost.

A ``POST /assets`` that failed ambiguously (a 5xx, a dropped connection, a read timeout) may
still be carried out after the client gave up on it: a proxy's 504 while the API works on,
a request the server holds past the read timeout. Looking for its asset at once could miss
one that appears a moment later, and the row would be uploaded twice. So an ambiguous
upload is looked for only once the server has had, since the client gave up on it, as long
again as the client allows it to answer: the read timeout (:func:`settle_seconds`). Uploads
of a batch that died (their intent is in the journal, their answer is not) get the same
from the moment the batch is resumed, unless their intent is older than
:data:`QUIET_AFTER` seconds.

The assumption, stated in docs/reliability.md: a server that is still to act on a request
does so within one more read timeout after the client gave up on it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["QUIET_AFTER", "Settle", "settle_seconds"]

log = logging.getLogger("argil_nb")

QUIET_AFTER = 600.0
"""An intent older than this many seconds has had its POST answered or given up long ago:
more than a POST's 5 attempts, each held up to ``RETRY_AFTER_MAX`` s by the rate limiter
(60 s) and the timeouts (5 + 30 s by default): 5 x 95 = 475 s."""


def settle_seconds(timeout: tuple[float, float]) -> float:
    """Seconds to leave the server after an ambiguous upload: the read timeout."""
    return float(timeout[1])


class Settle:
    """The moment from which the ambiguous uploads seen so far may be looked for.

    Parameters
    ----------
    seconds
        From :func:`settle_seconds`.
    clock, sleep
        Monotonic seconds and the way to wait them (tests inject fakes).
    """

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._sleep = sleep
        self._until = -float("inf")
        self._lock = threading.Lock()

    def note(self) -> None:
        """An upload just failed ambiguously (or a batch with some resumes): start the wait.

        Thread-safe: the upload workers call it."""
        with self._lock:
            self._until = max(self._until, self._clock() + self.seconds)

    def wait(self, count: int) -> float:
        """Wait until ``count`` ambiguous uploads may be looked for; returns the seconds waited."""
        with self._lock:
            left = self._until - self._clock()
        if left <= 0:
            return 0.0
        log.debug("uploads: %d answers lost, looking for them in %.1f s", count, left)
        self._sleep(left)
        return left
