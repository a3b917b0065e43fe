"""A single-run backfill: one run for a range of days builds each day as a one-day run would.

Every step has `BackfillPolicy.single_run()`, so a backfill of many days is one run with a
partition range (the tags Dagster's backfill daemon gives it). These tests run the whole graph
over three generated days that way and hold it to the per-day runs: the same files in every
table, and one materialization (with that day's own row count) and one evaluation of every check
per day. A day that fails (here: no landing data) fails the step after the other days were
published, naming the day.
"""

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from lake_assets.core.settings import LakeSettings
from lake_assets.definitions import build_definitions
from lake_sample.generator import generate_sample

pytestmark = pytest.mark.e2e  # the whole graph, three days, twice: minutes

D1, DAYS = date(2026, 11, 20), 3
RANGE = [(D1 + timedelta(days=i)).isoformat() for i in range(DAYS)]
RANGE_TAGS = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def lake_settings(root: Path, landing: Path) -> LakeSettings:
    return LakeSettings(
        lake_root_uri=str(root),
        landing_uri=str(landing),
        partition_start=date(2026, 11, 1),
        pii_hash_key="test-secret-key-for-the-pii-hmac",
        spark_master="local[2]",
        shuffle_partitions=2,
    )


def ranged(job: dg.JobDefinition, instance: dg.DagsterInstance, first: str, last: str) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        instance=instance, tags=dict(zip(RANGE_TAGS, (first, last), strict=True)), raise_on_error=False
    )


@pytest.fixture(scope="module")
def lakes(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("ranged")
    generate_sample(root / "landing", D1, DAYS, 300, seed=5, users=10, tasks_per_user=4)
    one_run, per_day = (
        lake_settings(root / "one_run", root / "landing"),
        lake_settings(root / "per_day", root / "landing"),
    )
    job = build_definitions(one_run).resolve_job_def("lake_daily")
    instance = dg.DagsterInstance.ephemeral()
    # One day past the landing: Bronze tasks_export fails that day (no export), the others publish.
    past_end = (D1 + timedelta(days=DAYS)).isoformat()
    failed = ranged(job, instance, RANGE[0], past_end)
    result = ranged(job, instance, RANGE[0], RANGE[-1])
    # The same days one run each: Bronze first (Silver of day D also reads Bronze of D+1, for late
    # arrivals, as the ranged run's Silver step does once every Bronze day is built).
    defs = build_definitions(per_day)
    daily, graph, solo = defs.resolve_job_def("lake_daily"), defs.resolve_asset_graph(), dg.DagsterInstance.ephemeral()
    for groups in (["bronze"], ["silver", "gold"]):
        keys = list(dg.AssetSelection.groups(*groups).resolve(graph))
        for day in RANGE:
            assert daily.execute_in_process(partition_key=day, instance=solo, asset_selection=keys).success
        if groups == ["bronze"]:  # the failed ranged run built this day's late arrivals too
            requests = [dg.AssetKey(["bronze", "api_requests"])]
            assert daily.execute_in_process(partition_key=past_end, instance=solo, asset_selection=requests).success
    return {"root": root, "job": job, "failed": failed, "result": result, "past_end": past_end}


def rows(root: Path, table: str, day: str) -> list[dict]:
    path = root / table / f"dt={day}"
    return sorted(pq.read_table(path).to_pylist(), key=repr) if path.exists() else []


def test_a_ranged_run_writes_what_per_day_runs_write(lakes):
    result, root = lakes["result"], lakes["root"]
    assert result.success
    tables = sorted({"/".join(k.path) for k in lakes["job"].asset_layer.executable_asset_keys})
    assert "gold/route_latency_daily" in tables and len(tables) >= 9
    for table in tables:
        for day in RANGE:
            one, each = rows(root / "one_run", table, day), rows(root / "per_day", table, day)
            assert one == each, f"{table} dt={day}"
    assert rows(root / "one_run", "gold/route_latency_daily", RANGE[-1])


def test_each_day_gets_its_own_materialization_and_checks(lakes):
    result, root = lakes["result"], lakes["root"]
    materialized: dict[tuple[str, str], dict] = {}
    for event in result.get_asset_materialization_events():
        m = event.materialization
        key = ("/".join(m.asset_key.path), m.partition)
        assert key not in materialized, f"{key} materialized twice"
        materialized[key] = m.metadata
    for (table, day), metadata in materialized.items():
        path = root / "one_run" / table / f"dt={day}"
        assert metadata["dagster/row_count"].value == pq.read_table(path).num_rows, (table, day)
    days_of_gold = {day for table, day in materialized if table == "gold/route_latency_daily"}
    assert days_of_gold == set(RANGE)
    assert {d for t, d in materialized if t == "silver/api_requests"} == set(RANGE)
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    by_check: dict[str, list[str]] = {}
    for evaluation in evaluations:
        by_check.setdefault(f"{'/'.join(evaluation.asset_key.path)}:{evaluation.check_name}", []).append(
            evaluation.partition
        )
    assert sorted(by_check["silver/api_requests:unknown_users"]) == RANGE  # the standalone check too
    assert all(sorted(days) == RANGE for days in by_check.values()), by_check
    assert "bronze/api_requests:no_data" in by_check and len(by_check) >= 10


def test_a_failed_day_fails_the_run_after_the_others_publish(lakes):
    failed, past_end = lakes["failed"], lakes["past_end"]
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "bronze_tasks_export"
    message = failure.step_failure_data.user_failure_data.description
    assert message.startswith(f"1 of {DAYS + 1} days failed ({past_end})"), message
    assert f"cannot run for {past_end}: no completed FULL_EXPORT" in message
    published = {
        e.materialization.partition
        for e in failed.get_asset_materialization_events()
        if e.materialization.asset_key == dg.AssetKey(["bronze", "tasks_export"])
    }
    assert published == set(RANGE)
    evaluated = sorted(
        e.event_specific_data.partition
        for e in failed.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.asset_key == dg.AssetKey(["bronze", "tasks_export"])
        and e.event_specific_data.check_name == "schema"
    )
    assert evaluated == RANGE
    started = {e.step_key for e in failed.all_events if e.event_type_value == "STEP_START"}
    assert "silver_entities" not in started and "bronze_api_requests" in started
