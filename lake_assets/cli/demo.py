"""`lake-demo`: generate sample landing data and run the whole lake for those days, on local Spark.

Bronze is materialized for every day first, then Silver and Gold, so each Silver day already
sees its late arrivals in the next day's Bronze. Runs are recorded in `$DAGSTER_HOME`, so
`make dev` shows them afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lake_assets.core.settings import REPO_ROOT, LakeSettings, SettingsError


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


def run_days(settings: LakeSettings, days: list[date]) -> tuple[list[tuple[str, str, bool]], list[dict]]:
    """Materialize Bronze for all days, then Silver+Gold; returns (layers, day, success) per run
    and every check evaluation.

    Bronze also runs for the day after the last one when that day has begun, because events of
    the last day that arrive after midnight land there.
    """
    import dagster as dg

    from lake_assets.automation.dead_runs import recover_dead_runs
    from lake_assets.definitions import build_definitions

    defs = build_definitions(settings)
    job = defs.resolve_job_def("lake_daily")
    instance = dg.DagsterInstance.get()
    for dead in recover_dead_runs(instance):  # an earlier demo killed mid-run must not block this one
        print(f"recovered run {dead.run_id}: its process {dead.pid} is gone (marked failed, pool slot freed)")
    layers: dict[str, dg.AssetSelection] = {
        "bronze": dg.AssetSelection.groups("bronze"),
        "silver+gold": dg.AssetSelection.groups("silver", "gold"),
    }
    results, checks = [], []
    next_day = days[-1] + timedelta(days=1)
    plan: list[tuple[str, date, dg.AssetSelection]] = [("bronze", day, layers["bronze"]) for day in days]
    if next_day <= datetime.now(UTC).date():  # late arrivals only: its table export comes tomorrow
        plan.append(("bronze", next_day, dg.AssetSelection.assets(["bronze", "api_requests"])))
    plan += [("silver+gold", day, layers["silver+gold"]) for day in days]
    graph = defs.resolve_asset_graph()
    for name, day, selection in plan:
        keys = selection.resolve(graph)
        started = time.monotonic()
        result = job.execute_in_process(
            partition_key=day.isoformat(),
            instance=instance,
            asset_selection=list(keys),
            raise_on_error=False,
            run_config=QUIET_LOGS,
        )
        print(
            f"  {name:<12} {day}  {'ok' if result.success else 'FAILED'}  "
            f"({time.monotonic() - started:.1f}s, run {result.run_id[:8]})"
        )
        results.append((name, day.isoformat(), result.success))
        checks += [
            {
                "day": day.isoformat(),
                "check": f"{e.asset_key.to_user_string()}:{e.check_name}",
                "passed": e.passed,
                "severity": e.severity.value,
            }
            for e in result.get_asset_check_evaluations()
        ]
    return results, checks


def print_checks(checks: list[dict]) -> None:
    """Passed counts and every check that did not pass, WARN or ERROR."""
    failed = [c for c in checks if not c["passed"]]
    print(
        f"\nChecks: {len(checks) - len(failed)} passed, "
        f"{sum(c['severity'] == 'WARN' for c in failed)} WARN, {sum(c['severity'] == 'ERROR' for c in failed)} ERROR"
    )
    for c in failed:
        print(f"  {c['day']}  {c['severity']:<5} {c['check']}")


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
    _instance_home()
    from lake_assets.cli.summary import print_summary
    from lake_sample.generator import clear_output, generate_sample

    print(f"Generating {args.days} days of sample landing data from {start} into {settings.landing_uri}")
    clear_output(Path(settings.landing_uri))  # the demo's landing zone holds only its own sample
    generate_sample(Path(settings.landing_uri), start, args.days, args.requests_per_day, args.seed)
    print(f"Materializing bronze → silver → gold on local Spark (lake: {settings.lake_root_uri})")
    results, checks = run_days(settings, days)
    print_summary(settings.lake_root_uri, [d.isoformat() for d in days])
    print_checks(checks)
    failed = [f"{layer} {day}" for layer, day, ok in results if not ok]
    if failed:
        print(f"\n{len(failed)} run(s) failed: {', '.join(failed)}. See `make dev` → Runs for details.")
        return 1
    print("\nAll runs succeeded. Open the UI with `make dev`; query Gold with `lake-query`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
