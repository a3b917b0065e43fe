"""Silver tasks/users typing on hand-made Bronze snapshot rows."""

import hashlib
import hmac
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from pyspark.sql import functions as F

from lake_assets.parsing.dynamodb_json import parse_full_export_line
from lake_assets.transforms.bronze import TASKS_EXPORT_SCHEMA
from lake_assets.transforms.cdc import item_rows
from lake_assets.transforms.silver_entities import item_counts, keyed_hash, type_entities

KEY = b"test-key"
EXPORT_TIME = datetime(2026, 11, 22, tzinfo=UTC)


def item(**attrs):
    return json.dumps({"Item": attrs})


def snapshot(spark, lines):
    rows = []
    for number, line in enumerate(lines, start=1):
        row = parse_full_export_line(line, number)
        row.update(export_id="exp-1", export_time=EXPORT_TIME, source_key="data/a.json.gz")
        rows.append(row)
    return spark.createDataFrame(rows, TASKS_EXPORT_SCHEMA)


S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": v}  # noqa: E731

LINES = [
    item(
        PK=S("USER#u-1"),
        SK=S("PROFILE"),
        email=S(" Ada@Example.com "),
        display_name=S("Ada"),
        plan=S("pro"),
        created_at=S("2026-01-02T03:04:05Z"),
    ),
    item(
        PK=S("USER#u-1"),
        SK=S("TASK#t-1"),
        title=S("one"),
        status=S("OPEN"),
        priority=N("3"),
        created_at=S("2026-11-21T10:00:00.123Z"),
        updated_at=S("2026-11-21T11:00:00Z"),
        due_date={"NULL": True},
        tags={"SS": ["a", "b"]},
        estimate_hours=N("12.3456789012345678901"),
        checklist={"L": [{"M": {"text": S("x"), "done": {"BOOL": True}}}]},
    ),
    item(
        PK=S("USER#u-1"),
        SK=S("TASK#t-2"),
        title=S("two"),
        status=S("done"),
        priority=S("5"),
        created_at=S("2026-11-20T10:00:00Z"),
        completed_at=S("2026-11-21T09:00:00+00:00"),
        due_date=S("2026-11-30"),
        tags={"L": [S("c")]},
    ),
    item(PK=S("USER#u-2"), SK=S("TASK#t-3"), title=S("bad"), status=S("WAITING"), created_at=S("2026-11-21T10:00:00Z")),
    item(PK=S("USER#u-2"), SK=S("TASK#t-4"), title=S("no date"), status=S("OPEN")),
    item(PK=S("USER#u-2"), SK=S("SETTINGS"), theme=S("dark")),
    item(PK=S("ORG#o-1"), SK=S("TASK#t-5"), status=S("OPEN"), created_at=S("2026-11-21T10:00:00Z")),
    "{broken",
]


def test_tasks_users_and_quarantine(spark):
    entities = type_entities(item_rows(snapshot(spark, LINES)), KEY)
    tasks = {r["task_id"]: r for r in entities.tasks.collect()}
    assert sorted(tasks) == ["t-1", "t-2"]
    one, two = tasks["t-1"], tasks["t-2"]
    assert (one["user_id"], one["status"], one["priority"], one["tags"], one["checklist_items"]) == (
        "u-1",
        "OPEN",
        3,
        ["a", "b"],
        1,
    )
    assert one["created_at"] == datetime(2026, 11, 21, 10, 0, 0, 123000)
    assert one["due_date"] is None
    assert one["estimate_hours"] == Decimal("12.3456789012345678901")  # every digit: no rounding
    assert (two["status"], two["priority"], two["tags"], two["due_date"]) == ("DONE", 5, ["c"], date(2026, 11, 30))
    assert two["completed_at"] == datetime(2026, 11, 21, 9, 0)
    (user,) = entities.users.collect()
    expected = hmac.new(KEY, b"ada@example.com", hashlib.sha256).hexdigest()
    assert (user["user_id"], user["email_hash"], user["plan"]) == ("u-1", expected, "pro")
    assert "email" not in entities.users.columns
    reasons = sorted((r["sk"] or "", r["reason"].split(":")[0]) for r in entities.quarantine().collect())
    assert reasons == [
        ("", "invalid_json"),
        ("TASK#t-3", "invalid_status"),
        ("TASK#t-4", "missing_or_invalid_created_at"),
        ("TASK#t-5", "unparseable_pk"),
    ]
    counts = item_counts(entities.items)[0]
    assert counts == {
        "bronze_items": 8,
        "users": 1,
        "tasks": 2,
        "other_entities": 1,
        "quarantined": 4,
        "quarantine_reasons": {
            "invalid_json": 1,
            "invalid_status": 1,
            "missing_or_invalid_created_at": 1,
            "unparseable_pk": 1,
        },
    }


