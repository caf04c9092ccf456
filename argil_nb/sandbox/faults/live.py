"""The live account: uploads that keep arriving, finishing and being deleted while a client works.

Time-driven events run at a steady rate on the store's simulated clock: with
``arrival_rate = r`` set at simulated time ``t0``, arrival ``k`` (1, 2, ...) happens at
``t0 + k / r``, so exactly ``floor((t - t0) * r)`` have happened by time ``t``. The store
hands the account its settling (``AssetStore(events=account.apply_due)``), so the events
due are made whenever it is read. ``churn_per_request`` adds changes before each API
request that got past authentication and the rate limits (``churn``). What each change does
(which asset finishes or is deleted, the new upload's name, type, id, processing time and
outcome) is drawn from the account's own RNG, derived from the sandbox seed but separate
from the store's, so turning the live account on changes no other seeded behaviour.
"""

from __future__ import annotations

import math
import random

from ..store import AssetStore

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
    """Options, schedules and RNG of the live account, and the changes it makes to a store.

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

    def set_rates(
        self,
        store: AssetStore,
        arrival_rate: float | None = None,
        delete_rate: float | None = None,
        churn_per_request: int | None = None,
    ) -> None:
        """Change the options (None: unchanged); new rates count from the store's time now.

        Events due under the old rates are made first.
        """
        with store.settled():
            now = store.sim_time()
            if arrival_rate is not None:
                self._arrivals = _Schedule(arrival_rate, now)
            if delete_rate is not None:
                self._deletions = _Schedule(delete_rate, now)
            if churn_per_request is not None:
                self.churn_per_request = churn_per_request

    def due(self, now: float) -> list[tuple[float, str]]:
        """Events due by ``now``, in time order: ``(time, "arrive" | "delete")``.

        At equal times a deletion comes first, so it never takes the upload of that instant.
        """
        events = [(at, "arrive") for at in self._arrivals.due(now)]
        events += [(at, "delete") for at in self._deletions.due(now)]
        events.sort(key=lambda event: (event[0], event[1] == "arrive"))
        return events

    def apply_due(self, store: AssetStore, now: float) -> None:
        """Make the events due by simulated time ``now`` (the store's ``events``)."""
        if not self.active:
            return
        for at, kind in self.due(now):
            if kind == "arrive":
                self._arrive(store, at)
            else:
                store.delete_random(self.rng)

    def churn(self, store: AssetStore) -> None:
        """Finish ``churn_per_request`` PROCESSING uploads, delete as many assets, add as many
        uploads: in that order, so an upload made by this churn is neither finished nor
        deleted by it; readers see the whole churn or none of it.
        """
        count = self.churn_per_request
        if count <= 0:
            return
        with store.settled():
            for _ in range(count):
                if not store.finish_random(self.rng):
                    break
            for _ in range(count):
                store.delete_random(self.rng)
            for _ in range(count):
                self._arrive(store, store.sim_time())

    def _arrive(self, store: AssetStore, at: float) -> None:
        """Add the next upload, started at simulated time ``at``."""
        self.arrived += 1
        kind = self.rng.choice(("IMAGE", "VIDEO"))
        extension = "png" if kind == "IMAGE" else "mp4"
        name = f"live-upload-{self.arrived:05d}.{extension}"
        store.upload(self.rng, name, kind, f"https://media.example.com/live/{name}", at)
