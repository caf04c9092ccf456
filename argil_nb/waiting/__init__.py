"""When to try again, and how long to wait: the one home of argil_nb's waiting policy.

Every rule that makes argil_nb wait or try again lives in this package; the rest of the code
asks it and never re-implements it:

* ``retry``: one request's retries (urllib3 ``Retry``): which failures, how many times,
  how long between tries, ``Retry-After``, and ``request_seconds``, a request's longest life.
* ``limiter``: :class:`RateLimiter`, the pace of one client's requests: a budget for reads
  and one for writes (Argil's documented 600 and 60 a minute on its own host), a shared
  pause after a 429, the server's rate-limit headers (read, and sanity-checked, by
  ``headers``), and the limit its 429s teach when nothing else says it; no single wait
  longer than :data:`RETRY_AFTER_MAX` (60 s).
* ``settle``: :class:`Settle`, how long to leave the server before looking for an upload
  whose answer was lost (a 5xx, a dropped connection, a batch that died), so that one the
  server is still creating is not uploaded again.
* ``interrupt``: :class:`Interrupts`, which makes Ctrl-C stop a polling loop even when a
  library called from C swallowed its ``KeyboardInterrupt``.
* ``backoff``: :class:`Backoff`, the growing pause between the rounds of a poller (``wait()``
  while nothing changes, the panel while its polls fail), with each poller's numbers
  (``WAIT_*``, ``PANEL_*``); :class:`Breaker`, which stops a
  batch after :data:`BREAKER` transient failures in a row; :data:`TRANSIENT`, the failures
  worth one more try at the batch level (a listing page asked again, per-id GETs fetched again
  once, the next round of a poller).

Each decision to wait or try again is logged at DEBUG on the ``argil_nb`` logger, so
``logging.getLogger("argil_nb").setLevel(logging.DEBUG)`` tells why a call is slow.
"""

from .backoff import (
    BREAKER,
    PANEL_GROWTH,
    PANEL_MAX_BACKOFF,
    TRANSIENT,
    WAIT_GROWTH,
    WAIT_INTERVAL,
    WAIT_MAX_INTERVAL,
    Backoff,
    Breaker,
)
from .interrupt import Interrupts, Stop, Stopped, current_stop, pause, raise_if_stopped
from .limiter import (
    ARGIL_READS_PER_MINUTE,
    ARGIL_WRITES_PER_MINUTE,
    RETRY_AFTER_MAX,
    Hold,
    RateLimiter,
    argil_budget,
    kind_of,
)
from .retry import (
    BACKOFF_JITTER,
    BACKOFF_MAX,
    RETRY_STATUSES,
    ArgilRetry,
    make_retry,
    request_seconds,
)
from .settle import QUIET_AFTER, Settle, settle_seconds

__all__ = [
    "ARGIL_READS_PER_MINUTE",
    "ARGIL_WRITES_PER_MINUTE",
    "BACKOFF_JITTER",
    "BACKOFF_MAX",
    "BREAKER",
    "PANEL_GROWTH",
    "PANEL_MAX_BACKOFF",
    "QUIET_AFTER",
    "RETRY_AFTER_MAX",
    "RETRY_STATUSES",
    "TRANSIENT",
    "WAIT_GROWTH",
    "WAIT_INTERVAL",
    "WAIT_MAX_INTERVAL",
    "ArgilRetry",
    "Backoff",
    "Breaker",
    "Hold",
    "Interrupts",
    "RateLimiter",
    "Settle",
    "Stop",
    "Stopped",
    "argil_budget",
    "current_stop",
    "kind_of",
    "make_retry",
    "pause",
    "raise_if_stopped",
    "request_seconds",
    "settle_seconds",
]
