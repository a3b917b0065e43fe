"""The benchmark's printed table, built from the same dict that goes to `results.json`.

Kept apart from the runner so the figures can be re-printed from a saved `results.json`
(`python benchmarks/report.py benchmarks/out/results.json`) without running anything again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from plain_pyspark import JOB_ORDER, LAYERS

W = 16  # width of a figure column


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _rate(rows: int, seconds: float | None) -> str:
    return "-" if not seconds else f"{rows / seconds:,.0f}"


def _row(label: str, *cells: str) -> str:
    return f"{label:<36}" + "".join(f"{c:>{W}}" for c in cells)


def _sample_line(sample: dict[str, Any]) -> str:
    params = sample.get("params", {})
    gen = sample.get("generate_seconds")
    lines = sample.get("lines_by_arrival_date", {})
    return (
        f"Sample: {params.get('requests_per_day', 0):,} requests/day "
        f"(lines by arrival date: {', '.join(f'{d}={n:,}' for d, n in lines.items())}), "
        f"{(sample.get('export_items') or 0):,} export items "
        f"({params.get('users', 0):,} users × {params.get('tasks_per_user')} tasks), "
        f"{sample.get('landing_files', 0):,} landing files, {sample.get('landing_mb')} MB; "
        + (f"generated in {gen:.1f} s" if gen is not None else "reused (not generated this time)")
    )


def print_report(results: dict[str, Any]) -> None:
    """Per-layer time and throughput of both runs, memory, the ratio and the row check."""
    dag, plain = results["runs"]["dagster"], results["runs"]["plain"]
    for run in (dag, plain):  # a failed run's partial timings would only mislead
        if run.get("exit_code") != 0:
            run["layer_seconds"], run["step_seconds"], run["job_seconds"] = {}, {}, {}
    rows = results["layer_rows"]
    print("\n" + _sample_line(results["sample"]))
    print(f"Day {results['day']}; code: lake_assets snapshot {results.get('code_sha256')}")
    for name, run in (("Dagster", dag), ("plain", plain)):
        if run.get("code_path") and "code_snapshot" not in run["code_path"]:
            print(f"!! the {name} run imported lake_assets from {run['code_path']}, not the snapshot")
    print()
    print(_row("", "Dagster s", "plain s", "rows in", "rows out", "Dagster rows/s", "plain rows/s"))
    print(_row("spark startup", _num(dag.get("startup_seconds")), _num(plain.get("startup_seconds"))))
    for layer in LAYERS:
        d, p = dag.get("layer_seconds", {}).get(layer), plain.get("layer_seconds", {}).get(layer)
        if layer not in rows:  # standalone checks: time only
            if d or p:
                print(_row(layer, _num(d), _num(p)))
            continue
        out = rows[layer]["rows_out"]
        print(_row(layer, _num(d), _num(p), f"{rows[layer]['rows_in']:,}", f"{out:,}", _rate(out, d), _rate(out, p)))
    print(_row("Dagster outside steps", _num(dag.get("outside_steps_seconds")), "-"))
    print(_row("  of which definitions", _num(dag.get("definitions_seconds")), "-"))
    print(_row("total (in-process, w/ startup)", _num(dag.get("total_seconds")), _num(plain.get("total_seconds"))))
    print(
        _row("process wall (imports, JVM exit)", _num(dag.get("process_seconds")), _num(plain.get("process_seconds")))
    )
    print(_row("peak RSS, process tree MB", _num(dag.get("peak_rss_mb"), 0), _num(plain.get("peak_rss_mb"), 0)))
    print(
        _row(
            "sum of per-process peaks MB",
            _num(dag.get("sum_process_hwm_mb"), 0),
            _num(plain.get("sum_process_hwm_mb"), 0),
        )
    )
    print(_row("CPU s used by the run", _num(dag.get("cpu_seconds")), _num(plain.get("cpu_seconds"))))
    print(
        _row("CPU s used by others meanwhile", _num(dag.get("other_cpu_seconds")), _num(plain.get("other_cpu_seconds")))
    )
    for name, run in (("Dagster", dag), ("plain", plain)):
        print(f"  {name} per-process peaks MB: {run.get('hwm_by_process_mb')}")
        for gone in run.get("discarded_attempts", []):
            print(f"  {name}: discarded an attempt ({gone['process_seconds']} s): {gone['why']}")
    ratio, goal = results.get("ratio_total"), results["ratio_goal"]
    if ratio is not None:
        verdict = "OK" if ratio <= goal else "OVER GOAL"
        tainted = [name for name, run in (("Dagster", dag), ("plain", plain)) if run.get("interfered")]
        if tainted:
            verdict += (
                f"  -- UNRELIABLE: other processes used {max(r.get('other_cores', 0) for r in (dag, plain))}"
                f" cores during the {' and '.join(tainted)} run"
            )
        print(f"\nDagster / plain total (incl. Spark startup): {ratio:.3f}  (goal ≤ {goal})  {verdict}")
        print(f"Dagster / plain process wall:                {results['ratio_process']:.3f}")
    else:
        print("\nNo ratio: a run failed (see its output above).")
    if any(len(v) > 1 for v in results.get("repeats", {}).values()):
        for name, totals in results["repeats"].items():
            print(f"{name} totals over repeats (s): {', '.join(_num(t) for t in totals)}")
    print("\nPer job (s):")
    print(_row("", "Dagster step", "plain"))
    steps, jobs = dag.get("step_seconds", {}), plain.get("job_seconds", {})
    for job in [*JOB_ORDER, *(k for k in {**steps, **jobs} if k not in JOB_ORDER)]:
        print(_row(f"  {job}", _num(steps.get(job)), _num(jobs.get(job))))
    for name, run in (("Dagster", dag), ("plain", plain)):
        for line in run.get("failures", []):
            print(f"!! {name} step failed: {line}")
        if run.get("failed_checks"):
            print(f"   {name} failed checks: {', '.join(run['failed_checks'])}")
    _print_tables(results)


def _print_tables(results: dict[str, Any]) -> None:
    lakes = results["table_rows"]
    print("\nRows per table (Parquet footers on disk):")
    print(_row("", "Dagster lake", "plain lake", "match"))
    for key in lakes["plain"]:
        d, p = lakes["dagster"].get(key), lakes["plain"].get(key)
        print(
            _row(f"  {key}", "-" if d is None else f"{d:,}", "-" if p is None else f"{p:,}", "yes" if d == p else "NO")
        )
    problems = results["row_mismatches"]
    if problems:
        bar = "!" * 78
        print(f"\n{bar}\n!! ROW COUNT MISMATCH ({len(problems)}):")
        for problem in problems:
            print(f"!!   {problem}")
        print(bar)
    else:
        print("Both lakes hold the same rows in every table, and each matches what its run reported.")


if __name__ == "__main__":
    print_report(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/results.json").read_text()))
