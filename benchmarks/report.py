"""The benchmark's printed table, built from the same dict that goes to `results.json`.

Kept apart from the runner so the figures can be re-printed from a saved `results.json`
(`python benchmarks/report.py benchmarks/out/results.json`) without running anything again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from plain_pyspark import JOB_ORDER
from targets import print_targets

W = 15  # width of a figure column
NAMES = {"dagster": "Dagster", "plain": "plain", "duckdb": "DuckDB"}
LAYERS = ("bronze", "silver", "gold")


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _rate(rows: int, seconds: float | None) -> str:
    return "-" if not seconds else f"{rows / seconds:,.0f}"


def _row(label: str, *cells: str) -> str:
    return f"{label:<34}" + "".join(f"{c:>{W}}" for c in cells)


def _ratio(top: float | None, bottom: float | None) -> str:
    return "-" if top is None or not bottom else f"{top / bottom:.2f}"


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


def _metric_block(title: str, meds: dict[str, Any], rows: dict[str, Any], metric: str) -> None:
    """One metric per layer for the three runs, with Dagster/DuckDB and Dagster/plain."""
    names = [n for n in NAMES if n in meds]
    print(_row(title, *(NAMES[n] for n in names), "Dagster/DuckDB", "Dagster/plain"))

    def line(label: str, values: dict[str, float | None], digits: int = 1) -> None:
        cells = [_num(values.get(n), digits) for n in names]
        d, k, p = values.get("dagster"), values.get("duckdb"), values.get("plain")
        print(_row(label, *cells, _ratio(d, k), _ratio(d, p)))

    if metric == "rows/s":
        for layer in LAYERS:
            out = rows[layer]["rows_out"]
            walls = {n: meds[n][layer]["wall"] for n in names}
            rates = {n: (out / w if w else None) for n, w in walls.items()}
            line(f"  {layer} ({out:,} rows out)", rates, 0)
        return
    if metric != "peak_rss_mb":
        line("  startup (JVM / pool)", {n: meds[n]["startup"][metric] for n in names})
    for layer in LAYERS:
        line(f"  {layer}", {n: meds[n][layer][metric] for n in names}, 0 if metric == "peak_rss_mb" else 1)
    totals = {
        "wall": [("  total in-process (w/ startup)", "total_seconds"), ("  process wall", "process_seconds")],
        "cpu": [("  whole process tree", "cpu_seconds")],
        "peak_rss_mb": [("  whole run", "peak_rss_mb")],
    }[metric]
    for label, key in totals:
        line(label, {n: meds[n][key] for n in names}, 0 if metric == "peak_rss_mb" else 1)


def print_report(results: dict[str, Any]) -> None:
    """Per-layer medians of the three runs, the ratios, the equality and row checks."""
    runs, meds, rows = results["runs"], results["medians"], results["layer_rows"]
    print("\n" + _sample_line(results["sample"]))
    rounds = max(m["rounds"] for m in meds.values())
    print(
        f"Day {results['day']}; code: lake_assets snapshot {results.get('code_sha256')}; medians of {rounds} round(s)"
    )
    for name, run in runs.items():
        if run.get("code_path") and "code_snapshot" not in run["code_path"]:
            print(f"!! the {NAMES[name]} run imported lake_assets from {run['code_path']}, not the snapshot")
        if any(r != 0 for r in [run.get("exit_code")]) or meds[name]["failed_rounds"]:
            print(f"!! {NAMES[name]}: {meds[name]['failed_rounds']} failed round(s): its figures are not comparable")
    print("\n" + _row("rows per layer", "rows in", "rows out"))
    for layer in LAYERS:
        print(_row(f"  {layer}", f"{rows[layer]['rows_in']:,}", f"{rows[layer]['rows_out']:,}"))
    for title, metric in (
        ("wall s", "wall"),
        ("CPU s (process tree)", "cpu"),
        ("rows/s (rows out / wall)", "rows/s"),
        ("peak RSS MB (process tree)", "peak_rss_mb"),
    ):
        print()
        _metric_block(title, meds, rows, metric)
    dag = runs["dagster"]
    print(
        f"\nDagster outside steps {_num(dag.get('outside_steps_seconds'))} s "
        f"(of which definitions {_num(dag.get('definitions_seconds'))} s), median run"
    )
    for name, run in runs.items():
        print(f"  {NAMES[name]} per-process peaks MB: {run.get('hwm_by_process_mb')}")
        for gone in run.get("discarded_attempts", []):
            print(f"  {NAMES[name]}: discarded an attempt ({gone['process_seconds']} s): {gone['why']}")
    every = results.get("all_runs") or {name: [run] for name, run in runs.items()}
    tainted = [NAMES[name] for name, rounds in every.items() for r in rounds if r.get("interfered")]
    ratio = _ratio(meds["dagster"]["total_seconds"], meds["plain"]["total_seconds"])
    if ratio != "-":
        goal = results["ratio_goal"]
        verdict = "OK" if float(ratio) <= goal else "OVER GOAL"
        if tainted:
            verdict += f"  -- UNRELIABLE: other processes were busy during a {'/'.join(sorted(set(tainted)))} run"
        print(f"\nDagster / plain total (incl. Spark startup), medians: {ratio}  (goal ≤ {goal})  {verdict}")
        print(
            f"Dagster / DuckDB total, medians:                      "
            f"{_ratio(meds['dagster']['total_seconds'], meds['duckdb']['total_seconds'])}"
        )
    else:
        print("\nNo ratio: a run failed (see its output above).")
    for name, totals in results.get("repeats", {}).items():
        print(f"{NAMES[name]} totals over rounds (s): {', '.join(_num(t) for t in totals)}")
    _print_jobs(runs)
    _print_tables(results)
    if all(run.get("exit_code") == 0 for run in runs.values()):
        print_targets(results)


def _print_jobs(runs: dict[str, Any]) -> None:
    print("\nPer job, median run (s):")
    print(_row("", "Dagster step", "plain", "DuckDB"))
    steps, jobs = runs["dagster"].get("step_seconds", {}), runs["plain"].get("job_seconds", {})
    duck = runs.get("duckdb", {}).get("job_seconds", {})
    for job in [*JOB_ORDER, *(k for k in {**steps, **jobs, **duck} if k not in JOB_ORDER)]:
        print(_row(f"  {job}", _num(steps.get(job)), _num(jobs.get(job)), _num(duck.get(job))))
    for name, run in runs.items():
        for line in run.get("failures", []):
            print(f"!! {NAMES[name]} step failed: {line}")
        if run.get("failed_checks"):
            print(f"   {NAMES[name]} failed checks: {', '.join(run['failed_checks'])}")


def _print_tables(results: dict[str, Any]) -> None:
    lakes = results["table_rows"]
    print("\nRows per table (Parquet footers on disk):")
    print(_row("", *(f"{NAMES[n]} lake" for n in lakes), "match"))
    for key in lakes["plain"]:
        seen = [lakes[n].get(key) for n in lakes]
        print(_row(f"  {key}", *("-" if v is None else f"{v:,}" for v in seen), "yes" if len(set(seen)) == 1 else "NO"))
    problems = results["row_mismatches"]
    if problems:
        bar = "!" * 78
        print(f"\n{bar}\n!! ROW COUNT MISMATCH ({len(problems)}):")
        for problem in problems:
            print(f"!!   {problem}")
        print(bar)
    else:
        print("All lakes hold the same rows in every table, and each matches what its run reported.")
    print("\nSilver and Gold compared row for row (sorted, all columns, normalised types):")
    for pair, diffs in results.get("equality", {}).items():
        print(f"  {pair}: " + ("identical in every table" if not diffs else f"{len(diffs)} table(s) DIFFER"))
        for diff in diffs:
            print(f"    {diff}")


if __name__ == "__main__":
    print_report(json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/results.json").read_text()))
