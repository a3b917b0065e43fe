"""Where a day's time goes inside the jobs: every Spark action of a plain run, timed, with its call site.

The benchmark says which layer is slow; this says which line. Each Spark action (collect, count,
a Parquet write, …) runs the whole lazy plan behind it, so timing actions and naming the
`lake_assets` lines that triggered them shows which passes over the data a job makes and what
each costs. Time in a job outside any action is driver-side Python (listing, planning, footers).

    python benchmarks/spark_actions.py --landing DIR --lake DIR --day YYYY-MM-DD [--top 25] [--json FILE]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from plain_pyspark import bench_settings, job_order, run_plain_detailed

PACKAGE_DIR = "lake_assets/"


@dataclass
class Action:
    job: str  # the job function the action ran under
    action: str
    seconds: float
    site: str  # the lake_assets frames that led to it, outermost first


ACTIONS: list[Action] = []
_depth = 0  # an action that calls another (count → collect) is timed once, at the outer one


def _site() -> tuple[str, str]:
    """(job function, 'file:line fn > …') from the lake_assets frames on the stack."""
    frames = [f for f in traceback.extract_stack() if PACKAGE_DIR in f.filename.replace("\\", "/")]
    if not frames:
        return "?", "?"
    names = [f"{f.filename.replace(chr(92), '/').split(PACKAGE_DIR)[-1]}:{f.lineno} {f.name}" for f in frames]
    return frames[0].name, " > ".join(names)


def _timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global _depth
        if _depth:
            return method(*args, **kwargs)
        job, site = _site()
        _depth += 1
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            _depth -= 1
            ACTIONS.append(Action(job, name, time.perf_counter() - started, site))

    return wrapper


def instrument() -> None:
    """Wrap the DataFrame actions and Parquet writes the jobs use (PySpark classic API)."""
    from pyspark.sql.classic.dataframe import DataFrame
    from pyspark.sql.readwriter import DataFrameWriter

    for name in ("collect", "count", "take", "first", "head", "toPandas", "toArrow", "isEmpty"):
        if hasattr(DataFrame, name):
            setattr(DataFrame, name, _timed(name, getattr(DataFrame, name)))
    for name in ("parquet", "save"):
        setattr(DataFrameWriter, name, _timed(f"write.{name}", getattr(DataFrameWriter, name)))


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
