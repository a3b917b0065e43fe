"""The Glue engine end to end against a moto server over real HTTP: Pipes context in through S3,
the real job script run on local Spark with the submitted arguments, metadata and checks back."""

import shutil
from datetime import date, datetime

import boto3
import dagster as dg
import pyarrow.parquet as pq
import pytest
from dagster._core.pipes import utils as pipes_utils

from lake_assets.assets.factory import build_lake_asset
from lake_assets.assets.gold import GOLD
from lake_assets.core.engine import LocalSparkEngine
from lake_assets.core.lake import LocalLake
from lake_assets.jobs.registry import JOBS
from lake_assets.partitions import daily_partitions
from lake_assets.remote.entrypoint import parse_params
from lake_assets.remote.glue import GlueEngine
from lake_assets.tables import TABLES
from lake_assets_tests.remote_runners import LocalGlue, set_transition
from lake_assets_tests.test_s3_landing import endpoint  # noqa: F401 (fixture)

DAY = "2026-11-21"


@pytest.fixture
def quick_pipes_close(monkeypatch):
    """A run that never sends Pipes' `closed` message makes Dagster keep reading its messages for
    10 s more (for slow log stores); 1 s is plenty for moto and keeps the failure tests fast."""
    monkeypatch.setattr(pipes_utils, "WAIT_FOR_LOGS_AFTER_EXECUTION_INTERVAL", 1)


def test_parameters_from_cli_or_environment():
    argv = ["--lake-job", "gold_route_latency_daily", "--partition-key", DAY, "--x", "y"]
    env = {"LAKE_ROOT_URI": "s3://lake/root", "LANDING_URI": "s3://landing"}
    assert parse_params(argv, env) == {"lake-job": "gold_route_latency_daily", "partition-key": DAY,
                                       "lake-root-uri": "s3://lake/root", "landing-uri": "s3://landing"}
    with pytest.raises(SystemExit, match="missing --lake-root-uri"):
        parse_params(argv, {})


def seed_silver(spark, lake_root):
    rows = [("r1", datetime(2026, 11, 21, 10), "requestTimeEpoch", "GET /tasks", 200, 12, "u1"),
            ("r2", datetime(2026, 11, 21, 11), "requestTimeEpoch", "GET /tasks", 503, 40, None),
            ("r3", datetime(2026, 11, 21, 12), "requestTime", "POST /tasks", 201, 7, "u2")]
    full = [{**dict.fromkeys(TABLES["silver/api_requests"].schema.fieldNames()),
             "request_id": r, "event_time": t, "time_source": s, "route_key": k, "status": st,
             "response_latency_ms": lat, "user_id": u, "arrival_date": date(2026, 11, 21),
             "is_late_arrival": False, "source_key": "k", "ingested_at": t} for r, t, s, k, st, lat, u in rows]
    LocalLake(lake_root).write(spark.createDataFrame(full, TABLES["silver/api_requests"].schema),
                               "silver", "api_requests", DAY)


def test_glue_engine_round_trip_matches_the_local_engine(endpoint, spark, tmp_path):
    glue, s3 = boto3.client("glue", endpoint_url=endpoint), boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="lake-pipes")
    glue.create_job(Name="lake-job", Role="arn:aws:iam::123456789012:role/glue",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://lake-pipes/entrypoint.py"})
    remote_root, local_root = str(tmp_path / "remote"), str(tmp_path / "local")
    seed_silver(spark, remote_root)
    shutil.copytree(remote_root, local_root)

    decl = next(d for d in GOLD if d.job == "gold_route_latency_daily")
    asset = build_lake_asset(decl, daily_partitions(date(2026, 11, 1)))
    engine = GlueEngine(glue_job_name="lake-job", pipes_bucket="lake-pipes", lake_root_uri=remote_root,
                        landing_uri=str(tmp_path / "landing"), endpoint_url=endpoint, region_name="us-east-1")
    runner = LocalGlue(endpoint, "lake-job")  # runs stay RUNNING until the script has ended
    runner.start()
    try:
        result = dg.materialize([asset], partition_key=DAY, resources={"engine": engine})
    finally:
        runner.stop.set()
    assert result.success, runner.failures
    assert runner.failures == [] and len(runner.submitted) == 1
    (event,) = result.get_asset_materialization_events()
    assert event.materialization.metadata["dagster/row_count"].value == 2
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["silver_reconciliation"] and checks["unique_key"] and len(checks) >= 5
    assert {e.partition for e in result.get_asset_check_evaluations()} == {DAY}

    JOBS["gold_route_latency_daily"](LocalSparkEngine(lake_root_uri=local_root, landing_uri=local_root)
                                     .job_context(date(2026, 11, 21)))

    def rows(root):
        return sorted(pq.read_table(f"{root}/gold/route_latency_daily/dt={DAY}").to_pylist(),
                      key=lambda r: r["route_key"])

    assert rows(remote_root) == rows(local_root)


def test_a_remote_job_that_never_reports_fails_loudly(endpoint, spark, tmp_path, quick_pipes_close):
    glue, s3 = boto3.client("glue", endpoint_url=endpoint), boto3.client("s3", endpoint_url=endpoint)
    s3.create_bucket(Bucket="silent-pipes")
    glue.create_job(Name="silent-job", Role="arn:aws:iam::123456789012:role/glue", Command={"Name": "glueetl"})
    set_transition(endpoint, "glue::job_run", {"progression": "immediate"})  # "succeeds", never runs our script
    decl = next(d for d in GOLD if d.job == "gold_route_latency_daily")
    asset = build_lake_asset(decl, daily_partitions(date(2026, 11, 1)))
    engine = GlueEngine(glue_job_name="silent-job", pipes_bucket="silent-pipes", lake_root_uri=str(tmp_path),
                        landing_uri=str(tmp_path), endpoint_url=endpoint, region_name="us-east-1", poll_seconds=0.2)
    result = dg.materialize([asset], partition_key=DAY, resources={"engine": engine}, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "reported nothing through Pipes" in failure.event_specific_data.error.message
    assert result.get_asset_materialization_events() == []
