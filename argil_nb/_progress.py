"""Progress bars of the batch calls (``tqdm.auto``: a widget in notebooks, text elsewhere).

A bar given the client's rate limiter says when the limiter holds the requests back
("held 2.5 s: paced at 60/min"), so that a paced batch does not look stuck.
"""

from __future__ import annotations

import time

from tqdm.auto import tqdm

from .waiting import Hold, RateLimiter

__all__ = ["PROGRESS_THRESHOLD", "Progress"]

PROGRESS_THRESHOLD = 50
"""``progress=None`` shows a bar from this many requests on."""


class Progress:
    """A tqdm.auto bar when enabled, else nothing at all (no output).

    Parameters
    ----------
    enabled
        True or False; None: a bar when ``total`` is at least :data:`PROGRESS_THRESHOLD`.
    total, desc, unit
        As for tqdm.
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
        show = total >= PROGRESS_THRESHOLD if enabled is None else bool(enabled)
        self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False) if show else None
        self._limiter = limiter if self._bar is not None else None
        self._held_until = 0.0
        if self._limiter is not None:
            self._limiter.add_hold_listener(self._held)

    def _held(self, hold: Hold) -> None:
        if self._bar is not None:
            self._held_until = time.monotonic() + hold.seconds
            self._bar.set_postfix_str(f"held {hold.seconds:.1f} s: {hold.why}")

    def update(self, n: int = 1) -> None:
        """Count ``n`` more done."""
        if self._bar is not None:
            if self._held_until and time.monotonic() >= self._held_until:
                self._held_until = 0.0
                self._bar.set_postfix_str("", refresh=False)
            self._bar.update(n)

    def grow(self, n: int) -> None:
        """Add ``n`` to the total (more work found on the way)."""
        if self._bar is not None and n:
            self._bar.total = (self._bar.total or 0) + n
            self._bar.refresh()

    def close(self) -> None:
        """Remove the bar."""
        if self._limiter is not None:
            self._limiter.remove_hold_listener(self._held)
        if self._bar is not None:
            self._bar.close()
