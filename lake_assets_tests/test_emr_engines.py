"""EMR Serverless and EMR (on EC2) engines against a moto server over real HTTP.

What moto (5.2) does, and so what these tests play themselves:
- EMR Serverless: a job run is created SUCCESS at once, nothing runs, there is no state-manager
  model for it, `clientToken` is stored but not deduplicated, and ListJobRuns answers
  ResourceNotFound for an application that has no runs yet. The silent-run test uses that as is.
  Elsewhere new runs start in a state the test picks (moto's module default `JOB_STATUS`), and a
  `Player` thread plays the service: it moves the run on by setting state on moto's in-process
  model, and for the round trip runs the real job script with the run's driverEnv as environment.
- EMR: a step is created RUNNING (PENDING behind another) and stays there; CancelSteps is not
  implemented. The player moves steps on the same way; cancellation uses a recording stub.
- Throttling, conflicts and termination cannot be provoked from moto: thin wrappers around the
  real moto clients inject them.
"""

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import date

import boto3
import dagster as dg
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import emr_backends
from moto.emrserverless import models as serverless_models

from lake_assets.assets.factory import build_lake_asset
from lake_assets.assets.gold import GOLD
from lake_assets.core.engine import LocalSparkEngine
from lake_assets.jobs.registry import JOBS
from lake_assets.partitions import daily_partitions
from lake_assets.remote import emr, emr_serverless
from lake_assets.remote.emr import EMREngine
from lake_assets.remote.emr_serverless import EMRServerlessEngine
from lake_assets.remote.entrypoint import parse_params
from lake_assets.remote.pipes_engine import RemoteSubmitError
from lake_assets_tests.remote_runners import driver_env
from lake_assets_tests.test_glue_engine import DAY, quick_pipes_close, seed_silver  # noqa: F401 (fixture)
from lake_assets_tests.test_s3_landing import endpoint  # noqa: F401 (fixture)

ROLE = "arn:aws:iam::123456789012:role/emr-job"
REGION = "us-east-1"
JOB = "gold_route_latency_daily"
pytestmark = pytest.mark.usefixtures("quick_pipes_close")


def moto_job_run(application_id, run_id):
    return serverless_models.emrserverless_backends[DEFAULT_ACCOUNT_ID][REGION].get_job_run(application_id, run_id)


def moto_step(cluster_id, step_id):
    return emr_backends[DEFAULT_ACCOUNT_ID][REGION].describe_step(cluster_id, step_id)


def run_script(endpoint_url, argv=(), env=None):
    done = subprocess.run([sys.executable, "-m", "lake_assets.remote.entrypoint", *argv],
                          env={**os.environ, "LAKE_SPARK_MASTER": "local[2]", **(env or {}),
                               "LAKE_S3_ENDPOINT_URL": endpoint_url},
                          capture_output=True, text=True, timeout=600)
    return done.returncode, done.stderr[-2000:]


