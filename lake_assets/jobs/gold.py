"""Gold jobs: daily aggregates over Silver."""

from __future__ import annotations

from lake_assets.jobs.base import JobContext, TableOutput
from lake_assets.tables import TABLES
from lake_assets.transforms import gold


def gold_tasks_per_user_daily(ctx: JobContext) -> list[TableOutput]:
    tasks = ctx.read(TABLES["silver/tasks"])
    return [ctx.write(TABLES["gold/tasks_per_user_daily"], gold.tasks_per_user_daily(tasks, ctx.day))]


def gold_route_latency_daily(ctx: JobContext) -> list[TableOutput]:
    requests = ctx.read(TABLES["silver/api_requests"])
    return [ctx.write(TABLES["gold/route_latency_daily"], gold.route_latency_daily(requests), max_files=1)]


def gold_user_activity_daily(ctx: JobContext) -> list[TableOutput]:
    requests, tasks = ctx.read(TABLES["silver/api_requests"]), ctx.read(TABLES["silver/tasks"])
    return [ctx.write(TABLES["gold/user_activity_daily"], gold.user_activity_daily(requests, tasks, ctx.day))]
