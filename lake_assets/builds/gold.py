"""Gold builds: daily aggregates over Silver, each reconciled against Silver before it is published."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lake_assets.builds.base import BuildContext, BuildResult
from lake_assets.core.spark import aggregate_row
from lake_assets.quality.outcome import CheckOutcome
from lake_assets.transforms import gold
from lake_assets.transforms.gold import OPEN_STATUSES


def _columns(*names: str) -> dict[str, Column]:
    """Gold columns to sum in the staged partition's contract job (`BuildContext.audit`)."""
    return {name: F.col(name) for name in names}


def _reconcile(table_key: str, gold_totals: dict[str, int], silver_totals: dict[str, int]) -> CheckOutcome:
    differences = {k: gold_totals[k] - silver_totals[k] for k in gold_totals if gold_totals[k] != silver_totals[k]}
    return CheckOutcome(
        table_key,
        "silver_reconciliation",
        not differences,
        {"gold": gold_totals, "silver": silver_totals, "differences": differences},
    )


def _silver_task_totals(tasks: DataFrame, ctx: BuildContext) -> dict[str, int]:
    day = F.lit(ctx.day)
    row = aggregate_row(
        tasks,
        F.sum(F.when(F.to_date("created_at") == day, 1).otherwise(0)).alias("tasks_created"),
        F.sum(F.when(F.to_date("completed_at") == day, 1).otherwise(0)).alias("tasks_completed"),
        F.sum(F.when(F.col("status").isin(*OPEN_STATUSES), 1).otherwise(0)).alias("open_tasks"),
        F.countDistinct("user_id").alias("users"),
    )
    return {k: int(row[k] or 0) for k in ("tasks_created", "tasks_completed", "open_tasks", "users")}


def gold_tasks_per_user_daily(ctx: BuildContext) -> BuildResult:
    key = "gold/tasks_per_user_daily"
    ctx.require_upstream("silver/tasks")
    tasks = ctx.read(ctx.table("silver/tasks"))
    staged = ctx.stage(ctx.table(key), gold.tasks_per_user_daily(tasks, ctx.day), max_files=1)
    totals = {**ctx.audit(staged, **_columns("tasks_created", "tasks_completed", "open_tasks")), "users": staged.rows}
    return ctx.finish([staged], [_reconcile(key, totals, _silver_task_totals(tasks, ctx))])


def gold_route_latency_daily(ctx: BuildContext) -> BuildResult:
    key = "gold/route_latency_daily"
    ctx.require_upstream("silver/api_requests")
    requests = ctx.read(ctx.table("silver/api_requests"))
    staged = ctx.stage(ctx.table(key), gold.route_latency_daily(requests), max_files=1)
    silver = aggregate_row(
        requests,
        F.count(F.lit(1)).alias("requests"),
        F.sum(F.when(F.col("status").between(400, 499), 1).otherwise(0)).alias("errors_4xx"),
        F.sum(F.when(F.col("status").between(500, 599), 1).otherwise(0)).alias("errors_5xx"),
    )
    silver_totals = {k: int(silver[k] or 0) for k in ("requests", "errors_4xx", "errors_5xx")}
    gold_totals = ctx.audit(staged, **_columns("requests", "errors_4xx", "errors_5xx"))
    return ctx.finish([staged], [_reconcile(key, gold_totals, silver_totals)])


def gold_user_activity_daily(ctx: BuildContext) -> BuildResult:
    key = "gold/user_activity_daily"
    ctx.require_upstream("silver/api_requests", "silver/tasks")
    requests, tasks = ctx.read(ctx.table("silver/api_requests")), ctx.read(ctx.table("silver/tasks"))
    staged = ctx.stage(ctx.table(key), gold.user_activity_daily(requests, tasks, ctx.day), max_files=1)
    gold_totals = ctx.audit(staged, **_columns("api_requests", "tasks_created", "tasks_completed"))
    task_totals = _silver_task_totals(tasks, ctx)
    silver_totals = {
        "api_requests": requests.where(F.col("user_id").isNotNull()).count(),
        "tasks_created": task_totals["tasks_created"],
        "tasks_completed": task_totals["tasks_completed"],
    }
    return ctx.finish([staged], [_reconcile(key, gold_totals, silver_totals)])
