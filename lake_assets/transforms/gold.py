"""Gold tables: daily aggregates analysts query directly.

Percentiles are exact (`percentile`, linearly interpolated like numpy's default), not
approximations, because route latency SLOs are reported from them.
"""

from __future__ import annotations

from datetime import date

import pandera.pyspark as pandera
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lake_assets.quality.fields import optional, required

S, L, D = T.StringType(), T.LongType(), T.DoubleType()
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
UNKNOWN_ROUTE = "-"

class GoldTasksPerUserDaily(pandera.DataFrameModel):
    """Per (D, user with a task): tasks created on D, completed on D, open at the end of D."""

    user_id: S = required()
    tasks_created: L = required(ge=0)
    tasks_completed: L = required(ge=0)
    open_tasks: L = required(ge=0)

    class Config:
        name = "gold/tasks_per_user_daily"
        unique = ["user_id"]


class GoldRouteLatencyDaily(pandera.DataFrameModel):
    """Per (D, route): volume, errors and exact latency percentiles."""

    route_key: S = required()
    requests: L = required(ge=1)
    errors_4xx: L = required(ge=0)
    errors_5xx: L = required(ge=0)
    latency_p50_ms: D = optional(ge=0)
    latency_p95_ms: D = optional(ge=0)
    latency_p99_ms: D = optional(ge=0)

    class Config:
        name = "gold/route_latency_daily"
        unique = ["route_key"]


class GoldUserActivityDaily(pandera.DataFrameModel):
    """Per (D, user active on D): API requests and task events."""

    user_id: S = required()
    api_requests: L = required(ge=0)
    tasks_created: L = required(ge=0)
    tasks_completed: L = required(ge=0)

    class Config:
        name = "gold/user_activity_daily"
        unique = ["user_id"]


TASKS_PER_USER_SCHEMA = GoldTasksPerUserDaily.to_structtype()
ROUTE_LATENCY_SCHEMA = GoldRouteLatencyDaily.to_structtype()
USER_ACTIVITY_SCHEMA = GoldUserActivityDaily.to_structtype()


def _count_if(condition: F.Column) -> F.Column:
    return F.sum(F.when(condition, 1).otherwise(0)).cast("long")


def tasks_per_user_daily(tasks: DataFrame, day: date) -> DataFrame:
    """Per user with at least one task in D's snapshot: created on D, completed on D, open at end of D."""
    return tasks.groupBy("user_id").agg(
        _count_if(F.to_date("created_at") == F.lit(day)).alias("tasks_created"),
        _count_if(F.to_date("completed_at") == F.lit(day)).alias("tasks_completed"),
        _count_if(F.col("status").isin(*OPEN_STATUSES)).alias("open_tasks"),
    ).select(*TASKS_PER_USER_SCHEMA.fieldNames())


def route_latency_daily(requests: DataFrame) -> DataFrame:
    """Per route: volume, 4xx/5xx errors and exact latency percentiles (requests without a latency
    count in `requests` but not in the percentiles)."""
    latency = F.col("response_latency_ms").cast("double")
    return requests.groupBy(F.coalesce("route_key", F.lit(UNKNOWN_ROUTE)).alias("route_key")).agg(
        F.count(F.lit(1)).alias("requests"),
        _count_if(F.col("status").between(400, 499)).alias("errors_4xx"),
        _count_if(F.col("status").between(500, 599)).alias("errors_5xx"),
        F.percentile(latency, F.lit(0.50)).alias("latency_p50_ms"),
        F.percentile(latency, F.lit(0.95)).alias("latency_p95_ms"),
        F.percentile(latency, F.lit(0.99)).alias("latency_p99_ms"),
    ).select(*ROUTE_LATENCY_SCHEMA.fieldNames())


def user_activity_daily(requests: DataFrame, tasks: DataFrame, day: date) -> DataFrame:
    """Per user active on D: API calls (anonymous calls belong to no user) and task events."""
    calls = requests.where(F.col("user_id").isNotNull()).groupBy("user_id").agg(
        F.count(F.lit(1)).alias("api_requests"))
    task_events = tasks_per_user_daily(tasks, day).select("user_id", "tasks_created", "tasks_completed")
    joined = calls.join(task_events, "user_id", "full_outer").fillna(
        0, subset=["api_requests", "tasks_created", "tasks_completed"])
    active = (F.col("api_requests") + F.col("tasks_created") + F.col("tasks_completed")) > 0
    return joined.where(active).select(*USER_ACTIVITY_SCHEMA.fieldNames())
