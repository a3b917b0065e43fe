"""Gold aggregates on hand-made Silver rows, with values computed by hand or by numpy."""

from datetime import date, datetime

import numpy as np
import pytest

from lake_assets.transforms.gold import route_latency_daily, tasks_per_user_daily, user_activity_daily
from lake_assets.transforms.silver_entities import TASKS_SCHEMA
from lake_assets.transforms.silver_requests import REQUESTS_SCHEMA

D = date(2026, 11, 21)


def task(user, task_id, status, created, completed=None):
    row = dict.fromkeys(TASKS_SCHEMA.fieldNames())
    row.update(user_id=user, task_id=task_id, status=status, created_at=created, completed_at=completed,
               export_id="e")
    return row


def request(i, route, status, latency, user):
    row = dict.fromkeys(REQUESTS_SCHEMA.fieldNames())
    row.update(request_id=f"r{i}", event_time=datetime(2026, 11, 21, 12), time_source="requestTimeEpoch",
               route_key=route, status=status, response_latency_ms=latency, user_id=user,
               arrival_date=D, is_late_arrival=False, source_key="k", ingested_at=datetime(2026, 11, 21, 13))
    return row


TASKS = [
    task("u1", "t1", "OPEN", datetime(2026, 11, 21, 8)),
    task("u1", "t2", "DONE", datetime(2026, 11, 19), datetime(2026, 11, 21, 23, 59)),
    task("u1", "t3", "IN_PROGRESS", datetime(2026, 11, 18)),
    task("u2", "t4", "ARCHIVED", datetime(2026, 11, 1), datetime(2026, 11, 2)),
]


def test_tasks_per_user(spark):
    df = tasks_per_user_daily(spark.createDataFrame(TASKS, TASKS_SCHEMA), D)
    got = {r["user_id"]: (r["tasks_created"], r["tasks_completed"], r["open_tasks"]) for r in df.collect()}
    assert got == {"u1": (1, 1, 2), "u2": (0, 0, 0)}


def test_route_latency_percentiles_match_numpy(spark):
    latencies = [5, 7, 9, 12, 15, 20, 40, 41, 100, 250, 1000]
    rows = [request(i, "GET /tasks", 200, v, "u1") for i, v in enumerate(latencies)]
    rows += [request(90, "GET /tasks", 404, None, None), request(91, "GET /tasks", 503, None, "u1"),
             request(92, None, 500, 3, None)]
    df = route_latency_daily(spark.createDataFrame(rows, REQUESTS_SCHEMA))
    got = {r["route_key"]: r.asDict() for r in df.collect()}
    tasks = got["GET /tasks"]
    assert (tasks["requests"], tasks["errors_4xx"], tasks["errors_5xx"]) == (13, 1, 1)
    for q, col in ((50, "latency_p50_ms"), (95, "latency_p95_ms"), (99, "latency_p99_ms")):
        assert tasks[col] == pytest.approx(float(np.percentile(latencies, q)))
    assert got["-"]["requests"] == 1 and got["-"]["errors_5xx"] == 1 and got["-"]["latency_p50_ms"] == 3.0


def test_user_activity_excludes_anonymous_and_idle_users(spark):
    requests = [request(1, "GET /tasks", 200, 5, "u1"), request(2, "GET /tasks", 200, 5, "u3"),
                request(3, "GET /tasks", 200, 5, None)]
    df = user_activity_daily(spark.createDataFrame(requests, REQUESTS_SCHEMA),
                             spark.createDataFrame(TASKS, TASKS_SCHEMA), D)
    got = {r["user_id"]: (r["api_requests"], r["tasks_created"], r["tasks_completed"]) for r in df.collect()}
    assert got == {"u1": (1, 1, 1), "u3": (1, 0, 0)}
