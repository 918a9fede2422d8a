"""The code's shape: no import cycles, front-door libraries only in the front doors.

Imports inside ``if TYPE_CHECKING:`` blocks are left out; imports inside functions
count (a cycle dodged by a local import is still a cycle in the design).
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
TOP = "venvstacks"
FRONT_DOOR_LIBRARIES = ("click", "rich_click", "rich", "pytest", "_pytest")


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(SRC).with_suffix("").parts)
    return name.removesuffix(".__init__")


def imports(path: Path, modules: set[str]) -> set[str]:
    """Every module a source file imports at run time (submodules where named)."""
    tree = ast.parse(path.read_text("utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for branch in node.body for n in ast.walk(branch)}
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            parent = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                child = f"{parent}.{alias.name}"
                found.add(child if child in modules else parent)
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    files = {
        module_name(path): path
        for path in (SRC / TOP).rglob("*.py")
        if "_injected" not in path.parts  # shipped files, stdlib only
    }
    modules = set(files)
    return {name: imports(path, modules) for name, path in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in edges.get(node, ()):
            if other not in edges:
                continue
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_modules() -> None:
    edges = graph()
    internal = {
        m: {x for x in found if x in edges and x != m} for m, found in edges.items()
    }
    assert cycles(internal) == []


def test_no_import_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = {}
    for module, found in graph().items():
        mine = package_of(module)
        packages.setdefault(mine, set()).update(
            package_of(x)
            for x in found
            if x.startswith(TOP + ".") and package_of(x) != mine
        )
    assert cycles(packages) == []


def test_export_never_imports_the_engine() -> None:
    for module, found in graph().items():
        if module.startswith(f"{TOP}.export"):
            assert not [x for x in found if x.startswith(f"{TOP}.engine")], module


def test_engine_and_parts_never_import_front_door_libraries() -> None:
    offenders = {
        module: sorted(x for x in found if x.split(".")[0] in FRONT_DOOR_LIBRARIES)
        for module, found in graph().items()
        if not module.startswith(f"{TOP}.cli")
    }
    assert {m: x for m, x in offenders.items() if x} == {}


def test_importing_the_engine_loads_no_front_door_library() -> None:
    code = (
        "import sys, venvstacks.engine.stack, venvstacks.engine.publishing;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{FRONT_DOOR_LIBRARIES!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
