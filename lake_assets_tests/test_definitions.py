"""The code location loads fast, cleanly (no deprecation warnings from our code) and lazily."""

import subprocess
import sys
import warnings

import dagster as dg

from lake_assets.core.settings import LakeSettings
from lake_assets.definitions import build_definitions

LAKE_TABLES = {
    "bronze/api_requests",
    "bronze/tasks_export",
    "bronze/tasks_changes",
    "silver/api_requests",
    "silver/api_requests_quarantine",
    "silver/tasks",
    "silver/users",
    "silver/tasks_quarantine",
    "gold/tasks_per_user_daily",
    "gold/route_latency_daily",
    "gold/user_activity_daily",
}


def test_definitions_load_without_deprecation_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        defs = build_definitions(LakeSettings())
        dg.Definitions.validate_loadable(defs)
    ours = [
        w
        for w in caught
        if issubclass(w.category, (DeprecationWarning, FutureWarning)) or "dagster" in w.category.__module__
    ]
    assert ours == [], [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in ours]


def test_lineage_groups_and_partitions():
    defs = build_definitions(LakeSettings())
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == LAKE_TABLES | {"landing/api_logs", "landing/dynamodb_tasks_exports"}
    upstream = {
        k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys} for k in graph.get_all_asset_keys()
    }
    assert upstream["bronze/api_requests"] == {"landing/api_logs"}
    assert upstream["silver/api_requests"] == {"bronze/api_requests"}
    assert upstream["gold/user_activity_daily"] == {"silver/api_requests", "silver/tasks"}
    for key in LAKE_TABLES:
        node = graph.get(dg.AssetKey(key.split("/")))
        assert node.group_name == key.split("/")[0]
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)
        assert node.partitions_def.timezone == "UTC"
        assert node.description and node.owners == ["team:data-platform"]
        assert node.metadata["dagster/column_schema"].columns


def test_import_is_fast_and_starts_nothing():
    code = (
        "import sys, time; t = time.perf_counter(); import lake_assets.definitions; "
        "d = time.perf_counter() - t; "
        "bad = [m for m in ('py4j.java_gateway', 'boto3', 'pyspark.sql.session') if m in sys.modules]; "
        "print(d, bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert float(out[0]) < 3.0
    assert out[1].strip() == "[]"


def test_loading_definitions_reads_the_environment(monkeypatch, tmp_path):
    from lake_assets.definitions import defs

    monkeypatch.setenv("LAKE_ROOT_URI", str(tmp_path / "lake"))
    monkeypatch.setenv("LAKE_PARTITION_START", "2026-10-01")
    loaded = defs()
    engine = loaded.resources["engine"]
    assert engine.settings.lake_root_uri == str(tmp_path / "lake")
    node = loaded.resolve_asset_graph().get(dg.AssetKey(["gold", "route_latency_daily"]))
    assert node.partitions_def.get_first_partition_key() == "2026-10-01"


REMOTE_ENV = {
    "LAKE_ROOT_URI": "s3://lake/prod",
    "LAKE_LANDING_URI": "s3://landing",
    "LAKE_PIPES_BUCKET": "pipes",
    "LAKE_PII_KEY_SECRET_ID": "lake/pii",
    "LAKE_EMR_SERVERLESS_APPLICATION_ID": "00abc",
    "LAKE_EMR_EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/job",
    "LAKE_EMR_CLUSTER_ID": "j-1",
    "LAKE_JOB_ENTRYPOINT_URI": "s3://code/entrypoint.py",
    "LAKE_JOB_PACKAGE_URI": "s3://code/lake.whl",
    "LAKE_REMOTE_MAX_CONCURRENT_JOBS": "5",
}


def test_each_remote_engine_loads_with_its_resource_pool_and_executor():
    expected = {
        "glue": ("GlueEngine", "glue"),
        "emr-serverless": ("EMRServerlessEngine", "emr_serverless"),
        "emr": ("EMREngine", "emr"),
    }
    for engine, (resource, pool) in expected.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            defs = build_definitions(LakeSettings.from_env({**REMOTE_ENV, "LAKE_ENGINE": engine}))
            dg.Definitions.validate_loadable(defs)
        assert type(defs.resources["engine"]).__name__ == resource
        assert defs.resources["engine"].settings.remote.pii_key_secret_id == "lake/pii"
        job = defs.resolve_job_def("lake_daily")
        assert job.executor_def.name == "multiprocess"
        assert {n.definition.pool for n in job.graph.node_dict.values()} == {pool}
    local = build_definitions(LakeSettings()).resolve_job_def("lake_daily")
    assert local.executor_def.name == "in_process"
    assert {n.definition.pool for n in local.graph.node_dict.values()} == {"spark_local"}
