"""The sandbox's asset record, its JSON form, and timestamp helpers."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ASSET_TYPES",
    "STATUSES",
    "UPLOAD_TYPES",
    "Record",
    "format_ts",
    "is_uuid",
    "parse_ts",
]

ASSET_TYPES = ("AUDIO", "IMAGE", "VIDEO")
UPLOAD_TYPES = ("IMAGE", "VIDEO")
STATUSES = ("PROCESSING", "READY", "FAILED")

_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_uuid(text: str) -> bool:
    """Return True for a UUID in canonical 8-4-4-4-12 hex form (any case)."""
    return _UUID_RE.fullmatch(text) is not None


def format_ts(ts: float, *, whole_seconds: bool = False) -> str:
    """Format epoch seconds as ISO 8601 UTC with milliseconds, ``2026-11-01T10:00:00.000Z``,
    or in whole seconds, ``2023-11-07T05:31:56Z``, as Argil's own docs show it."""
    secs, ms = divmod(round(ts * 1000), 1000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    return text + "Z" if whole_seconds else text + f".{ms:03d}Z"


def parse_ts(value: object) -> float | None:
    """Parse an ISO 8601 timestamp to epoch seconds; None when it is not one (naive = UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC).timestamp()
    return parsed.timestamp()


@dataclass(slots=True)
class Record:
    """One asset as the sandbox keeps it.

    ``status`` is the status last materialised; a PROCESSING record with ``done_at`` set
    turns into ``outcome`` once the store's simulated time passes ``done_at``.
    ``raw`` holds an asset inserted verbatim by ``Sandbox.add_asset``: it is served as is.
    """

    id: str
    name: str | None
    type: str | None
    status: str | None
    created_at: str
    sort_ts: float
    done_at: float | None = None
    outcome: str = "READY"
    source_url: str | None = None
    raw: dict[str, Any] | None = field(default=None)
    seq: int = 0
    """Insertion order: the documented mode's tie-break."""

    def sort_key(self) -> tuple[float, str]:
        """The friendly mode's listing order: createdAt descending, then id."""
        return (-self.sort_ts, self.id)

    def insertion_key(self) -> tuple[float, int]:
        """The documented mode's: createdAt descending, ties in insertion order."""
        return (-self.sort_ts, self.seq)

    def to_json(self, origin: str) -> dict[str, Any]:
        """Return the API JSON object; file URLs point at ``origin`` (``http://host:port``)."""
        if self.raw is not None:
            return dict(self.raw)
        ready = self.status == "READY"
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "status": self.status,
            "fileUrl": f"{origin}/files/{self.id}.png" if ready else None,
            "thumbnailUrl": f"{origin}/files/{self.id}/thumbnail.png" if ready else None,
            "createdAt": self.created_at,
        }
