"""Progress bars of the batch calls (``tqdm.auto``: a widget in notebooks, text elsewhere)."""

from __future__ import annotations

from tqdm.auto import tqdm

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
    """

    def __init__(self, enabled: bool | None, total: int, desc: str, unit: str = "req") -> None:
        show = total >= PROGRESS_THRESHOLD if enabled is None else bool(enabled)
        self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False) if show else None

    def update(self, n: int = 1) -> None:
        """Count ``n`` more done."""
        if self._bar is not None:
            self._bar.update(n)

    def grow(self, n: int) -> None:
        """Add ``n`` to the total (more work found on the way)."""
        if self._bar is not None and n:
            self._bar.total = (self._bar.total or 0) + n
            self._bar.refresh()

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()
