"""Deterministic seeded assets: the same RNG state gives the same assets, byte for byte."""

from __future__ import annotations

import calendar
import random
import uuid

from .records import Record, format_ts

__all__ = ["SEED_ANCHOR", "random_id", "seed_records"]

# Newest seeded createdAt: a fixed date, never now(), so listings are reproducible.
SEED_ANCHOR = calendar.timegm((2026, 11, 1, 10, 0, 0, 0, 0, 0))
_MASK = (1 << 128) - 1

_ADJECTIVES = (
    "beach", "city", "forest", "golden", "misty", "neon", "ocean", "quiet",
    "rainy", "snowy", "sunny", "urban", "velvet", "wild", "winter", "desert",
)  # fmt: skip
_NOUNS = (
    "sunset", "skyline", "walk", "drone", "portrait", "product", "studio", "crowd",
    "market", "office", "river", "mountain", "street", "kitchen", "logo", "launch",
)  # fmt: skip
_EXTENSIONS = {"VIDEO": ("mp4", "mov"), "IMAGE": ("png", "jpg"), "AUDIO": ("mp3",)}
_TYPES = ("VIDEO",) * 9 + ("IMAGE",) * 8 + ("AUDIO",) * 3
# Every seeded account has each type READY, and uploads that failed or still process.
_COVERAGE = (
    ("AUDIO", "READY"),
    ("IMAGE", "READY"),
    ("VIDEO", "READY"),
    ("VIDEO", "FAILED"),
    ("IMAGE", "PROCESSING"),
    ("VIDEO", "PROCESSING"),
)


def random_id(rng: random.Random, salt: int = 0) -> str:
    """Draw a version-4 UUID string from ``rng``, its bits XORed with ``salt``.

    The salt changes the ids only: ``rng`` makes the same draws whatever it is.
    """
    return str(uuid.UUID(int=rng.getrandbits(128) ^ (salt & _MASK), version=4))


def _status(rng: random.Random, asset_type: str) -> str:
    if asset_type == "AUDIO":  # system music files are always ready
        return "READY"
    draw = rng.random()
    return "FAILED" if draw < 0.08 else "PROCESSING" if draw < 0.14 else "READY"


def seed_records(
    rng: random.Random,
    count: int,
    processing_seconds: tuple[float, float],
    failure_rate: float,
) -> list[Record]:
    """Create ``count`` seeded records, newest first.

    Parameters
    ----------
    rng : random.Random
        The store's generator; every draw happens in a fixed order.
    count : int
        How many records.
    processing_seconds : tuple of float
        ``(min, max)`` simulated seconds until a PROCESSING record finishes, counted from
        simulated time 0 (the store's creation).
    failure_rate : float
        Chance that a PROCESSING record ends FAILED rather than READY.

    Returns
    -------
    list of Record
        Sorted by createdAt descending; timestamps are spaced one minute to two hours apart
        going back from ``SEED_ANCHOR``.
    """
    coverage: dict[int, tuple[str, str]] = {}
    if count >= len(_COVERAGE):
        coverage = dict(zip(rng.sample(range(count), len(_COVERAGE)), _COVERAGE, strict=True))
    records = []
    ts_ms = SEED_ANCHOR * 1000  # integer milliseconds: no float drift over 20k steps
    low, high = processing_seconds
    for i in range(count):
        asset_id = random_id(rng)
        asset_type, status = coverage.get(i) or (rng.choice(_TYPES), "")
        status = status or _status(rng, asset_type)
        name = (
            f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{count - i:04d}."
            f"{rng.choice(_EXTENSIONS[asset_type])}"
        )
        record = Record(
            id=asset_id,
            name=name,
            type=asset_type,
            status=status,
            created_at=format_ts(ts_ms / 1000),
            sort_ts=ts_ms / 1000,
        )
        if status == "PROCESSING":
            record.done_at = rng.uniform(low, high)
            record.outcome = "FAILED" if rng.random() < failure_rate else "READY"
        records.append(record)
        ts_ms -= rng.randint(60_000, 7_200_000)
    return records
