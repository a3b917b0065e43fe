"""Gold tables: daily aggregates analysts query directly.

Latency percentiles are exact, not approximations, because route latency SLOs are reported from
them: numpy's default definition (linear interpolation between the order statistics around rank
(n-1)·q), as `F.percentile` computes it. They are computed here rather than with `F.percentile`
because Spark's own interpolation rounds differently across versions (Glue's Spark 3.5 and the
dev venv's Spark 4 gave 73.1 and 73.10000000000001 for the same p95). Latencies are integral
milliseconds, so the interpolated value is an exact fraction with denominator 100; it is
computed in integer arithmetic and divided once, i.e. the double nearest to the exact percentile.
That is what every Spark, numpy (up to its own rounding) and a hand calculation agree on; it
differs from the previous values by at most one unit in the last place, never more.
"""

from __future__ import annotations

from datetime import date

import pandera.pyspark as pandera
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lake_assets.quality.fields import optional, required

# Column types of the pandera contracts below. pandera takes a Spark type class as a column
# annotation (and `Annotated[cls, *args]` for a parameterised one); unlike an instance such as
# `T.StringType()`, that is also a valid static type.
S = T.StringType
L = T.LongType
D = T.DoubleType
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")
UNKNOWN_ROUTE = "-"
PERCENTILES = {"latency_p50_ms": 50, "latency_p95_ms": 95, "latency_p99_ms": 99}  # in percent


class GoldTasksPerUserDaily(pandera.DataFrameModel):
    """Per (D, user with a task): tasks created on D, completed on D, open at the end of D."""

    user_id: S = required("User with at least one task in the day's snapshot.")
    tasks_created: L = required("Tasks the user created on the day (UTC).", ge=0)
    tasks_completed: L = required("Tasks the user completed on the day (UTC).", ge=0)
    open_tasks: L = required("Tasks OPEN or IN_PROGRESS at the end of the day.", ge=0)

    class Config:
        name = "gold/tasks_per_user_daily"
        unique = ["user_id"]


class GoldRouteLatencyDaily(pandera.DataFrameModel):
    """Per (D, route): volume, errors and exact latency percentiles."""

    route_key: S = required("API route, e.g. 'GET /tasks'; '-' for requests without a route.")
    requests: L = required("Requests to the route on the day (UTC event date).", ge=1)
    errors_4xx: L = required("Requests answered with a 4xx status.", ge=0)
    errors_5xx: L = required("Requests answered with a 5xx status.", ge=0)
    latency_p50_ms: D = optional(
        "Median response latency (ms), exact, 2 decimals; null when no request has a latency.", ge=0
    )
    latency_p95_ms: D = optional("95th percentile response latency (ms), exact, 2 decimals.", ge=0)
    latency_p99_ms: D = optional("99th percentile response latency (ms), exact, 2 decimals.", ge=0)

    class Config:
        name = "gold/route_latency_daily"
        unique = ["route_key"]


class GoldUserActivityDaily(pandera.DataFrameModel):
    """Per (D, user active on D): API requests and task events."""

    user_id: S = required("User active on the day (an API request or a task created/completed).")
    api_requests: L = required("API requests the user made on the day (anonymous calls belong to no user).", ge=0)
    tasks_created: L = required("Tasks the user created on the day.", ge=0)
    tasks_completed: L = required("Tasks the user completed on the day.", ge=0)

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
    return (
        tasks.groupBy("user_id")
        .agg(
            _count_if(F.to_date("created_at") == F.lit(day)).alias("tasks_created"),
            _count_if(F.to_date("completed_at") == F.lit(day)).alias("tasks_completed"),
            _count_if(F.col("status").isin(*OPEN_STATUSES)).alias("open_tasks"),
        )
        .select(*TASKS_PER_USER_SCHEMA.fieldNames())
    )


def exact_percentiles(values: DataFrame, key: str, value: str, percents: dict[str, int]) -> DataFrame:
    """Per `key`: for each output column, the exact linearly interpolated percentile (whole
    percent) of the integral column `value`, NULLs ignored; keys without values are absent.

    From counts per distinct value (small: latencies repeat) with a running count, the order
    statistics at 0-based ranks k and k+1 around h = (n-1)·p/100 are the smallest values whose
    running count exceeds k and k+1; the result is (100·x_k + r·(x_{k+1} - x_k)) / 100 with
    r = (n-1)·p mod 100: an exact integer numerator (below 2^53 for any realistic latency)
    divided once by 100, so the same double on any Spark and any plan.
    """
    by_key = Window.partitionBy(key)
    counts = (
        values.where(F.col(value).isNotNull())
        .groupBy(key, F.col(value).cast("long").alias("_v"))
        .agg(F.count(F.lit(1)).alias("_c"))
        .withColumn("_n", F.sum("_c").over(by_key))
        .withColumn("_upto", F.sum("_c").over(by_key.orderBy("_v")))
    )
    picks, results = [], []
    for column, percent in percents.items():
        rank = F.expr(f"((_n - 1) * {percent}) div 100")
        picks += [
            F.min(F.when(F.col("_upto") > rank, F.col("_v"))).alias(f"_lo_{column}"),
            F.min(F.when(F.col("_upto") > rank + 1, F.col("_v"))).alias(f"_hi_{column}"),
        ]
        low, high = F.col(f"_lo_{column}"), F.coalesce(f"_hi_{column}", f"_lo_{column}")
        remainder = F.expr(f"((_n - 1) * {percent}) % 100")
        results.append(((low * 100 + remainder * (high - low)).cast("double") / F.lit(100.0)).alias(column))
    return counts.groupBy(key, "_n").agg(*picks).select(key, *results)


def route_latency_daily(requests: DataFrame) -> DataFrame:
    """Per route: volume, 4xx/5xx errors and exact latency percentiles (requests without a latency
    count in `requests` but not in the percentiles)."""
    routed = requests.withColumn("route_key", F.coalesce("route_key", F.lit(UNKNOWN_ROUTE)))
    volume = routed.groupBy("route_key").agg(
        F.count(F.lit(1)).alias("requests"),
        _count_if(F.col("status").between(400, 499)).alias("errors_4xx"),
        _count_if(F.col("status").between(500, 599)).alias("errors_5xx"),
    )
    latency = exact_percentiles(routed, "route_key", "response_latency_ms", PERCENTILES)
    return volume.join(latency, "route_key", "left").select(*ROUTE_LATENCY_SCHEMA.fieldNames())


def user_activity_daily(requests: DataFrame, tasks: DataFrame, day: date) -> DataFrame:
    """Per user active on D: API calls (anonymous calls belong to no user) and task events."""
    calls = requests.where(F.col("user_id").isNotNull()).groupBy("user_id").agg(F.count(F.lit(1)).alias("api_requests"))
    task_events = tasks_per_user_daily(tasks, day).select("user_id", "tasks_created", "tasks_completed")
    joined = calls.join(task_events, "user_id", "full_outer").fillna(
        0, subset=["api_requests", "tasks_created", "tasks_completed"]
    )
    active = (F.col("api_requests") + F.col("tasks_created") + F.col("tasks_completed")) > 0
    return joined.where(active).select(*USER_ACTIVITY_SCHEMA.fieldNames())
