"""A run worker killed with SIGKILL mid-step must not block the instance (the repo's dagster.yaml).

Real services (`dagster dev` on 127.0.0.1, with the repo's `dagster.yaml` in a temporary
DAGSTER_HOME) run Bronze `api_requests` for one day; the test kills the run worker while the step
runs, then checks that the instance recovers by itself: the dead run is marked FAILURE, its
`spark_local` pool slot comes back, the `run_retries` retry runs and publishes the partition once,
and an independently submitted run is not blocked either.
"""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import pyarrow.parquet as pq
import pytest

from lake_assets_tests.dagster_services import REPO_ROOT, DagsterService, small_lake_instance, wait_until
from lake_sample.generator import generate_sample

pytestmark = [
    pytest.mark.e2e,  # real `dagster dev` and three Spark runs: about two minutes
    # dagster_graphql's client calls gql with arguments gql has deprecated (not our code or config)
    pytest.mark.filterwarnings("ignore:Using variable_values and operation_name:DeprecationWarning"),
]

ASSET = dg.AssetKey(["bronze", "api_requests"])
STEP_KEY = "bronze__api_requests"
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
PID_MESSAGE = re.compile(r"Started process for run \(pid: (\d+)\)")

# Bounds (seconds), generous for a loaded 2-core machine but far below "blocked forever".
DETECT_TIMEOUT = 60  # killed worker -> run FAILURE (the code server notices within a second)
RETRY_LAUNCH_TIMEOUT = 90  # FAILURE -> retry created, and a queued run started (slot freed in <= ~20 s)
RUN_TIMEOUT = 180  # a started run of one small Bronze partition -> SUCCESS


def _events(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType) -> list[dg.EventLogEntry]:
    return list(instance.all_logs(run_id, of_type=event_type))


