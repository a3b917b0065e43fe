"""The EMR Serverless engine against a moto server over real HTTP: the whole Pipes round trip with
the job script run from the driver environment alone, and every failure path (see emr_support.py
for what moto does and what the tests play themselves)."""

import shutil
from datetime import date

import dagster as dg
import pyarrow.parquet as pq
import pytest

from lake_assets.core.engine import LocalSparkEngine
from lake_assets.jobs.registry import JOBS
from lake_assets.remote import emr_serverless
from lake_assets.remote.emr_serverless import EMRServerlessEngine
from lake_assets.remote.pipes_engine import RemoteSubmitError
from lake_assets_tests.emr_support import (  # noqa: F401 (fixtures)
    JOB,
    ROLE,
    Flaky,
    Interrupting,
    aws,
    failure_message,
    lake_asset,
    moto_job_run,
    new_runs_start,
    run_script,
    serverless_engine,
    serverless_player,
)
from lake_assets_tests.remote_runners import driver_env
from lake_assets_tests.test_glue_engine import (
    DAY,
    quick_pipes_close,  # noqa: F401 (fixture)
    seed_silver,
)
from lake_assets_tests.test_s3_landing import endpoint  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("quick_pipes_close")


# --- EMR Serverless: the whole Pipes round trip -------------------------------------------------

def test_emr_serverless_round_trip_matches_the_local_engine(aws, spark, tmp_path, new_runs_start):
    new_runs_start("SUBMITTED")  # as EMR Serverless does; the player takes it from there
    engine = serverless_engine(aws, tmp_path)
    remote_root, local_root = engine.lake_root_uri, str(tmp_path / "local")
    seed_silver(spark, remote_root)
    shutil.copytree(remote_root, local_root)
    submitted = []

    def play(run):  # the job script with nothing but the driver environment EMR Serverless would set
        submitted.append(run)
        code, stderr = run_script(aws["endpoint"], env=driver_env(run))
        return ("SUCCESS", None) if code == 0 else ("FAILED", stderr[-200:])

    with serverless_player(aws["endpoint"], aws["app"], play) as player:
        result = dg.materialize([lake_asset()], partition_key=DAY, resources={"engine": engine}, raise_on_error=False)
    assert result.success, player.outcomes
    (run,) = submitted
    assert run["jobDriver"]["sparkSubmit"]["entryPoint"] == "s3://code/entrypoint.py"
    assert "--conf spark.submit.pyFiles=s3://code/lake_assets.zip" in run["jobDriver"]["sparkSubmit"][
        "sparkSubmitParameters"]
    assert {"LAKE_JOB", "PARTITION_KEY", "DAGSTER_PIPES_CONTEXT", "DAGSTER_PIPES_MESSAGES"} <= set(driver_env(run))
    assert run["tags"]["partition"] == DAY and run["name"].endswith(run["tags"]["lake-idempotency-key"])
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["dagster/row_count"].value == 2
    assert metadata["emr_serverless_job_run_id"].value == run["jobRunId"]
    assert run["jobRunId"] in metadata["emr_serverless_job_run_url"].value
    assert metadata["emr_serverless_reattached"].value is False
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["silver_reconciliation"] and checks["unique_key"] and len(checks) >= 5

    JOBS[JOB](LocalSparkEngine(lake_root_uri=local_root, landing_uri=local_root).job_context(date(2026, 11, 21)))

    def rows(root):
        return sorted(pq.read_table(f"{root}/gold/route_latency_daily/dt={DAY}").to_pylist(),
                      key=lambda r: r["route_key"])

    assert rows(remote_root) == rows(local_root)


# --- EMR Serverless: failure paths --------------------------------------------------------------

def test_emr_serverless_run_that_never_reports_fails_loudly(aws, tmp_path):
    # moto as is: the run is SUCCESS the moment it is created, and no script ever ran
    result = dg.materialize([lake_asset()], partition_key=DAY, resources={"engine": serverless_engine(aws, tmp_path)},
                            raise_on_error=False)
    assert not result.success and result.get_asset_materialization_events() == []
    assert "reported nothing through Pipes" in failure_message(result)
    assert len(aws["emr-serverless"].list_job_runs(applicationId=aws["app"])["jobRuns"]) == 1


def test_emr_serverless_failed_run_fails_with_its_state_and_details(aws, tmp_path, new_runs_start):
    new_runs_start("SUBMITTED")
    with serverless_player(aws["endpoint"], aws["app"], lambda run: ("FAILED", "Job failed: exit code 1")):
        result = dg.materialize([lake_asset()], partition_key=DAY,
                                resources={"engine": serverless_engine(aws, tmp_path)}, raise_on_error=False)
    message = failure_message(result)
    assert not result.success
    assert "ended FAILED: Job failed: exit code 1" in message and "console.aws.amazon.com" in message


def test_emr_serverless_termination_cancels_the_job_run(aws, tmp_path, new_runs_start):
    new_runs_start("RUNNING")

    class InterruptedEngine(EMRServerlessEngine):
        def _client(self, service):
            client = super()._client(service)
            return Interrupting(client, "get_job_run") if service == "emr-serverless" else client

    with pytest.raises(dg.DagsterExecutionInterruptedError):
        dg.materialize([lake_asset()], partition_key=DAY,
                       resources={"engine": serverless_engine(aws, tmp_path, cls=InterruptedEngine)})
    (run,) = aws["emr-serverless"].list_job_runs(applicationId=aws["app"])["jobRuns"]
    assert run["state"] == "CANCELLED"  # moto's CancelJobRun was really called


