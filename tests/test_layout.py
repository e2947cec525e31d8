"""The package's layout rules: no import cycles, and the core stays on the Array API.

Imports are read from the source (``ast``), function-level and ``TYPE_CHECKING`` imports
included, so a cycle hidden inside a function body is found too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import xpnet

PACKAGE = Path(xpnet.__file__).parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that module ``name`` imports (anywhere in its body)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from .x import y`: y may be a submodule of x, or a name in x
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _find_cycle(graph) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_import_reader_sees_function_level_and_relative_imports(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from .model import Model\n    from . import files\n")
    known = {"xpnet", "xpnet.model", "xpnet.files", "xpnet.m"}
    assert _imports("xpnet.m", src, known) == {"xpnet.model", "xpnet", "xpnet.files"}


def test_no_module_imports_one_that_imports_it_back():
    graph = _graph()
    # the package's own __init__ re-exports the public API: submodules must not import it
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


#: The core: written once against the Array API (``xp``), never NumPy itself.
CORE = ["activations", "architecture", "losses", "network", "optimizers", "schedules",
        "training", "minibatches", "gradcheck", "validation", "engines", "engines.generic",
        "evaluation", "callbacks",
        "engines._flat"]


@pytest.mark.parametrize("module", CORE)
def test_the_core_does_not_use_numpy_directly(module):
    path = PACKAGE / (module.replace(".", "/") + ("/__init__.py" if module == "engines" else ".py"))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] not in ("numpy", "cupy") for a in node.names), module
        if isinstance(node, ast.ImportFrom) and not node.level:
            assert (node.module or "").split(".")[0] not in ("numpy", "cupy"), module
