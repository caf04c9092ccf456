"""What a server says of its rate limit, read from its answer's headers.

Three families are read, whichever is present (the first found wins):

* IETF, draft 08 and later: ``RateLimit-Policy: "p";q=600;w=60`` and ``RateLimit: "p";r=42;t=5``
  (quota ``q`` per window ``w`` seconds; ``r`` requests remaining for ``t`` seconds);
* IETF, drafts up to 07: ``RateLimit: limit=600, remaining=42, reset=5`` (07) or the three
  fields ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (06), each with an
  optional ``RateLimit-Policy: 600;w=60``;
* the common ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset`` (a reset larger than a year's
  seconds is read as an epoch time, as GitHub sends it).

Several policies (``10;w=1, 600;w=60``) are read as the one that allows the fewest requests
per second, and the smallest ``remaining``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["ServerLimits", "parse_rate_limit", "parse_retry_after"]

_EPOCH_FLOOR = 365 * 86400.0
_PARAM = re.compile(r"""\s*([A-Za-z][\w-]*)\s*=\s*("?)([^";,]*)\2\s*""")


@dataclass(frozen=True)
class ServerLimits:
    """A server's rate limit as its headers state it; None where they do not say.

    ``quota`` requests per ``window`` seconds; ``remaining`` requests left, whole again
    ``reset`` seconds from now.
    """

    quota: float | None = None
    window: float | None = None
    remaining: float | None = None
    reset: float | None = None

    @property
    def rate(self) -> float | None:
        """Requests per second the policy allows, when quota and window are known."""
        if self.quota and self.window:
            return self.quota / self.window
        return None


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 and value == value else None


def _items(value: str) -> list[tuple[str, dict[str, str]]]:
    """Split a list of ``token;k=v;k=v`` items (structured-field style, leniently)."""
    items = []
    for raw in value.split(","):
        head, _, rest = raw.partition(";")
        params = {m.group(1).lower(): m.group(3) for m in _PARAM.finditer(";" + rest, 0)}
        if "=" in head:  # a bare dictionary member, as in draft 07's ``limit=600``
            key, _, val = head.partition("=")
            params[key.strip().lower()] = val.strip().strip('"')
            head = ""
        items.append((head.strip().strip('"'), params))
    return items


def _policies(value: str | None) -> list[tuple[str, float, float]]:
    """``(name, quota, window)`` of each policy in a ``RateLimit-Policy`` field."""
    found = []
    for head, params in _items(value or ""):
        quota = _number(params.get("q")) if "q" in params else _number(head)
        window = _number(params.get("w"))
        if quota is not None and window:
            found.append((head if "q" in params else "", quota, window))
    return found


def _reset_seconds(value: float | None, now: float) -> float | None:
    if value is not None and value > _EPOCH_FLOOR:  # an epoch time, not a delta
        return max(0.0, value - now)
    return value


def parse_rate_limit(headers: Mapping[str, str], now: float) -> ServerLimits | None:
    """The rate limit stated by ``headers`` (any family above), or None when none is.

    Parameters
    ----------
    headers
        Case-insensitive, as ``requests`` and urllib3 give them.
    now
        The wall clock (epoch seconds), for resets sent as epoch times.
    """
    policies = _policies(headers.get("RateLimit-Policy"))
    remaining = reset = None
    combined = headers.get("RateLimit")
    if combined:
        states = _items(combined)
        named = [p for p in states if "r" in p[1]]
        if named:  # draft 08+: pick the most constrained of the stated policies
            name, params = min(named, key=lambda item: _number(item[1].get("r")) or 0.0)
            remaining, reset = _number(params.get("r")), _number(params.get("t"))
            policies = [p for p in policies if p[0] == name] or policies
        else:
            params = {k: v for _, item in states for k, v in item.items()}
            remaining, reset = _number(params.get("remaining")), _number(params.get("reset"))
            limit = _number(params.get("limit"))
            if limit is not None and not policies and reset:
                policies = [("", limit, 0.0)]
    else:
        for prefix in ("RateLimit-", "X-RateLimit-"):
            limit = _number(headers.get(prefix + "Limit", "").split(",")[0].split(";")[0])
            remaining = _number(headers.get(prefix + "Remaining"))
            reset = _reset_seconds(_number(headers.get(prefix + "Reset")), now)
            if limit is not None or remaining is not None:
                if limit is not None and not policies:
                    policies = [("", limit, 0.0)]
                break
    if not policies and remaining is None:
        return None
    quota = window = None
    if policies:
        _, quota, window = min(policies, key=lambda p: p[1] / p[2] if p[2] else float("inf"))
    return ServerLimits(quota, window or None, remaining, reset)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date), or None."""
    if not value:
        return None
    seconds = _number(value.strip())
    if seconds is not None:
        return seconds
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
