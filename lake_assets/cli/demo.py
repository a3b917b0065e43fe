"""`lake-demo`: generate sample landing data and run the whole lake for those days, on local Spark.

Bronze is materialized for every day first, then Silver and Gold, so each Silver day already
sees its late arrivals in the next day's Bronze. Runs are recorded in `$DAGSTER_HOME`, so
`make dev` shows them afterwards.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from lake_assets.core.settings import REPO_ROOT, LakeSettings, SettingsError

if TYPE_CHECKING:
    from dagster import DagsterEvent


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lake-demo", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3, help="days of sample data (default 3)")
    parser.add_argument(
        "--start",
        type=date.fromisoformat,
        default=None,
        help="first day, YYYY-MM-DD (default: DAYS days before today, UTC)",
    )
    parser.add_argument("--requests-per-day", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.days < 1:
        parser.error("--days must be at least 1")
    return args


# Event logs go to the instance (see them in the UI); the terminal shows warnings and the summary.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance_home() -> Path:
    """Use $DAGSTER_HOME, defaulting to the repo's git-ignored `.dagster_home`."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / ".dagster_home")))
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists() and (REPO_ROOT / "dagster.yaml").exists():
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def plan(days: list[date], today: date) -> list[tuple[str, date]]:
    """(layer, day) of every run, in order: Bronze for all days, then Silver+Gold.

    Bronze also runs for the day after the last one when that day has begun, because events of
    the last day that arrive after midnight land there.
    """
    runs = [("bronze", day) for day in days]
    if days[-1] + timedelta(days=1) <= today:  # late arrivals only: its table export comes tomorrow
        runs.append(("bronze", days[-1] + timedelta(days=1)))
    return runs + [("silver+gold", day) for day in days]


def _elapsed(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def rows_written(materializations: Sequence[DagsterEvent]) -> int:
    """Rows a run wrote: the sum of its materializations' `dagster/row_count`."""
    import dagster as dg

    counts = [e.materialization.metadata.get("dagster/row_count") for e in materializations]
    return sum(c.value or 0 for c in counts if isinstance(c, dg.IntMetadataValue))


@contextmanager
def step_lines_on_terminal() -> Iterator[None]:
    """Print the steps' progress lines (see `engines/progress.py`) while the runs execute."""
    from lake_assets.engines.progress import PROGRESS_LOGGER

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("      %(message)s"))
    level = PROGRESS_LOGGER.level
    PROGRESS_LOGGER.addHandler(handler)
    PROGRESS_LOGGER.setLevel(logging.INFO)
    try:
        yield
    finally:
        PROGRESS_LOGGER.removeHandler(handler)
        PROGRESS_LOGGER.setLevel(level)


