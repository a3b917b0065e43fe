"""The whole graph for one partition on a remote engine, against a moto server over real HTTP.

Landing data sits in a moto S3 bucket; Dagster runs `lake_daily` with `LAKE_ENGINE=glue` (and
`emr-serverless`), so every step goes through the engine's Pipes flow: context into S3, a job run
submitted to the moto endpoint, a service double that executes the submitted job script with the
submitted parameters in the Glue-shaped interpreter (PySpark 3.5), messages back through S3. The
PII key comes from moto's Secrets Manager, as on AWS. The same day is then built by the local
engine (PySpark 4), and every table must hold exactly the same rows.

One honest difference from AWS: the lake root is a local folder shared by both sides, because
local Spark has no S3 connector (the S3 lake layout itself is tested in test_versioned_lake.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from lake_assets.core.settings import LakeSettings, RemoteSettings
from lake_assets.definitions import build_definitions
from lake_assets.steps import TABLES
from lake_assets_tests.remote_runners import job_python, seed_aws
from lake_assets_tests.service_doubles import create_services, new_double
from lake_sample.generator import generate_sample

# The whole graph (e2e) on remote engines through the service doubles (remote): minutes per engine.
pytestmark = [pytest.mark.e2e, pytest.mark.remote]

DAY = date(2026, 11, 20)
PII_KEY = "remote-graph-key-for-the-pii-hmac"


@pytest.fixture(scope="module")
def landing(endpoint, tmp_path_factory):
    """One generated day in a moto bucket, the PII key secret, and the local engine's run of it."""
    root = tmp_path_factory.mktemp("remote")
    generate_sample(root / "landing", DAY, 1, 300, seed=5, users=10, tasks_per_user=3)
    seed_aws(endpoint, root / "landing", PII_KEY)
    base = LakeSettings(
        landing_uri="s3://landing",
        partition_start=date(2026, 11, 1),
        s3_endpoint_url=endpoint,
        spark_master="local[2]",
        shuffle_partitions=2,
    )
    local = materialize(replace(base, lake_root_uri=str(root / "local"), pii_hash_key=PII_KEY))
    services = create_services(endpoint, "lake-graph-job")
    return {"root": root, "base": base, "local": local, "services": services, "python": job_python()}


def materialize(settings: LakeSettings) -> dg.ExecuteInProcessResult:
    defs = build_definitions(settings)
    result = defs.resolve_job_def("lake_daily").execute_in_process(
        partition_key=DAY.isoformat(), instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def table_rows(root: Path, table_key: str) -> list[tuple]:
    table = TABLES[table_key]
    folder = root / table.layer / table.name / f"dt={DAY}"
    if not folder.is_dir():
        return []
    return sorted((tuple(r.values()) for r in pq.read_table(folder).to_pylist()), key=repr)


def checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], bool]:
    return {(e.asset_key.to_user_string(), e.check_name): e.passed for e in result.get_asset_check_evaluations()}


@pytest.mark.parametrize("engine", ["glue", "emr-serverless"])
def test_the_whole_graph_on_a_remote_engine_matches_the_local_engine(landing, endpoint, engine):
    remote_root = landing["root"] / engine
    remote = RemoteSettings(
        region_name="us-east-1",
        pipes_bucket="pipes",
        emr_execution_role_arn="arn:aws:iam::123456789012:role/x",
        entrypoint_uri="s3://pipes/artifacts/entrypoint.py",
        package_uri="s3://pipes/artifacts/lake_assets.whl",
        pii_key_secret_id="lake/pii",
        poll_seconds=0.5,
        **landing["services"],
    )
    settings = replace(landing["base"], engine=engine, lake_root_uri=str(remote_root), remote=remote)
    with new_double(engine, endpoint, remote, [], landing["python"]) as double:
        result = materialize(settings)
    assert [p.stderr for p in double.played if p.exit_code] == []
    jobs = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert jobs == {m.asset_key.to_user_string() for m in landing["local"].get_asset_materialization_events()}
    assert len(double.submitted) == len(set(double.submitted)) >= 8  # one remote run per job, none twice
    assert checks(result) == checks(landing["local"]) and len(checks(result)) > 40
    for key in TABLES:
        assert table_rows(remote_root, key) == table_rows(landing["root"] / "local", key), key
    assert all(
        table_rows(remote_root, key)
        for key in ("bronze/api_requests", "silver/api_requests", "silver/tasks", "gold/route_latency_daily")
    )
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["gold", "route_latency_daily"])
    ]
    metadata = event.materialization.metadata
    assert metadata["dagster/row_count"].value > 0
    billed = "rows_per_dpu_second" if engine == "glue" else "rows_per_vcpu_second"
    assert metadata[billed].value > 0
