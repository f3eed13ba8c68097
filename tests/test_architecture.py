"""The layout keeps its promises: no import cycles, plug-ins apart from the engine.

The import graph is read from the source (every `import` statement, wherever it stands,
type-checking blocks included), not from what happens to be loaded, so a cycle that only
one code path triggers is still found.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from tests.harness import ROOT

PACKAGE = ROOT / "tap_webinars"
# What a platform plug-in may never import: the engine and the Singer/Airbyte front ends.
ENGINE = {"tap_webinars.sync", "tap_webinars.tap", "tap_webinars.streams", "tap_webinars.airbyte"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The package's modules that *path* imports, explicitly."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(path, set(known)) - {name} for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_walker_sees_every_kind_of_import(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "import tap_webinars.sync\n"
        "from tap_webinars import tap\n"
        "def f():\n    from tap_webinars.streams import X\n"
        "if TYPE_CHECKING:\n    from tap_webinars.airbyte import Y\n"
    )
    known = set(modules())
    assert imports_of(source, known) >= ENGINE


def test_no_import_cycles_in_the_package() -> None:
    graph = import_graph()
    assert len(graph) > 20  # the walk saw the package
    assert cycles(graph) == []


def test_no_platform_module_imports_the_engine() -> None:
    graph = import_graph()
    platform_modules = [
        name
        for name in graph
        if name.startswith(("tap_webinars.platforms.", "tap_webinars.sandbox."))
    ]
    assert len(platform_modules) >= 8
    leaks = {
        name: sorted(graph[name] & ENGINE) for name in platform_modules if graph[name] & ENGINE
    }
    assert leaks == {}


def test_no_platform_knowledge_outside_the_plug_ins() -> None:
    """The issue's own check: the platforms are named only in their plug-in modules."""
    done = subprocess.run(
        [
            "git",
            "grep",
            "-n",
            "-i",
            "-E",
            "on24|webinarfuel|webcasts|cvent|zoom|goto",
            "--",
            "tap_webinars/",
            ":!tap_webinars/platforms/",
            ":!tap_webinars/sandbox/",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout == ""
