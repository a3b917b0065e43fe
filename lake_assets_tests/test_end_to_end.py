"""All assets for one partition, from generated landing data into a temp lake, through Dagster.

Expected values come from the generator's own record of what it wrote (`SampleTruth`), not from
re-parsing the files, so this checks the pipeline against an independent source.
"""

from datetime import date
from pathlib import Path

import dagster as dg
import numpy as np
import pyarrow.parquet as pq
import pytest

from lake_assets.core.settings import LakeSettings
from lake_assets.definitions import build_definitions
from lake_sample.generator import generate_sample

pytestmark = pytest.mark.e2e  # the whole graph, two days, through Dagster: minutes

D1, D2 = date(2026, 11, 20), date(2026, 11, 21)


@pytest.fixture(scope="module")
def lake(tmp_path_factory, spark):
    root = tmp_path_factory.mktemp("e2e")
    truth = generate_sample(root / "landing", D1, 2, 400, seed=11, users=12, tasks_per_user=4)
    settings = LakeSettings(
        lake_root_uri=str(root / "lake"),
        landing_uri=str(root / "landing"),
        partition_start=date(2026, 11, 1),
        pii_hash_key="test-secret-key-for-the-pii-hmac",
        spark_master="local[2]",
        shuffle_partitions=2,
    )
    defs = build_definitions(settings)
    job = defs.resolve_job_def("lake_daily")
    graph = defs.resolve_asset_graph()
    instance = dg.DagsterInstance.ephemeral()

    def run(groups, day):
        keys = dg.AssetSelection.groups(*groups).resolve(graph)
        result = job.execute_in_process(partition_key=day.isoformat(), instance=instance, asset_selection=list(keys))
        assert result.success
        return result

    run(["bronze"], D1)
    run(["bronze"], D2)
    first = run(["silver", "gold"], D1)
    return {
        "root": root,
        "truth": truth.to_dict(),
        "run": run,
        "first": first,
        "instance": instance,
        "settings": settings,
    }


def read(lake, table, day=D1):
    layer, name = table.split("/")
    return pq.read_table(Path(lake["root"], "lake", layer, name, f"dt={day}")).to_pylist()


def materialization(result, key):
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey(key.split("/"))]
    return event.materialization.metadata


def test_bronze_keeps_every_landed_record(lake):
    truth = lake["truth"]
    for day in (D1, D2):
        rows = read(lake, "bronze/api_requests", day)
        assert len(rows) == truth["lines_total"][str(day)] + truth["control_messages"][str(day)]
        assert all(r["raw"] is not None and r["source_key"].startswith(f"api_logs/{day:%Y/%m/%d}/") for r in rows)


def test_silver_requests_match_truth_and_balance(lake):
    truth, rows = lake["truth"], read(lake, "silver/api_requests")
    assert len(rows) == truth["requests"][str(D1)]
    assert len({r["request_id"] for r in rows}) == len(rows)
    assert sum(r["is_late_arrival"] for r in rows) == truth["late_arrivals"][str(D1)]
    meta = materialization(lake["first"], "silver/api_requests")
    owned = meta["bronze_rows_owned"].value
    parts = [meta[f"{k}_rows"].value for k in ("silver", "quarantine", "duplicate", "skipped")]
    assert owned == sum(parts) and parts[0] == len(rows)
    assert parts[1] == len(read(lake, "silver/api_requests_quarantine"))
    assert parts[3] == truth["control_messages"][str(D1)]
    assert parts[1] == truth["malformed"][str(D1)]


def test_gold_route_latency_matches_truth(lake):
    truth = lake["truth"]
    got = {r["route_key"]: r for r in read(lake, "gold/route_latency_daily")}
    assert {k: v["requests"] for k, v in got.items()} == truth["route_requests"][str(D1)]
    assert {k: v["errors_4xx"] for k, v in got.items() if v["errors_4xx"]} == {
        k: v for k, v in truth["route_errors_4xx"][str(D1)].items() if v
    }
    assert {k: v["errors_5xx"] for k, v in got.items() if v["errors_5xx"]} == {
        k: v for k, v in truth["route_errors_5xx"][str(D1)].items() if v
    }
    for route, samples in truth["route_latency_samples"][str(D1)].items():
        assert got[route]["latency_p95_ms"] == pytest.approx(float(np.percentile(samples, 95)))
        assert got[route]["latency_p50_ms"] == pytest.approx(float(np.percentile(samples, 50)))


def test_gold_tasks_and_activity_match_truth(lake):
    truth, day = lake["truth"], str(D1)
    per_user = {r["user_id"]: r for r in read(lake, "gold/tasks_per_user_daily")}
    assert {u: r["tasks_created"] for u, r in per_user.items() if r["tasks_created"]} == truth["tasks_created"][day]
    assert {u: r["tasks_completed"] for u, r in per_user.items() if r["tasks_completed"]} == truth["tasks_completed"][
        day
    ]
    assert {u: r["open_tasks"] for u, r in per_user.items() if r["open_tasks"]} == {
        u: n for u, n in truth["open_tasks"][day].items() if n
    }
    activity = {r["user_id"]: r["api_requests"] for r in read(lake, "gold/user_activity_daily") if r["api_requests"]}
    assert activity == truth["user_requests"][day]
    assert len(read(lake, "silver/tasks")) == truth["tasks"][day]
    users = read(lake, "silver/users")
    assert len(users) == truth["users"][day]
    assert all("@" not in (u["email_hash"] or "") for u in users)


def test_rerun_is_idempotent_and_leaves_no_staging_files(lake):
    before = {t: sorted(map(repr, read(lake, t))) for t in ("silver/api_requests", "gold/route_latency_daily")}
    lake["run"](["silver", "gold"], D1)
    after = {t: sorted(map(repr, read(lake, t))) for t in before}
    assert after == before
    staging = list(Path(lake["root"], "lake").glob("*/*/_staging/*"))
    assert staging == []


def test_every_check_passes_or_only_warns_on_sample_data(lake):
    evaluations = lake["first"].get_asset_check_evaluations()
    assert len(evaluations) > 40
    errors = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert errors == []
    warned = {f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed}
    assert "silver/api_requests:unknown_users" in warned  # the sample has requests from unknown users
    assert all(e.partition == str(D1) for e in evaluations)


def test_failed_blocking_silver_check_stops_gold_and_keeps_the_old_partition(lake):
    from dataclasses import replace

    partition = Path(lake["root"], "lake", "silver", "api_requests", f"dt={D1}")
    before = sorted(p.name for p in partition.iterdir())
    strict = build_definitions(replace(lake["settings"], max_quarantine_rate={"*": 0.0}))
    keys = dg.AssetSelection.groups("silver", "gold").resolve(strict.resolve_asset_graph())
    result = strict.resolve_job_def("lake_daily").execute_in_process(
        partition_key=str(D1), instance=lake["instance"], asset_selection=list(keys), raise_on_error=False
    )
    assert not result.success
    failed = {
        (e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert ("silver/api_requests", "quarantine_rate") in failed
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "silver/api_requests" not in materialized
    assert "gold/route_latency_daily" not in materialized and "gold/user_activity_daily" not in materialized
    assert "gold/tasks_per_user_daily" in materialized  # the independent branch still ran
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "gold_tasks_per_user_daily" in started
    assert not {"gold_route_latency_daily", "gold_user_activity_daily"} & started
    assert sorted(p.name for p in partition.iterdir()) == before  # readers still see the old version
    assert list(Path(lake["root"], "lake", "silver", "api_requests", "_rejected").iterdir())
