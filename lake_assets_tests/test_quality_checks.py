"""Generated contract checks, volume anomaly and drift: pass on good data, fail with useful metadata."""

import pytest
from pyspark.sql import functions as F

from lake_assets.quality.contract import evaluate_contract, evaluate_contract_with_sums
from lake_assets.quality.drift import ROW, api_log_findings, api_log_verdict, export_drift
from lake_assets.quality.rules import generated_check_names, rules_for
from lake_assets.quality.volume import volume_band, volume_verdict
from lake_assets.steps import TABLES

ROUTES = TABLES["gold/route_latency_daily"]


def outcomes(spark, rows, table=ROUTES, schema=None):
    df = spark.createDataFrame(rows, schema or table.schema)
    return {o.name: o for o in evaluate_contract(df, table)}


def test_rules_are_derived_from_the_contract():
    texts = [r.text for r in rules_for(ROUTES.model)]
    assert "route_key is not null" in texts and "requests >= 1" in texts and "latency_p99_ms >= 0" in texts
    assert generated_check_names(ROUTES.model) == ["schema", "not_null", "ranges", "unique_key"]
    assert generated_check_names(TABLES["silver/tasks"].model) == [
        "schema",
        "not_null",
        "accepted_values",
        "ranges",
        "unique_key",
    ]


def test_good_partition_passes_every_generated_check(spark):
    got = outcomes(spark, [("GET /a", 3, 1, 0, 5.0, 9.0, 9.5), ("GET /b", 1, 0, 1, None, None, None)])
    assert {name: o.passed for name, o in got.items()} == {
        "schema": True,
        "not_null": True,
        "ranges": True,
        "unique_key": True,
    }
    assert got["ranges"].metadata["rows_checked"] == 2


def test_bad_partition_fails_with_counts_and_samples(spark):
    rows = [("GET /a", 3, 1, 0, 5.0, 9.0, 9.5), ("GET /a", 0, -1, 0, -2.0, 1.0, 1.0), (None, 2, 0, 0, 1.0, 1.0, 1.0)]
    got = outcomes(spark, rows)
    assert not got["not_null"].passed and got["not_null"].metadata["failing_rows"] == 1
    assert got["not_null"].metadata["sample"] == [{"route_key": None}]
    ranges = got["ranges"].metadata
    assert not got["ranges"].passed and ranges["failing_rows"] == 3
    assert ranges["failing_rows_by_rule"] == {"requests >= 1": 1, "errors_4xx >= 0": 1, "latency_p50_ms >= 0": 1}
    assert not got["unique_key"].passed
    assert got["unique_key"].metadata["duplicated_keys"] == 1
    assert got["unique_key"].metadata["sample"] == [{"route_key": "GET /a", "count": 2}]
    # pandera counts nullability as part of the schema, so the schema check names the null too
    assert got["schema"].metadata["problems"] == ["route_key: non-nullable column 'route_key' contains null"]


def test_accepted_values_and_patterns(spark):
    users = TABLES["silver/users"]
    rows = [("u1", "a" * 64, None, None, None, "e"), ("u2", "not-a-hash", None, None, None, "e")]
    got = outcomes(spark, rows, users)
    assert not got["accepted_values"].passed
    assert got["accepted_values"].metadata["sample"] == [{"user_id": "u2", "email_hash": "not-a-hash"}]


def test_schema_check_reports_wrong_types(spark):
    got = outcomes(
        spark,
        [("GET /a", "3", 1, 0, 5.0, 9.0, 9.5)],
        schema="route_key string, requests string, errors_4xx long, errors_5xx long, "
        "latency_p50_ms double, latency_p95_ms double, latency_p99_ms double",
    )
    assert not got["schema"].passed
    assert any("requests" in p for p in got["schema"].metadata["problems"])


@pytest.mark.parametrize(
    ("rows", "history", "passed"),
    [
        (1000, [990, 1010, 1000, 995, 1005, 1020, 980], True),
        (1500, [990, 1010, 1000, 995, 1005, 1020, 980], False),
        (10, [990, 1010, 1000, 995, 1005, 1020, 980], False),
        (1000, [990, 1010, 1000, 995, 5000, 1020, 980], True),  # one spike does not widen the band
        (2000, [990, 1010, 1000, 995, 5000, 1020, 980], False),
        (7, [900, 1000], True),  # not enough history: pass, say so
    ],
)
def test_volume_anomaly_is_robust(rows, history, passed):
    ok, meta = volume_verdict(rows, history)
    assert ok is passed
    if len(history) >= 3:
        assert meta["expected_low"] <= 1000 <= meta["expected_high"]
    else:
        assert "needs 3" in meta["note"]


