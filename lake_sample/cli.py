"""``lake-sample``: write a deterministic landing sample from the command line.

Example::

    lake-sample --out landing --start 2026-11-20 --days 3 --requests-per-day 20000 --seed 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from lake_sample.generator import TRUTH_FILE, clear_output, generate_sample
from lake_sample.truth import SampleTruth


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _int_at_least(low: int) -> Callable[[str], int]:
    """argparse type: an int not below ``low`` (a clean usage error otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The CLI's arguments (exposed for tests and docs)."""
    p = argparse.ArgumentParser(
        prog="lake-sample",
        description="Write deterministic API-log and DynamoDB-export landing data plus "
        f"{TRUTH_FILE} (the expected results).",
    )
    p.add_argument("--out", required=True, type=Path, help="landing root directory")
    p.add_argument("--start", required=True, type=_date, help="first day, YYYY-MM-DD (UTC)")
    p.add_argument("--days", type=_int_at_least(1), default=1, help="number of days (default 1)")
    p.add_argument(
        "--requests-per-day", type=_int_at_least(0), default=1000, help="access-log lines per day (default 1000)"
    )
    p.add_argument("--seed", type=int, default=42, help="RNG seed (default 42)")
    p.add_argument("--users", type=_int_at_least(1), default=50, help="initial users (default 50)")
    p.add_argument("--tasks-per-user", type=_int_at_least(0), default=6, help="initial tasks per user (default 6)")
    p.add_argument(
        "--force", action="store_true", help="remove a previous sample (api_logs/, dynamodb/, _truth.json) first"
    )
    return p


def summarize(out: Path, truth: SampleTruth, seconds: float) -> str:
    """Short human summary of what was written."""
    files = [f for f in out.rglob("*") if f.is_file()]
    n_logs = sum(1 for f in files if f.relative_to(out).parts[0] == "api_logs")
    n_ddb = sum(1 for f in files if f.relative_to(out).parts[0] == "dynamodb")
    complete = sum(1 for e in truth.exports if e["complete"])
    return "\n".join(
        [
            f"wrote {len(files)} files to {out} in {seconds:.1f}s",
            f"  api_logs: {n_logs} objects, {sum(truth.lines_total.values())} lines, "
            f"{sum(truth.requests.values())} valid unique requests, "
            f"{sum(truth.duplicates_injected.values())} duplicates, "
            f"{sum(truth.malformed.values())} malformed, "
            f"{sum(truth.control_messages.values())} control messages, "
            f"{sum(truth.empty_objects.values())} empty objects",
            f"  arrival dates: {', '.join(truth.arrival_dates)}",
            f"  dynamodb: {n_ddb} files, {len(truth.exports)} exports ({complete} complete); "
            f"daily items: {', '.join(f'{d}={n}' for d, n in sorted(truth.export_items.items()))}",
            f"  truth: {out / TRUTH_FILE}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.force:
        clear_output(args.out)
    began = time.monotonic()
    try:
        truth = generate_sample(
            args.out,
            args.start,
            args.days,
            args.requests_per_day,
            args.seed,
            users=args.users,
            tasks_per_user=args.tasks_per_user,
        )
    except (FileExistsError, ValueError, OSError) as exc:
        print(f"lake-sample: error: {exc}", file=sys.stderr)
        return 1
    print(summarize(args.out, truth, time.monotonic() - began))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
