"""One day of the whole lake through Dagster (`lake_daily`), timed from the run's own step events.

Run as a separate process by `run_benchmark.py`, so it pays its own JVM start and its peak memory
is its own. Per-step wall time comes from the STEP_START/STEP_SUCCESS timestamps Dagster records
(step keys are the job names), which is what the Dagster UI shows; the gap between the run's
wall time and the sum of its steps is Dagster's own overhead (definitions, planning, events).

The Spark session is created inside the first step. To report its start separately (as the plain
baseline does), `get_spark` is wrapped with a timer; that adds no work to the run.

    python benchmarks/dagster_run.py --landing DIR --lake DIR --day YYYY-MM-DD [--json FILE]
"""

from __future__ import annotations

import functools
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from plain_pyspark import JOB_ORDER, LAYERS, bench_settings, layer_of, parse_run_args

import lake_assets
from lake_assets.core.settings import LakeSettings

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class DagsterRun:
    """Timings (wall seconds) and outputs of one Dagster run."""

    success: bool = False
    run_id: str = ""
    startup_seconds: float = 0.0  # Spark session creation, inside the first step
    definitions_seconds: float = 0.0  # build_definitions + resolve_job_def
    step_seconds: dict[str, float] = field(default_factory=dict)
    layer_seconds: dict[str, float] = field(default_factory=dict)  # steps, startup excluded
    total_seconds: float = 0.0
    code_path: str = field(default_factory=lambda: str(Path(lake_assets.__file__).parent))  # which copy ran
    outside_steps_seconds: float = 0.0
    table_rows: dict[str, int] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # failed steps and why
    startup_span: list[float] = field(default_factory=list)  # epoch seconds, as in plain_pyspark
    step_spans: dict[str, list[float]] = field(default_factory=dict)


def time_spark_start(run: DagsterRun) -> None:
    """Wrap `get_spark` so the first (session-creating) call's duration is recorded."""
    from lake_assets.core import spark

    original = spark.get_spark

    @functools.wraps(original)
    def timed(settings: LakeSettings) -> Any:
        started, epoch = time.perf_counter(), time.time()
        session = original(settings)
        if not run.startup_seconds:
            run.startup_seconds = time.perf_counter() - started
            run.startup_span = [epoch, time.time()]
        return session

    spark.get_spark = timed  # engine.job_context imports it at call time


def step_spans_of(instance: Any, run_id: str) -> dict[str, list[float]]:
    """[STEP_START, STEP_SUCCESS] timestamps (epoch seconds) per step key, from the run's event log."""
    import dagster as dg

    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    starts: dict[str, float] = {}
    spans: dict[str, list[float]] = {}
    for entry in instance.all_logs(run_id, of_type=kinds):
        event = entry.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        else:
            spans[event.step_key] = [starts[event.step_key], entry.timestamp]
    return spans


def _table_rows(result: Any) -> dict[str, int]:
    """Rows per written table, from the materializations' `dagster/row_count` metadata."""
    rows: dict[str, int] = {}
    for job in JOB_ORDER:
        for mat in result.asset_materializations_for_node(job):
            value = mat.metadata.get("dagster/row_count")
            rows["/".join(mat.asset_key.path)] = int(getattr(value, "value", value))
    return rows


def run_dagster(settings: LakeSettings, day: date) -> DagsterRun:
    """Materialize every Bronze/Silver/Gold asset for `day` in one in-process Dagster run."""
    import dagster as dg

    from lake_assets.definitions import build_definitions

    run = DagsterRun()
    time_spark_start(run)
    began = time.perf_counter()
    job = build_definitions(settings).resolve_job_def("lake_daily")
    run.definitions_seconds = time.perf_counter() - began
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        partition_key=day.isoformat(), instance=instance, run_config=QUIET_LOGS, raise_on_error=False
    )
    run.total_seconds = time.perf_counter() - began
    run.success, run.run_id = result.success, result.run_id
    run.step_spans = step_spans_of(instance, result.run_id)
    run.step_seconds = {step: end - start for step, (start, end) in run.step_spans.items()}
    run.outside_steps_seconds = run.total_seconds - sum(run.step_seconds.values())
    for layer in LAYERS:
        run.layer_seconds[layer] = sum(s for k, s in run.step_seconds.items() if layer_of(k) == layer)
    # The session starts inside the first bronze step: report it apart, as the baseline does.
    run.layer_seconds["bronze"] -= run.startup_seconds
    run.table_rows = _table_rows(result)
    run.failed_checks = [
        f"{'/'.join(e.asset_key.path)}:{e.check_name}" for e in result.get_asset_check_evaluations() if not e.passed
    ]
    run.failures = [
        f"{e.step_key}: {getattr(e.event_specific_data.error, 'message', '?').strip()[:300]}"
        for e in result.get_step_failure_events()
    ]
    return run


def main(argv: list[str] | None = None) -> int:
    args = parse_run_args(argv, __doc__.splitlines()[0])
    run = run_dagster(bench_settings(args.landing, args.lake, args.day), args.day)
    print(f"dagster run {run.run_id}: {'success' if run.success else 'FAILED'}")
    print(f"{'definitions':<28}{run.definitions_seconds:8.1f} s")
    print(f"{'spark startup':<28}{run.startup_seconds:8.1f} s")
    for step, seconds in run.step_seconds.items():
        print(f"  {step:<26}{seconds:8.1f} s")
    print(f"{'outside steps':<28}{run.outside_steps_seconds:8.1f} s")
    print(f"{'total (incl. startup)':<28}{run.total_seconds:8.1f} s")
    for line in (*run.failures, *(f"failed check {c}" for c in run.failed_checks)):
        print(f"  {line}")
    if args.json:
        args.json.write_text(json.dumps(asdict(run), indent=2))
    return 0 if run.success else 1


if __name__ == "__main__":
    sys.exit(main())
