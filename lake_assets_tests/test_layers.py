"""Layers match imports: parsing → transforms → builds → steps → execute → engines → assets →
definitions, with no import cycle — function-level imports included, since hiding a cycle inside
a function still makes it one. Imports under `TYPE_CHECKING` are annotations only and excluded."""

from __future__ import annotations

from pathlib import Path

# The scanner the job wheel is built with (`lake-deploy`): the same reading of imports decides
# what ships to the cluster and which layer rules hold.
from lake_assets.remote.job_package import PACKAGE_ROOT, imported_modules, package_modules

SAMPLE_ROOT = Path(__file__).resolve().parents[1] / "lake_sample"
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


def graph() -> dict[str, set[str]]:
    """Every lake_assets module → the lake_assets modules it imports."""
    known = package_modules(PACKAGE_ROOT)
    return {name: imported_modules(path, known) for name, path in known.items()}


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


def test_the_sample_generator_is_its_own_package():
    """`lake_sample` (moved out of `lake_assets`) imports nothing from `lake_assets`: it ships and
    runs without the lake (only the demo CLI, at the top of the layers, calls into it)."""
    known = package_modules(PACKAGE_ROOT)
    sample = package_modules(SAMPLE_ROOT)
    assert "lake_sample.generator" in sample and not (PACKAGE_ROOT / "sample").exists()
    reaching_in = {name: imported_modules(path, known) for name, path in sample.items()}
    assert {name: found for name, found in reaching_in.items() if found} == {}
    # The scan does see imports across the two packages (the demo CLI's, inside a function).
    demo = imported_modules(PACKAGE_ROOT / "cli/demo.py", sample, package="lake_sample")
    assert "lake_sample.generator" in demo
