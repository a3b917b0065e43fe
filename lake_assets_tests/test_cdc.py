"""CDC: incremental-export parsing, the snapshot+changes merge, and a day with only incrementals."""

import json
from datetime import UTC, date, datetime

import dagster as dg
import pytest
from pyspark.sql import functions as F

from lake_assets.core.settings import LakeSettings
from lake_assets.definitions import build_definitions
from lake_assets.parsing.dynamodb_json import parse_full_export_line, parse_incremental_line
from lake_assets.steps import TABLES
from lake_assets.transforms.cdc import Changes, item_rows, merge_counts, with_fate
from lake_assets.transforms.silver_entities import item_counts, type_entities
from lake_assets_tests.landing_builders import change, micros, user, write_export, write_incremental

SNAP = datetime(2026, 11, 21, tzinfo=UTC)
UNTIL = datetime(2026, 11, 22, tzinfo=UTC)


def test_incremental_line_operations():
    assert parse_incremental_line(change("u1", 5, new=user("u1")), 1)["operation"] == "UPSERT"
    row = parse_incremental_line(change("u1", 5, new=user("u1"), old=user("u1", "x@y.z")), 2)
    assert row["operation"] == "MODIFY" and row["write_timestamp_micros"] == 5 and row["pk"] == "USER#u1"
    removed = parse_incremental_line(change("u1", 6, old=user("u1")), 3)
    assert removed["operation"] == "REMOVE" and removed["item_json"] is None
    assert parse_incremental_line("{oops", 4)["parse_error"] == "invalid_json"
    assert parse_incremental_line('{"NewImage": {}}', 5)["parse_error"].startswith("missing_keys")


def frames(spark, snapshot_items, change_lines):
    snap_rows = []
    for n, item in enumerate(snapshot_items, start=1):
        row = parse_full_export_line(json.dumps({"Item": item}), n)
        row.update(export_id="full", export_time=SNAP, source_key="full/a.gz")
        snap_rows.append(row)
    change_rows = []
    for n, line in enumerate(change_lines, start=1):
        row = parse_incremental_line(line, n)
        row.update(export_id="inc", export_to_time=UNTIL, source_key="data/b.gz")
        change_rows.append(row)
    return (
        spark.createDataFrame(snap_rows, TABLES["bronze/tasks_export"].schema),
        spark.createDataFrame(change_rows, TABLES["bronze/tasks_changes"].schema),
    )


def test_merge_insert_update_delete_and_ordering(spark):
    snapshot, changes = frames(
        spark,
        [user("u1"), user("u2"), user("u3")],
        [
            change("u4", micros(9), new=user("u4")),  # insert
            change("u1", micros(11), new=user("u1", "late@x.y"), old=user("u1")),  # update, later...
            change("u1", micros(10), new=user("u1", "early@x.y"), old=user("u1")),  # ...listed after an earlier one
            change("u2", micros(12), old=user("u2")),  # delete
            change("u3", int(SNAP.timestamp() * 1_000_000), new=user("u3", "old@x.y")),  # at snapshot time: in it
            change("u5", micros(8), new=user("u5")),
            change("u5", micros(9), old=user("u5")),  # created+deleted
            change("u6", int(UNTIL.timestamp() * 1_000_000) + 1, new=user("u6")),  # after the day
        ],
    )
    ranked = with_fate(item_rows(snapshot, Changes(changes, SNAP, UNTIL)))
    items = {r["pk"]: json.loads(r["item_json"]) for r in ranked.where(F.col("_fate") == "kept").collect()}
    assert sorted(items) == ["USER#u1", "USER#u3", "USER#u4"]
    assert items["USER#u1"]["email"] == "late@x.y"  # the highest WriteTimestampMicros wins
    assert items["USER#u3"]["email"] == "a@b.c"  # a change at the snapshot instant is already in it
    assert merge_counts(ranked.groupBy("_rank_source", "_fate").count().collect()) == {
        "snapshot_kept": 1,
        "snapshot_superseded": 2,
        "snapshot_removed": 0,
        "change_kept": 2,
        "change_superseded": 2,
        "change_removed": 2,
    }


