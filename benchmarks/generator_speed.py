"""How fast is the sample generator? Wall and CPU time of one `generate_sample` call.

Issue #12 asks for 1M requests + 1M export items in a day in under 2 minutes; the benchmark's
own sizes (see run_benchmark.py) are the default here:

    python benchmarks/generator_speed.py [--requests 1000000] [--users 94000] [--tasks-per-user 9]
                                         [--days 1] [--seed 7] [--out DIR] [--profile N]

CPU time is printed next to wall time because other work on a shared machine stretches the
wall time but not the CPU time. The sample goes to a temporary folder unless --out is given
(``--out`` must be empty or hold only a previous sample, which is removed first).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lake_sample.generator import clear_output, generate_sample

DEFAULT_DAY = date(2026, 11, 20)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=1_000_000, help="API requests per day (default 1M)")
    p.add_argument("--users", type=int, default=94_000, help="initial users (default %(default)s)")
    p.add_argument("--tasks-per-user", type=int, default=9, help="initial tasks per user (default %(default)s)")
    p.add_argument("--days", type=int, default=1)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--day", type=date.fromisoformat, default=DEFAULT_DAY)
    p.add_argument("--out", type=Path, help="landing root to write (default: a temporary folder)")
    p.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the run, print the top N")
    return p.parse_args(argv)


def run(args: argparse.Namespace, out: Path) -> None:
    clear_output(out)
    profiler = cProfile.Profile() if args.profile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    truth = generate_sample(
        out, args.day, args.days, args.requests, args.seed, users=args.users, tasks_per_user=args.tasks_per_user
    )
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    files = [f for f in out.rglob("*") if f.is_file()]
    items = sum(truth.export_items.values())
    lines = sum(truth.lines_total.values())
    print(
        f"{args.days} day(s), {args.requests:,} requests/day, {args.users:,} users x {args.tasks_per_user} tasks: "
        f"{lines:,} log lines, {items:,} items in the daily exports, {len(files)} files, "
        f"{sum(f.stat().st_size for f in files) / 2**20:.1f} MiB"
    )
    print(f"generate_sample: {wall:.1f} s wall, {cpu:.1f} s CPU")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        run(args, args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="generator_speed_") as tmp:
            run(args, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
