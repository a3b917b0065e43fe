"""Silver quarantines, with a reason, every value it cannot type exactly and every row that breaks a
row-level rule of its contract, so the blocking contract checks pass on what is written (issue #11)."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from lake_assets.parsing.dynamodb_json import parse_full_export_line
from lake_assets.quality.contract import evaluate_contract
from lake_assets.quality.row_rules import first_violation, row_rules, rule_id
from lake_assets.steps import TABLES
from lake_assets.transforms.bronze import API_REQUESTS_SCHEMA, TASKS_EXPORT_SCHEMA
from lake_assets.transforms.cdc import item_rows
from lake_assets.transforms.silver_entities import SilverTasks, item_counts, type_entities
from lake_assets.transforms.silver_requests import accounting, route_requests


def S(v):
    return {"S": v}


def N(v):
    return {"N": v}


def task(tid, **attrs):
    base = {"PK": S("USER#u1"), "SK": S(f"TASK#{tid}"), "status": S("OPEN"), "created_at": S("2026-11-21T10:00:00Z")}
    return json.dumps({"Item": {**base, **attrs}})


def snapshot(spark, lines):
    rows = []
    for number, line in enumerate(lines, start=1):
        row = parse_full_export_line(line, number)
        row.update(export_id="e", export_time=datetime(2026, 11, 22, tzinfo=UTC), source_key="data/a.json.gz")
        rows.append(row)
    return spark.createDataFrame(rows, TASKS_EXPORT_SCHEMA)


EMAIL = "ada.lovelace@example.com"
LINES = [
    json.dumps({"Item": {"PK": S("USER#u1"), "SK": S("PROFILE"), "email": S(EMAIL)}}),
    task("ok1", estimate_hours=N("12.3456789012345678901"), priority=S("4")),
    task("ok2", estimate_hours=N("12.50"), priority=N("3.0"), tags={"L": [S("a")]}),
    task("tiny", estimate_hours=N("1E-36")),
    task("long", estimate_hours=N("1" * 38)),
    task("huge", estimate_hours=N("1E+130")),
    task("text", estimate_hours=S("about two")),
    task("bool", estimate_hours={"BOOL": True}),
    task("negative", estimate_hours=N("-1")),
    task("high", priority=S("high")),
    task("half", priority=N("3.5")),
    task("seven", priority=N("7")),
    task("nostatus", status={"NULL": True}),
    task("baddue", due_date=S("someday")),
    task("badtags", tags=S("a,b")),
    json.dumps({"Item": {"PK": S("USER#u2"), "SK": S("PROFILE"), "email": S(EMAIL), "created_at": S("yesterday")}}),
    json.dumps({"Item": {"PK": S("USER#u3"), "SK": S("PROFILE"), "email": {"S": EMAIL, "N": "1"}}}),
    '{"Item": {"PK": {"S": "USER#u4"}, "SK": {"S": "PROFILE"}, "email": {"S": "' + EMAIL + '"}',
]
EXPECTED = {
    "TASK#tiny": "estimate_hours_not_representable",
    "TASK#long": "estimate_hours_not_representable",
    "TASK#huge": "estimate_hours_not_representable",
    "TASK#text": "estimate_hours_wrong_type",
    "TASK#bool": "estimate_hours_wrong_type",
    "TASK#negative": "rule:estimate_hours>=0",
    "TASK#high": "priority_wrong_type",
    "TASK#half": "priority_wrong_type",
    "TASK#seven": "rule:priority_in[1,5]",
    "TASK#nostatus": "rule:status_not_null",
    "TASK#baddue": "due_date_wrong_type",
    "TASK#badtags": "tags_wrong_type",
    "USER#u2/PROFILE": "created_at_wrong_type",
    "USER#u3/PROFILE": "invalid_dynamodb_json",
    "-": "invalid_json",
}


def test_values_that_do_not_type_exactly_are_quarantined_with_the_attribute(spark):
    entities = type_entities(item_rows(snapshot(spark, LINES)), b"k")
    tasks = {r["task_id"]: r for r in entities.tasks.collect()}
    assert sorted(tasks) == ["ok1", "ok2"]
    assert (tasks["ok1"]["estimate_hours"], tasks["ok1"]["priority"]) == (Decimal("12.3456789012345678901"), 4)
    assert (tasks["ok2"]["estimate_hours"], tasks["ok2"]["priority"], tasks["ok2"]["tags"]) == (
        Decimal("12.5"),
        3,
        ["a"],
    )
    quarantine = entities.quarantine().collect()
    got = {}
    for r in quarantine:
        where = r["sk"] if r["entity"] == "task" else f"{r['pk']}/{r['sk']}" if r["pk"] else "-"
        got[where] = r["reason"].split(":", 1)[0] if r["reason"].startswith("invalid_") else r["reason"]
    assert got == EXPECTED
    for r in quarantine:  # personal data stays out of quarantine, also from lines that did not parse
        assert EMAIL not in r["raw_item"] and EMAIL not in r["reason"]
    assert sum("<redacted>" in r["raw_item"] for r in quarantine) == 3
    counts = item_counts(entities.items)[0]
    assert (counts["bronze_items"], counts["users"], counts["tasks"], counts["quarantined"]) == (len(LINES), 1, 2, 15)
    assert counts["quarantine_reasons"]["estimate_hours_not_representable"] == 3
    assert counts["quarantine_reasons"]["rule:priority_in[1,5]"] == 1  # the whole rule id is the key
    for table, frame in (("silver/tasks", entities.tasks), ("silver/users", entities.users)):
        assert all(o.passed for o in evaluate_contract(frame, TABLES[table])), table


def test_row_rules_come_from_the_contract():
    ids = [rule_id(r) for r in row_rules(SilverTasks)]
    assert ids == [
        "user_id_not_null",
        "task_id_not_null",
        "status_not_null",
        "status_in_accepted_values",
        "priority_in[1,5]",
        "created_at_not_null",
        "estimate_hours>=0",
        "checklist_items>=0",
        "export_id_not_null",
    ]
    assert [rule_id(r) for r in row_rules(SilverTasks, ["priority", "nothing"])] == ["priority_in[1,5]"]


def test_first_violation_names_the_first_broken_rule(spark):
    df = spark.createDataFrame(
        [(None, 0, -1), ("u", 9, -1), ("u", 3, -1), ("u", 3, 2)], "user_id string, priority int, checklist_items int"
    )
    got = [r[0] for r in df.select(first_violation(SilverTasks, df.columns)).collect()]
    assert got == ["rule:user_id_not_null", "rule:priority_in[1,5]", "rule:checklist_items>=0", None]


def api_row(idx, **values):
    row = dict.fromkeys(API_REQUESTS_SCHEMA.fieldNames())
    row.update(
        record_type="access_log",
        request_id=f"r{idx}",
        event_time=datetime(2026, 11, 21, 12, tzinfo=UTC),
        time_source="requestTimeEpoch",
        status=200,
        response_latency_ms=5,
        source_key="k",
        record_index=idx,
        ingested_at=datetime(2026, 11, 21, 12, 1, tzinfo=UTC),
        dt=date(2026, 11, 21),
    )
    row.update(values)
    return row


def test_a_negative_latency_is_quarantined_not_a_withheld_day(spark):
    schema = T.StructType([*API_REQUESTS_SCHEMA.fields, T.StructField("dt", T.DateType())])
    rows = [
        api_row(0),
        api_row(1, response_latency_ms=-3),
        api_row(2, status=700),
        api_row(3, integration_latency_ms=-1, response_length=-2),
        api_row(4, response_length=0),
    ]
    routed = route_requests(spark.createDataFrame(rows, schema), date(2026, 11, 21))
    assert sorted(r["request_id"] for r in routed.requests.collect()) == ["r0", "r4"]
    assert sorted((r["record_index"], r["reason"]) for r in routed.quarantine.collect()) == [
        (1, "rule:response_latency_ms>=0"),
        (2, "rule:status_in[100,599]"),
        (3, "rule:response_length>=0"),  # the first broken rule in contract order
    ]
    counts = accounting(routed.routed)
    assert (counts["bronze_rows_owned"], counts["silver_rows"], counts["quarantine_rows"]) == (5, 2, 3)
    assert counts["quarantine_reasons"] == {
        "rule:response_latency_ms>=0": 1,
        "rule:status_in[100,599]": 1,
        "rule:response_length>=0": 1,
    }
    assert all(o.passed for o in evaluate_contract(routed.requests, TABLES["silver/api_requests"]))


def build_context_for(tmp_path):
    from lake_assets.core.settings import LakeSettings
    from lake_assets.execute import build_context

    settings = LakeSettings(
        lake_root_uri=str(tmp_path / "lake"),
        landing_uri=str(tmp_path / "landing"),
        pii_hash_key="k" * 32,
        max_quarantine_rate={"*": 0.5},
    )
    return build_context(settings, date(2026, 11, 21))


@pytest.mark.e2e  # two whole Silver builds (write, check, publish): > 10 s on a 2-core machine
def test_silver_builds_publish_the_day_and_quarantine_the_broken_rows(tmp_path, spark):
    from lake_assets.builds.silver import silver_api_requests, silver_entities

    ctx = build_context_for(tmp_path)
    bronze_api = [{k: v for k, v in api_row(i).items() if k != "dt"} for i in range(3)]
    bronze_api[1]["response_latency_ms"] = -3  # yesterday this withheld the whole day
    ctx.lake.write(spark.createDataFrame(bronze_api, API_REQUESTS_SCHEMA), "bronze", "api_requests", "2026-11-21")
    result = silver_api_requests(ctx)
    assert not result.blocking_failures and all(o.published for o in result.outputs)
    assert {c.name: c.passed for c in result.checks if c.table == "silver/api_requests"}["ranges"]
    assert [o.rows for o in result.outputs] == [2, 1]  # silver, quarantine: nothing lost

    lines = [LINES[0], task("fine"), task("high", priority=S("high")), task("tiny", estimate_hours=N("1E-36"))]
    ctx.lake.write(snapshot(spark, lines), "bronze", "tasks_export", "2026-11-21")
    result = silver_entities(ctx)
    assert not result.blocking_failures and all(o.published for o in result.outputs)
    assert [o.rows for o in result.outputs] == [1, 1, 2]  # tasks, users, quarantine
    (tasks_meta,) = [o.extra for o in result.outputs if o.table.key == "silver/tasks"]
    assert tasks_meta["quarantine_reasons"] == {"estimate_hours_not_representable": 1, "priority_wrong_type": 1}
