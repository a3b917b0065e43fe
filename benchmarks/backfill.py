"""A backfill of N days (default 7) as one run against N one-day runs, through Dagster, side by side.

Every lake asset has `BackfillPolicy.single_run()`, so Dagster's backfill daemon launches one
run for the whole range (partition-range tags); without it, a backfill is one run per day. Each
run here is its own process, as a run launcher starts it, so each pays its own Python imports,
definitions and Spark start. The contenders alternate over `--repeat` rounds, each into a fresh
lake; the table gives medians of wall time, CPU-seconds of the process tree and peak RSS, and the
speed-up (target ≥ 3×, issue #12). The one-day runs go day by day, each day's whole graph; the
ranged run builds each layer for every day before the next layer, so Silver of day D also sees
Bronze of D+1 (late arrivals): the row counts of both lakes are printed, not compared.

    python benchmarks/backfill.py [--out DIR] [--days 7] [--requests 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from missed import backfill_profile, step_seconds
from proctree import run_measured

HERE = Path(__file__).resolve().parent
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
TARGET = 3.0
SEED, USERS, TASKS_PER_USER = 7, 2_000, 9
TIMES = ("wall", "cpu", "rss_mb")


def run_range(landing: Path, lake: Path, first: date, last: date, start: date, figures: Path) -> int:
    """One Dagster run of `lake_daily` for first…last (one day: a plain partitioned run); `start` is
    the partitions' first day (the backfill's first day for both contenders). Where its time went
    (imports and definitions, Spark start, each step, Dagster outside steps) goes to `figures`."""
    began = time.perf_counter()
    import dagster as dg
    from dagster_run import DagsterRun, step_spans_of, time_spark_start
    from plain_pyspark import bench_settings

    from lake_assets.definitions import build_definitions

    run = DagsterRun()
    time_spark_start(run)
    job = build_definitions(bench_settings(landing, lake, start)).resolve_job_def("lake_daily")
    run.definitions_seconds = time.perf_counter() - began  # imports included: each run pays them
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    kwargs: dict = (
        {"partition_key": first.isoformat()}
        if first == last
        else {"tags": dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True))}
    )
    instance = dg.DagsterInstance.ephemeral()
    started = time.perf_counter()
    result = job.execute_in_process(instance=instance, run_config=quiet, raise_on_error=False, **kwargs)
    run.total_seconds = time.perf_counter() - started
    run.step_spans = step_spans_of(instance, result.run_id)
    run.step_seconds = {step: end - begin for step, (begin, end) in run.step_spans.items()}
    run.outside_steps_seconds = run.total_seconds - sum(run.step_seconds.values())
    figures.write_text(json.dumps(asdict(run)))
    for failure in result.get_step_failure_events():
        print(f"  {failure.step_key}: {getattr(failure.event_specific_data.error, 'message', '?')[:300]}")
    return 0 if result.success else 1


def measured(landing: Path, lake: Path, first: date, last: date, start: date) -> dict[str, Any]:
    """One run in its own process: wall, process-tree CPU, peak RSS, and where its wall time went."""
    days = [d.isoformat() for d in (first, last, start)]
    figures = lake.parent / f"{lake.name}_{first}_{last}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--run", *days, str(landing), str(lake), str(figures)]
    code, wall, peak = run_measured(cmd, HERE)
    if code:
        raise SystemExit(f"the run of {first}…{last} failed (exit {code})")
    return {
        "wall": wall,
        "cpu": peak.tree_cpu_seconds,
        "rss_mb": peak.peak_rss_mb,
        "phases": run_phases(json.loads(figures.read_text()), wall),
    }


def run_phases(run: dict[str, Any], wall: float) -> dict[str, float]:
    """A run's process wall split into what each run pays once (process, imports and definitions,
    Spark start, Dagster outside steps) and its steps (the Spark start taken out of the first)."""
    phases = {
        "process start and exit": wall - run["definitions_seconds"] - run["total_seconds"],
        "imports and definitions": run["definitions_seconds"],
        "Spark start": run["startup_seconds"],
        "Dagster outside steps": run["outside_steps_seconds"],
    }
    phases.update({f"step {step}": seconds for step, seconds in step_seconds(run).items()})
    return phases


def summed(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The one-day runs of a round as one contender: times and phases added, the highest peak."""
    phases: dict[str, float] = {}
    for r in runs:
        for k, v in r["phases"].items():
            phases[k] = phases.get(k, 0.0) + v
    return {
        "wall": sum(r["wall"] for r in runs),
        "cpu": sum(r["cpu"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "phases": phases,
    }


def gold_rows(lake: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    gold = lake / "gold"
    return {t.name: sum(pq.read_table(p).num_rows for p in t.glob("dt=*")) for t in sorted(gold.iterdir())}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=HERE / "out" / "backfill")
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--requests", type=int, default=20_000, help="API requests per day (default 20k)")
    p.add_argument("--first-day", type=date.fromisoformat, default=date(2026, 11, 14))
    p.add_argument("--repeat", type=int, default=3, help="alternating rounds (medians are reported)")
    p.add_argument("--skip-generate", action="store_true", help="reuse <out>/landing when it holds the sample")
    args = p.parse_args(argv)
    from lake_sample.generator import TRUTH_FILE, clear_output, generate_sample

    landing, days = args.out / "landing", [args.first_day + timedelta(days=i) for i in range(args.days)]
    if not (args.skip_generate and (landing / TRUTH_FILE).exists()):
        print(f"Generating {args.days} days × {args.requests:,} requests into {landing} …", flush=True)
        clear_output(landing)
        generate_sample(landing, days[0], args.days, args.requests, SEED, users=USERS, tasks_per_user=TASKS_PER_USER)
    figures: dict[str, list[dict[str, Any]]] = {"one run per day": [], "one run for the range": []}
    rows: dict[str, dict[str, int]] = {}
    for round_no in range(args.repeat):
        for name in figures:
            lake = args.out / f"lake_{round_no}_{'range' if 'range' in name else 'daily'}"
            if lake.exists():
                shutil.rmtree(lake)
            if "range" in name:
                figures[name].append(measured(landing, lake, days[0], days[-1], days[0]))
            else:
                figures[name].append(summed([measured(landing, lake, day, day, days[0]) for day in days]))
            rows[name] = gold_rows(lake)
            shown = {k: round(v, 1) for k, v in figures[name][-1].items() if k != "phases"}
            print(f"round {round_no + 1} {name}: {json.dumps(shown)}")
    medians = {name: {k: statistics.median(r[k] for r in runs) for k in TIMES} for name, runs in figures.items()}
    daily, ranged = medians["one run per day"], medians["one run for the range"]
    print(f"\n{args.days}-day backfill, {args.requests:,} requests/day, medians of {args.repeat} round(s)")
    print(f"{'':<24}{'wall s':>10}{'CPU s':>10}{'peak RSS MB':>14}")
    for name, m in medians.items():
        print(f"{name:<24}{m['wall']:>10.1f}{m['cpu']:>10.1f}{m['rss_mb']:>14.0f}")
    speedup, cpu_ratio = daily["wall"] / ranged["wall"], daily["cpu"] / ranged["cpu"]
    verdict = "MET" if speedup >= TARGET else "MISSED"
    print(f"speed-up: {speedup:.2f}× wall, {cpu_ratio:.2f}× CPU (target ≥ {TARGET}× wall: {verdict})")
    if speedup < TARGET:
        median_round = sorted(range(args.repeat), key=lambda i: figures["one run for the range"][i]["wall"])
        i = median_round[(args.repeat - 1) // 2]
        daily_round, ranged_round = figures["one run per day"][i], figures["one run for the range"][i]
        print(f"\nMISSED backfill speed-up: why, and what would close it (round {i + 1})")
        for line in backfill_profile(daily_round, ranged_round, args.days, TARGET):
            print(line)
    for name, counts in rows.items():
        print(f"gold rows ({name}): {counts}")
    (args.out / "backfill.json").write_text(json.dumps({"medians": medians, "rounds": figures, "gold_rows": rows}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        first, last, start, landing, lake, figures = sys.argv[2:8]
        days = (date.fromisoformat(d) for d in (first, last, start))
        sys.exit(run_range(Path(landing), Path(lake), *days, Path(figures)))
    sys.exit(main())
