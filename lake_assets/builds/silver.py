"""Silver builds: validated, de-duplicated, typed tables (quarantine keeps what could not be used)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lake_assets.builds.base import BuildContext, BuildInputError, BuildResult
from lake_assets.core.spark import aggregate_row
from lake_assets.quality.outcome import CheckOutcome, jsonable
from lake_assets.transforms.cdc import Changes, item_rows
from lake_assets.transforms.silver_entities import item_counts, type_entities
from lake_assets.transforms.silver_requests import accounting, owned_by, route_requests


def _rate_outcome(table_key: str, quarantined: int, considered: int, limit: float) -> CheckOutcome:
    rate = quarantined / considered if considered else 0.0
    return CheckOutcome(
        table_key,
        "quarantine_rate",
        rate <= limit,
        {"quarantined": quarantined, "considered": considered, "rate": round(rate, 6), "max_rate": limit},
    )


def silver_api_requests(ctx: BuildContext) -> BuildResult:
    """Reads Bronze D and D+1 (late arrivals); a missing D+1 is fine and picked up on re-run, a
    missing D is an input error (`require_upstream`)."""
    ctx.require_upstream("bronze/api_requests")
    arrival_days = [ctx.dt, ctx.next_dt()]
    present = [d for d in arrival_days if ctx.lake.has_partition("bronze", "api_requests", d)]
    bronze = ctx.read(ctx.table("bronze/api_requests"), arrival_days)
    routed = route_requests(bronze, ctx.day)
    routed.routed.persist()
    try:
        counts = accounting(routed.routed)
        requests = ctx.stage(
            ctx.table("silver/api_requests"), routed.requests, **counts, bronze_partitions_read=present
        )
        quarantine = ctx.stage(
            ctx.table("silver/api_requests_quarantine"),
            routed.quarantine,
            quarantine_reasons=counts["quarantine_reasons"],
        )
    finally:
        routed.routed.unpersist()
    recount = bronze.where(owned_by(ctx.day)).count()  # straight from Bronze, not from the routing
    landed = requests.rows + quarantine.rows + counts["duplicate_rows"] + counts["skipped_rows"]
    key = "silver/api_requests"
    checks = [
        CheckOutcome(
            key,
            "bronze_reconciliation",
            recount == landed,
            {
                "bronze_rows_owned": recount,
                "silver_rows_written": requests.rows,
                "quarantine_rows_written": quarantine.rows,
                "duplicate_rows": counts["duplicate_rows"],
                "skipped_rows": counts["skipped_rows"],
                "difference": recount - landed,
            },
        ),
        _rate_outcome(key, quarantine.rows, recount - counts["skipped_rows"], ctx.quarantine_limit(key)),
    ]
    return ctx.finish([requests, quarantine], checks)


SNAPSHOT_LOOKBACK_DAYS = 31


def current_items(ctx: BuildContext) -> tuple[DataFrame, dict[str, Any]]:
    """Rows for the items at the end of D (`cdc.item_rows`): the latest full snapshot ≤ D plus
    incremental changes up to D+1 00:00; `info["change_partitions"]` says whether changes apply."""
    earliest = ctx.day - timedelta(days=SNAPSHOT_LOOKBACK_DAYS)
    published = ctx.lake.partitions("bronze", "tasks_export")
    snapshots = [d for d in published if earliest.isoformat() <= d <= ctx.dt]
    if published and not snapshots and min(published) > ctx.dt:
        raise DayNotExpected(f"{ctx.dt} is before the first bronze/tasks_export snapshot ({min(published)})")
    if not snapshots:
        raise BuildInputError(
            f"no bronze/tasks_export snapshot between {earliest} and {ctx.dt}: materialize a day "
            "with a completed full export first"
        )
    base_dt = snapshots[-1]
    snapshot = ctx.read(ctx.table("bronze/tasks_export"), [base_dt])
    micros = aggregate_row(snapshot, F.unix_micros(F.max("export_time")))[0]
    snapshot_time = datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
    change_days = [d for d in ctx.lake.partitions("bronze", "tasks_changes") if base_dt <= d <= ctx.dt]
    info: dict[str, Any] = {  # step metadata: JSON-able values of several types
        "snapshot_partition": base_dt,
        "snapshot_time": snapshot_time.isoformat(),
        "change_partitions": change_days,
    }
    if not change_days:
        return item_rows(snapshot), info
    until = datetime.combine(ctx.day + timedelta(days=1), time(0), tzinfo=UTC)
    changes = Changes(ctx.read(ctx.table("bronze/tasks_changes"), change_days), snapshot_time, until)
    return item_rows(snapshot, changes), info


class DayNotExpected(Exception):
    """D is before any data of the table: nothing to build, and nothing wrong."""


def silver_entities(ctx: BuildContext) -> BuildResult:
    """Latest state of users and tasks at the end of D; email replaced by a keyed hash."""
    try:
        rows, info = current_items(ctx)
    except DayNotExpected as exc:
        return BuildResult([], [], skipped=f"no data expected: {exc}")
    entities = type_entities(rows, ctx.pii_key)
    entities.items.persist()
    try:
        counts, merged = item_counts(entities.items)  # one pass for every count below
        if info["change_partitions"]:
            info.update(merged)
        tasks = ctx.stage(ctx.table("silver/tasks"), entities.tasks, **counts, **info)
        users = ctx.stage(ctx.table("silver/users"), entities.users, users=counts["users"])
        quarantine = ctx.stage(
            ctx.table("silver/tasks_quarantine"),
            entities.quarantine(counts["quarantined"]),
            quarantine_reasons=counts["quarantine_reasons"],
        )
        item_count = counts["bronze_items"]  # every item, counted by the group-by above (no second pass)
    finally:
        entities.items.unpersist()
    landed = tasks.rows + users.rows + quarantine.rows + counts["other_entities"]
    orphans = ctx.read_staged(tasks).join(ctx.read_staged(users), "user_id", "left_anti")
    orphan_sample = [jsonable(r.asDict()) for r in orphans.select("user_id", "task_id").limit(5).collect()]
    orphan_count = orphans.count() if orphan_sample else 0
    key = "silver/tasks"
    checks = [
        CheckOutcome(
            key,
            "bronze_reconciliation",
            item_count == landed,
            {
                "current_items": item_count,
                "tasks_written": tasks.rows,
                "users_written": users.rows,
                "quarantine_rows_written": quarantine.rows,
                "other_entities": counts["other_entities"],
                "difference": item_count - landed,
            },
        ),
        _rate_outcome(key, quarantine.rows, item_count, ctx.quarantine_limit(key)),
        CheckOutcome(
            key,
            "users_exist",
            orphan_count == 0,
            {
                "rule": "every task's user_id is in silver/users",
                "tasks_without_user": orphan_count,
                "sample": orphan_sample,
            },
        ),
    ]
    return ctx.finish([tasks, users, quarantine], checks)


def check_unknown_users(ctx: BuildContext) -> BuildResult:
    """API requests by users missing from the day's silver/users (WARN: reported, not blocking)."""
    key = "silver/api_requests"
    decl = ctx.require_catalog().standalone_check(check_unknown_users)
    declared = {(decl.table, decl.name): decl}
    if not ctx.lake.has_partition("silver", "users", ctx.dt):
        outcome = CheckOutcome(key, "unknown_users", False, {"error": f"silver/users has no partition {ctx.dt}"})
        return BuildResult([], [outcome], declared)
    requests = ctx.read(ctx.table(key)).where(F.col("user_id").isNotNull())
    known = ctx.read(ctx.table("silver/users")).select("user_id").distinct().withColumn("_known", F.lit(True))
    flagged = requests.join(known, "user_id", "left").withColumn("_unknown", F.col("_known").isNull())
    # The three figures in one Spark job; only a day with unknown users pays a second for its top ten.
    totals = aggregate_row(
        flagged,
        F.count(F.lit(1)).alias("requests_with_user"),
        F.coalesce(F.sum(F.col("_unknown").cast("int")), F.lit(0)).alias("requests"),
        F.count_distinct(F.when(F.col("_unknown"), F.col("user_id"))).alias("users"),
    )
    top: dict[str, int] = {}
    if totals["users"]:
        per_user = flagged.where(F.col("_unknown")).groupBy("user_id").count()
        ranked = per_user.orderBy(F.col("count").desc(), "user_id").limit(10).collect()
        top = {r["user_id"]: r["count"] for r in ranked}
    return BuildResult(
        [],
        [
            CheckOutcome(
                key,
                "unknown_users",
                not top,
                {
                    "requests_from_unknown_users": int(totals["requests"]),
                    "unknown_users": int(totals["users"]),
                    "top_unknown_users": top,
                    "requests_with_user": int(totals["requests_with_user"]),
                },
            )
        ],
        declared,
    )
