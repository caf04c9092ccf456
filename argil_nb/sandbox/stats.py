"""Thread-safe request counters for benchmarks and soak tests."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "ROUTES", "Stats", "StatsSnapshot"]

ROUTES = ("get", "list", "create", "delete", "file", "other")
FAULT_KINDS = (
    "rate_limited",
    "rate_limited_reads",
    "rate_limited_writes",
    "throttled",
    "error",
    "dropped",
    "stalled",
    "canned",
)


@dataclass(frozen=True)
class StatsSnapshot:
    """Counters at one moment.

    Attributes
    ----------
    requests : int
        API requests (every request but the files), whatever their fate.
    by_route : dict
        Requests by route: ``get``, ``list``, ``create``, ``delete``, ``file`` (the files
        behind fileUrl/thumbnailUrl, not counted in ``requests``) and ``other`` (404/405).
    faults : dict
        Injected faults by kind: ``rate_limited`` (429s from either token bucket, the sum
        of ``rate_limited_reads`` and ``rate_limited_writes``), ``throttled`` (random 429s,
        ``throttle_rate``), ``error``, ``dropped``, ``stalled``, ``canned``.
    responses : dict
        Responses written, by status code (dropped requests have none).
    connections : int
        TCP connections accepted; with keep-alive this stays far below ``requests``.
    """

    requests: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    responses: dict[int, int] = field(default_factory=dict)
    connections: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A plain dict of the counters (for JSON)."""
        return {
            "requests": self.requests,
            "by_route": dict(self.by_route),
            "faults": dict(self.faults),
            "responses": {str(k): v for k, v in self.responses.items()},
            "connections": self.connections,
        }


class Stats:
    """The live counters; read them with :meth:`snapshot`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self._requests = 0
            self._routes: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._responses: Counter[int] = Counter()
            self._connections = 0

    def request(self, route: str) -> None:
        """Count one request to ``route``."""
        with self._lock:
            self._routes[route] += 1
            if route != "file":
                self._requests += 1

    def fault(self, *kinds: str) -> None:
        """Count one injected fault under each of ``kinds`` (at once: snapshots agree)."""
        with self._lock:
            for kind in kinds:
                self._faults[kind] += 1

    def response(self, status: int) -> None:
        """Count one response written."""
        with self._lock:
            self._responses[status] += 1

    def connection(self) -> None:
        """Count one accepted connection."""
        with self._lock:
            self._connections += 1

    def snapshot(self) -> StatsSnapshot:
        """Return a consistent copy of the counters."""
        with self._lock:
            return StatsSnapshot(
                requests=self._requests,
                by_route={route: self._routes[route] for route in ROUTES},
                faults={kind: self._faults[kind] for kind in FAULT_KINDS},
                responses=dict(sorted(self._responses.items())),
                connections=self._connections,
            )
