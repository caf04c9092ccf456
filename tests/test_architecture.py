"""The shape of the package: modules import each other's public names only, with no cycle.

Read from the source with ``ast``, every import counted, those inside functions too (a lazy
import still ties two modules together for a reader).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "argil_nb"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> list[tuple[str, str, list[str], int]]:
    """(importer, imported module, names taken, line) for every import of argil_nb code."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = _module_name(path)
        package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target == "argil_nb" or target.startswith("argil_nb."):
                    names = [alias.name for alias in node.names]
                    modules = [f"{target}.{n}" for n in names if _is_module(f"{target}.{n}")]
                    for module in modules:  # ``from . import x`` imports the module x
                        found.append((importer, module, [], node.lineno))
                    rest = [n for n in names if f"{target}.{n}" not in modules]
                    found.append((importer, target, rest, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("argil_nb"):
                        found.append((importer, alias.name, [], node.lineno))
    return found


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def test_no_private_name_is_imported_across_modules() -> None:
    private = [
        f"{importer}:{line} takes {name} from {target}"
        for importer, target, names, line in _imports()
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private, "\n".join(private)


def test_no_module_inside_imports_the_package_root() -> None:
    # The root imports most modules to re-export them: a module importing it makes a cycle.
    rooted = [f"{i}:{line}" for i, t, _, line in _imports() if t == "argil_nb" and i != t]
    assert not rooted, rooted


def test_the_import_graph_has_no_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for importer, target, _, _ in _imports():
        if importer != target:
            graph.setdefault(importer, set()).add(target)
    # A package's __init__ re-exporting its own modules is not a cycle of design.
    for node, targets in graph.items():
        graph[node] = {
            t for t in targets if not (t.startswith(node + ".") or node.startswith(t + "."))
        }
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert len(graph) > 20  # the walk saw the package
