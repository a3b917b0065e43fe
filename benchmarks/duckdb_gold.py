"""Gold for the DuckDB contender: transforms/gold.py's three daily aggregates as DuckDB SQL.

Latency percentiles use the same exact integer formula as the Spark job (numpy's linear
interpolation between the order statistics around rank (n-1)·p/100, an integer numerator divided
once by 100), so both engines give the same double, not merely a close one.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
from duckdb_sql import _q, source, write

PERCENTILES = {"latency_p50_ms": 50, "latency_p95_ms": 95, "latency_p99_ms": 99}


def _tasks_per_user(tasks: str, day: date) -> str:
    d = f"DATE {_q(day.isoformat())}"
    return f"""
        SELECT user_id,
               sum(CASE WHEN CAST(created_at AS DATE) = {d} THEN 1 ELSE 0 END)::BIGINT AS tasks_created,
               sum(CASE WHEN CAST(completed_at AS DATE) = {d} THEN 1 ELSE 0 END)::BIGINT AS tasks_completed,
               sum(CASE WHEN status IN ('OPEN', 'IN_PROGRESS') THEN 1 ELSE 0 END)::BIGINT AS open_tasks
        FROM {tasks} GROUP BY user_id"""


def _percentile(column: str, percent: int) -> str:
    """The exact interpolated percentile of the sorted list `_v` (1-based), NULL when it is empty."""
    k, r = f"((len(_v) - 1) * {percent} // 100)", f"((len(_v) - 1) * {percent} % 100)"
    low, high = f"_v[{k} + 1]", f"coalesce(_v[{k} + 2], _v[{k} + 1])"
    return f"CASE WHEN len(_v) > 0 THEN ({low} * 100 + {r} * ({high} - {low}))::DOUBLE / 100.0 END AS {column}"


def build_gold(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> dict[str, int]:
    tasks = source(lake, "silver", "tasks", [day.isoformat()])
    requests = source(lake, "silver", "api_requests", [day.isoformat()])
    route_latency = f"""
        WITH r AS (SELECT coalesce(route_key, '-') AS route_key, status, response_latency_ms FROM {requests}),
        v AS (
            SELECT route_key, count(*)::BIGINT AS requests,
                   sum(CASE WHEN status BETWEEN 400 AND 499 THEN 1 ELSE 0 END)::BIGINT AS errors_4xx,
                   sum(CASE WHEN status BETWEEN 500 AND 599 THEN 1 ELSE 0 END)::BIGINT AS errors_5xx,
                   coalesce(list_sort(list(response_latency_ms::BIGINT)
                                      FILTER (WHERE response_latency_ms IS NOT NULL)), []) AS _v
            FROM r GROUP BY route_key)
        SELECT route_key, requests, errors_4xx, errors_5xx,
               {", ".join(_percentile(c, p) for c, p in PERCENTILES.items())}
        FROM v"""
    user_activity = f"""
        WITH calls AS (SELECT user_id, count(*)::BIGINT AS api_requests FROM {requests}
                       WHERE user_id IS NOT NULL GROUP BY user_id),
        events AS ({_tasks_per_user(tasks, day)})
        SELECT user_id, coalesce(api_requests, 0)::BIGINT AS api_requests,
               coalesce(tasks_created, 0)::BIGINT AS tasks_created,
               coalesce(tasks_completed, 0)::BIGINT AS tasks_completed
        FROM calls FULL OUTER JOIN events USING (user_id)
        WHERE coalesce(api_requests, 0) + coalesce(tasks_created, 0) + coalesce(tasks_completed, 0) > 0"""
    return {
        "gold/tasks_per_user_daily": write(con, _tasks_per_user(tasks, day), lake, "gold/tasks_per_user_daily", day),
        "gold/route_latency_daily": write(con, route_latency, lake, "gold/route_latency_daily", day),
        "gold/user_activity_daily": write(con, user_activity, lake, "gold/user_activity_daily", day),
    }
