"""The shape of the package: modules import each other's public names only, with no cycle.

Read from the source with ``ast``, every import counted, those inside functions too (a lazy
import still ties two modules together for a reader).
"""

from __future__ import annotations

import ast
from pathlib import Path

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


def _owner(module: str) -> str:
    """The folder (package) that owns a module's private names: the package it is in."""
    path = PACKAGE.parent.joinpath(*module.split("."))
    return module if (path / "__init__.py").is_file() else module.rpartition(".")[0]


def test_private_names_stay_in_the_folder_that_owns_them() -> None:
    # A folder's modules may share ``_helpers`` (names and ``_modules``); nothing outside it
    # may reach in. The root folder's own ``_checks`` serves every folder.
    outside = []
    for importer, target, names, line in _imports():
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        parts = target.split(".")
        for depth, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                private.append(target)
                owner = ".".join(parts[:depth])
                break
        else:
            owner = _owner(target)
        if private and not (importer == owner or importer.startswith(owner + ".")):
            outside.append(f"{importer}:{line} takes {private} from {target} (owned by {owner})")
    assert not outside, "\n".join(outside)


def test_no_module_inside_imports_the_package_root() -> None:
    # The root imports most modules to re-export them: a module importing it makes a cycle.
    rooted = [f"{i}:{line}" for i, t, _, line in _imports() if t == "argil_nb" and i != t]
    assert not rooted, rooted


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (node -> the nodes it imports), or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


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
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
    assert len(graph) > 20  # the walk saw the package


def test_the_folders_import_each_other_in_one_direction() -> None:
    # Each folder drawn as one room (docs/architecture.md's picture): no two rooms import
    # each other, however lazily (a sandbox that made clients and a client module that
    # made sandboxes were one such loop).
    rooms: dict[str, set[str]] = {}
    for importer, target, _, _ in _imports():
        source, dest = _room(importer), _room(target)
        if source != dest and dest != "__init__.py":
            rooms.setdefault(source, set()).add(dest)
    cycle = _cycle(rooms)
    assert cycle is None, "rooms in a loop: " + " -> ".join(cycle or [])


# -- docs/architecture.md: who imports whom, drawn from the code --------------------------

DOC = PACKAGE.parent / "docs" / "architecture.md"
BEGIN, END = "<!-- imports: begin -->", "<!-- imports: end -->"


def _room(module: str) -> str:
    """A module as the doc names it: each folder (a package) as one room."""
    short = module.removeprefix("argil_nb.").removeprefix("argil_nb")
    folder, dot, _ = short.partition(".")
    if folder and (dot or (PACKAGE / folder / "__init__.py").is_file()):
        return folder + "/"
    return (short or "__init__") + ".py"


def _import_lines(inside: type | tuple[type, ...], test: str = "") -> set[tuple[str, int]]:
    """(module, line) of the imports made inside nodes of a type (functions, or the
    ``if TYPE_CHECKING:`` blocks when ``test`` names it)."""
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for block in ast.walk(tree):
            if not isinstance(block, inside):
                continue
            if test and not (isinstance(block, ast.If) and ast.unparse(block.test) == test):
                continue
            for node in ast.walk(block):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    found.add((_module_name(path), node.lineno))
    return found


BASE = ("errors.py", "_checks.py")
"""Rooms every other may import (the error tree, the argument checks): not drawn as arrows."""


def import_graph() -> str:
    """The picture of docs/architecture.md: the rooms and their imports, as a mermaid graph.

    A solid arrow is an import at the top of a module; a dotted one, an import inside a
    function (loaded when the feature is used); imports for type hints are left out.
    """
    lazy_at = _import_lines((ast.FunctionDef, ast.AsyncFunctionDef))
    typing_at = _import_lines(ast.If, "TYPE_CHECKING")
    edges: dict[tuple[str, str], str] = {}
    for importer, target, _, line in _imports():
        source, dest = _room(importer), _room(target)
        if source == dest or dest in ("__init__.py", *BASE) or (importer, line) in typing_at:
            continue
        kind = "-.->" if (importer, line) in lazy_at else "-->"
        if edges.get((source, dest)) != "-->":
            edges[(source, dest)] = kind
    rooms = sorted({_room(_module_name(p)) for p in PACKAGE.rglob("*.py")} - set(BASE))
    names = {room: room.replace(".py", "").replace("/", "_").strip("_") or "init" for room in rooms}
    lines = ["```mermaid", "graph TD"]
    lines += [f'  {names[room]}["{room}"]' for room in rooms]
    lines += [f"  {names[a]} {kind} {names[b]}" for (a, b), kind in sorted(edges.items())]
    return "\n".join([*lines, "```"])


def render_doc(text: str) -> str:
    """``text`` (docs/architecture.md) with its imports table drawn anew."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{import_graph()}\n{END}{tail}"


def test_the_architecture_doc_draws_the_imports_as_they_are() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    assert render_doc(text) == text, (
        "docs/architecture.md's picture of the imports is out of date: run "
        "`python -m tests.test_architecture --write` (or `make architecture`)"
    )


def test_the_architecture_doc_names_every_module() -> None:
    text = DOC.read_text(encoding="utf-8").partition(BEGIN)[0]
    rooms = {_room(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    unnamed = sorted(r for r in rooms if r.removesuffix(".py") not in text)
    assert not unnamed, f"docs/architecture.md does not describe {unnamed}"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Redraw docs/architecture.md's picture.")
    parser.add_argument("--write", action="store_true", help="write it (default: print it)")
    if parser.parse_args().write:
        DOC.write_text(render_doc(DOC.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote {DOC}")
    else:
        print(import_graph())
