"""A readable summary of the lake: rows per table and partition, quarantine reasons."""

from __future__ import annotations

from lake_assets.core.stores import lake_for
from lake_assets.steps import TABLES


def table_rows(lake_root: str, days: list[str]) -> dict[str, dict[str, int | None]]:
    """Rows per table and day (None where the partition does not exist)."""
    lake = lake_for(lake_root)
    return {
        key: {
            d: (lake.describe(t.layer, t.name, d).rows if lake.has_partition(t.layer, t.name, d) else None)
            for d in days
        }
        for key, t in TABLES.items()
    }


def print_summary(lake_root: str, days: list[str]) -> None:
    from lake_assets.query import connect

    rows = table_rows(lake_root, days)
    width = max(len(k) for k in rows) + 2
    print("\nRows per table and partition")
    print("".ljust(width) + "".join(d.rjust(12) for d in days))
    for key, per_day in rows.items():
        cells = ["-" if n is None else f"{n:,}" for n in per_day.values()]
        print(key.ljust(width) + "".join(c.rjust(12) for c in cells))
    con = connect(lake_root, layers=("silver",))
    views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    for view, label in (
        ("silver_api_requests_quarantine", "API records"),
        ("silver_tasks_quarantine", "snapshot items"),
    ):
        if view not in views:
            continue
        reasons = con.execute(
            f"SELECT dt, split_part(reason, ':', 1) AS reason, count(*) FROM {view} GROUP BY ALL ORDER BY dt, reason"
        ).fetchall()
        print(f"\nQuarantined {label} by reason")
        for dt, reason, count in reasons:
            print(f"  {dt}  {reason:<40} {count:>8,}")
        if not reasons:
            print("  none")
