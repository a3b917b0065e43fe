"""Dagster vs plain PySpark on one day of sample data: is orchestration worth its overhead?

The lake runs as Dagster assets in-process on one Spark session. This benchmark runs the same
day twice, each in its own process (so each pays its own JVM start and has its own memory peak):
once through Dagster (`lake_daily`) and once as a plain PySpark script calling the same jobs.
It prints per-layer wall time, throughput, peak memory of each process tree and the ratio of the
totals (goal: Dagster ≤ 1.15 × plain), checks both lakes hold the same rows, and writes
`<out>/results.json`.

    python benchmarks/run_benchmark.py [--requests 1000000] [--users N] [--tasks-per-user N]
                                       [--out benchmarks/out] [--skip-generate]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from plain_pyspark import LAYERS, layer_of
from proctree import TreePeak, run_measured, wait_for_quiet
from report import print_report

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "lake_assets"
RETRIES = 2  # extra attempts for a run killed from outside or slowed by other work (see run_one)
MAX_OTHER_CORES = 0.15  # average cores other processes may use during a run before it is redone
DEFAULT_DAY = date(2026, 11, 20)
SEED = 7
# ≈ 10.64 export items per user at 9 tasks/user (profile + tasks, +8%/day created, −1% deleted),
# so 94,000 users give ≈ 1,000,000 items in the day's snapshot.
DEFAULT_USERS, DEFAULT_TASKS_PER_USER = 94_000, 9
RATIO_GOAL = 1.15
RUNS = {"dagster": HERE / "dagster_run.py", "plain": HERE / "plain_pyspark.py"}
# Tables each job reads (to count rows in); Bronze reads the landing zone, counted as its own rows.
JOB_INPUTS = {
    "silver_api_requests": ["bronze/api_requests"],
    "silver_entities": ["bronze/tasks_export"],
    "gold_tasks_per_user_daily": ["silver/tasks"],
    "gold_route_latency_daily": ["silver/api_requests"],
    "gold_user_activity_daily": ["silver/api_requests", "silver/tasks"],
}


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=1_000_000, help="API requests in the day (default 1M)")
    p.add_argument("--users", type=int, default=DEFAULT_USERS, help="initial users (default %(default)s)")
    p.add_argument("--tasks-per-user", type=int, default=DEFAULT_TASKS_PER_USER)
    p.add_argument("--out", type=Path, default=HERE / "out", help="landing, lakes and results.json")
    p.add_argument("--day", type=date.fromisoformat, default=DEFAULT_DAY)
    p.add_argument("--skip-generate", action="store_true", help="reuse <out>/landing when it holds a sample")
    p.add_argument("--generate-only", action="store_true", help="write the sample, run nothing")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=900,
        help="before each run, wait up to this many seconds for other work on the machine to stop",
    )
    p.add_argument(
        "--reuse-snapshot",
        action="store_true",
        help="run on the code snapshot a previous run left in <out>/code_snapshot",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the pair N times, alternating; the table shows each side's median-total run",
    )
    return p.parse_args(argv)


def prepare_landing(args: argparse.Namespace, landing: Path) -> dict[str, Any]:
    """Generate (timed) or reuse the day's sample; returns its parameters and size."""
    from lake_sample.generator import TRUTH_FILE, clear_output, generate_sample

    wanted = {
        "start": args.day.isoformat(),
        "days": 1,
        "requests_per_day": args.requests,
        "seed": SEED,
        "users": args.users,
        "tasks_per_user": args.tasks_per_user,
    }
    truth_path = landing / TRUTH_FILE
    timing = landing.parent / "sample.json"  # the generation time, kept for runs that reuse the sample
    seconds = None
    if args.skip_generate and truth_path.exists():
        print(f"Reusing the sample in {landing}")
        saved = json.loads(timing.read_text()) if timing.exists() else {}
        if saved.get("params") == json.loads(truth_path.read_text()).get("params"):
            seconds = saved.get("generate_seconds")
    else:
        print(
            f"Generating {args.requests:,} requests, {args.users:,} users × {args.tasks_per_user} tasks "
            f"for {args.day} into {landing} …",
            flush=True,
        )
        clear_output(landing)
        began = time.perf_counter()
        generate_sample(landing, args.day, 1, args.requests, SEED, users=args.users, tasks_per_user=args.tasks_per_user)
        seconds = time.perf_counter() - began
        print(f"  generated in {seconds:.1f} s")
        timing.write_text(json.dumps({"params": wanted, "generate_seconds": seconds}))
    truth = json.loads(truth_path.read_text())
    params = truth.get("params", {})
    if params and params != wanted:
        print(f"  NOTE: the existing sample was made with {params}, not {wanted}")
    files = [f for f in landing.rglob("*") if f.is_file()]
    return {
        "generate_seconds": seconds,
        "params": params or wanted,
        "export_items": truth.get("export_items", {}).get(args.day.isoformat()),
        "lines_by_arrival_date": truth.get("lines_total", {}),
        "landing_files": len(files),
        "landing_mb": round(sum(f.stat().st_size for f in files) / 2**20, 1),
    }


