"""The code location loads cleanly (no deprecation warnings from our code) and lazily: importing it
loads no Spark, AWS SDK, DuckDB or pandera, and loading it starts no JVM."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import dagster as dg
import pytest

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


# Run in a fresh interpreter (this test process has long imported everything): an audit hook
# records every process the interpreter starts; after importing `lake_assets.definitions`, and
# again after loading the definitions the way a code server does (`defs()`, then the repository),
# it reports which heavy packages are imported, the commands started, the processes still running
# under it, and whether a SparkContext exists. How long this takes is not a test's business:
# `benchmarks/import_time.py` measures it.
PROBE = """
import json, os, sys
started = []

def audit(event, args):
    if event == "subprocess.Popen":
        started.append(" ".join(map(str, args[1] if isinstance(args[1], (list, tuple)) else [args[1]])))
    elif event in ("os.posix_spawn", "os.exec", "os.spawn"):
        started.append(" ".join(map(str, args[2 if event == "os.spawn" else 1])))
    elif event == "os.system":
        started.append(str(args[0]))

sys.addaudithook(audit)
HEAVY = {"pyspark", "py4j", "boto3", "botocore", "duckdb", "pandera", "moto", "dagster_aws"}

def living_descendants():
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [os.getpid()]
    while todo:
        parent = todo.pop()
        kids = [pid for pid, ppid in parents.items() if ppid == parent]
        found += kids
        todo += kids
    return found

def stage():
    pyspark = sys.modules.get("pyspark")
    return {
        "heavy": sorted({name.split(".")[0] for name in sys.modules} & HEAVY),
        "started": list(started),
        "living_children": len(living_descendants()) if os.path.isdir("/proc") else 0,
        "spark_context": bool(pyspark and pyspark.SparkContext._active_spark_context),
    }

import lake_assets.definitions as definitions
report = {"import": stage()}
definitions.defs().get_repository_def()
report["load"] = stage()
print(json.dumps(report))
"""
JAVA = ("java", "spark-submit", "spark-class", "pyspark-shell")


@pytest.fixture(scope="module")
def fresh_interpreter():
    """What a fresh interpreter loads and starts: after the import, and after loading the
    definitions with default (local-engine) settings; the developer's LAKE_* variables are dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKE_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=Path(__file__).parents[1]
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_code_location_loads_no_spark_aws_duckdb_or_pandera(fresh_interpreter):
    """The module a code server imports stays light: building definitions is lazy (`@dg.definitions`)."""
    report = fresh_interpreter["import"]
    assert report["heavy"] == []
    assert [c for c in report["started"] if any(j in c for j in JAVA)] == []
    assert (report["living_children"], report["spark_context"]) == (0, False)


def test_loading_the_definitions_starts_no_jvm_and_creates_no_aws_client(fresh_interpreter):
    """Loading the definitions (local engine) legitimately imports pyspark, py4j and pandera: the
    table contracts are pandera-on-PySpark models whose columns are Spark types. That is Python
    only: no JVM starts, no SparkContext exists, and no AWS SDK or DuckDB is imported (sensors and
    engines create their clients when they run, never at load). Remote engines import boto3
    through their Pipes clients at load; that is not checked here."""
    report = fresh_interpreter["load"]
    assert {"pyspark", "pandera"} <= set(report["heavy"])  # the probe really loaded the assets
    assert set(report["heavy"]) & {"boto3", "botocore", "duckdb", "moto", "dagster_aws"} == set()
    assert [c for c in report["started"] if any(j in c for j in JAVA)] == []
    assert (report["living_children"], report["spark_context"]) == (0, False)


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


def test_workspace_yaml_and_the_dg_project_name_the_same_code_location():
    """`dagster dev -w workspace.yaml` and `dg dev` must load the same module under the same name."""
    import tomllib

    import yaml

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["dg"]["project"]
    (entry,) = yaml.safe_load((root / "workspace.yaml").read_text())["load_from"]
    module = entry["python_module"]
    assert (module["module_name"], module["location_name"]) == (
        project["code_location_target_module"],
        project["code_location_name"],
    )
