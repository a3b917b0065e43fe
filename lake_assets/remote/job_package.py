"""What the job scripts on Glue/EMR need of this package: the import closure of the entrypoint.

The wheel `lake-deploy` ships holds exactly these modules, so the Dagster side (assets,
sensors, definitions, CLIs) and the sample generator never reach a cluster, and a job module that
starts importing Dagster-side code shows up as a module missing on the Glue-shaped runtime in the
tests rather than as a heavier wheel. The imports are read from the source (module- and
function-level alike, since both run on the cluster); imports under `TYPE_CHECKING` are
annotations only and left out.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
JOB_ENTRYPOINT = "lake_assets.remote.entrypoint"
# Files the job reads at runtime besides modules (Spark's log configuration).
JOB_DATA = ("core/log4j2.properties",)


def package_modules(root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its `__init__.py`)."""
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _typing_only_nodes(tree: ast.AST) -> set[int]:
    return {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for n in ast.walk(node)
    }


def imported_modules(path: Path, known: dict[str, Path], package: str = PACKAGE_ROOT.name) -> set[str]:
    """The package's modules `path` imports anywhere in the file, `TYPE_CHECKING` blocks excluded."""
    tree = ast.parse(path.read_text())
    typing_only = _typing_only_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(package)}
    return {m for m in found if m in known}


def _with_parents(module: str) -> set[str]:
    """Importing `a.b.c` runs `a/__init__.py` and `a/b/__init__.py` first."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def job_closure(start: str = JOB_ENTRYPOINT, root: Path = PACKAGE_ROOT) -> set[str]:
    """Every module importing `start` can load, parent packages included."""
    known = package_modules(root)
    seen: set[str] = set()
    todo = [start]
    while todo:
        for module in _with_parents(todo.pop()) - seen:
            seen.add(module)
            todo.extend(imported_modules(known[module], known, root.name))
    return seen


def job_files(root: Path = PACKAGE_ROOT) -> list[Path]:
    """The files of the job wheel, relative to `root`'s parent, in a stable order."""
    known = package_modules(root)
    files = {known[m].relative_to(root.parent) for m in job_closure(root=root)}
    files |= {Path(root.name, data) for data in JOB_DATA if (root / data).exists()}
    return sorted(files)


def job_source_hash(root: Path = PACKAGE_ROOT, extra: str = "") -> str:
    """Hash of the job files (paths and bytes) plus `extra` (the declared requirements): the
    artifact version, independent of build time and of changes on the Dagster side."""
    digest = hashlib.sha256(extra.encode() + b"\0")
    for relative in job_files(root):
        digest.update(relative.as_posix().encode() + b"\0" + (root.parent / relative).read_bytes() + b"\0")
    return digest.hexdigest()[:16]
