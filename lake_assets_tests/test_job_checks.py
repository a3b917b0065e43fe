"""Reconciliation and referential checks inside jobs: a failure keeps the partition unpublished."""

import json
from datetime import UTC, date, datetime

from lake_assets.builds.bronze import bronze_tasks_export
from lake_assets.builds.gold import gold_route_latency_daily
from lake_assets.builds.silver import check_unknown_users, silver_entities
from lake_assets.builds.tasks import balanced_order, parse_tasks, slice_sizes
from lake_assets.core.settings import LakeSettings
from lake_assets.execute import build_context
from lake_assets.parsing.dynamodb_json import parse_full_export_line
from lake_assets.steps import TABLES
from lake_assets_tests.landing_builders import write_export

DAY = date(2026, 11, 21)


def context(tmp_path, spark):
    settings = LakeSettings(
        lake_root_uri=str(tmp_path / "lake"), landing_uri=str(tmp_path / "landing"), pii_hash_key="k" * 32
    )
    return build_context(settings, DAY)


def failed(result):
    return {(c.table, c.name) for c in result.checks if not c.passed}


def test_export_rows_must_match_the_manifest(tmp_path, spark):
    landing = tmp_path / "landing"
    write_export(landing, "e1", "2026-11-22T00:00:00.000Z", items=2)
    base = landing / "dynamodb/tasks/AWSDynamoDB/e1"
    entry = json.loads((base / "manifest-files.json").read_text())
    (base / "manifest-files.json").write_text(json.dumps({**entry, "itemCount": 3}) + "\n")
    summary = json.loads((base / "manifest-summary.json").read_text())
    (base / "manifest-summary.json").write_text(json.dumps({**summary, "itemCount": 3}))
    result = bronze_tasks_export(context(tmp_path, spark))
    assert ("bronze/tasks_export", "manifest_reconciliation") in failed(result)
    (check,) = [c for c in result.checks if c.name == "manifest_reconciliation"]
    assert check.metadata["rows_read"] == 2 and check.metadata["manifest_item_count"] == 3
    assert [o.published for o in result.outputs] == [False]
    assert not (tmp_path / "lake/bronze/tasks_export/dt=2026-11-21").exists()


def test_a_consistent_export_publishes(tmp_path, spark):
    write_export(tmp_path / "landing", "e1", "2026-11-22T00:00:00.000Z", items=4)
    result = bronze_tasks_export(context(tmp_path, spark))
    assert not result.blocking_failures and result.outputs[0].published and result.outputs[0].rows == 4


def test_tasks_of_unknown_users_block_silver(tmp_path, spark):
    ctx = context(tmp_path, spark)
    item = {
        "PK": {"S": "USER#ghost"},
        "SK": {"S": "TASK#t1"},
        "status": {"S": "OPEN"},
        "created_at": {"S": "2026-11-21T10:00:00Z"},
    }
    row = parse_full_export_line(json.dumps({"Item": item}), 1)
    row.update(export_id="e1", export_time=datetime(2026, 11, 22, tzinfo=UTC), source_key="data/a.json.gz")
    ctx.lake.write(
        spark.createDataFrame([row], TABLES["bronze/tasks_export"].schema), "bronze", "tasks_export", DAY.isoformat()
    )
    result = silver_entities(ctx)
    assert ("silver/tasks", "users_exist") in failed(result)
    (check,) = [c for c in result.checks if c.name == "users_exist"]
    assert check.metadata["tasks_without_user"] == 1
    assert check.metadata["sample"] == [{"user_id": "ghost", "task_id": "t1"}]
    assert not any(o.published for o in result.outputs)
    assert not (tmp_path / "lake/silver/tasks/dt=2026-11-21").exists()


def test_requests_of_unknown_users_are_counted_exactly(tmp_path, spark):
    """`unknown_users`: requests (and distinct users) not in silver/users, the top users by count."""
    ctx = context(tmp_path, spark)
    requests = TABLES["silver/api_requests"].schema
    base = dict.fromkeys(requests.fieldNames())
    users = ["u1", "ghost", "ghost", "ghost", "spook", None, "u1"]
    rows = [{**base, "request_id": f"r{i}", "user_id": u} for i, u in enumerate(users)]
    ctx.lake.write(spark.createDataFrame(rows, requests), "silver", "api_requests", DAY.isoformat())
    known = dict.fromkeys(TABLES["silver/users"].schema.fieldNames())
    ctx.lake.write(
        spark.createDataFrame([{**known, "user_id": "u1"}], TABLES["silver/users"].schema),
        "silver",
        "users",
        DAY.isoformat(),
    )
    (check,) = check_unknown_users(ctx).checks
    assert not check.passed
    assert check.metadata == {
        "requests_from_unknown_users": 4,
        "unknown_users": 2,
        "top_unknown_users": {"ghost": 3, "spook": 1},
        "requests_with_user": 6,
    }