def test_emr_serverless_reattaches_with_the_same_key_and_resubmits_after_failure(aws, new_runs_start):
    new_runs_start("RUNNING")
    client, app = aws["emr-serverless"], aws["app"]
    request = {"name": f"{JOB}-{DAY}-key1", "executionRoleArn": ROLE,
               "jobDriver": {"sparkSubmit": {"entryPoint": "s3://code/entrypoint.py"}}}
    first, reattached = emr_serverless.submit_or_reattach(client, app, "key1", request, log=print)
    assert not reattached
    assert emr_serverless.submit_or_reattach(client, app, "key1", request, log=print) == (first, True)
    moto_job_run(app, first).state = "FAILED"
    second, reattached = emr_serverless.submit_or_reattach(client, app, "key1", request, log=print)
    assert not reattached and second != first
    # a new client token after the failure, or EMR Serverless would hand back the failed run
    assert [moto_job_run(app, r).client_token for r in (first, second)] == ["key1-0", "key1-1"]
    assert len(client.list_job_runs(applicationId=app)["jobRuns"]) == 2


@pytest.mark.parametrize(("code", "landed"), [("ThrottlingException", False), ("ConflictException", True),
                                              ("InternalServerException", True)])
def test_emr_serverless_transient_errors_retry_without_a_second_run(aws, new_runs_start, code, landed):
    new_runs_start("RUNNING")
    client, app, sleeps = Flaky(aws["emr-serverless"], "start_job_run", code, landed), aws["app"], []
    request = {"name": "job-key2", "executionRoleArn": ROLE, "jobDriver": {"sparkSubmit": {"entryPoint": "s3://x"}}}
    run_id, reattached = emr_serverless.submit_or_reattach(client, app, "key2", request, log=print,
                                                           sleep=sleeps.append)
    assert reattached is landed and len(sleeps) == 1 and client.calls == (1 if landed else 2)
    assert [r["id"] for r in aws["emr-serverless"].list_job_runs(applicationId=app)["jobRuns"]] == [run_id]


@pytest.mark.parametrize(("code", "change"), [
    ("ResourceNotFoundException", {"app": "00nosuchapplication"}),
    ("AccessDeniedException", {"executionRoleArn": "arn:aws:iam::999999999999:role/other-account"}),
    ("ValidationException", {"executionTimeoutMinutes": 1}),
])
def test_emr_serverless_permanent_errors_fail_at_once_with_what_to_fix(aws, code, change):
    request = {"name": "job-key3", "executionRoleArn": ROLE, "jobDriver": {"sparkSubmit": {"entryPoint": "s3://x"}},
               **{k: v for k, v in change.items() if k != "app"}}
    with pytest.raises(RemoteSubmitError, match=code) as raised:  # moto's real answers, over HTTP
        emr_serverless.submit_or_reattach(aws["emr-serverless"], change.get("app", aws["app"]), "key3", request,
                                          log=print, sleep=lambda s: pytest.fail("must not retry"))
    assert emr_serverless.POLICY.fix_hints[code] in str(raised.value)


class Answers:
    """GetJobRun answering a fixed sequence of states (moto cannot walk a run through them)."""

    def __init__(self, states):
        self.states = list(states)

    def get_job_run(self, applicationId, jobRunId):
        return {"jobRun": {"jobRunId": jobRunId, "state": self.states.pop(0), "stateDetails": "why"}}


@pytest.mark.parametrize("final", ["SUCCESS", "FAILED", "CANCELLING", "CANCELLED", "SOMETHING_NEW"])
def test_emr_serverless_wait_handles_every_state(final):
    sleeps = []
    client = Answers(["SUBMITTED", "QUEUED", "PENDING", "SCHEDULED", "RUNNING", final])
    run = emr_serverless.wait_for_job_run(client, "app", "jr", poll_seconds=0.01, sleep=sleeps.append)
    assert run["state"] == final and len(sleeps) == 5


def test_spark_submit_parameters_carry_package_python_and_environment():
    parameters = emr_serverless.spark_submit_parameters(
        {"LAKE_JOB": JOB}, py_files="s3://c/p.zip", archives="s3://c/venv.tar.gz#environment",
        python="./environment/bin/python", extra="--conf spark.executor.memory=4g")
    assert parameters.split() == [
        "--conf", "spark.submit.pyFiles=s3://c/p.zip", "--conf", "spark.archives=s3://c/venv.tar.gz#environment",
        "--conf", "spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON=./environment/bin/python",
        "--conf", "spark.emr-serverless.driverEnv.PYSPARK_PYTHON=./environment/bin/python",
        "--conf", "spark.executorEnv.PYSPARK_PYTHON=./environment/bin/python",
        "--conf", f"spark.emr-serverless.driverEnv.LAKE_JOB={JOB}", "--conf", "spark.executor.memory=4g"]
    with pytest.raises(ValueError, match="LAKE_ROOT_URI"):
        emr_serverless.spark_submit_parameters({"LAKE_ROOT_URI": "s3://lake/my root"})
