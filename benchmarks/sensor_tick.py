"""Landing-sensor tick time against a large history: 100,000 objects over 30 days of hour folders.

The sensor lists only the look-back window's day folders, so a tick should cost the same with
10 days or 30 days of history. Prints the figures for the closing notes.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lake_assets.automation.export_sensor import evaluate_exports
from lake_assets.automation.landing_sensor import evaluate_landing
from lake_assets.core.landing import LocalLanding


def make_history(root: Path, last_day: date, days: int, objects: int) -> None:
    per_hour = max(1, objects // (days * 24))
    for d in range(days):
        day = last_day - timedelta(days=d)
        for hour in range(24):
            folder = root / f"api_logs/{day:%Y/%m/%d}/{hour:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            for n in range(per_hour):
                (folder / f"tasks-api-1-{day}-{hour:02d}-{n:05d}.gz").write_bytes(b"")


def time_ticks(landing: LocalLanding, today: date, lookback: int, repeats: int = 5) -> tuple[float, float, int]:
    """(first tick seconds, median steady tick seconds, objects listed per tick)."""
    started = time.perf_counter()
    _, cursor, listed = evaluate_landing(landing, None, today, lookback, date(2000, 1, 1))
    first = time.perf_counter() - started
    steady = []
    for _ in range(repeats):
        started = time.perf_counter()
        evaluate_landing(landing, cursor, today, lookback, date(2000, 1, 1))
        steady.append(time.perf_counter() - started)
    return first, statistics.median(steady), sum(listed.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--lookback", type=int, default=3)
    args = parser.parse_args()
    today = date(2026, 11, 22)
    root = Path(tempfile.mkdtemp(prefix="sensor-bench-"))
    try:
        started = time.perf_counter()
        make_history(root, today, args.days, args.objects)
        total = sum(1 for _ in root.rglob("*.gz"))
        print(f"history: {total:,} objects over {args.days} days (written in {time.perf_counter() - started:.1f}s)")
        landing = LocalLanding(str(root))
        first, steady, listed = time_ticks(landing, today, args.lookback)
        print(f"landing sensor, {args.days} days of history: first tick {first:.3f}s, steady tick {steady:.3f}s, "
              f"{listed:,} objects listed per tick (look-back {args.lookback} days)")
        for d in range(args.days // 3, args.days):  # shrink history to a third: tick cost must not change
            shutil.rmtree(root / f"api_logs/{today - timedelta(days=d):%Y/%m/%d}")
        first_small, steady_small, listed_small = time_ticks(landing, today, args.lookback)
        print(f"landing sensor, {args.days // 3} days of history: first tick {first_small:.3f}s, "
              f"steady tick {steady_small:.3f}s, {listed_small:,} objects listed per tick")
        print(f"steady tick ratio 30d/10d history: {steady / steady_small:.2f} (1.0 = independent of history)")
        started = time.perf_counter()
        evaluate_exports(landing, None, datetime(2026, 11, 22, 10, tzinfo=UTC), 7, date(2000, 1, 1))
        print(f"export sensor tick (no exports): {time.perf_counter() - started:.3f}s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