def snapshot_code(out: Path, reuse: bool = False) -> tuple[Path, str]:
    """Copy `lake_assets` to `<out>/code_snapshot` and run both sides on that copy.

    Other people edit the package while a benchmark runs; Spark's Python workers import it from
    disk when they start, so an edit mid-run can break a run (a renamed function) or make the two
    sides run different code. A snapshot keeps the comparison to one version of the code.
    """
    dest = out / "code_snapshot"
    if not (reuse and (dest / "lake_assets").is_dir()):
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(PACKAGE, dest / "lake_assets", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    digest = hashlib.sha256()
    for path in sorted((dest / "lake_assets").rglob("*.py")):
        digest.update(path.relative_to(dest).as_posix().encode() + b"\0" + path.read_bytes())
    return dest, digest.hexdigest()[:16]


def _attempt(
    name: str, cmd: list[str], lake: Path, out: Path, code: Path, quiet_wait: float
) -> tuple[int, float, TreePeak, float]:
    """One attempt, from an empty lake, started when the machine is quiet."""
    shutil.rmtree(lake, ignore_errors=True)
    waited = time.monotonic()
    others = wait_for_quiet(quiet_wait) if quiet_wait > 0 else 0.0
    waited = time.monotonic() - waited
    if waited > 10:
        print(
            f"   waited {waited:.0f} s for other work on the machine to stop ({others:.2f} cores busy now)", flush=True
        )
    exit_code, wall, peak = run_measured(cmd, cwd=out, env={"PYTHONPATH": str(code)})
    return exit_code, wall, peak, others


def run_one(
    name: str, landing: Path, lake: Path, day: date, out: Path, quiet_wait: float, code: Path
) -> dict[str, Any]:
    """One run in its own process; its figures plus process wall, memory and CPU.

    A run is repeated (up to RETRIES times) when it was killed by a signal from outside, or when
    other processes took more than MAX_OTHER_CORES cores on average while it ran: on 2 cores
    either would measure the neighbours, not the run.
    """
    print(f"\n== {name} run ==", flush=True)
    figures = out / f"{name}_run.json"
    cmd = [
        sys.executable,
        str(RUNS[name]),
        "--landing",
        str(landing),
        "--lake",
        str(lake),
        "--day",
        day.isoformat(),
        "--json",
        str(figures),
    ]
    discarded: list[dict[str, Any]] = []
    for attempt in range(1 + RETRIES):
        figures.unlink(missing_ok=True)
        exit_code, wall, peak, others = _attempt(name, cmd, lake, out, code, quiet_wait)
        other_cores = peak.other_cpu_seconds / wall if wall else 0.0
        if exit_code < 0:
            why = f"killed by signal {-exit_code} from outside"
        elif exit_code == 0 and other_cores > MAX_OTHER_CORES:
            why = (
                f"shared the machine: other processes used {peak.other_cpu_seconds:.0f} CPU s "
                f"({other_cores:.2f} cores) during its {wall:.0f} s"
            )
        else:
            break
        if attempt == RETRIES:
            print(f"!! {name} run {why}; out of retries, its figures are kept but UNRELIABLE", flush=True)
            break
        print(f"!! {name} run {why}; running it again", flush=True)
        discarded.append({"exit_code": exit_code, "process_seconds": round(wall, 1), "why": why})
    result = json.loads(figures.read_text()) if figures.exists() else {}
    interfered = exit_code == 0 and other_cores > MAX_OTHER_CORES
    result.update(
        exit_code=exit_code,
        attempts=attempt + 1,
        discarded_attempts=discarded,
        process_seconds=wall,
        other_cores=round(other_cores, 2),
        interfered=interfered,
        peak_rss_mb=round(peak.peak_rss_mb, 1),
        sum_process_hwm_mb=round(peak.sum_hwm_mb, 1),
        hwm_by_process_mb=peak.by_kind_mb(),
        rss_samples=peak.samples,
        load_before=round(peak.load_before, 2),
        cpu_seconds=round(peak.tree_cpu_seconds, 1),
        other_cpu_seconds=round(peak.other_cpu_seconds, 1),
        others_busy_cores_at_start=round(others, 2),
    )
    if exit_code != 0:
        print(f"!! {name} run exited with {exit_code}")
    return result


def lake_rows(lake: Path, day: date) -> dict[str, int | None]:
    """Rows per table partition on disk (Parquet footers), None where a partition is missing."""
    from lake_assets.core.lake import LocalLake
    from lake_assets.steps import TABLES

    store = LocalLake(str(lake))
    return {
        key: store.describe(t.layer, t.name, day.isoformat()).rows
        if store.has_partition(t.layer, t.name, day.isoformat())
        else None
        for key, t in TABLES.items()
    }


def layer_rows(rows: dict[str, int | None]) -> dict[str, dict[str, int]]:
    """Rows in and out per layer (Bronze in = landed records = its rows out)."""
    from lake_assets.steps import CATALOG

    result = {layer: {"rows_in": 0, "rows_out": 0} for layer in LAYERS if layer != "checks"}
    for step in CATALOG.steps:
        layer = layer_of(step.name)
        written = sum(rows.get(out.key) or 0 for out in step.outputs)
        result[layer]["rows_out"] += written
        read = JOB_INPUTS.get(step.name)
        result[layer]["rows_in"] += written if read is None else sum(rows.get(t) or 0 for t in read)
    return result


def check_rows(lakes: dict[str, dict[str, int | None]], runs: dict[str, dict[str, Any]]) -> list[str]:
    """Differences between the two lakes, and between each lake and what its run reported."""
    problems = []
    for key in lakes["plain"]:
        seen = {name: rows.get(key) for name, rows in lakes.items()}
        if len(set(seen.values())) > 1:
            problems.append(f"{key}: rows differ between lakes {seen}")
        for name, run in runs.items():
            reported = run.get("table_rows", {}).get(key)
            if reported is not None and reported != seen[name]:
                problems.append(f"{key}: {name} run reported {reported} rows, its lake holds {seen[name]}")
    return problems


def _median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median total (a failed run, if any, so the failure is not hidden)."""
    failed = [r for r in results if r.get("exit_code") != 0]
    if failed:
        return failed[0]
    return sorted(results, key=lambda r: r["total_seconds"])[(len(results) - 1) // 2]


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    out = args.out.resolve()
    landing = out / "landing"
    out.mkdir(parents=True, exist_ok=True)
    sample = prepare_landing(args, landing)
    if args.generate_only:
        return 0
    code, digest = snapshot_code(out, args.reuse_snapshot)
    print(f"Running on a snapshot of lake_assets (sha256 {digest}) in {code}")
    every: dict[str, list[dict[str, Any]]] = {name: [] for name in RUNS}
    for _ in range(max(1, args.repeat)):  # alternate, so a slow spell on the machine hits both sides
        for name in RUNS:
            every[name].append(run_one(name, landing, out / f"lake_{name}", args.day, out, args.quiet_wait, code))
    runs = {name: _median_run(results) for name, results in every.items()}
    lakes = {name: lake_rows(out / f"lake_{name}", args.day) for name in RUNS}
    problems = check_rows(lakes, runs)
    results = {
        "day": args.day.isoformat(),
        "code_sha256": digest,
        "sample": sample,
        "runs": runs,
        "table_rows": lakes,
        "layer_rows": layer_rows(lakes["plain"]),
        "row_mismatches": problems,
        "ratio_goal": RATIO_GOAL,
        "repeats": {name: [r.get("total_seconds") for r in results] for name, results in every.items()},
        "all_runs": every if args.repeat > 1 else None,
    }
    ok = all(r.get("exit_code") == 0 for r in runs.values())
    if ok:
        results["ratio_total"] = runs["dagster"]["total_seconds"] / runs["plain"]["total_seconds"]
        results["ratio_process"] = runs["dagster"]["process_seconds"] / runs["plain"]["process_seconds"]
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print_report(results)
    print(f"\nFigures written to {out / 'results.json'}")
    return 0 if ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