def test_volume_band_on_constant_history_allows_small_moves():
    mid, low, high = volume_band([100, 100, 100, 100])
    assert mid == 100 and low <= 95 and high >= 105


def api_log_drift(bronze):
    """The drift verdict of Bronze api rows, as the Bronze build groups `api_log_findings`."""
    findings = bronze.select(F.explode(api_log_findings()).alias("f")).groupBy("f.kind", "f.name").count()
    return api_log_verdict((r["kind"], r["name"], r["count"]) for r in findings.collect())


def test_api_log_drift(spark):
    schema = TABLES["bronze/api_requests"].schema
    base = dict.fromkeys(schema.fieldNames())
    rows = [
        {**base, "record_type": "access_log", "source_key": "k", "record_index": 0},
        {
            **base,
            "record_type": "access_log",
            "source_key": "k",
            "record_index": 1,
            "extra_fields": '{"newField": "x"}',
            "missing_fields": "ip,protocol",
            "invalid_fields": "status",
        },
    ]
    for row in rows:
        row["ingested_at"] = __import__("datetime").datetime(2026, 11, 21)
    passed, meta = api_log_drift(spark.createDataFrame(rows, schema))
    assert not passed
    assert meta == {
        "new_fields": {"newField": 1},
        "missing_fields": {"ip": 1, "protocol": 1},
        "fields_with_untypable_values": {"status": 1},
    }
    clean, _ = api_log_drift(spark.createDataFrame(rows[:1], schema))
    assert clean


def test_api_log_findings_count_every_row_once_and_drift_only_on_access_logs(spark):
    """The Bronze build groups these findings with its own row counts in one Spark job: each row
    yields exactly one ROW finding, and only access-log records yield drift (a control message's
    or a malformed fragment's fields say nothing about the log template)."""
    from datetime import datetime

    schema = TABLES["bronze/api_requests"].schema
    base = {**dict.fromkeys(schema.fieldNames()), "source_key": "k", "ingested_at": datetime(2026, 11, 21)}
    rows = [
        {**base, "record_type": "access_log", "record_index": 0, "missing_fields": "ip"},
        {**base, "record_type": "access_log", "record_index": 1, "extra_fields": '{"a": "1", "b": "2"}'},
        {**base, "record_type": "access_log", "record_index": 2, "missing_fields": "ip", "invalid_fields": "status"},
        {**base, "record_type": "malformed", "record_index": 3, "missing_fields": "ip,path"},
        {**base, "record_type": "control_message", "record_index": 4, "extra_fields": '{"c": "3"}'},
    ]
    findings = spark.createDataFrame(rows, schema).select("record_type", F.explode(api_log_findings()).alias("f"))
    counts = sorted(tuple(r) for r in findings.groupBy("record_type", "f.kind", "f.name").count().collect())
    assert counts == [
        ("access_log", "missing", "ip", 2),
        ("access_log", "new", "a", 1),
        ("access_log", "new", "b", 1),
        ("access_log", "retyped", "status", 1),
        ("access_log", ROW, None, 3),
        ("control_message", ROW, None, 1),
        ("malformed", ROW, None, 1),
    ]
    passed, meta = api_log_verdict((kind, name, n) for _, kind, name, n in counts)
    assert not passed
    assert meta == {
        "new_fields": {"a": 1, "b": 1},
        "missing_fields": {"ip": 2},
        "fields_with_untypable_values": {"status": 1},
    }
    assert api_log_verdict([(ROW, None, 5)]) == (
        True,
        {"new_fields": {}, "missing_fields": {}, "fields_with_untypable_values": {}},
    )


def test_export_drift(spark):
    from datetime import datetime

    schema = TABLES["bronze/tasks_export"].schema

    def item(sk, types, n):
        return {
            "export_id": "e",
            "export_time": datetime(2026, 11, 22),
            "source_key": "k",
            "line_number": n,
            "pk": "USER#u1",
            "sk": sk,
            "item_json": "{}",
            "attribute_types": types,
            "raw_item": "{}",
            "parse_error": None,
        }

    rows = [
        item("PROFILE", {"PK": "S", "SK": "S", "email": "S"}, 1),
        item("TASK#1", {"PK": "S", "SK": "S", "status": "S", "created_at": "S", "priority": "S"}, 2),
        item("TASK#2", {"PK": "S", "SK": "S", "status": "S", "colour": "S"}, 3),
    ]
    passed, meta = export_drift(spark.createDataFrame(rows, schema))
    assert not passed
    assert meta == {
        "new_attributes": {"task.colour": 1},
        "type_changes": {"task.priority:S": 1},
        "required_attributes_absent": {"task.created_at": 1},
    }
    assert export_drift(spark.createDataFrame(rows[:1], schema))[0]
    # Required attributes are judged against the items of each entity, counted in the same job:
    # a second user without an email is one absence among two users.
    rows.append(item("PROFILE", {"PK": "S", "SK": "S"}, 4))
    rows.append(item("OTHER", {"PK": "S", "SK": "S", "anything": "N"}, 5))
    rows.append({**item("PROFILE", None, 6), "parse_error": "invalid_json"})  # no attributes: not an item
    assert export_drift(spark.createDataFrame(rows, schema))[1]["required_attributes_absent"] == {
        "task.created_at": 1,
        "user.email": 1,
    }


