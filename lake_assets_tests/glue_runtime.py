"""A virtualenv shaped like AWS Glue 5.0 (`.venv-glue/`), to run the job code where Glue runs it.

It mirrors what a Glue job's Python sees (`lake_assets.remote.runtime`):
- pyspark and py4j installed with `--target` into `glue-cluster/`, their pip metadata removed and
  the folder put on sys.path by a `.pth` file: importable, invisible to pip, like the cluster path;
- pandas, pyarrow, numpy, boto3 at Glue's versions, pip-visible like Glue's provided modules;
- the job modules installed by pip with their requirements, as Glue's pip does. The runtime's
  versions are taken before and after, and any change fails the build naming what moved: this is
  how `pandera[pyspark]` broke Glue (it pulled pyspark 4 and a new pyarrow over the cluster's);
- pytest, test-only, after that check.
The venv is rebuilt when the runtime declaration changes (stamp file). The current package is
installed per session the way Glue installs it: the wheel `lake-deploy` builds, with pip, from
`--additional-python-modules`, reinstalled whenever the source changed. Dagster must not be there.

`python -m lake_assets_tests.glue_runtime` runs the Glue-compatible tests with that venv's Python
(`make test-glue-runtime`), on a copy of the test package so only the wheel's code is importable.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from lake_assets.remote import artifacts, runtime

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV = REPO_ROOT / ".venv-glue"
BUILD_STEPS = "3"  # bump when the build below changes, so existing venvs are rebuilt
# Tests that need neither Dagster nor moto: parsers, transforms, contracts, the local lake, jobs
# (the shared builders they use, landing_builders.py, are stdlib only). Not here: every test
# importing dagster or moto (definitions, sensors, engines, alerts, CDC via definitions), and
# those needing the sample generator or the CLIs (not job code; export checksums use the generator).
GLUE_TESTS = (
    "test_transforms_entities.py",
    "test_transforms_gold.py",
    "test_transforms_silver_requests.py",
    "test_transforms_arrow_rows.py",
    "test_dynamodb_json.py",
    "test_parse_api_logs.py",
    "test_quality_checks.py",
    "test_lake_storage.py",
    "test_exports.py",
    "test_job_checks.py",
    "test_settings.py",
    "test_api_log_robustness.py",
    "test_dynamodb_exact.py",
    "test_export_inputs.py",
    "test_silver_row_rules.py",
    "test_genuine_export.py",
)
# Provokes a failed write with `F.assert_true`, a VOID column that Spark 3.5 refuses to write at
# analysis time, so the expected message differs (the old version is intact on both Sparks).
GLUE_DESELECT = ("test_lake_storage.py::test_failed_write_leaves_previous_version_intact",)
# Prints what the runtime looks like from inside: versions as imported, and pip's view.
PROBE = """
import importlib, importlib.metadata as md, importlib.util, json, sys
modules = {"pyspark": "pyspark", "py4j": "py4j.version", "pandas": "pandas", "pyarrow": "pyarrow",
           "numpy": "numpy", "boto3": "boto3", "botocore": "botocore"}
def version(module):
    try:
        return importlib.import_module(module).__version__
    except Exception as exc:
        return f"nothing ({type(exc).__name__}: {exc})"
print(json.dumps({"python": "%d.%d" % sys.version_info[:2],
                  "imported": {d: version(m) for d, m in modules.items()},
                  "dagster": importlib.util.find_spec("dagster") is not None,
                  "pip": {d.metadata["Name"].lower(): d.version for d in md.distributions()}}))
