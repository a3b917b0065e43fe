"""A CLI run killed mid-step (no daemon, no code server watching it) must not block later runs.

`dagster asset materialize` runs in the CLI's own process; SIGKILL leaves the run STARTED with its
`spark_local` slot claimed, and Dagster's run monitoring cannot see it. `lake-recover` (and the
`lake_dead_run_recovery` sensor under the daemon) fails it and frees the slot; the next CLI run
then publishes the partition exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from lake_assets.automation.dead_runs import dead_runs
from lake_assets_tests.dagster_services import REPO_ROOT, small_lake_instance, wait_until
from lake_sample.generator import generate_sample

pytestmark = pytest.mark.e2e  # two CLI runs with Spark: about a minute

BIN = Path(sys.executable).parent
POOL = "spark_local"


def claimed_runs(instance: dg.DagsterInstance) -> set[str]:
    return {slot.run_id for slot in instance.event_log_storage.get_concurrency_info(POOL).claimed_slots}


def test_a_killed_cli_run_is_recovered_and_the_next_run_publishes_once(tmp_path):
    day = datetime.now(UTC).date() - timedelta(days=12)  # outside any sensor look-back
    truth = generate_sample(tmp_path / "landing", day, 1, 300, seed=11, users=8, tasks_per_user=3).to_dict()
    home, env = small_lake_instance(tmp_path, (day - timedelta(days=2)).isoformat())
    materialize = [
        str(BIN / "dagster"),
        *("asset", "materialize", "-m", "lake_assets.definitions"),
        *("--select", "bronze/api_requests", "--partition", day.isoformat()),
    ]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs()  # creates the storage once: two processes creating SQLite storage at once race
        log = (tmp_path / "first.log").open("w")
        first = subprocess.Popen(materialize, env=env, cwd=REPO_ROOT, stdout=log, stderr=log, start_new_session=True)

        def started_run() -> str | None:
            for run in instance.get_runs():
                if list(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)):
                    return run.run_id
            return None

        try:
            killed = wait_until(started_run, 180, "the CLI run's step to start")
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # the CLI and its Spark JVM, mid-step
            first.wait(30)
        time.sleep(1)  # let the kernel reap the process group
        assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.STARTED  # stuck, as reported
        assert killed in claimed_runs(instance)  # ... holding the only spark_local slot
        assert [d.run_id for d in dead_runs(instance)] == [killed]

        recover = subprocess.run(
            [str(BIN / "lake-recover")], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
        )
        assert recover.returncode == 0, recover.stderr
        assert f"{killed}  __ASSET_JOB  process" in recover.stdout and "1 dead run(s)" in recover.stdout
        assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
        assert claimed_runs(instance) == set()

        second = subprocess.run(materialize, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        materialized = [
            run.run_id
            for run in instance.get_runs()
            if list(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION))
        ]
        assert len(materialized) == 1 and killed not in materialized
    partition = tmp_path / "lake/bronze/api_requests" / f"dt={day.isoformat()}"
    dt = day.isoformat()
    assert pq.read_table(partition).num_rows == truth["lines_total"][dt] + truth["control_messages"][dt]
