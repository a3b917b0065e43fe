"""The benchmark's sample and code snapshot: generate (or reuse) the day, copy `lake_assets`."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "lake_assets"
SEED = 7


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
