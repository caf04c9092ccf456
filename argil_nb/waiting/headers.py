"""What a server says of its rate limit, read from its answer's headers, and believed only
where it makes sense.

Three families are read, whichever is present (the first found wins):

* IETF, draft 08 and later: ``RateLimit-Policy: "p";q=600;w=60`` and ``RateLimit: "p";r=42;t=5``
  (quota ``q`` per window ``w`` seconds; ``r`` requests remaining for ``t`` seconds);
* IETF, drafts up to 07: ``RateLimit: limit=600, remaining=42, reset=5`` (07) or the three
  fields ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (06), each with an
  optional ``RateLimit-Policy: 600;w=60``;
* the common ``X-RateLimit-Limit``, ``-Remaining``, ``-Reset``.

Several policies (``10;w=1, 600;w=60``) are read as the one that allows the fewest requests
per second, and the smallest ``remaining``.

**Sanity.** Gateways send odd numbers, and one believed blindly can hold every request of a
process for ever. So every number is read as a finite number >= 0 or not at all (negative,
``NaN``, ``inf``, ``soon``, ``0x10``: ignored), a window longer than :data:`DAY` is not
believed, and a time (a reset, a ``Retry-After``) is read by its size:

* up to :data:`HOUR`: seconds from now (what the drafts and RFC 9110 say);
* within an hour of the wall clock as epoch seconds (GitHub's ``X-RateLimit-Reset``) or as
  epoch milliseconds (some gateways): that moment;
* anything else is more than an hour away: a reset is then not believed at all, and a
  ``Retry-After`` is passed on as it is (the limiter caps every wait at
  ``RETRY_AFTER_MAX``). A delay in milliseconds cannot be told from one in seconds; below an
  hour it is read as seconds, so the cap bounds the mistake.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = ["DAY", "HOUR", "ServerLimits", "parse_rate_limit", "parse_retry_after"]

HOUR = 3600.0
"""A reset further away than this is not believed: no per-minute or per-hour limit needs it."""
DAY = 86400.0
"""The longest policy window believed (a daily quota)."""
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


def _number(text: object) -> float | None:
    """A finite number >= 0, or None (negative, NaN, infinite, not a number)."""
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < math.inf else None  # NaN fails both comparisons


def _delay(value: float | None, now: float) -> float | None:
    """Seconds from now of a time sent as seconds, epoch seconds or epoch milliseconds;
    None when it is more than an hour away by every reading."""
    if value is None or value <= HOUR:
        return value
    for epoch in (value, value / 1000.0):
        if abs(epoch - now) <= HOUR:
            return max(0.0, epoch - now)
    return None


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
    """``(name, quota, window)`` of each believable policy in a ``RateLimit-Policy`` field."""
    found = []
    for head, params in _items(value or ""):
        quota = _number(params.get("q")) if "q" in params else _number(head)
        window = _number(params.get("w"))
        if quota and window and window <= DAY:
            found.append((head if "q" in params else "", quota, window))
    return found


def _limit(value: str | None) -> float | None:
    """The first number of a ``...-Limit`` field (``600``, ``600, 600;w=60``); None for 0."""
    return _number((value or "").split(",")[0].split(";")[0]) or None


def parse_rate_limit(headers: Mapping[str, str], now: float) -> ServerLimits | None:
    """The rate limit stated by ``headers`` (any family above), or None when none is.

    Parameters
    ----------
    headers
        Case-insensitive, as ``requests`` and urllib3 give them.
    now
        The wall clock (epoch seconds), for resets sent as epoch times.

    Returns
    -------
    ServerLimits or None
        Only numbers that passed the checks of the module docstring; None when nothing
        believable is stated.
    """
    policies = _policies(headers.get("RateLimit-Policy"))
    remaining = reset = None
    combined = headers.get("RateLimit")
    if combined:
        states = _items(combined)
        named = [p for p in states if _number(p[1].get("r")) is not None]
        if named:  # draft 08+: pick the most constrained of the stated policies
            name, params = min(named, key=lambda item: _number(item[1].get("r")) or 0.0)
            remaining, reset = _number(params.get("r")), _number(params.get("t"))
            policies = [p for p in policies if p[0] == name] or policies
        else:
            params = {k: v for _, item in states for k, v in item.items()}
            remaining, reset = _number(params.get("remaining")), _number(params.get("reset"))
            limit = _limit(params.get("limit"))
            if limit is not None and not policies:
                policies = [("", limit, 0.0)]
    else:
        for prefix in ("RateLimit-", "X-RateLimit-"):
            limit = _limit(headers.get(prefix + "Limit"))
            remaining = _number(headers.get(prefix + "Remaining"))
            reset = _number(headers.get(prefix + "Reset"))
            if limit is not None or remaining is not None:
                if limit is not None and not policies:
                    policies = [("", limit, 0.0)]
                break
    reset = _delay(reset, now)
    if not policies and remaining is None:
        return None
    quota = window = None
    if policies:
        _, quota, window = min(policies, key=lambda p: p[1] / p[2] if p[2] else math.inf)
    return ServerLimits(quota, window or None, remaining, reset)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when it says nothing usable.

    Seconds (RFC 9110; an epoch time in seconds or milliseconds is read as that moment) or
    an HTTP date; never negative. A long wait is returned as it is: the caller caps it.
    """
    if not value:
        return None
    seconds = _number(value.strip())
    if seconds is not None:
        moment = _delay(seconds, now)
        return seconds if moment is None else moment
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
