"""Where a day's time goes inside the jobs: every Spark action of a plain run, timed, with its call site.

The benchmark says which layer is slow; this says which line. Each Spark action (collect, count,
a Parquet write, …) runs the whole lazy plan behind it, so timing actions and naming the
`lake_assets` lines that triggered them shows which passes over the data a job makes and what
each costs. Time in a job outside any action is driver-side Python (listing, planning, footers).

    python benchmarks/spark_actions.py --landing DIR --lake DIR --day YYYY-MM-DD [--top 25] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

from action_timer import ACTIONS, instrument
from plain_pyspark import bench_settings, job_order, run_plain_detailed


def print_actions(job_seconds: dict[str, float], top: int) -> None:
    """Per job: wall time, time inside actions, then its costliest actions."""
    for job in job_order():
        mine = sorted((a for a in ACTIONS if a.job == job), key=lambda a: -a.seconds)
        total = job_seconds.get(job, 0.0)
        inside = sum(a.seconds for a in mine)
        print(
            f"\n{job}: {total:.1f} s wall, {inside:.1f} s in {len(mine)} Spark actions, "
            f"{total - inside:.1f} s outside them"
        )
        for a in mine[:top]:
            print(f"  {a.seconds:7.1f} s  {a.action:<14} {a.site}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True)
    parser.add_argument("--top", type=int, default=8, help="actions shown per job")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    instrument()
    run = run_plain_detailed(bench_settings(args.landing, args.lake, args.day), args.day)
    print(f"spark startup {run.startup_seconds:.1f} s, total {run.total_seconds:.1f} s")
    print_actions(run.job_seconds, args.top)
    if args.json:
        args.json.write_text(json.dumps({"run": asdict(run), "actions": [asdict(a) for a in ACTIONS]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