def run_days(settings: LakeSettings, days: list[date]) -> tuple[list[tuple[str, str, bool]], list[dict]]:
    """Run `plan(days)`, one progress line per run and step; returns (layers, day, success) per run
    and every check evaluation. Then records the sensors' cursors, so `make dev` does not redo it."""
    import dagster as dg

    from lake_assets.automation.cursors import record_sensor_cursors
    from lake_assets.automation.dead_runs import recover_dead_runs
    from lake_assets.definitions import build_definitions

    defs = build_definitions(settings)
    job = defs.resolve_job_def("lake_daily")
    instance = dg.DagsterInstance.get()
    for dead in recover_dead_runs(instance):  # an earlier demo killed mid-run must not block this one
        print(f"recovered run {dead.run_id}: its process {dead.pid} is gone (marked failed, pool slot freed)")
    selections = {
        "bronze": dg.AssetSelection.groups("bronze"),
        "silver+gold": dg.AssetSelection.groups("silver", "gold"),
    }
    runs, graph = plan(days, datetime.now(UTC).date()), defs.resolve_asset_graph()
    results, checks, total_rows, demo_started = [], [], 0, time.monotonic()
    for n, (name, day) in enumerate(runs, 1):
        selection = selections[name] if day in days else dg.AssetSelection.assets(["bronze", "api_requests"])
        keys = sorted(selection.resolve(graph))
        head = f"[{n}/{len(runs)}] {name} {day}"
        print(f"{head}: building {', '.join(k.to_user_string() for k in keys)}")
        started = time.monotonic()
        with step_lines_on_terminal():
            result = job.execute_in_process(
                partition_key=day.isoformat(),
                instance=instance,
                asset_selection=keys,
                raise_on_error=False,
                run_config=QUIET_LOGS,
            )
        rows = rows_written(result.get_asset_materialization_events())
        total_rows += rows
        after = f"next: {runs[n][0]} {runs[n][1]}" if n < len(runs) else "next: summary"
        print(
            f"{head}: {'ok' if result.success else 'FAILED'} in {_elapsed(time.monotonic() - started)}, "
            f"{rows:,} rows written (run {result.run_id[:8]}; {total_rows:,} rows, "
            f"{_elapsed(time.monotonic() - demo_started)} so far); {after}"
        )
        results.append((name, day.isoformat(), result.success))
        checks += [
            {
                "day": day.isoformat(),
                "check": f"{e.asset_key.to_user_string()}:{e.check_name}",
                "passed": e.passed,
                "severity": e.severity.value,
                "metadata": {k: v.value for k, v in e.metadata.items()},
            }
            for e in result.get_asset_check_evaluations()
        ]
    cursors = record_sensor_cursors(instance, defs, settings, datetime.now(UTC))
    print(f"Sensor cursors recorded ({', '.join(sorted(cursors))}): `make dev` starts from what was built")
    return results, checks


def announcement(
    days: list[date], runs: list[tuple[str, date]], settings: LakeSettings, home: Path, per_day: int
) -> str:
    """The first line(s), printed before anything slow: what will happen, in which order, where to."""
    layers = ", then ".join(
        f"{name} ×{sum(r[0] == name for r in runs)}" for name in dict.fromkeys(name for name, _ in runs)
    )
    return (
        f"lake-demo: {len(days)} day(s), {days[0]} … {days[-1]}: sample landing data ({per_day:,} API requests/day) "
        f"→ {settings.landing_uri}; then {len(runs)} runs on local Spark ({layers}) → {settings.lake_root_uri}; "
        f"runs recorded in {home}. One line per run and step as it starts and ends; "
        "the first run also starts Spark (about a minute)."
    )


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        settings = LakeSettings.from_env()
    except SettingsError as exc:
        print(f"lake-demo: {exc}", file=sys.stderr)
        return 2
    if settings.engine != "local" or "://" in settings.landing_uri:
        print(
            "lake-demo runs on the embedded default: unset LAKE_ENGINE and use a local LAKE_LANDING_URI",
            file=sys.stderr,
        )
        return 2
    start = args.start or datetime.now(UTC).date() - timedelta(days=args.days)
    if start < settings.partition_start:
        print(f"lake-demo: --start {start} is before LAKE_PARTITION_START={settings.partition_start}", file=sys.stderr)
        return 2
    days = [start + timedelta(days=i) for i in range(args.days)]
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # each line as it happens, also through a pipe
    home = _instance_home()
    print(announcement(days, plan(days, datetime.now(UTC).date()), settings, home, args.requests_per_day))
    from lake_assets.cli.summary import print_checks, print_summary
    from lake_sample.generator import clear_output, generate_sample

    started = time.monotonic()
    clear_output(Path(settings.landing_uri))  # the demo's landing zone holds only its own sample
    truth = generate_sample(Path(settings.landing_uri), start, args.days, args.requests_per_day, args.seed)
    print(f"Sample landing data written in {_elapsed(time.monotonic() - started)}; starting Spark for the first run")
    results, checks = run_days(settings, days)
    print_summary(settings.lake_root_uri, [d.isoformat() for d in days])
    print_checks(checks, truth)
    failed = [f"{layer} {day}" for layer, day, ok in results if not ok]
    if failed:
        print(f"\n{len(failed)} run(s) failed: {', '.join(failed)}. See `make dev` → Runs for details.")
        return 1
    print("\nAll runs succeeded. Open the UI with `make dev`; query Gold with `lake-query`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