"""


class GlueRuntimeError(RuntimeError):
    """The Glue-shaped venv cannot be built as declared; the message says what differs."""


def _python() -> Path:
    return VENV / "bin" / "python"


def _run(*args: object, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run([str(a) for a in args], check=True, env=env, **kwargs)


def _pip(*args: object) -> None:
    _run(_python(), "-m", "pip", "--quiet", *args)


def probe() -> dict:
    """Python version, imported runtime versions and every pip-visible distribution of the venv."""
    out = _run(_python(), "-c", PROBE, capture_output=True, text=True, cwd=VENV).stdout
    return json.loads(out)


def runtime_problems(state: dict) -> list[str]:
    """How the venv differs from the declared runtime: Python, every pinned version as imported,
    the cluster's packages invisible to pip (a pip-visible pyspark means pip installed one), and
    no Dagster."""
    problems = (
        [f"python {state['python']} (Glue {runtime.GLUE_VERSION} has {runtime.PYTHON_VERSION})"]
        if state["python"] != runtime.PYTHON_VERSION
        else []
    )
    for name, version in runtime.runtime_versions().items():
        if state["imported"][name] != version:
            problems.append(f"{name} imports as {state['imported'][name]}, the runtime has {version}")
    for pin in runtime.CLUSTER_PINS:
        name = pin.split("==")[0]
        if name in state["pip"]:
            problems.append(f"pip installed {name} {state['pip'][name]} over the cluster's")
    if state["dagster"]:
        problems.append("dagster is importable (Glue has no Dagster; the job must not need it)")
    return problems


def check_runtime(state: dict) -> None:
    """Fail unless the venv is exactly the declared runtime."""
    problems = runtime_problems(state)
    if problems:
        raise GlueRuntimeError("not the Glue runtime: " + "; ".join(problems))


def _moved(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [
        f"{name} {version} -> {after.get(name, 'removed')}"
        for name, version in sorted(before.items())
        if after.get(name) != version
    ]


def install_job_modules(modules: tuple[str, ...] | list[str]) -> None:
    """pip-install `modules` (with their requirements, as Glue does) and fail if that moved any
    package that was there before or made the venv differ from the runtime."""
    before = probe()
    _pip("install", *modules)
    after = probe()
    problems = _moved(before["pip"], after["pip"]) + runtime_problems(after)
    if problems:
        raise GlueRuntimeError(f"installing {', '.join(modules)} changed the Glue runtime: {'; '.join(problems)}")


def _build_venv(python: str) -> None:
    shutil.rmtree(VENV, ignore_errors=True)
    _run(python, "-m", "venv", VENV)
    cluster = VENV / "glue-cluster"
    _pip("install", "--no-deps", "--target", cluster, *runtime.CLUSTER_PINS)
    for leftover in [*cluster.glob("*.dist-info"), cluster / "bin"]:
        shutil.rmtree(leftover, ignore_errors=True)
    (site_packages,) = VENV.glob("lib/python*/site-packages")
    (site_packages / "glue_cluster.pth").write_text(f"{cluster}\n")
    _pip("install", *runtime.PROVIDED_PINS)
    check_runtime(probe())
    install_job_modules(runtime.JOB_MODULES)
    _pip("install", "pytest>=8")
    check_runtime(probe())


def _stamp_text() -> str:
    return f"{runtime.fingerprint()} {BUILD_STEPS}\n"


def _source_stamp() -> str:
    return artifacts.source_hash()


def _install_package() -> None:
    """The package the way Glue gets it: `lake-deploy`'s wheel, pip-installed with its requirements."""
    with tempfile.TemporaryDirectory() as tmp:
        wheel = artifacts.build_wheel(Path(tmp))
        if next(VENV.glob("lib/python*/site-packages/lake_assets-*.dist-info"), None):
            _run(_python(), "-m", "pip", "uninstall", "--quiet", "--yes", "lake_assets")
        install_job_modules([str(wheel)])


@functools.cache
def glue_python() -> Path:
    """The Python of the Glue-shaped venv with the current package installed; built when missing
    or when the runtime declaration changed (a few minutes cold, seconds warm)."""
    VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(REPO_ROOT / ".venv-glue.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time across processes
        stamp, source = VENV / ".glue-runtime", VENV / ".lake_assets-source"
        if not stamp.exists() or stamp.read_text() != _stamp_text():
            started = time.monotonic()
            python = shutil.which(f"python{runtime.PYTHON_VERSION}") or sys.executable
            _build_venv(python)
            stamp.write_text(_stamp_text())
            print(f"glue runtime: built {VENV} in {time.monotonic() - started:.0f}s", file=sys.stderr)
        current = _source_stamp()
        if not source.exists() or source.read_text() != current:
            _install_package()
            source.write_text(current)
    return _python()


def main(argv: list[str] | None = None) -> int:
    """Run GLUE_TESTS (or the given pytest arguments) with the Glue venv's Python."""
    python = glue_python()
    with tempfile.TemporaryDirectory(prefix="glue-tests-") as tmp:
        tests = Path(tmp) / "lake_assets_tests"
        shutil.copytree(Path(__file__).parent, tests, ignore=shutil.ignore_patterns("__pycache__"))
        # The project's pytest settings (registered markers, --strict-markers) hold there too.
        options = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
        markers = "".join(f"\n    {marker}" for marker in options["markers"])
        (Path(tmp) / "pytest.ini").write_text(f"[pytest]\naddopts = {options['addopts']}\nmarkers ={markers}\n")
        args = argv or [
            *(f"lake_assets_tests/{name}" for name in GLUE_TESTS),
            *(f"--deselect=lake_assets_tests/{test}" for test in GLUE_DESELECT),
        ]
        # Spark 3.5's own `distutils` version checks warn on every Arrow call: noise, not ours.
        quiet = ["-W", "ignore:distutils Version classes are deprecated:DeprecationWarning"]
        return subprocess.run(
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *quiet, *args],
            cwd=tmp,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