def test_keyed_hash_matches_rfc2104_for_long_keys(spark):
    key = b"k" * 100
    df = spark.createDataFrame([("hello",), (None,)], "v string")
    got = [r[0] for r in df.select(keyed_hash(F.col("v"), key)).collect()]
    assert got == [hmac.new(key, b"hello", hashlib.sha256).hexdigest(), None]


def test_duplicate_keys_keep_one_and_quarantine_the_other(spark):
    line = item(PK=S("USER#u-9"), SK=S("PROFILE"), email=S("x@y.z"))
    entities = type_entities(item_rows(snapshot(spark, [line, line])), KEY)
    assert entities.users.count() == 1
    assert [r["reason"] for r in entities.quarantine().collect()] == ["duplicate_key_in_export"]


def test_quarantine_finds_each_rows_own_raw_line_after_the_window(spark):
    """No raw line travels through the ranking window or the `items` cache; a quarantined row's
    line is looked up afterwards: the earlier duplicate (known only after the window) and an
    unparseable line each show their own text, e-mail redacted. A small quarantine is broadcast
    (one scan of the lines, no shuffle of them); the general join gives the same rows."""
    first = item(PK=S("USER#u-9"), SK=S("PROFILE"), plan=S("free"), email=S("x@y.z"))
    second = item(PK=S("USER#u-9"), SK=S("PROFILE"), plan=S("pro"), email=S("x@y.z"))
    entities = type_entities(item_rows(snapshot(spark, [first, second, "{not json"])), KEY)
    assert "raw_item" not in entities.items.columns
    small = entities.quarantine(2)
    plan = small._jdf.queryExecution().executedPlan().toString()
    assert "BroadcastHashJoin" in plan and "BuildLeft" in plan
    got = sorted((r["line_number"], r["reason"], r["raw_item"]) for r in small.collect())
    assert got == [
        (1, "duplicate_key_in_export", first.replace('{"S": "x@y.z"}', '"<redacted>"')),
        (3, "invalid_json", "{not json"),
    ]
    assert sorted((r["line_number"], r["reason"], r["raw_item"]) for r in entities.quarantine().collect()) == got
    assert [r["plan"] for r in entities.users.collect()] == ["pro"]


def test_a_number_with_a_line_terminator_after_it_is_quarantined_not_a_failed_job(spark):
    """`"2\u2028"` once passed the literal pattern (Java's `$`), then failed the cast and, under ANSI,
    the whole job; now the item is quarantined with the attribute named."""
    task = dict(PK=S("USER#u-1"), status=S("OPEN"), created_at=S("2026-11-21T10:00:00Z"))
    lines = [
        item(SK=S("TASK#t-1"), priority=S("2\u2028"), **task),
        item(SK=S("TASK#t-2"), estimate_hours=S("1.5\x85"), **task),
        item(SK=S("TASK#t-3"), priority=S("4"), **task),
    ]
    entities = type_entities(item_rows(snapshot(spark, lines)), KEY)
    reasons = sorted((r["sk"], r["reason"]) for r in entities.quarantine().collect())
    assert reasons == [("TASK#t-1", "priority_wrong_type"), ("TASK#t-2", "estimate_hours_wrong_type")]
    assert [(r["task_id"], r["priority"]) for r in entities.tasks.collect()] == [("t-3", 4)]
