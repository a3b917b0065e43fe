"""Shared pieces of the EMR Serverless and EMR engine tests.

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
import subprocess
import sys
import threading
import time
import uuid
from datetime import date

import boto3
import dagster as dg
import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.emr.models import emr_backends
from moto.emrserverless import models as serverless_models

from lake_assets.assets.factory import build_lake_asset
from lake_assets.assets.gold import GOLD
from lake_assets.partitions import daily_partitions
from lake_assets.remote.emr import EMREngine
from lake_assets.remote.emr_serverless import EMRServerlessEngine
from lake_assets_tests.test_glue_engine import DAY, quick_pipes_close, seed_silver  # noqa: F401 (fixture)
from lake_assets_tests.test_s3_landing import endpoint  # noqa: F401 (fixture)

ROLE = "arn:aws:iam::123456789012:role/emr-job"
REGION = "us-east-1"
JOB = "gold_route_latency_daily"


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
def aws(endpoint):
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
