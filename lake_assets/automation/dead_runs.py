"""Runs whose process is gone: mark them failed and give back their pool slots.

Why this exists beside Dagster's run monitoring (`dagster.yaml`): run monitoring notices a dead run
worker only when a code server launched it. A run started in-process by the CLI (`dagster asset
materialize`, `dg launch`, `lake-demo`) that is killed (SIGKILL, OOM killer, a closed laptop lid)
stays STARTED forever and keeps its `spark_local` slot, so every later run waits for a slot that
never comes — with or without the daemon.

Locally every run executes its steps in one process (the in-process executor), and Dagster records
that process in an engine event ("Executing steps in process (pid: N)"). A run whose recorded
process no longer exists on this machine cannot finish: it is reported failed (which the crash
retry of `run_retries` acts on when the daemon runs) and its slots are freed at once. Only for
the embedded default, where runs and this check share a machine: a pid means nothing across hosts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

UNFINISHED = [dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


@dataclass(frozen=True)
class DeadRun:
    run_id: str
    job_name: str
    pid: int


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists here (a pid reused by another process counts as
    alive: the safe mistake, the run is then left alone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def run_process(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the process executing the run's steps, from its latest engine event with a pid."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT).records
    for record in reversed(records):
        event = record.event_log_entry.dagster_event
        metadata = getattr(event.event_specific_data, "metadata", None) if event is not None else None
        value = (metadata or {}).get("pid")
        text = getattr(value, "value", value)
        if isinstance(text, str) and text.isdigit():
            return int(text)
    return None


def dead_runs(instance: dg.DagsterInstance, alive: Callable[[int], bool] = process_alive) -> list[DeadRun]:
    """Unfinished runs whose recorded step process no longer exists."""
    found = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=UNFINISHED)):
        pid = run_process(instance, run.run_id)
        if pid is not None and pid != os.getpid() and not alive(pid):
            found.append(DeadRun(run.run_id, run.job_name, pid))
    return found


def recover_dead_runs(instance: dg.DagsterInstance) -> list[DeadRun]:
    """Fail every dead run and free its pool slots; returns what was recovered."""
    recovered = dead_runs(instance)
    for dead in recovered:
        run = instance.get_run_by_id(dead.run_id)
        if run is None or run.status not in UNFINISHED:
            continue  # finished meanwhile
        instance.report_run_failed(
            run,
            f"the process running this run (pid {dead.pid}) is gone (killed?); marked failed and its "
            "pool slots freed so later runs are not blocked",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(dead.run_id)
    return recovered


def build_dead_run_sensor() -> dg.SensorDefinition:
    """Every minute under the daemon: CLI-started runs that died are not noticed by run monitoring."""

    @dg.sensor(
        name="lake_dead_run_recovery",
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Fails runs whose process is gone (e.g. a killed CLI run) and frees their pool slots.",
    )
    def lake_dead_run_recovery(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        recovered = recover_dead_runs(context.instance)
        for dead in recovered:
            context.log.warning(f"run {dead.run_id} ({dead.job_name}): process {dead.pid} is gone; marked failed")
        return dg.SkipReason(f"{len(recovered)} dead run(s) recovered" if recovered else "no dead runs")

    return lake_dead_run_recovery
