"""The live account's schedule: uploads that keep arriving and deletions while a client works.

Time-driven events run at a steady rate on the store's simulated clock: with
``arrival_rate = r`` set at simulated time ``t0``, arrival ``k`` (1, 2, ...) happens at
``t0 + k / r``, so exactly ``floor((t - t0) * r)`` have happened by time ``t``. The store
applies the events that are due whenever it is read (``AssetStore.advance``). What each
event does (which asset is deleted, the new upload's name, type, id, processing time and
outcome) is drawn from the account's own RNG, derived from the sandbox seed but separate
from the store's, so turning the live account on changes no other seeded behaviour.
"""

from __future__ import annotations

import math
import random

__all__ = ["LiveAccount", "check_live_options"]

_EPSILON = 1e-9  # float noise: 10 * 0.1 simulated seconds must make exactly one event


class _Schedule:
    """Events at ``rate`` per simulated second, counted from ``start``."""

    __slots__ = ("done", "rate", "start")

    def __init__(self, rate: float, start: float) -> None:
        self.rate = float(rate)
        self.start = start
        self.done = 0

    def due(self, now: float) -> list[float]:
        """The simulated times of the events due by ``now`` and not yet handed out."""
        if self.rate <= 0 or now <= self.start:
            return []
        total = math.floor((now - self.start) * self.rate + _EPSILON)
        times = [self.start + k / self.rate for k in range(self.done + 1, total + 1)]
        self.done = max(self.done, total)
        return times


def check_live_options(arrival_rate: float, delete_rate: float, churn_per_request: int) -> None:
    """Raise ``ValueError`` for an invalid live-account option."""
    for name, rate in (("arrival_rate", arrival_rate), ("delete_rate", delete_rate)):
        if not (isinstance(rate, (int, float)) and 0 <= rate < math.inf):
            raise ValueError(f"{name} must be a finite number >= 0, got {rate!r}")
    whole = isinstance(churn_per_request, int) and not isinstance(churn_per_request, bool)
    if not (whole and churn_per_request >= 0):
        raise ValueError(f"churn_per_request must be an integer >= 0, got {churn_per_request!r}")


class LiveAccount:
    """Options, schedules and RNG of the live account (the store applies the events).

    Parameters
    ----------
    seed : int or None
        The sandbox seed; the account's RNG is derived from it (None: random).
    start : float
        Simulated time the rates count from.
    arrival_rate : float
        New uploads per simulated second.
    delete_rate : float
        Deletions of random existing assets per simulated second.
    churn_per_request : int
        Arrivals, finishes and deletions applied before answering each API request.
    """

    def __init__(
        self,
        seed: int | None,
        start: float = 0.0,
        *,
        arrival_rate: float = 0.0,
        delete_rate: float = 0.0,
        churn_per_request: int = 0,
    ) -> None:
        check_live_options(arrival_rate, delete_rate, churn_per_request)
        self.rng = random.Random(None if seed is None else f"argil-sandbox-live:{seed}")
        self._arrivals = _Schedule(arrival_rate, start)
        self._deletions = _Schedule(delete_rate, start)
        self.churn_per_request = churn_per_request
        self.arrived = 0  # numbers the arrivals' names

    @property
    def arrival_rate(self) -> float:
        """New uploads per simulated second."""
        return self._arrivals.rate

    @property
    def delete_rate(self) -> float:
        """Deletions per simulated second."""
        return self._deletions.rate

    @property
    def active(self) -> bool:
        """Whether any time-driven event may come."""
        return self._arrivals.rate > 0 or self._deletions.rate > 0

    def set_arrival_rate(self, rate: float, now: float) -> None:
        """Change the arrival rate; the new schedule counts from ``now``."""
        self._arrivals = _Schedule(rate, now)

    def set_delete_rate(self, rate: float, now: float) -> None:
        """Change the deletion rate; the new schedule counts from ``now``."""
        self._deletions = _Schedule(rate, now)

    def due(self, now: float) -> list[tuple[float, str]]:
        """Events due by ``now``, in time order: ``(time, "arrive" | "delete")``.

        At equal times a deletion comes first, so it never takes the upload of that instant.
        """
        events = [(at, "arrive") for at in self._arrivals.due(now)]
        events += [(at, "delete") for at in self._deletions.due(now)]
        events.sort(key=lambda event: (event[0], event[1] == "arrive"))
        return events

    def upload(self) -> tuple[str, str, str]:
        """Draw the next arrival's ``(name, type, url)``."""
        self.arrived += 1
        kind = self.rng.choice(("IMAGE", "VIDEO"))
        extension = "png" if kind == "IMAGE" else "mp4"
        name = f"live-upload-{self.arrived:05d}.{extension}"
        return name, kind, f"https://media.example.com/live/{name}"