def _run(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun:
    run = instance.get_run_by_id(run_id)
    assert run is not None, run_id
    return run


def _times(instance: dg.DagsterInstance, run_id: str) -> tuple[float, float]:
    """(start, end) of a finished run, epoch seconds, as the instance recorded them."""
    record = instance.get_run_record_by_id(run_id)
    assert record is not None and record.start_time is not None and record.end_time is not None, run_id
    return record.start_time, record.end_time


def _wait_status(
    instance: dg.DagsterInstance,
    dagster: DagsterService,
    run_id: str,
    statuses: set[dg.DagsterRunStatus],
    timeout: float,
    what: str,
) -> dg.DagsterRunStatus:
    def reached() -> dg.DagsterRunStatus | None:
        status = _run(instance, run_id).status
        return status if status in statuses else None

    try:
        return wait_until(
            reached,
            timeout,
            what,
            alive=dagster.check_alive,
        )
    except Exception as error:
        raise AssertionError(
            f"{error}; run {run_id} is {_run(instance, run_id).status}\n{dagster.log_tail()}"
        ) from error


@pytest.fixture
def landing(tmp_path):
    """Two small days of landing data, well outside the sensors' lookback (they must stay quiet)."""
    today = datetime.now(UTC).date()
    day1 = today - timedelta(days=12)
    truth = generate_sample(tmp_path / "landing", day1, 2, 300, seed=7, users=8, tasks_per_user=3).to_dict()
    days = [day1.isoformat(), (day1 + timedelta(days=1)).isoformat()]
    return {"root": tmp_path, "days": days, "truth": truth, "start": (day1 - timedelta(days=2)).isoformat()}


@pytest.fixture
def dagster(landing):
    root = landing["root"]
    home, env = small_lake_instance(
        root,
        landing["start"],
        LAKE_LANDING_LOOKBACK_DAYS="1",
        LAKE_EXPORT_LOOKBACK_DAYS="1",
        LAKE_ALERTS_FILE=str(root / "alerts.jsonl"),
    )
    with DagsterService.dagster_dev(env, root / "logs", cwd=REPO_ROOT) as service:
        service.wait_ready(timeout=240)
        yield service, home


def test_killed_run_worker_is_recovered_and_does_not_block_later_runs(landing, dagster):
    service, home = dagster
    day1, day2 = landing["days"]
    client = service.graphql_client()

    def submit(day: str) -> str:
        return str(
            client.submit_job_execution(
                "lake_daily", asset_selection=[ASSET], tags={"dagster/partition": day, "test": "dead-run"}
            )
        )

    with dg.DagsterInstance.from_config(str(home)) as instance:
        killed_id = submit(day1)

        # Kill the run worker (the process the code server spawned for the run) once the Spark step runs.
        def worker_pid_when_step_started() -> int | None:
            if not _events(instance, killed_id, dg.DagsterEventType.STEP_START):
                return None
            for entry in _events(instance, killed_id, dg.DagsterEventType.ENGINE_EVENT):
                match = PID_MESSAGE.search(entry.message or "")
                if match:
                    return int(match.group(1))
            return None

        pid = wait_until(worker_pid_when_step_started, RUN_TIMEOUT, "the step to start", alive=service.check_alive)
        os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        other_id = submit(day2)  # submitted while the dead run still holds the pool slot

        _wait_status(
            instance, service, killed_id, {dg.DagsterRunStatus.FAILURE}, DETECT_TIMEOUT, "the dead run to fail"
        )
        assert not _events(instance, killed_id, dg.DagsterEventType.ASSET_MATERIALIZATION), "killed after publishing"

        def retry_run_id() -> str | None:
            retries = instance.get_runs(dg.RunsFilter(tags={"dagster/parent_run_id": killed_id}))
            return retries[0].run_id if retries else None

        retry_id = wait_until(retry_run_id, RETRY_LAUNCH_TIMEOUT, "the crash retry to be created")
        assert _run(instance, retry_id).tags.get("dagster/retry_number") == "1"

        # The slot comes back: one of the two queued runs (the retry, the other day) starts soon;
        # with max_concurrent_runs 1 the second one starts when the first has finished.
        started = {dg.DagsterRunStatus.STARTED, *FINISHED}
        try:
            first_id = wait_until(
                lambda: next((r for r in (retry_id, other_id) if _run(instance, r).status in started), None),
                RETRY_LAUNCH_TIMEOUT,
                "a queued run to start (the dead run's pool slot freed)",
                alive=service.check_alive,
            )
        except Exception as error:
            states = {r: _run(instance, r).status.value for r in (retry_id, other_id)}
            raise AssertionError(f"{error}: retry/other run are {states}\n{service.log_tail()}") from error
        second_id = other_id if first_id == retry_id else retry_id
        for run_id, bound in ((first_id, RUN_TIMEOUT), (second_id, 2 * RUN_TIMEOUT)):
            status = _wait_status(instance, service, run_id, FINISHED, bound, f"run {run_id} to finish")
            assert status == dg.DagsterRunStatus.SUCCESS, f"{run_id} {status}\n{service.log_tail()}"
        assert instance.get_runs_count(dg.RunsFilter(tags={"dagster/parent_run_id": killed_id})) == 1

        failed_at = _times(instance, killed_id)[1]
        timings = {
            "run FAILURE after SIGKILL": failed_at - killed_at,
            "first queued run started after FAILURE": _times(instance, first_id)[0] - failed_at,
            "retry SUCCESS after SIGKILL": _times(instance, retry_id)[1] - killed_at,
            "other run SUCCESS after SIGKILL": _times(instance, other_id)[1] - killed_at,
        }

        # Published exactly once: one materialization of the day (by the retry), one partition folder.
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=ASSET, asset_partitions=[day1]), limit=10
        ).records
        assert [r.run_id for r in records] == [retry_id]

    truth = landing["truth"]
    table = landing["root"] / "lake" / "bronze" / "api_requests"
    assert sorted(p.name for p in table.iterdir() if p.name.startswith("dt=")) == [f"dt={day1}", f"dt={day2}"]
    for day in (day1, day2):
        files = sorted((table / f"dt={day}").iterdir())
        assert files and all(f.suffix == ".parquet" for f in files), files  # no half-written partition
        rows = sum(pq.read_metadata(f).num_rows for f in files)
        assert rows == truth["lines_total"][day] + truth["control_messages"][day], day
    # What the killed run had staged stays out of sight under `_staging/` (readers skip it).
    staged = sorted(p.name for p in (table / "_staging").iterdir()) if (table / "_staging").is_dir() else []
    first = "retry" if first_id == retry_id else "other run"
    print(f"\n{first} first; " + "; ".join(f"{k} {v:.1f}s" for k, v in timings.items()), f"; staged leftovers {staged}")
