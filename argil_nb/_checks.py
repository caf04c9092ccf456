"""What counts as a usable value: missing values, numbers, and the argument checks that every
public call runs before any request, all with one message style:
``"<name> must be <what it takes>, got <what it got>"``.

Imports nothing of ours but the errors (the data and HTML modules build on it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from .errors import InvalidArgument

__all__ = [
    "check_choice",
    "check_int",
    "check_number",
    "invalid",
    "is_missing",
    "is_number",
    "is_web_url",
]


def is_missing(value: object) -> bool:
    """None, NA, NaT or NaN: a value to show (or keep) as nothing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def is_number(value: object) -> bool:
    """An int or a float, but not a bool (``True`` is an int to Python, not to a user)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def invalid(name: str, takes: str, got: object, hint: str = "") -> InvalidArgument:
    """The error for argument ``name``: what it takes, what it got, and a hint.

    ``got`` is shown as its repr cut to 80 characters; pass a type to show only its name
    (for values that must not be shown, such as a key of the wrong type).
    """
    shown = got.__name__ if isinstance(got, type) else repr(got)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return InvalidArgument(f"{name} must be {takes}, got {shown}" + (f". {hint}" if hint else ""))


def check_int(name: str, value: object, *, minimum: int = 0) -> int:
    """``value`` when it is an int (not a bool) >= ``minimum``; else :class:`InvalidArgument`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise invalid(name, f"an int >= {minimum}", value)
    return value


def check_number(
    name: str,
    value: object,
    *,
    above: float | None = None,
    at_least: float | None = None,
    unit: str = "",
    infinite: bool = False,
) -> float:
    """``value`` as a float when it is a number in range; else :class:`InvalidArgument`.

    Parameters
    ----------
    above, at_least
        The bound: ``value > above`` or ``value >= at_least``.
    unit
        Said in the message ("a number of seconds > 0").
    infinite
        Whether ``math.inf`` is allowed (NaN never is).
    """
    number = float(value) if is_number(value) else math.nan  # type: ignore[arg-type]
    ok = number == number and (infinite or math.isfinite(number))
    if above is not None:
        ok, bound = ok and number > above, f"> {above:g}"
    else:
        low = 0.0 if at_least is None else at_least
        ok, bound = ok and number >= low, f">= {low:g}"
    if not ok:
        raise invalid(name, f"a number{' of ' + unit if unit else ''} {bound}", value)
    return number


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` when it is one of ``choices``; else :class:`InvalidArgument` listing them."""
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices[:-1]) + f" or {choices[-1]!r}"
        raise invalid(name, listed if len(choices) > 1 else repr(choices[0]), value)
    return value


def is_web_url(value: object) -> bool:
    """True for an absolute http(s) URL with a host: the only kind we put in ``src``."""
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
