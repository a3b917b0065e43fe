"""`lake-freshness`: is every table fresh, and if not, why? Reads the Dagster instance ($DAGSTER_HOME)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime

from lake_assets.core.settings import LakeSettings, SettingsError

COLUMNS = (("asset", 33), ("freshness", 10), ("latest_partition", 18), ("lag", 5), ("last_materialized", 27))


def _parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def render(report: list) -> str:
    """A terminal table, then one line per unhealthy asset naming its cause."""
    lines = ["".join(name.upper().ljust(width) for name, width in COLUMNS) + "CHECKS"]
    for s in report:
        values = (
            s.asset,
            s.freshness,
            s.latest_partition or "-",
            "-" if s.partition_lag_days is None else str(s.partition_lag_days),
            s.last_materialized or "never",
        )
        checks = (
            ", ".join(
                filter(
                    None,
                    [
                        f"{len(s.failing_checks)} failing" if s.failing_checks else "",
                        f"{len(s.warning_checks)} warn" if s.warning_checks else "",
                    ],
                )
            )
            or "ok"
        )
        lines.append("".join(str(v)[: w - 1].ljust(w) for v, (_, w) in zip(values, COLUMNS, strict=True)) + checks)
    unhealthy = [s for s in report if not s.healthy]
    lines.append("")
    lines.append("All assets are fresh and their checks pass." if not unhealthy else "Why:")
    for s in unhealthy:
        where = "itself" if s.cause == s.asset else f"upstream {s.cause}"
        lines.append(f"  {s.asset}: cause is {where} — {s.reason}")
    warned = [s for s in report if s.warning_checks]
    if warned:
        lines.append("Warnings (not failures):")
        lines += [f"  {s.asset}: {', '.join(s.warning_checks)}" for s in warned]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lake-freshness", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--now", type=_parse_now, default=None, help="evaluate at this ISO time (default: now)")
    args = parser.parse_args(argv)
    if not os.environ.get("DAGSTER_HOME"):
        print("lake-freshness: set DAGSTER_HOME to the Dagster instance folder (e.g. .dagster_home)", file=sys.stderr)
        return 2
    try:
        settings = LakeSettings.from_env()
    except SettingsError as exc:
        print(f"lake-freshness: {exc}", file=sys.stderr)
        return 2
    import dagster as dg

    from lake_assets.definitions import build_definitions
    from lake_assets.freshness.report import as_dicts, build_report

    with dg.DagsterInstance.get() as instance:
        report = build_report(build_definitions(settings), instance, args.now)
    print(json.dumps(as_dicts(report), indent=2) if args.json else render(report))
    return 0 if all(s.healthy for s in report) else 1


if __name__ == "__main__":
    sys.exit(main())
