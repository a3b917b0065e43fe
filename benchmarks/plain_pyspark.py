"""Baseline: the lake's seven jobs for one day as a plain PySpark script, with no Dagster run.

This is what the Dagster run is measured against. It calls exactly the code the assets call
(`build_context` and the declared steps' jobs) in the same order on one Spark session,
so any difference between the two runs is orchestration overhead, not different work.

    python benchmarks/plain_pyspark.py --landing DIR --lake DIR --day YYYY-MM-DD [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from action_timer import ACTIONS, instrument

import lake_assets
from lake_assets.core.settings import LakeSettings

# The order a day runs in (each job only reads tables written by the jobs before it).
JOB_ORDER = (
    "bronze_api_requests",
    "bronze_tasks_export",
    "silver_api_requests",
    "silver_entities",
    "gold_tasks_per_user_daily",
    "gold_route_latency_daily",
    "gold_user_activity_daily",
)
LAYERS = ("bronze", "silver", "gold", "checks")  # "checks": registry jobs that write no table
STARTUP = "spark_startup"
# A fixed, non-secret key so both benchmark lakes hash e-mails identically (and no key file
# with a random key is needed under each lake root).
BENCH_PII_KEY = "benchmark-only-not-a-secret-0123456789"


def table_jobs() -> set[str]:
    """Jobs that write tables (one per Dagster multi-asset); the step key is the job name."""
    from lake_assets.steps import CATALOG

    return {step.name for step in CATALOG.steps}


def layer_of(job: str) -> str:
    """Table jobs are named `<layer>_<table>`; anything else (a standalone check) is `checks`."""
    return job.split("_", 1)[0] if job in JOB_ORDER or job in table_jobs() else "checks"


def job_order() -> list[str]:
    """The seven table jobs in order, plus any other registry job (a newer table job, a standalone
    check the Dagster job also runs) after the last job of its layer, so both runs do the same work."""
    from lake_assets.steps import CATALOG

    jobs = [*JOB_ORDER, *(job for job in CATALOG.builds if job not in JOB_ORDER)]
    return sorted(jobs, key=lambda job: LAYERS.index(layer_of(job)))  # stable: keeps JOB_ORDER


def _outputs(result: Any) -> list[Any]:
    """A job returns its TableOutputs, either as a list or inside a result with `.outputs`."""
    return list(getattr(result, "outputs", result))


def _failed_checks(result: Any) -> list[str]:
    return [f"{c.table}:{c.name}" for c in getattr(result, "checks", []) if not c.passed]


def bench_settings(landing: Path, lake: Path, day: date) -> LakeSettings:
    """Settings both benchmark runs use: the project defaults apart from the paths and the key, and
    the driver heap when `LAKE_SPARK_DRIVER_MEMORY` is set (to measure memory against speed)."""
    return LakeSettings(
        lake_root_uri=str(lake.resolve()),
        landing_uri=str(landing.resolve()),
        partition_start=day,
        pii_hash_key=BENCH_PII_KEY,
        spark_driver_memory=os.environ.get("LAKE_SPARK_DRIVER_MEMORY", LakeSettings().spark_driver_memory),
    )


@dataclass
class PlainRun:
    """Timings (wall seconds) and outputs of one plain run."""

    startup_seconds: float = 0.0
    job_seconds: dict[str, float] = field(default_factory=dict)
    layer_seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    code_path: str = field(default_factory=lambda: str(Path(lake_assets.__file__).parent))  # which copy ran
    # table key → rows written, plus the facts the jobs report about their inputs
    table_rows: dict[str, int] = field(default_factory=dict)
    job_extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)  # tables a blocking check kept back
    # epoch-second spans of the startup and of each job: the parent's sampler turns them into
    # per-layer CPU seconds and peak memory (run_benchmark.layer_figures)
    startup_span: list[float] = field(default_factory=list)
    step_spans: dict[str, list[float]] = field(default_factory=dict)
    # every Spark action of the run, timed (`action_timer`): where a step's time went
    actions: list[dict[str, Any]] = field(default_factory=list)


def run_plain_detailed(settings: LakeSettings, day: date) -> PlainRun:
    """Start Spark (timed on its own), then run every job in order, timing each."""
    from lake_assets.execute import build_context
    from lake_assets.steps import CATALOG

    run = PlainRun()
    began, epoch = time.perf_counter(), time.time()
    ctx = build_context(settings, day)  # creates the Spark session (JVM start)
    run.startup_seconds = time.perf_counter() - began
    run.startup_span = [epoch, time.time()]
    for job in job_order():
        started, epoch = time.perf_counter(), time.time()
        result = CATALOG.builds[job](ctx)
        run.job_seconds[job] = time.perf_counter() - started
        run.step_spans[job] = [epoch, time.time()]
        for out in _outputs(result):
            run.table_rows[out.table.key] = out.rows
            if not getattr(out, "published", True):
                run.unpublished.append(out.table.key)
        run.job_extra[job] = {out.table.key: _jsonable(out.extra) for out in _outputs(result)}
        run.failed_checks += _failed_checks(result)
    run.total_seconds = time.perf_counter() - began
    run.layer_seconds = {layer: sum(s for j, s in run.job_seconds.items() if layer_of(j) == layer) for layer in LAYERS}
    return run


def run_plain(settings: LakeSettings, day: date) -> dict[str, float]:
    """Wall seconds per layer, plus `spark_startup` (the JVM start, kept out of the layers)."""
    run = run_plain_detailed(settings, day)
    return {STARTUP: run.startup_seconds, **run.layer_seconds}


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def print_run(run: PlainRun) -> None:
    print(f"{'spark startup':<28}{run.startup_seconds:8.1f} s")
    for job, seconds in run.job_seconds.items():
        print(f"  {job:<26}{seconds:8.1f} s")
    for layer in LAYERS:
        if run.layer_seconds[layer]:
            print(f"{layer:<28}{run.layer_seconds[layer]:8.1f} s")
    print(f"{'total (incl. startup)':<28}{run.total_seconds:8.1f} s")
    for key, rows in run.table_rows.items():
        print(f"  {key:<34}{rows:>12,} rows{'  (NOT published)' if key in run.unpublished else ''}")
    if run.failed_checks:
        print(f"failed checks: {', '.join(run.failed_checks)}")


def parse_run_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    """The command line both single-run scripts share (run_benchmark.py calls them the same way)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True)
    parser.add_argument("--json", type=Path, help="also write the figures here (used by run_benchmark.py)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_run_args(argv, __doc__.splitlines()[0])
    instrument()
    run = run_plain_detailed(bench_settings(args.landing, args.lake, args.day), args.day)
    run.actions = [asdict(a) for a in ACTIONS]
    print_run(run)
    if args.json:
        args.json.write_text(json.dumps(asdict(run), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
