"""The job code on the runtime AWS Glue 5.0 provides: the Glue-shaped venv is that runtime, has no
Dagster, and everything the job script imports (at the top or inside functions) imports there."""

from __future__ import annotations

import json
import subprocess

import pytest

from lake_assets.remote import runtime
from lake_assets_tests import glue_runtime
from lake_assets_tests.glue_runtime import GlueRuntimeError, check_runtime, glue_python

VERSIONS = """
import json, numpy, pandas, pyarrow, pyspark
print(json.dumps({"pyspark": pyspark.__version__, "pandas": pandas.__version__,
                  "pyarrow": pyarrow.__version__, "numpy": numpy.__version__}))
"""
# Imports the given modules and, for the package's own modules, every module their source imports
# (also inside functions, as `main()` does; not under TYPE_CHECKING nor in `try/except
# ImportError`), recursively. Prints what was imported and what failed.
CLOSURE = """
import ast, importlib, importlib.util, json, sys

def optional(node):
    return isinstance(node, ast.Try) and any("ImportError" in ast.dump(h) for h in node.handlers)

def imports(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test):
            stack.extend(node.orelse)
            continue
        if optional(node):
            stack.extend(node.handlers + node.orelse + node.finalbody)
            continue
        if isinstance(node, ast.Import):
            yield from ((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield from ((node.module, alias.name) for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))

todo, seen, failed = [(name, None) for name in sys.argv[1:]], set(), {}
while todo:
    name, attr = todo.pop()
    try:
        module = importlib.import_module(name)
        if attr and not hasattr(module, attr):
            sub = f"{name}.{attr}"
            if not hasattr(module, "__path__") or importlib.util.find_spec(sub) is None:
                raise ImportError(f"cannot import {attr!r} from {name!r}")
            todo.append((sub, None))
    except Exception as exc:
        failed[name + (f":{attr}" if attr else "")] = f"{type(exc).__name__}: {exc}"
        continue
    if name in seen or not name.startswith("lake_assets"):
        seen.add(name)
        continue
    seen.add(name)
    with open(module.__file__, encoding="utf-8") as source:
        todo.extend(imports(ast.parse(source.read())))
print(json.dumps({"imported": sorted(seen), "failed": failed,
                  "package": importlib.import_module("lake_assets").__file__}))
"""
JOB_MODULES = (
    "lake_assets.steps",
    "lake_assets.execute",
    "lake_assets.remote.catalog",
    "lake_assets.remote.entrypoint",
)


# Tests that run the Glue-shaped venv are `remote`: it is built on first use (minutes) and gets the
# package reinstalled whenever its source changed. The checks of the runtime declaration are not.
remote = pytest.mark.remote


def _run_glue(tmp_path, *args: str) -> subprocess.CompletedProcess:
    """The Glue venv's Python, from an empty folder: only what is installed there is importable."""
    return subprocess.run([str(glue_python()), *args], cwd=tmp_path, capture_output=True, text=True)


@remote
def test_the_glue_venv_runs_the_declared_runtime(tmp_path):
    done = _run_glue(tmp_path, "-c", VERSIONS)
    assert done.returncode == 0, done.stderr
    pins = runtime.runtime_versions()
    assert json.loads(done.stdout) == {name: pins[name] for name in ("pyspark", "pandas", "pyarrow", "numpy")}
    assert pins["pyspark"].startswith("3.5.") and runtime.PYTHON_VERSION == "3.11"
    version = _run_glue(tmp_path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])")
    assert version.stdout.strip() == runtime.PYTHON_VERSION


@remote
def test_dagster_is_not_importable_on_glue(tmp_path):
    done = _run_glue(tmp_path, "-c", "import dagster")
    assert done.returncode != 0 and "No module named 'dagster'" in done.stderr


@remote
def test_the_job_script_and_everything_it_imports_import_on_glue(tmp_path):
    done = _run_glue(tmp_path, "-c", CLOSURE, *JOB_MODULES)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["failed"] == {}, result["failed"]
    assert result["package"].startswith(str(glue_runtime.VENV))  # the wheel's code, not the checkout
    tops = {name.split(".")[0] for name in result["imported"]}
    assert {"pyspark", "pandera", "dagster_pipes", "boto3"} <= tops
    assert "lake_assets.transforms.gold" in result["imported"]
    assert not tops & {"dagster", "dagster_aws", "moto"}


def test_a_module_that_moves_the_runtime_is_refused():
    # What installing `pandera[pyspark]` does on Glue: pip brings its own pyspark and pyarrow.
    state = {
        "python": runtime.PYTHON_VERSION,
        "dagster": False,
        "imported": {**runtime.runtime_versions(), "pyspark": "4.1.0", "pyarrow": "22.0.0"},
        "pip": {"pyspark": "4.1.0", "pyarrow": "22.0.0"},
    }
    with pytest.raises(GlueRuntimeError) as raised:
        check_runtime(state)
    message = str(raised.value)
    assert "pyspark imports as 4.1.0, the runtime has 3.5.4" in message
    assert "pyarrow imports as 22.0.0" in message and "pip installed pyspark 4.1.0 over the cluster's" in message
    assert glue_runtime._moved({"pyarrow": "17.0.0", "six": "1.17.0"}, {"pyarrow": "22.0.0"}) == [
        "pyarrow 17.0.0 -> 22.0.0",
        "six 1.17.0 -> removed",
    ]


def test_job_modules_never_name_a_runtime_package():
    provided = {name.lower() for name in runtime.runtime_versions()}
    for module in runtime.JOB_MODULES:
        name = module.split("==")[0].split("[")[0].lower()
        assert name not in provided and "[" not in module, module  # no extras: they pull pyspark
