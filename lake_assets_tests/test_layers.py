"""Layers match imports: parsing → transforms → builds → steps → execute → engines → assets →
definitions, with no import cycle — function-level imports included, since hiding a cycle inside
a function still makes it one. Imports under `TYPE_CHECKING` are annotations only and excluded."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lake_assets"
# A module may import only from its own rank or below.
RANKS = {
    "core": 0,
    "tables": 1,
    "parsing": 1,
    "quality": 2,
    "transforms": 3,
    "declare": 3,
    "builds": 4,
    "steps": 5,
    "execute": 6,
    "engines": 7,
    "remote": 7,
    "partitions": 8,
    "assets": 8,
    "automation": 8,
    "freshness": 8,
    "alerts": 8,
    "query": 8,
    "definitions": 9,
    "cli": 10,
}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """lake_assets modules `path` imports anywhere (module or function level), TYPE_CHECKING excluded."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for n in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lake_assets"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lake_assets")}
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, known) for name, path in known.items()}


def rank(module: str) -> int:
    parts = module.split(".")
    return RANKS[parts[1]] if len(parts) > 1 else 0


def test_every_import_goes_down_the_layers():
    upward = sorted(
        f"{m} imports {t}" for m, targets in graph().items() if m != "lake_assets" for t in targets if rank(t) > rank(m)
    )
    assert upward == []


def test_there_is_no_import_cycle():
    edges, cycles, state, stack = graph(), [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == "open":
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == []


def test_the_rules_see_function_level_imports():
    edges = graph()
    assert "lake_assets.remote.glue" in edges["lake_assets.engines.select"]  # imported inside engine_for
    assert "lake_assets.core.spark" in edges["lake_assets.execute"]  # imported inside build_context
