"""One engine contract: every scenario is recorded the same by Dagster on every engine.

The parity matrix: scenarios {pass, blocking check fails, fails once then passes, input error,
skip, infrastructure FAILED then success, silent job, cancelled} × engines {local, glue,
emr-serverless, emr}, each with the production retry policy. The remote side is a service double
(`service_doubles.py`) running the real job script with the submitted parameters against a moto
server over HTTP — in the Glue-shaped interpreter when it is available — and able to fail the way
the services fail. For each case the record is: materializations, check evaluations (name,
passed, severity), step outcome, step attempts, remote runs submitted, and what readers of the
lake see; remote engines must produce exactly the local engine's record.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from py4j.protocol import Py4JNetworkError

from lake_assets.assets.factory import build_lake_asset
from lake_assets.automation.policy import RETRY_POLICY
from lake_assets.core.lake import LocalLake
from lake_assets.core.settings import LakeSettings, RemoteSettings
from lake_assets.engines.select import engine_for
from lake_assets.execute import build_context
from lake_assets.partitions import daily_partitions
from lake_assets.steps import BRONZE, CATALOG, SILVER, TABLES
from lake_assets_tests.landing_builders import change, micros, write_incremental
from lake_assets_tests.remote_runners import job_python, seed_aws
from lake_assets_tests.service_doubles import create_services, new_double
from lake_sample.generator import generate_sample

# Every case runs job scripts through a service double in the Glue-shaped venv (a JVM each), and
# the retry scenarios wait out the production retry delays: a quarter of an hour in all.
pytestmark = pytest.mark.remote

DAY, SKIP_DAY, NOTHING_DAY = date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 25)
PII_KEY = "parity-key-for-the-pii-hmac-0123456"
ENGINES = ["local", "glue", "emr-serverless", "emr"]
SILVER_JOB = next(s for s in SILVER if s.name == "silver_api_requests")
EXPORT_JOB = next(s for s in BRONZE if s.name == "bronze_tasks_export")
# scenario → (job declaration, day, remote plan, settings change)
SCENARIOS: dict[str, tuple[Any, date, list[str], dict[str, Any]]] = {
    "pass": (SILVER_JOB, DAY, ["run"], {}),
    "blocking_check_fails": (SILVER_JOB, DAY, ["run"], {"max_quarantine_rate": {"*": 0.0}}),
    "fails_once_then_passes": (SILVER_JOB, DAY, ["crash_after_report", "run"], {}),
    "input_error": (EXPORT_JOB, NOTHING_DAY, ["run"], {}),
    "skip": (EXPORT_JOB, SKIP_DAY, ["run"], {}),
    "infrastructure_failed_then_success": (SILVER_JOB, DAY, ["fail", "run"], {}),
    "silent_job": (SILVER_JOB, DAY, ["silent"], {}),
    "cancelled": (SILVER_JOB, DAY, ["hang", "run"], {}),
}


@pytest.fixture(scope="module")
def world(endpoint, tmp_path_factory, spark):
    """Landing data in moto S3 (a generated day, a day with only an incremental export, an empty
    day), the services, Bronze built once for DAY, and the local engine's record of each scenario."""
    root = tmp_path_factory.mktemp("parity")
    landing = root / "landing"
    generate_sample(landing, DAY, 1, 300, seed=5, users=10, tasks_per_user=3)
    write_incremental(
        landing,
        "inc-23",
        "2026-11-23T00:00:00.000Z",
        "2026-11-24T00:00:00.000Z",
        [change("u1", micros(9), new={"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}})],
    )
    seed_aws(endpoint, landing, PII_KEY)
    remote = RemoteSettings(
        region_name="us-east-1",
        pipes_bucket="pipes",
        emr_execution_role_arn="arn:aws:iam::123456789012:role/x",
        entrypoint_uri="s3://code/entrypoint.py",
        package_uri="s3://code/lake_assets.whl",
        pii_key_secret_id="lake/pii",
        poll_seconds=0.3,
        **create_services(endpoint, "lake-job"),
    )
    seeded = root / "seeded"
    base = LakeSettings(
        lake_root_uri=str(seeded),
        landing_uri="s3://landing",
        partition_start=date(2026, 11, 1),
        s3_endpoint_url=endpoint,
        spark_master="local[2]",
        shuffle_partitions=2,
        remote=remote,
    )
    CATALOG.builds["bronze_api_requests"](build_context(replace(base, pii_hash_key=PII_KEY), DAY))
    return {"root": root, "seeded": seeded, "base": base, "endpoint": endpoint, "python": job_python()}


def published(lake_root: Path, decl: Any, day: date) -> dict[str, int | None]:
    """What readers see: the published rows of each output for the day (None: nothing published)."""
    lake = LocalLake(str(lake_root))
    out = {}
    for key in (out.key for out in decl.outputs):
        table = TABLES[key]
        has = lake.has_partition(table.layer, table.name, day.isoformat())
        out[key] = lake.describe(table.layer, table.name, day.isoformat()).rows if has else None
    return out


def record(result: dg.ExecuteInProcessResult, lake_root: Path, decl: Any, day: date, runs: int) -> dict[str, Any]:
    events = result.all_events
    return {
        "materialized": sorted(e.asset_key.to_user_string() for e in result.get_asset_materialization_events()),
        "checks": sorted(
            (e.asset_key.to_user_string(), e.check_name, e.passed, e.severity.value)
            for e in result.get_asset_check_evaluations()
        ),
        "step": "success" if result.success else "failure",
        "attempts": 1 + sum(e.event_type_value == "STEP_UP_FOR_RETRY" for e in events),
        "remote_runs": runs,
        "readers_see": published(lake_root, decl, day),
        "errors": [e.event_specific_data.error.message[:400] for e in events if e.event_type_value == "STEP_FAILURE"],
    }


def local_faults(scenario: str, job: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the local engine, an infrastructure failure is an exception inside the step."""
    real, calls = CATALOG.builds[job], []

    def flaky(ctx):
        calls.append(ctx.dt)
        if len(calls) == 1:
            if scenario == "cancelled":
                raise dg.DagsterExecutionInterruptedError()
            # What a crashed local JVM looks like from Python (`core.failures` retries it).
            raise Py4JNetworkError("Answer from Java side is empty")
        return real(ctx)

    if scenario in ("fails_once_then_passes", "infrastructure_failed_then_success", "cancelled"):
        monkeypatch.setitem(CATALOG.builds, job, flaky)


def cancelling(engine: Any, double: Any, cancels: list[str]) -> Any:
    """The engine, but Dagster terminates the run once the remote run is RUNNING; the double
    plays the service's answer to the forwarded stop."""
    import time

    def _wait(self, client, run_id):
        if cancels:  # one termination signal; Dagster's retry policy then retries the step
            return type(engine)._wait(self, client, run_id)
        while run_id not in double.submitted:
            time.sleep(0.1)
        raise dg.DagsterExecutionInterruptedError()

    def _cancel(self, client, run_id):
        cancels.append(run_id)
        double.set_state(run_id, {"GlueDouble": "STOPPED"}.get(type(double).__name__, "CANCELLED"), "stopped", 1.0)

    cls = type(f"Cancelling{type(engine).__name__}", (type(engine),), {"_wait": _wait, "_cancel": _cancel})
    return cls(engine.settings)


def run_case(world: dict, engine_name: str, scenario: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    decl, day, plan, change_settings = SCENARIOS[scenario]
    lake_root = world["root"] / f"{engine_name}-{scenario}"
    shutil.copytree(world["seeded"], lake_root)
    settings = replace(
        world["base"],
        engine=engine_name,
        lake_root_uri=str(lake_root),
        **change_settings,
        pii_hash_key=PII_KEY if engine_name == "local" else None,
    )
    engine = engine_for(settings)
    asset = build_lake_asset(
        decl, CATALOG, daily_partitions(settings.partition_start), retry_policy=RETRY_POLICY, pool=settings.pool
    )
    run = dict(resources={"engine": engine}, partition_key=day.isoformat(), raise_on_error=False)
    if engine_name == "local":
        local_faults(scenario, decl.name, monkeypatch)
        return record(dg.materialize([asset], **run), lake_root, decl, day, 0)
    cancels: list[str] = []
    with new_double(engine_name, world["endpoint"], settings.remote, plan, world["python"]) as double:
        if scenario == "cancelled":
            run["resources"] = {"engine": cancelling(engine, double, cancels)}
        result = dg.materialize([asset], **run)
    scripts = [p for p in double.played if p.action == "run"]
    assert all(p.exit_code == 0 for p in scripts), [p.stderr for p in scripts]
    if scenario == "cancelled":
        assert cancels == double.submitted[:1]
    return record(result, lake_root, decl, day, len(double.played))


# What each scenario must look like (beyond being equal on every engine).
EXPECTED = {
    "pass": {"step": "success", "attempts": 1, "remote_runs": 1, "published": True},
    "blocking_check_fails": {"step": "failure", "attempts": 1, "remote_runs": 1, "published": False},
    "fails_once_then_passes": {"step": "success", "attempts": 2, "remote_runs": 2, "published": True},
    "input_error": {"step": "failure", "attempts": 1, "remote_runs": 1, "published": False},
    "skip": {"step": "success", "attempts": 1, "remote_runs": 1, "published": False},
    "infrastructure_failed_then_success": {"step": "success", "attempts": 2, "remote_runs": 2, "published": True},
    "silent_job": {"step": "failure", "attempts": 1, "remote_runs": 1, "published": False},
    # In-process, a termination is one interrupt of the step: the remote run is stopped, and
    # Dagster's retry policy retries interrupted steps (in a deployment the run's cancellation
    # stops there; here the retry shows the stopped run left nothing behind).
    "cancelled": {"step": "success", "attempts": 2, "remote_runs": 2, "published": True},
}
LOCAL_ONLY_NOT = {"silent_job"}  # a local run has no Pipes channel to stay silent on


@pytest.fixture(scope="module")
def local_records(world):
    records = {}
    with pytest.MonkeyPatch.context() as mp:
        for scenario in SCENARIOS:
            if scenario not in LOCAL_ONLY_NOT:
                records[scenario] = run_case(world, "local", scenario, mp)
                mp.undo()
    return records


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("engine_name", ENGINES)
def test_engine_parity(world, local_records, engine_name, scenario, monkeypatch):
    if engine_name == "local":
        if scenario in LOCAL_ONLY_NOT:
            pytest.skip("a local run has no Pipes channel to stay silent on")
        got = local_records[scenario]
    else:
        got = run_case(world, engine_name, scenario, monkeypatch)
    want = EXPECTED[scenario]
    runs = 0 if engine_name == "local" else want["remote_runs"]
    assert (got["step"], got["attempts"], got["remote_runs"]) == (want["step"], want["attempts"], runs), got["errors"]
    assert any(v is not None for v in got["readers_see"].values()) == want["published"], got
    if want["published"]:
        assert got["materialized"] == sorted(out.key for out in SCENARIOS[scenario][0].outputs)
        assert got["checks"] and all(c[2] or c[3] == "WARN" for c in got["checks"]), got["checks"]
    else:
        assert got["materialized"] == []
    if scenario == "blocking_check_fails":
        assert ("silver/api_requests", "quarantine_rate", False, "ERROR") in got["checks"]
    if engine_name != "local" and scenario in local_records:
        local = dict(local_records[scenario], remote_runs=got["remote_runs"], errors=got["errors"])
        assert got == local
