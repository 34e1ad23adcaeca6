"""The package's shape, checked: packages by concept, no import cycles, no private names
across modules, and a light `import nd_sim`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "nd_sim"
TOP_LEVEL_ALLOWED = 3  # besides __init__ and __main__


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The nd_sim modules a file imports (anywhere in it), by their full names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nd_sim"):
            for target in (node.module, *(f"{node.module}.{a.name}" for a in node.names)):
                if target in modules:
                    found.add(target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in modules}
    return found


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None (depth-first search with colours)."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        trail.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_unit() -> None:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        # importing a module always runs its parent packages first: not a cycle
        ancestors = {name.rsplit(".", k)[0] for k in range(1, name.count(".") + 1)}
        graph[name] = {m for m in _imports(path, modules) if m != name and m not in ancestors}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_cycle_finder_finds_a_cycle_unit() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_names_across_modules_unit() -> None:
    crossing = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nd_sim"):
                crossing += [
                    f"{name} imports {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert crossing == []


def test_few_modules_at_the_top_unit() -> None:
    top = [p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= TOP_LEVEL_ALLOWED, top
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert {"scenario", "inputs", "engine", "results", "run", "experiments", "report", "cli"} <= (
        packages
    )


def test_import_nd_sim_is_light_unit() -> None:
    code = (
        "import sys, nd_sim, nd_sim.scenario.bounds, nd_sim.errors; "
        "print(','.join(m for m in ('numpy', 'pandas', 'numba', 'pyarrow', 'matplotlib') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_public_api_loads_on_use_unit() -> None:
    import nd_sim

    assert callable(nd_sim.load_scenario) and callable(nd_sim.compile_model)
    assert set(nd_sim.__all__) == {
        "Scenario",
        "compile_model",
        "load_scenario",
        "run_replication",
        "run_to_folder",
    }
