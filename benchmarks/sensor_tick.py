"""Sensor tick time: the landing sensor against a large history, the export sensor against a big export.

The landing sensor lists only the look-back window's day folders, so a tick should cost the same
with 10 days or 30 days of history (100,000 objects over 30 days of hour folders by default). The
export sensor must validate a completed export from its manifests and a listing alone: the figure
to watch is the data-file bytes a tick reads, which must be 0 however big the export is (data
files are checksummed by the Spark tasks that parse them). Prints the figures for the closing notes.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
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


class CountingLanding(LocalLanding):
    """A local landing that counts what a tick reads, split into data files and everything else."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        object.__setattr__(self, "reads", {"data_files": 0, "data_bytes": 0, "other_files": 0})

    def read_bytes(self, key: str) -> bytes:
        body = super().read_bytes(key)
        if "/data/" in key:
            self.reads["data_files"] += 1
            self.reads["data_bytes"] += len(body)
        else:
            self.reads["other_files"] += 1
        return body


def make_export(root: Path, export_id: str, files: int, mb_per_file: int) -> int:
    """A completed full export (manifests + checksum sidecars) of `files` stored-gzip data files."""
    base = root / "dynamodb/tasks/AWSDynamoDB" / export_id
    (base / "data").mkdir(parents=True)
    (base / "_started").write_bytes(b"")
    manifest, total = [], 0
    for n in range(files):
        data = gzip.compress(os.urandom(mb_per_file << 20), compresslevel=0, mtime=0)
        key = f"dynamodb/tasks/AWSDynamoDB/{export_id}/data/file{n:04d}.json.gz"
        (root / key).write_bytes(data)
        total += len(data)
        manifest.append(
            json.dumps(
                {
                    "itemCount": 1,
                    "md5Checksum": base64.b64encode(hashlib.md5(data).digest()).decode(),
                    "etag": "-",
                    "dataFileS3Key": key,
                }
            )
        )
    (base / "manifest-files.json").write_text("".join(f"{line}\n" for line in manifest))
    (base / "manifest-summary.json").write_text(
        json.dumps(
            {
                "exportType": "FULL_EXPORT",
                "exportTime": "2026-11-22T00:00:00.000Z",
                "itemCount": files,
                "manifestFilesS3Key": f"dynamodb/tasks/AWSDynamoDB/{export_id}/manifest-files.json",
            }
        )
    )
    for name in ("manifest-files", "manifest-summary"):
        (base / f"{name}.md5").write_text(hashlib.md5((base / f"{name}.json").read_bytes()).hexdigest())
    return total


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
    parser.add_argument("--export-files", type=int, default=16)
    parser.add_argument("--export-mb-per-file", type=int, default=8)
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
        print(
            f"landing sensor, {args.days} days of history: first tick {first:.3f}s, steady tick {steady:.3f}s, "
            f"{listed:,} objects listed per tick (look-back {args.lookback} days)"
        )
        for d in range(args.days // 3, args.days):  # shrink history to a third: tick cost must not change
            shutil.rmtree(root / f"api_logs/{today - timedelta(days=d):%Y/%m/%d}")
        first_small, steady_small, listed_small = time_ticks(landing, today, args.lookback)
        print(
            f"landing sensor, {args.days // 3} days of history: first tick {first_small:.3f}s, "
            f"steady tick {steady_small:.3f}s, {listed_small:,} objects listed per tick"
        )
        print(f"steady tick ratio 30d/10d history: {steady / steady_small:.2f} (1.0 = independent of history)")
        now = datetime(2026, 11, 22, 10, tzinfo=UTC)
        started = time.perf_counter()
        evaluate_exports(landing, None, now, 7, date(2000, 1, 1))
        print(f"export sensor tick (no exports): {time.perf_counter() - started:.3f}s")
        size = make_export(root, "01795305600000-bench001", args.export_files, args.export_mb_per_file)
        counting = CountingLanding(str(root))
        started = time.perf_counter()
        requests, _, problems = evaluate_exports(counting, None, now, 7, date(2000, 1, 1))
        print(
            f"export sensor tick (one export, {args.export_files} data files, {size / 2**20:,.0f} MiB): "
            f"{time.perf_counter() - started:.3f}s, {len(requests)} run request(s), {len(problems)} problem(s); "
            f"read {counting.reads['data_files']} data files ({counting.reads['data_bytes']:,} bytes) and "
            f"{counting.reads['other_files']} manifests"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
