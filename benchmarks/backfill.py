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
from datetime import date, timedelta
from pathlib import Path

from proctree import run_measured

HERE = Path(__file__).resolve().parent
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
TARGET = 3.0
SEED, USERS, TASKS_PER_USER = 7, 2_000, 9


def run_range(landing: Path, lake: Path, first: date, last: date, start: date) -> int:
    """One Dagster run of `lake_daily` for first…last (one day: a plain partitioned run); `start` is
    the partitions' first day (the backfill's first day for both contenders)."""
    import dagster as dg
    from plain_pyspark import bench_settings

    from lake_assets.definitions import build_definitions

    job = build_definitions(bench_settings(landing, lake, start)).resolve_job_def("lake_daily")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    kwargs: dict = (
        {"partition_key": first.isoformat()}
        if first == last
        else {"tags": dict(zip(RANGE_TAGS, (first.isoformat(), last.isoformat()), strict=True))}
    )
    result = job.execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), run_config=quiet, raise_on_error=False, **kwargs
    )
    for failure in result.get_step_failure_events():
        print(f"  {failure.step_key}: {getattr(failure.event_specific_data.error, 'message', '?')[:300]}")
    return 0 if result.success else 1


def measured(landing: Path, lake: Path, first: date, last: date, start: date) -> dict[str, float]:
    days = [d.isoformat() for d in (first, last, start)]
    cmd = [sys.executable, str(Path(__file__).resolve()), "--run", *days, str(landing), str(lake)]
    code, wall, peak = run_measured(cmd, HERE)
    if code:
        raise SystemExit(f"the run of {first}…{last} failed (exit {code})")
    return {"wall": wall, "cpu": peak.tree_cpu_seconds, "rss_mb": peak.peak_rss_mb}


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
    figures: dict[str, list[dict[str, float]]] = {"one run per day": [], "one run for the range": []}
    rows: dict[str, dict[str, int]] = {}
    for round_no in range(args.repeat):
        for name in figures:
            lake = args.out / f"lake_{round_no}_{'range' if 'range' in name else 'daily'}"
            if lake.exists():
                shutil.rmtree(lake)
            if "range" in name:
                figures[name].append(measured(landing, lake, days[0], days[-1], days[0]))
            else:
                each = [measured(landing, lake, day, day, days[0]) for day in days]
                figures[name].append(
                    {
                        "wall": sum(r["wall"] for r in each),
                        "cpu": sum(r["cpu"] for r in each),
                        "rss_mb": max(r["rss_mb"] for r in each),
                    }
                )
            rows[name] = gold_rows(lake)
            print(f"round {round_no + 1} {name}: {json.dumps({k: round(v, 1) for k, v in figures[name][-1].items()})}")
    medians = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in figures.items()}
    daily, ranged = medians["one run per day"], medians["one run for the range"]
    print(f"\n{args.days}-day backfill, {args.requests:,} requests/day, medians of {args.repeat} round(s)")
    print(f"{'':<24}{'wall s':>10}{'CPU s':>10}{'peak RSS MB':>14}")
    for name, m in medians.items():
        print(f"{name:<24}{m['wall']:>10.1f}{m['cpu']:>10.1f}{m['rss_mb']:>14.0f}")
    speedup, cpu_ratio = daily["wall"] / ranged["wall"], daily["cpu"] / ranged["cpu"]
    verdict = "MET" if speedup >= TARGET else "MISSED"
    print(f"speed-up: {speedup:.2f}× wall, {cpu_ratio:.2f}× CPU (target ≥ {TARGET}× wall: {verdict})")
    for name, counts in rows.items():
        print(f"gold rows ({name}): {counts}")
    (args.out / "backfill.json").write_text(json.dumps({"medians": medians, "rounds": figures, "gold_rows": rows}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--run":
        first, last, start, landing, lake = sys.argv[2:7]
        days = (date.fromisoformat(d) for d in (first, last, start))
        sys.exit(run_range(Path(landing), Path(lake), *days))
    sys.exit(main())