def test_contract_checks_cost_a_fixed_few_spark_jobs_whatever_the_width(spark):
    """Every Spark job costs a fixed fraction of a second on a small day: the generated checks of
    the widest Silver table take one aggregation (all rules, nulls and distinct keys included),
    never a job per column (pandera's own nullability check ran one per non-nullable column)."""
    tasks = TABLES["silver/tasks"]
    df = spark.createDataFrame([], tasks.schema)
    tracker = spark.sparkContext.statusTracker()
    spark.sparkContext.setJobGroup("contract-jobs", "count the contract's jobs")
    try:
        got = {o.name: o.passed for o in evaluate_contract(df, tasks)}
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert got == dict.fromkeys(["schema", "not_null", "accepted_values", "ranges", "unique_key"], True)
    # One aggregation (rules, nulls, distinct keys); adaptive execution runs its shuffle stages as jobs.
    assert len(tracker.getJobIdsForGroup("contract-jobs")) <= 3


def test_a_partition_known_to_be_empty_is_judged_without_spark_jobs(spark):
    """An empty staged partition (its footers say 0 rows: a day without incremental exports, an
    empty quarantine) gets the same outcomes as a real evaluation, and costs no Spark job."""
    tasks = TABLES["silver/tasks"]
    df = spark.createDataFrame([], tasks.schema)
    evaluated = [(o.name, o.passed, o.metadata) for o in evaluate_contract(df, tasks)]
    tracker = spark.sparkContext.statusTracker()
    spark.sparkContext.setJobGroup("empty-contract", "count the jobs of an empty partition")
    try:
        known = [(o.name, o.passed, o.metadata) for o in evaluate_contract(df, tasks, rows=0)]
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert known == evaluated
    assert tracker.getJobIdsForGroup("empty-contract") == []


def test_a_build_reads_its_staged_partition_once_for_the_contract_and_its_reconciliation_sums(spark):
    """The sums a build reconciles against come out of the contract's own aggregation: the same
    outcomes as the contract alone, exact sums, and no extra Spark job for them."""
    rows = [("GET /a", 3, 1, 0, 5.0, 9.0, 9.5), ("GET /a", 0, -1, 2, -2.0, 1.0, 1.0), (None, 2, 0, 0, 1.0, 1.0, 1.0)]
    df = spark.createDataFrame(rows, ROUTES.schema)
    sums = {"requests": F.col("requests"), "errors": F.col("errors_4xx") + F.col("errors_5xx")}
    tracker = spark.sparkContext.statusTracker()
    spark.sparkContext.setJobGroup("contract-sums", "count the jobs of the contract with sums")
    try:
        outcomes_with_sums, totals = evaluate_contract_with_sums(df, ROUTES, None, sums)
        aggregation_jobs = len(tracker.getJobIdsForGroup("contract-sums"))
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert totals == {"requests": 5, "errors": 2}
    plain = evaluate_contract(df, ROUTES)
    assert [(o.name, o.passed, o.metadata) for o in outcomes_with_sums] == [
        (o.name, o.passed, o.metadata) for o in plain
    ]
    # The aggregation (adaptive execution runs its shuffle stages as jobs) plus the failing
    # rules' and the duplicated key's samples: no job of its own for the sums.
    spark.sparkContext.setJobGroup("contract-alone", "count the jobs of the contract alone")
    try:
        evaluate_contract(df, ROUTES)
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert aggregation_jobs == len(tracker.getJobIdsForGroup("contract-alone"))
    # An empty staged partition (0 rows from its footers): zero sums, no Spark job at all.
    spark.sparkContext.setJobGroup("contract-empty", "an empty partition")
    try:
        _, empty = evaluate_contract_with_sums(spark.createDataFrame([], ROUTES.schema), ROUTES, 0, sums)
    finally:
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
    assert empty == {"requests": 0, "errors": 0}
    assert tracker.getJobIdsForGroup("contract-empty") == []
