"""Sandbox options as attributes: ``sb.error_rate = 0.1`` goes through ``configure``."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar, overload

__all__ = ["Option", "check_store_options"]

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
