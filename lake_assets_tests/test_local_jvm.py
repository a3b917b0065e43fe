"""What keeps the local engine's memory down: the JVM starts with `core/spark.LOCAL_JVM_ENV` (fewer
malloc arenas), and Spark keeps at most one idle Python worker (`spark_conf`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from lake_assets.core.spark import LOCAL_JVM_ENV


def _environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode(errors="replace").split("=", 1) for entry in raw if b"=" in entry)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads a process's environment from /proc")
def test_the_local_jvm_runs_with_two_malloc_arenas(spark):
    jvm_pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    jvm_env = _environment_of(jvm_pid)
    for name, value in LOCAL_JVM_ENV.items():
        # A value the user set before the session started wins; otherwise ours is in effect.
        assert jvm_env.get(name) == os.environ.get(name, value)
    assert jvm_env.get("MALLOC_ARENA_MAX") is not None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _idle_workers_per_daemon(jvm_pid: int) -> list[int]:
    """For each `pyspark.daemon` the JVM started: how many worker processes it has forked."""
    daemons = [c for c in _children(jvm_pid) if b"pyspark.daemon" in Path(f"/proc/{c}/cmdline").read_bytes()]
    return [len(_children(d)) for d in daemons]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="walks the process tree in /proc")
def test_at_most_one_idle_python_worker_is_kept(spark):
    def slow_copy(batches):
        import time

        time.sleep(1.5)  # both tasks run at once, so the stage needs two workers
        yield from batches

    df = spark.range(0, 2, numPartitions=2)
    assert df.mapInArrow(slow_copy, df.schema).count() == 2
    jvm_pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
    deadline = time.monotonic() + 20
    while max(_idle_workers_per_daemon(jvm_pid), default=0) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    # Without spark.python.factory.idleWorkerMaxPoolSize both stay for a minute.
    assert max(_idle_workers_per_daemon(jvm_pid)) == 1
