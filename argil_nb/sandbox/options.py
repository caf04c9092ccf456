"""Sandbox options: reading and changing them, and as attributes (``sb.error_rate = 0.1``)."""

from __future__ import annotations

import dataclasses
from typing import Any, Generic, Protocol, TypeVar, overload

from .faults import Faults, SandboxConfig, check_live_options, check_mode
from .store import AssetStore

__all__ = ["Option", "check_store_options", "get_option", "set_options"]

_CONFIG_FIELDS = frozenset(f.name for f in dataclasses.fields(SandboxConfig))
_STORE_FIELDS = frozenset({"speed", "processing_seconds", "failure_rate"})
_LIVE_FIELDS = frozenset({"arrival_rate", "delete_rate", "churn_per_request"})

T = TypeVar("T")


class _Configurable(Protocol):
    def configure(self, **options: Any) -> None: ...

    def option(self, name: str) -> Any: ...


class Option(Generic[T]):
    """A data descriptor reading ``obj.option(name)`` and writing ``obj.configure(name=...)``.

    Parameters
    ----------
    doc : str
        What the option does (shown by ``help()``).
    """

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Option[T]: ...

    @overload
    def __get__(self, obj: _Configurable, objtype: type | None = None) -> T: ...

    def __get__(self, obj: _Configurable | None, objtype: type | None = None) -> Option[T] | T:
        if obj is None:
            return self
        value: T = obj.option(self.name)
        return value

    def __set__(self, obj: _Configurable, value: T) -> None:
        obj.configure(**{self.name: value})


def check_store_options(
    speed: float, processing_seconds: tuple[float, float], failure_rate: float
) -> None:
    """Raise ``ValueError`` for an invalid processing option."""
    if not speed > 0:
        raise ValueError(f"speed must be positive, got {speed!r}")
    low, high = processing_seconds
    if not 0 <= low <= high:
        raise ValueError("processing_seconds must be (min, max) with 0 <= min <= max")
    if not 0.0 <= failure_rate <= 1.0:
        raise ValueError(f"failure_rate must be between 0 and 1, got {failure_rate!r}")


def get_option(store: AssetStore, faults: Faults, name: str) -> Any:
    """The current value of option ``name``; ``AttributeError`` for an unknown one."""
    if name in _STORE_FIELDS:
        return getattr(store, name)
    if name in _LIVE_FIELDS:
        return getattr(faults.live, name)
    if name in _CONFIG_FIELDS:
        return getattr(faults.config, name)
    raise AttributeError(name)


def set_options(store: AssetStore, faults: Faults, options: dict[str, Any]) -> None:
    """Validate every option first, then apply them all (see ``Sandbox.configure``)."""
    unknown = set(options) - _CONFIG_FIELDS - _STORE_FIELDS - _LIVE_FIELDS - {"fault_seed"}
    if unknown:
        raise TypeError(f"unknown Sandbox options: {', '.join(sorted(unknown))}")
    live = faults.live
    check_store_options(
        options.get("speed", store.speed),
        options.get("processing_seconds", store.processing_seconds),
        options.get("failure_rate", store.failure_rate),
    )
    check_live_options(
        options.get("arrival_rate", live.arrival_rate),
        options.get("delete_rate", live.delete_rate),
        options.get("churn_per_request", live.churn_per_request),
    )
    fault_options = {k: v for k, v in options.items() if k in _CONFIG_FIELDS}
    config = dataclasses.replace(faults.config, **fault_options)
    check_mode(store.documented, config)
    store.advance()  # what was due under the old speed and rates happens under them
    if "speed" in options:
        store.speed = options["speed"]
    if "processing_seconds" in options:
        store.processing_seconds = tuple(options["processing_seconds"])
    if "failure_rate" in options:
        store.failure_rate = options["failure_rate"]
    live.set_rates(
        store,
        options.get("arrival_rate"),
        options.get("delete_rate"),
        options.get("churn_per_request"),
    )
    if "fault_seed" in options:
        faults.reseed(options["fault_seed"])
    if {"rate_limit", "burst"} & set(options):
        faults.refill("read")
    if {"write_rate_limit", "write_burst"} & set(options):
        faults.refill("write")
    faults.config = config