def test_a_day_without_unknown_users_passes_and_counts_each_request_once(tmp_path, spark):
    """A user listed twice in silver/users still counts each of its requests once."""
    ctx = context(tmp_path, spark)
    requests = TABLES["silver/api_requests"].schema
    base = dict.fromkeys(requests.fieldNames())
    rows = [{**base, "request_id": f"r{i}", "user_id": u} for i, u in enumerate(["u1", "u1", None, "u2"])]
    ctx.lake.write(spark.createDataFrame(rows, requests), "silver", "api_requests", DAY.isoformat())
    known = dict.fromkeys(TABLES["silver/users"].schema.fieldNames())
    users = [{**known, "user_id": u} for u in ("u1", "u1", "u2")]
    ctx.lake.write(spark.createDataFrame(users, TABLES["silver/users"].schema), "silver", "users", DAY.isoformat())
    (check,) = check_unknown_users(ctx).checks
    assert check.passed
    assert check.metadata == {
        "requests_from_unknown_users": 0,
        "unknown_users": 0,
        "top_unknown_users": {},
        "requests_with_user": 3,
    }


def test_parse_tasks_hold_equal_work_without_a_shuffle(spark):
    """The listing is ordered so Spark's own slices (one per slot) hold near-equal weight: 20 equal
    export files and an empty one fill every slot equally, a skewed listing puts its heaviest
    file in the slice with the fewest rows. No shuffle stage, and every listed file reaches exactly one task."""
    slots = spark.sparkContext.defaultParallelism

    def loads(rows, weights):
        tasks = parse_tasks(spark, rows, weights, "key string")
        assert "Exchange" not in tasks._jdf.queryExecution().executedPlan().toString()
        parts = tasks.rdd.glom().collect()
        assert len(parts) == slots
        keys = [r["key"] for part in parts for r in part]
        assert sorted(keys) == sorted(k for (k,) in rows)
        weight = dict(zip((k for (k,) in rows), weights, strict=True))
        return sorted(sum(weight[r["key"]] for r in part) for part in parts)

    equal = [(f"data/{i:02d}.json.gz",) for i in range(21)]
    assert loads(equal, [48_000] * 20 + [0]) == [48_000 * 20 // slots] * slots
    skewed = [(f"k{i}",) for i in range(9)]
    heavy = 100 * slots
    fewest = min(n for n in slice_sizes(len(skewed), slots) if n)  # the heavy file takes the shortest slice
    assert loads(skewed, [heavy] + [1] * 8)[-1] == heavy + fewest - 1
    assert loads([("only",)], [5]) == [0] * (slots - 1) + [5]
    assert loads([], []) == [0] * slots


def test_slice_sizes_follow_spark_and_packing_is_balanced():
    """Pure: the slices of a local list (PySpark batches rows, the JVM slices batches) and the
    greedy packing into them."""
    assert slice_sizes(21, 2) == [10, 11]
    assert slice_sizes(9, 4) == [2, 2, 2, 3]
    assert slice_sizes(3, 4) == [0, 1, 1, 1]
    assert slice_sizes(5000, 2) == [2048, 2952]  # batches of 1024: slices hold whole batches
    assert balanced_order([5, 1, 1, 1, 4, 4], [3, 3]) == [[0, 1, 2], [4, 5, 3]]
    assert balanced_order([7, 7, 7, 7], [1, 1, 2]) == [[0], [1], [2, 3]]


def test_gold_reconciles_its_staged_output_in_the_contract_job_and_publishes(tmp_path, spark):
    """The gold totals come from the staged partition's contract job (`BuildContext.audit`);
    `finish` reuses that evaluation: every generated check is reported exactly once."""
    ctx = context(tmp_path, spark)
    schema = TABLES["silver/api_requests"].schema
    base = dict.fromkeys(schema.fieldNames())
    statuses = [("GET /a", 200, 10), ("GET /a", 404, 20), ("GET /b", 503, None), (None, 200, 5)]
    rows = [
        {**base, "request_id": f"r{i}", "route_key": route, "status": status, "response_latency_ms": latency}
        for i, (route, status, latency) in enumerate(statuses)
    ]
    ctx.lake.write(spark.createDataFrame(rows, schema), "silver", "api_requests", DAY.isoformat())
    result = gold_route_latency_daily(ctx)
    names = [c.name for c in result.checks]
    assert sorted(names) == sorted(set(names)), names
    assert {"schema", "not_null", "ranges", "unique_key", "silver_reconciliation"} <= set(names)
    (reconciled,) = [c for c in result.checks if c.name == "silver_reconciliation"]
    assert reconciled.passed
    assert reconciled.metadata["gold"] == {"requests": 4, "errors_4xx": 1, "errors_5xx": 1}
    assert reconciled.metadata["gold"] == reconciled.metadata["silver"]
    assert [(o.published, o.rows) for o in result.outputs] == [(True, 3)]