class Player(threading.Thread):
    """Plays the service: each new run (or step) is RUNNING while `play(run)` works, then ends in the
    state it returns. `runs()` lists (id, state) pairs; `describe(id)` gives the API's view of one."""

    def __init__(self, runs, describe, set_state, play):
        super().__init__(daemon=True)
        self.runs, self.describe, self.set_state, self.play = runs, describe, set_state, play
        self.seen, self.outcomes, self.stop = [], [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            for run_id, state in self.runs():
                if run_id not in self.seen and state in {"SUBMITTED", "PENDING", "RUNNING"}:
                    self.seen.append(run_id)
                    self.set_state(run_id, "RUNNING", None)
                    outcome = self.play(self.describe(run_id))
                    self.outcomes.append(outcome)
                    self.set_state(run_id, *outcome)
            time.sleep(0.2)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(timeout=30)


def serverless_player(endpoint_url, application_id, play):
    client = boto3.client("emr-serverless", endpoint_url=endpoint_url, region_name=REGION)

    def runs():
        try:
            return [(r["id"], r["state"]) for r in client.list_job_runs(applicationId=application_id)["jobRuns"]]
        except ClientError:  # moto: no runs yet
            return []

    def set_state(run_id, state, details):
        run = moto_job_run(application_id, run_id)
        run.state, run.state_details = state, details

    return Player(runs, lambda run_id: client.get_job_run(applicationId=application_id, jobRunId=run_id)["jobRun"],
                  set_state, play)


def emr_player(endpoint_url, cluster_id, play):
    client = boto3.client("emr", endpoint_url=endpoint_url, region_name=REGION)

    def set_state(step_id, state, reason):
        step = moto_step(cluster_id, step_id)
        step.state, step.last_state_change_reason = state, reason

    return Player(lambda: [(s["Id"], s["Status"]["State"]) for s in client.list_steps(ClusterId=cluster_id)["Steps"]],
                  lambda step_id: client.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"],
                  set_state, play)


@pytest.fixture
def new_runs_start(monkeypatch):
    """Make moto create EMR Serverless job runs in the given state instead of SUCCESS."""
    return lambda state: monkeypatch.setattr(serverless_models, "JOB_STATUS", state)


@pytest.fixture
def aws(endpoint):  # noqa: F811
    """Clients, a fresh Pipes bucket, an EMR Serverless application and an EMR cluster."""
    clients = {name: boto3.client(name, endpoint_url=endpoint, region_name=REGION)
               for name in ("s3", "emr-serverless", "emr")}
    bucket = f"pipes-{uuid.uuid4().hex[:12]}"
    clients["s3"].create_bucket(Bucket=bucket)
    app = clients["emr-serverless"].create_application(name="lake", releaseLabel="emr-7.1.0",
                                                       type="SPARK")["applicationId"]
    cluster = clients["emr"].run_job_flow(Name="lake", ReleaseLabel="emr-7.1.0", JobFlowRole="EMR_EC2_DefaultRole",
                                          ServiceRole="EMR_DefaultRole",
                                          Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1,
                                                     "KeepJobFlowAliveWhenNoSteps": True})["JobFlowId"]
    return {"endpoint": endpoint, "bucket": bucket, "app": app, "cluster": cluster, **clients}


def lake_asset():
    decl = next(d for d in GOLD if d.job == JOB)
    return build_lake_asset(decl, daily_partitions(date(2026, 11, 1)))


def serverless_engine(aws, tmp_path, cls=EMRServerlessEngine, **fields):
    return cls(application_id=aws["app"], execution_role_arn=ROLE, entry_point="s3://code/entrypoint.py",
               py_files="s3://code/lake_assets.zip", pipes_bucket=aws["bucket"], lake_root_uri=str(tmp_path / "lake"),
               landing_uri=str(tmp_path / "landing"), endpoint_url=aws["endpoint"], region_name=REGION,
               poll_seconds=0.2, **fields)


def emr_engine(aws, tmp_path, cls=EMREngine):
    return cls(cluster_id=aws["cluster"], entry_point="s3://code/entrypoint.py", py_files="s3://code/lake_assets.zip",
               pipes_bucket=aws["bucket"], lake_root_uri=str(tmp_path / "lake"), landing_uri=str(tmp_path / "landing"),
               endpoint_url=aws["endpoint"], region_name=REGION, poll_seconds=0.2)


def failure_message(result):
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failure.event_specific_data.error.message


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


class Interrupting:
    """The moto client, but polling raises what Dagster raises in a step when its run is terminated."""

    def __init__(self, client, poll_method, refuse=False):
        self.client, self.poll_method, self.refuse, self.cancelled = client, poll_method, refuse, []

    def __getattr__(self, name):
        if name == self.poll_method:
            def interrupted(**_):
                raise dg.DagsterExecutionInterruptedError()
            return interrupted
        return getattr(self.client, name)

    def cancel_steps(self, **kwargs):  # moto has no CancelSteps: record it, answer as EMR does
        self.cancelled.append(kwargs)
        status = {"Status": "FAILED", "Reason": "too late"} if self.refuse else {"Status": "SUBMITTED"}
        return {"CancelStepsInfoList": [{"StepId": kwargs["StepIds"][0], **status}]}


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


class Flaky:
    """The moto client, but the first submission answers `code`, after (`landed`) or before starting."""

    def __init__(self, client, method, code, landed):
        self.client, self.method, self.code, self.landed, self.calls = client, method, code, landed, 0

    def __getattr__(self, name):
        if name != self.method:
            return getattr(self.client, name)

        def flaky(**kwargs):
            self.calls += 1
            if self.calls == 1:
                if self.landed:
                    getattr(self.client, name)(**kwargs)
                raise ClientError({"Error": {"Code": self.code, "Message": self.code}}, name)
            return getattr(self.client, name)(**kwargs)
        return flaky


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