def test_a_duplicate_key_in_the_export_is_quarantined_with_or_without_changes(spark):
    """The same defect gets the same verdict: the later line is the item, the earlier one is
    quarantined as `duplicate_key_in_export`, also on a day whose changes supersede the key."""
    twice = [user("u1", "first@x.y"), user("u1", "second@x.y"), user("u2")]
    snapshot, changes = frames(spark, twice, [change("u2", micros(11), new=user("u2", "new@x.y"), old=user("u2"))])
    for rows in (item_rows(snapshot), item_rows(snapshot, Changes(changes, SNAP, UNTIL))):
        entities = type_entities(rows, b"k")
        assert [(r["pk"], r["line_number"], r["reason"]) for r in entities.quarantine().collect()] == [
            ("USER#u1", 1, "duplicate_key_in_export")
        ]
        assert sorted(r["user_id"] for r in entities.users.collect()) == ["u1", "u2"]
        counts, merged = item_counts(entities.items)
        assert (counts["bronze_items"], counts["users"], counts["quarantined"]) == (3, 2, 1)
    assert merged == {
        "snapshot_kept": 2,  # u1 twice (one quarantined)
        "snapshot_superseded": 1,  # u2, changed on the day
        "snapshot_removed": 0,
        "change_kept": 1,
        "change_superseded": 0,
        "change_removed": 0,
    }


@pytest.mark.e2e  # Bronze and Silver over two days through Dagster: five steps, three runs
def test_a_day_with_only_incremental_exports_still_produces_silver(tmp_path, spark):
    landing = tmp_path / "landing"
    write_export(landing, "full-20", "2026-11-21T00:00:00.000Z", items=3)  # users u0..u2 as of end of 20th
    task = {
        "PK": {"S": "USER#u1"},
        "SK": {"S": "TASK#t9"},
        "status": {"S": "OPEN"},
        "created_at": {"S": "2026-11-21T09:00:00Z"},
    }
    write_incremental(
        landing,
        "inc-21",
        "2026-11-21T00:00:00.000Z",
        "2026-11-22T00:00:00.000Z",
        [
            change("u1", micros(9), new=task, sk="TASK#t9"),
            change("u2", micros(10), old={"PK": {"S": "USER#u2"}, "SK": {"S": "PROFILE"}}),
        ],
    )
    settings = LakeSettings(
        lake_root_uri=str(tmp_path / "lake"),
        landing_uri=str(landing),
        partition_start=date(2026, 11, 1),
        pii_hash_key="k" * 32,
        spark_master="local[2]",
        shuffle_partitions=2,
    )
    defs = build_definitions(settings)
    job, instance = defs.resolve_job_def("lake_daily"), dg.DagsterInstance.ephemeral()

    def run(day, *keys):
        selection = [dg.AssetKey(k.split("/")) for k in keys]
        return job.execute_in_process(partition_key=day, instance=instance, asset_selection=selection)

    assert run(
        "2026-11-20",
        "bronze/tasks_export",
        "bronze/tasks_changes",
        "silver/tasks",
        "silver/users",
        "silver/tasks_quarantine",
    ).success
    result = run("2026-11-21", "bronze/tasks_export", "bronze/tasks_changes")
    assert result.success  # no full export for the 21st: skipped, not failed
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert done == {"bronze/tasks_changes"}
    silver = run("2026-11-21", "silver/tasks", "silver/users", "silver/tasks_quarantine")
    assert silver.success
    import pyarrow.parquet as pq

    users = sorted(pq.read_table(tmp_path / "lake/silver/users/dt=2026-11-21").column("user_id").to_pylist())
    tasks = pq.read_table(tmp_path / "lake/silver/tasks/dt=2026-11-21").to_pylist()
    assert users == ["u0", "u1"]  # u2 was deleted on the 21st
    assert [(t["user_id"], t["task_id"]) for t in tasks] == [("u1", "t9")]
    (event,) = [e for e in silver.get_asset_materialization_events() if e.asset_key.path == ["silver", "tasks"]]
    meta = event.materialization.metadata
    assert meta["snapshot_partition"].value == "2026-11-20"
    assert meta["change_removed"].value == 1 and meta["change_kept"].value == 1
