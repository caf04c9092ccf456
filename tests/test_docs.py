"""Cross-references that resolve: every ``:func:``/``:class:``/``:meth:``/... reference in a
docstring of argil_nb, in README.md and in docs/, and every ``argil_nb.x.y`` written in
backticks, names something that exists (the last round's docstrings sent users to
``argil_nb.batch.wait`` and ``argil_nb._transport.request_seconds``, which did not).

A short name resolves the way Sphinx resolves it: in the docstring's own class, then its
module, then the package's public names.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import argil_nb

ROOT = Path(__file__).resolve().parent.parent
ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):`~?([^`<]+?)`")
DOTTED = re.compile(r"``(argil_nb(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?:\(\))?``")


def _modules() -> Iterator[ModuleType]:
    yield argil_nb
    for info in pkgutil.walk_packages(argil_nb.__path__, "argil_nb."):
        if info.name.endswith("__main__"):
            continue  # running it is what importing it does
        yield importlib.import_module(info.name)


def _docstrings() -> Iterator[tuple[str, str, list[str]]]:
    """(where, text, scopes to resolve short names in), for every docstring of ours."""
    for module in _modules():
        yield module.__name__, module.__doc__ or "", [module.__name__]
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != module.__name__:
                continue
            if inspect.isclass(value):
                scope = [f"{module.__name__}.{name}", module.__name__]
                yield f"{module.__name__}.{name}", value.__doc__ or "", scope
                for attr, member in vars(value).items():
                    doc = getattr(member, "__doc__", None)
                    if isinstance(member, property):
                        doc = member.fget.__doc__ if member.fget else None
                    if inspect.isfunction(member) or isinstance(member, property):
                        yield f"{module.__name__}.{name}.{attr}", doc or "", scope
            elif inspect.isfunction(value):
                yield f"{module.__name__}.{name}", value.__doc__ or "", [module.__name__]


def _instance_attributes(owner: Any) -> set[str]:
    """A dataclass's fields, or the ``self.x = ...`` of a class's ``__init__``."""
    if dataclasses.is_dataclass(owner):
        return {f.name for f in dataclasses.fields(owner)}
    init = getattr(owner, "__init__", None) if inspect.isclass(owner) else None
    try:
        source = inspect.getsource(init) if inspect.isfunction(init) else ""
    except OSError:
        source = ""
    return set(re.findall(r"self\.([A-Za-z_]\w*)\s*(?::[^=]+)?=", source))


def _resolve(dotted: str, ours: bool) -> Any:
    """The object ``dotted`` names (a module, then attributes), else LookupError.

    With ``ours``, a name a module merely imported from elsewhere (``batch.wait`` is
    concurrent.futures') names nothing. Instance attributes count as their class's.
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if not hasattr(found, attr) and attr not in _instance_attributes(found):
                raise LookupError(dotted)
            found = getattr(found, attr, None)
        home = getattr(found, "__module__", None)
        foreign = isinstance(home, str) and not home.startswith("argil_nb")
        if ours and foreign and not inspect.ismodule(found):
            raise LookupError(dotted)
        return found
    raise LookupError(dotted)


def _names_something(target: str, scopes: list[str]) -> bool:
    target = "".join(target.split()).removesuffix("()")  # a reference may wrap a line
    for prefix in ["", *(f"{s}." for s in scopes), "argil_nb."]:
        try:  # html.escape, pandas.DataFrame: another package's name, as it is
            _resolve(prefix + target, ours=bool(prefix) or target.startswith("argil_nb"))
        except LookupError:
            continue
        return True
    return False


def _references() -> list[tuple[str, str, list[str]]]:
    found = []
    for where, text, scopes in _docstrings():
        found += [(where, m, scopes) for m in ROLE.findall(text)]
        found += [(where, m, scopes) for m in DOTTED.findall(text)]
    for page in [
        ROOT / "README.md",
        ROOT / "CONTRIBUTING.md",
        *sorted((ROOT / "docs").glob("*.md")),
    ]:
        text = page.read_text(encoding="utf-8")
        found += [(page.name, m, []) for m in ROLE.findall(text) + DOTTED.findall(text)]
    return found


def test_there_are_references_to_check() -> None:
    assert len(_references()) > 40


def test_every_cross_reference_names_something() -> None:
    broken = sorted(
        {
            f"{where}: {target}"
            for where, target, scopes in _references()
            if not _names_something(target, scopes)
        }
    )
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("target", ["argil_nb.batch.wait", "argil_nb._transport.request_seconds"])
def test_the_references_that_named_nothing_are_caught(target: str) -> None:
    assert not _names_something(target, ["argil_nb.client"])


def test_the_calls_users_make_have_their_whole_docstring() -> None:
    calls = [
        argil_nb.Client.get_asset, argil_nb.Client.get_assets, argil_nb.Client.list_assets,
        argil_nb.Client.create_asset, argil_nb.Client.create_assets, argil_nb.Client.wait,
        argil_nb.Client.delete_asset, argil_nb.watch, argil_nb.connect, argil_nb.get_asset,
        argil_nb.get_assets, argil_nb.list_assets, argil_nb.create_assets, argil_nb.wait,
    ]  # fmt: skip
    for call in calls:
        doc = inspect.getdoc(call) or ""
        parameters = [p for p in inspect.signature(call).parameters if p not in ("self",)]
        missing = [p for p in parameters if not re.search(rf"^\*{{0,2}}{p}\b", doc, re.M)]
        assert not missing, f"{call.__qualname__} does not describe {missing}"
        for section in ("Parameters", "Raises", "Examples"):
            if section == "Parameters" and not parameters:
                continue
            assert f"\n{section}\n---" in doc, f"{call.__qualname__} has no {section}"