# --- EMR on EC2 ---------------------------------------------------------------------------------

def test_emr_step_runs_the_script_with_its_arguments_and_reattaches(aws):
    client, cluster = aws["emr"], aws["cluster"]
    params = {"lake-job": JOB, "partition-key": DAY, "lake-root-uri": "s3://lake/root", "landing-uri": "s3://land"}
    args = emr.step_arguments("s3://code/entrypoint.py", params, {"--dagster-pipes-context": "ctx",
                                                                  "--dagster-pipes-messages": "msg"},
                              py_files="s3://code/lake_assets.zip")
    step = {"Name": f"lake {JOB} {DAY} key4", "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args}}
    first, reattached = emr.submit_or_reattach(client, cluster, "key4", step, log=print)
    assert not reattached
    stored = client.describe_step(ClusterId=cluster, StepId=first)["Step"]
    argv = stored["Config"]["Args"]
    assert argv[:5] == ["spark-submit", "--deploy-mode", "cluster", "--py-files", "s3://code/lake_assets.zip"]
    script_argv = argv[argv.index("s3://code/entrypoint.py") + 1:]
    assert parse_params(script_argv, {}) == params  # what the job script will read
    assert script_argv[-4:] == ["--dagster-pipes-context", "ctx", "--dagster-pipes-messages", "msg"]
    assert stored["ActionOnFailure"] == "CONTINUE"

    assert emr.submit_or_reattach(client, cluster, "key4", step, log=print) == (first, True)
    moto_step(cluster, first).state = "FAILED"
    second, reattached = emr.submit_or_reattach(client, cluster, "key4", step, log=print)
    assert not reattached and second != first
    assert len(client.list_steps(ClusterId=cluster)["Steps"]) == 2


@pytest.mark.parametrize(("state", "reason", "expected"), [
    ("COMPLETED", None, "reported nothing through Pipes"),
    ("FAILED", "Step failed with exitCode 1", "ended FAILED: Step failed with exitCode 1"),
    ("INTERRUPTED", None, "ended INTERRUPTED: no error message"),
])
def test_emr_engine_fails_unless_the_step_completed_and_reported(aws, tmp_path, state, reason, expected):
    with emr_player(aws["endpoint"], aws["cluster"], lambda step: (state, reason)) as player:
        result = dg.materialize([lake_asset()], partition_key=DAY, resources={"engine": emr_engine(aws, tmp_path)},
                                raise_on_error=False)
    assert not result.success and len(player.seen) == 1
    assert expected in failure_message(result)


@pytest.mark.parametrize("refuse", [False, True])
def test_emr_engine_termination_cancels_the_step(aws, tmp_path, refuse):
    clients = []

    class InterruptedEngine(EMREngine):
        def _client(self, service):
            client = super()._client(service)
            if service == "emr":
                clients.append(Interrupting(client, "describe_step", refuse))
                return clients[-1]
            return client

    # a refused cancellation is logged, but must not hide the interruption itself
    with pytest.raises(dg.DagsterExecutionInterruptedError):
        dg.materialize([lake_asset()], partition_key=DAY,
                       resources={"engine": emr_engine(aws, tmp_path, cls=InterruptedEngine)})
    (step,) = aws["emr"].list_steps(ClusterId=aws["cluster"])["Steps"]
    assert clients[0].cancelled == [{"ClusterId": aws["cluster"], "StepIds": [step["Id"]],
                                     "StepCancellationOption": "SEND_INTERRUPT"}]


def test_emr_transient_error_then_success_without_a_second_step(aws):
    client, sleeps = Flaky(aws["emr"], "add_job_flow_steps", "ThrottlingException", False), []
    step = {"Name": "lake x key5", "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["spark-submit", "s3://x"]}}
    step_id, reattached = emr.submit_or_reattach(client, aws["cluster"], "key5", step,
                                                 log=print, sleep=sleeps.append)
    assert not reattached and len(sleeps) == 1 and client.calls == 2
    assert [s["Id"] for s in aws["emr"].list_steps(ClusterId=aws["cluster"])["Steps"]] == [step_id]
