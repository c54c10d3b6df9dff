"""The SEM engine's import graph: acyclic, and standalone (nothing from the study or
the survey).  Every import counts, also those inside functions, so that no module
reaches up to the front door for a shared type."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import analysis.sem

SEM_DIR = Path(analysis.sem.__file__).parent
PACKAGE = "analysis.sem"


def _imports(path: Path) -> set[str]:
    """Modules of ``analysis.sem`` imported anywhere in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                base = ".".join([PACKAGE, node.module] if node.module else [PACKAGE])
            out.add(base)
            # "from . import ml" imports the submodule ml
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def import_graph(directory: Path = SEM_DIR) -> dict[str, set[str]]:
    """Module -> modules of the package it imports (the package itself left out)."""
    modules = {f"{PACKAGE}.{p.stem}": p for p in directory.glob("*.py")
               if p.stem != "__init__"}
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first = last), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_detects_a_cycle_and_accepts_a_dag():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_import_graph_sees_function_level_and_relative_imports(tmp_path):
    (tmp_path / "low.py").write_text("X = 1\n")
    (tmp_path / "high.py").write_text("def f():\n    from .low import X\n    return X\n")
    (tmp_path / "other.py").write_text("from . import high\n")
    graph = import_graph(tmp_path)
    assert graph == {f"{PACKAGE}.low": set(), f"{PACKAGE}.high": {f"{PACKAGE}.low"},
                     f"{PACKAGE}.other": {f"{PACKAGE}.high"}}


def test_sem_package_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 10
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle in analysis.sem: " + " -> ".join(cycle)


def test_front_door_is_imported_by_no_engine_module():
    graph = import_graph()
    users = sorted(m for m, deps in graph.items() if f"{PACKAGE}.api" in deps)
    assert users == [f"{PACKAGE}.invariance"]


def test_sem_imports_nothing_from_the_study_or_the_survey():
    code = ("import sys, analysis.sem; "
            "print(sorted(m for m in sys.modules if m.startswith(('instruments', "
            "'analysis.study', 'analysis.stats', 'analysis.report'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
