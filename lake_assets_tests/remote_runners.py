"""Local stand-ins for AWS Glue and EMR Serverless, for tests against a moto server.

moto records job runs but runs nothing. A runner thread watches the moto endpoint for new job
runs, executes the submitted job script (`python -m lake_assets.remote.entrypoint`) with exactly
the submitted parameters — CLI arguments for Glue, driver environment for EMR Serverless — on
local Spark, and only then lets moto report the run as finished, so the engine waits for a run
that really ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3

from lake_assets.core.settings import RemoteSettings

SPARK_ENV = {"LAKE_SPARK_MASTER": "local[2]"}  # the runner's "cluster" is this machine


def seed_aws(endpoint_url: str, landing_dir: Path, pii_key: str) -> None:
    """What a deployment has before the first run: bucket `landing` holding the files under
    `landing_dir`, bucket `pipes`, and the PII hash key as the secret `lake/pii`."""
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    for bucket in ("landing", "pipes"):
        s3.create_bucket(Bucket=bucket)
    for path in sorted(landing_dir.rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), "landing", path.relative_to(landing_dir).as_posix())
    boto3.client("secretsmanager", endpoint_url=endpoint_url).create_secret(Name="lake/pii", SecretString=pii_key)


def set_transition(endpoint_url: str, model: str, transition: dict[str, Any]) -> None:
    """Tell moto's state manager how runs of `model` progress."""
    body = json.dumps({"model_name": model, "transition": transition}).encode()
    request = urllib.request.Request(f"{endpoint_url}/moto-api/state-manager/set-transition", data=body,
                                     method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


class LocalRunner(threading.Thread):
    """Runs each new job run's script once; `submitted` and `failures` are for assertions."""

    def __init__(self, endpoint_url: str):
        super().__init__(daemon=True)
        self.endpoint_url = endpoint_url
        self.submitted: list[str] = []
        self.failures: list[tuple[str, int, str]] = []
        self.script_seconds: dict[str, float] = {}  # wall time of each run's job script
        self.stop = threading.Event()

    def new_runs(self) -> list[tuple[str, list[str], dict[str, str]]]:
        """(run id, argv, extra environment) of runs not seen yet."""
        raise NotImplementedError

    def finish(self, run_id: str, ok: bool, detail: str) -> None:
        """Let moto report the run as finished (failed, where the service model allows it)."""
        raise NotImplementedError

    def run(self) -> None:
        while not self.stop.is_set():
            for run_id, argv, extra_env in self.new_runs():
                self.submitted.append(run_id)
                env = {**os.environ, **SPARK_ENV, "LAKE_S3_ENDPOINT_URL": self.endpoint_url, **extra_env}
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "lake_assets.remote.entrypoint", *argv], env=env,
                                      capture_output=True, text=True, timeout=900)
                self.script_seconds[run_id] = time.perf_counter() - started
                if done.returncode != 0:
                    self.failures.append((run_id, done.returncode, done.stderr[-3000:]))
                self.finish(run_id, done.returncode == 0, done.stderr[-300:])
            time.sleep(0.3)


class LocalGlue(LocalRunner):
    """Plays AWS Glue for one job: Glue passes job arguments as `--key value` pairs."""

    def __init__(self, endpoint_url: str, job_name: str):
        super().__init__(endpoint_url)
        self.glue = boto3.client("glue", endpoint_url=endpoint_url)
        self.job_name = job_name
        # Runs stay RUNNING until the script has ended (manual progression that never ticks over).
        set_transition(endpoint_url, "glue::job_run", {"progression": "manual", "times": 10**9})

    def new_runs(self) -> list[tuple[str, list[str], dict[str, str]]]:
        runs = self.glue.get_job_runs(JobName=self.job_name)["JobRuns"]
        return [(r["Id"], [str(x) for pair in (r.get("Arguments") or {}).items() for x in pair], {})
                for r in reversed(runs) if r["Id"] not in self.submitted]

    def finish(self, run_id: str, ok: bool, detail: str) -> None:
        # moto's Glue runs can only succeed; a failed script still fails the step through Pipes.
        # Steps run one at a time, so only this run is being watched while progression is immediate.
        set_transition(self.endpoint_url, "glue::job_run", {"progression": "immediate"})
        self.glue.get_job_run(JobName=self.job_name, RunId=run_id)
        set_transition(self.endpoint_url, "glue::job_run", {"progression": "manual", "times": 10**9})


