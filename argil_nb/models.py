"""The Asset model, a listing page, status and type constants, id checks, API JSON parsing.

Pure code: no HTTP. Imports nothing of ours but ``errors`` and ``_html``. Also the shape of
what the batch, polling and panel code need of a client (:class:`AssetSource`), so that they
use the client without importing it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .errors import InvalidArgument, InvalidAssetId

if TYPE_CHECKING:
    from .waiting import RateLimiter

__all__ = [
    "ASSET_TYPES",
    "AUDIO",
    "FAILED",
    "IMAGE",
    "MAX_PAGE_SIZE",
    "PROCESSING",
    "READY",
    "STATUSES",
    "TERMINAL_STATUSES",
    "VIDEO",
    "Asset",
    "AssetSource",
    "Page",
    "canonical_id",
    "normalize_id",
    "normalize_ids",
    "pages_for",
    "parse_timestamp",
]

PROCESSING = "PROCESSING"
READY = "READY"
FAILED = "FAILED"
STATUSES: tuple[str, ...] = (PROCESSING, READY, FAILED)
TERMINAL_STATUSES = frozenset({READY, FAILED})

AUDIO = "AUDIO"
IMAGE = "IMAGE"
VIDEO = "VIDEO"
ASSET_TYPES: tuple[str, ...] = (AUDIO, IMAGE, VIDEO)

MAX_PAGE_SIZE = 100
"""The API's largest ``pageSize`` for ``GET /assets``."""


def pages_for(count: int, page_size: int = MAX_PAGE_SIZE) -> int:
    """Pages of ``page_size`` that hold ``count`` items (at least 1)."""
    return max(1, -(-count // page_size))


_KNOWN_FIELDS = ("id", "name", "type", "status", "fileUrl", "thumbnailUrl", "createdAt")


def canonical_id(value: object) -> str | None:
    """The canonical lower-case form of a UUID id, or None when ``value`` is not one."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    # uuid.UUID also takes braces, urn: prefixes and 32 bare hex digits: accept only the
    # canonical 8-4-4-4-12 form, in either case, as the API's path parameter does.
    if len(text) != 36 or text.count("-") != 4:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def normalize_id(value: object) -> str:
    """Return ``value`` as a canonical lower-case UUID string.

    Parameters
    ----------
    value
        A ``str`` in 8-4-4-4-12 form (any case, surrounding spaces ignored) or a ``uuid.UUID``.

    Raises
    ------
    InvalidAssetId
        When the value is not a UUID; nothing has been sent.
    """
    normal = canonical_id(value)
    if normal is None:
        raise InvalidAssetId([value])
    return normal


def normalize_ids(values: Iterable[object]) -> list[str]:
    """Normalise many ids, first-seen order, duplicates dropped; all bad ones in one error."""
    seen: dict[str, None] = {}
    bad: list[object] = []
    for value in values:
        normal = canonical_id(value)
        if normal is None:
            bad.append(value)
        else:
            seen.setdefault(normal, None)
    if bad:
        raise InvalidAssetId(bad)
    return list(seen)


def parse_timestamp(value: object) -> datetime | None:
    """Parse an API timestamp into an aware UTC datetime; None when absent or unreadable.

    Accepts ISO 8601 with ``Z``, an offset or none (taken as UTC), with or without fractions
    (digits past microseconds are dropped). A time that falls outside year 1..9999 once
    moved to UTC is unreadable too.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+05:00 is in year 0 in UTC
        return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None if value is None else str(value)


@dataclass(frozen=True)
class Asset:
    """One Argil asset, as the API describes it, with snake_case fields.

    Unknown fields from the server are kept in :attr:`extra`; an unknown status or type is
    kept as the string it was. ``created_at`` is timezone-aware UTC, or None when the server
    sent none or an unreadable one (the raw value stays in :attr:`raw`).
    """

    id: str
    name: str | None = None
    type: str | None = None
    status: str | None = None
    file_url: str | None = None
    thumbnail_url: str | None = None
    created_at: datetime | None = None
    raw: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, hash=False, repr=False
    )

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Asset:
        """Build an Asset from one API JSON object.

        Raises
        ------
        InvalidArgument
            (a ``ValueError``) When ``data`` is not an object or has no non-empty string
            ``id``. Any other odd value is kept: see the class docstring.
        """
        if not isinstance(data, Mapping):
            raise InvalidArgument(f"expected an asset object, got {type(data).__name__}")
        asset_id = data.get("id")
        if not isinstance(asset_id, str) or not asset_id:
            got = "none" if asset_id is None else repr(asset_id)[:40]
            raise InvalidArgument(f"asset object has no 'id' (a non-empty string), got {got}")
        return cls(
            id=asset_id,
            name=_str_or_none(data.get("name")),
            type=_str_or_none(data.get("type")),
            status=_str_or_none(data.get("status")),
            file_url=_str_or_none(data.get("fileUrl")),
            thumbnail_url=_str_or_none(data.get("thumbnailUrl")),
            created_at=parse_timestamp(data.get("createdAt")),
            raw=MappingProxyType(dict(data)),
        )

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the server sent that this version of argil_nb does not know."""
        return {k: v for k, v in self.raw.items() if k not in _KNOWN_FIELDS}

    @property
    def is_terminal(self) -> bool:
        """True once READY or FAILED; an unknown status counts as not finished."""
        return self.status in TERMINAL_STATUSES

    def to_api(self) -> dict[str, Any]:
        """The API's camelCase JSON shape, unknown fields and the server's own text included."""
        out = dict(self.raw)
        out.update(
            id=self.id,
            name=self.name,
            type=self.type,
            status=self.status,
            fileUrl=self.file_url,
            thumbnailUrl=self.thumbnail_url,
        )
        if "createdAt" not in out:
            created = self.created_at
            out["createdAt"] = created.isoformat().replace("+00:00", "Z") if created else None
        return out


@dataclass(frozen=True)
class Page:
    """One page of ``GET /assets``: the assets and the pagination headers.

    ``total_count`` is -1 when the server sent no ``X-Total-Count``.
    """

    assets: list[Asset]
    page: int
    total_pages: int
    total_count: int


@runtime_checkable
class AssetSource(Protocol):
    """What the batch, polling and panel code need of a client (an ``argil_nb.Client``)."""

    max_workers: int
    rate_limiter: RateLimiter

    def get_asset(self, asset_id: object) -> Asset: ...

    def list_page(
        self,
        *,
        page: int = ...,
        page_size: int = ...,
        types: Iterable[str] = ...,
        statuses: Iterable[str] = ...,
    ) -> Page: ...