def driver_env(run: dict[str, Any]) -> dict[str, str]:
    """The `spark.emr-serverless.driverEnv.*` settings of a job run, as EMR Serverless gives the driver."""
    words = run["jobDriver"]["sparkSubmit"]["sparkSubmitParameters"].split()
    prefix = "spark.emr-serverless.driverEnv."
    return dict(w[len(prefix):].split("=", 1) for w in words if w.startswith(prefix))


class LocalEMRServerless(LocalRunner):
    """Plays an EMR Serverless application: parameters arrive as the driver's environment only.

    moto creates runs SUCCESS at once and has no state-manager model for them, so runs are created
    SUBMITTED (moto's `JOB_STATUS`) and moved on through moto's in-process model (the moto server
    runs in this process).
    """

    def __init__(self, endpoint_url: str, application_id: str, region: str):
        super().__init__(endpoint_url)
        self.client = boto3.client("emr-serverless", endpoint_url=endpoint_url, region_name=region)
        self.application_id, self.region = application_id, region

    def _model(self, run_id: str) -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.emrserverless.models import emrserverless_backends

        return emrserverless_backends[DEFAULT_ACCOUNT_ID][self.region].get_job_run(self.application_id, run_id)

    def new_runs(self) -> list[tuple[str, list[str], dict[str, str]]]:
        try:
            listed = self.client.list_job_runs(applicationId=self.application_id)["jobRuns"]
        except self.client.exceptions.ResourceNotFoundException:  # moto: no runs yet
            return []
        found = []
        for summary in reversed(listed):
            if summary["id"] not in self.submitted and summary["state"] == "SUBMITTED":
                self._model(summary["id"]).state = "RUNNING"
                run = self.client.get_job_run(applicationId=self.application_id, jobRunId=summary["id"])["jobRun"]
                found.append((summary["id"], [], driver_env(run)))
        return found

    def finish(self, run_id: str, ok: bool, detail: str) -> None:
        model = self._model(run_id)
        model.state, model.state_details = ("SUCCESS", None) if ok else ("FAILED", detail)


@contextmanager
def runner_for(engine: str, endpoint_url: str, remote: RemoteSettings) -> Iterator[tuple[LocalRunner, RemoteSettings]]:
    """A started runner for `engine` and the remote settings that point at what it plays."""
    region = remote.region_name or "us-east-1"
    restore = None
    if engine == "glue":
        boto3.client("glue", endpoint_url=endpoint_url).create_job(
            Name=remote.glue_job_name, Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": remote.entrypoint_uri})
        runner: LocalRunner = LocalGlue(endpoint_url, remote.glue_job_name)
    elif engine == "emr-serverless":
        from moto.emrserverless import models

        restore, models.JOB_STATUS = models.JOB_STATUS, "SUBMITTED"
        application = boto3.client("emr-serverless", endpoint_url=endpoint_url, region_name=region).create_application(
            name="lake", releaseLabel="emr-7.1.0", type="SPARK")["applicationId"]
        remote = replace(remote, emr_serverless_application_id=application)
        runner = LocalEMRServerless(endpoint_url, application, region)
    else:
        raise ValueError(f"no local runner for {engine}")
    runner.start()
    try:
        yield runner, remote
    finally:
        runner.stop.set()
        runner.join(timeout=30)
        if engine == "glue":
            boto3.client("glue", endpoint_url=endpoint_url).delete_job(JobName=remote.glue_job_name)
        if restore is not None:
            from moto.emrserverless import models

            models.JOB_STATUS = restore
