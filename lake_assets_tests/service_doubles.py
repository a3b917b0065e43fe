"""AWS Glue, EMR Serverless and EMR played against a moto server, able to fail the way they do.

moto records runs but runs nothing (and its Glue runs can only succeed). A double watches the
moto endpoint for new runs and plays the service for each, following a *plan* — one action per
submitted run, in order (then "run"):

- "run": execute the submitted job script (`python -m lake_assets.remote.entrypoint`) with exactly
  the submitted parameters (Glue: job arguments; EMR Serverless: the driver environment only;
  EMR: the step's spark-submit arguments), in the job interpreter, from an empty folder, so only
  what that interpreter has installed is importable; the run ends by the script's exit code;
- "fail": the service ends the run FAILED without running it (a lost worker, a capacity error);
- "silent": the run "succeeds" without running our script (a job pointed at the wrong script);
- "crash_after_report": a script reports a (wrong) outcome through Pipes, then dies: the run FAILED;
- "hang": the run stays RUNNING until stopped.
Run states are set on moto's in-process models, as the service would move them; the billing
figures each service reports are filled in from the real script time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID

REGION = "us-east-1"
FAULT_SCRIPT = Path(__file__).with_name("fault_script.py")


def cluster_environment() -> dict[str, str]:
    """What a job script's process sees on the service: none of this test process's Python or Spark
    settings (e.g. the PYSPARK_PYTHON our own Spark set, which would run the cluster's Spark
    workers on the dev venv's interpreter), the dummy AWS credentials, and a local "cluster"."""
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYSPARK", "PYTHON", "SPARK_", "VIRTUAL_ENV", "_JAVA_OPTIONS"))
    }
    return {**inherited, "LAKE_SPARK_MASTER": "local[2]"}


@dataclass
class Played:
    """What the double did with one submitted run."""

    run_id: str
    action: str
    exit_code: int | None = None
    stderr: str = ""
    seconds: float = 0.0


@dataclass(eq=False)
class ServiceDouble(threading.Thread):
    endpoint_url: str
    plan: list[str] = field(default_factory=list)
    python: str = sys.executable
    played: list[Played] = field(default_factory=list)

    running: str = "RUNNING"
    succeeded: str = "SUCCEEDED"
    failed: str = "FAILED"
    fresh: tuple[str, ...] = ("STARTING", "SUBMITTED", "PENDING")

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, daemon=True)
        self.stop = threading.Event()
        self.earlier: set[str] = set()

    # --- what each service says differently ---------------------------------------------------
    def runs(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def invocation(self, run_id: str) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def set_state(self, run_id: str, state: str, message: str | None, seconds: float) -> None:
        raise NotImplementedError

    # --- the shared play ------------------------------------------------------------------------
    @property
    def submitted(self) -> list[str]:
        return [p.run_id for p in self.played]

    def run(self) -> None:
        while not self.stop.is_set():
            for run_id, state in self.runs():
                if run_id not in self.submitted and run_id not in self.earlier and state in self.fresh:
                    self.play(run_id)
            time.sleep(0.2)

    def play(self, run_id: str) -> None:
        action = self.plan[len(self.played)] if len(self.played) < len(self.plan) else "run"
        played = Played(run_id, action)
        self.played.append(played)
        self.set_state(run_id, self.running, None, 0.0)
        if action == "hang":
            return
        if action == "fail":
            self.set_state(run_id, self.failed, "Executor lost: the worker node was terminated", 1.0)
            return
        if action == "silent":
            self.set_state(run_id, self.succeeded, None, 1.0)
            return
        argv, env = self.invocation(run_id)
        env = {**cluster_environment(), **env}
        script = [str(FAULT_SCRIPT)] if action == "crash_after_report" else ["-m", "lake_assets.remote.entrypoint"]
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as cwd:
            done = subprocess.run(
                [self.python, *script, *argv], cwd=cwd, capture_output=True, text=True, timeout=900, env=env
            )
        played.exit_code, played.stderr = done.returncode, done.stderr[-3000:]
        played.seconds = time.perf_counter() - started
        ok = done.returncode == 0
        self.set_state(
            run_id,
            self.succeeded if ok else self.failed,
            None if ok else f"script exited {done.returncode}: {done.stderr[-300:]}",
            played.seconds,
        )

    def __enter__(self) -> ServiceDouble:
        self.earlier = {run_id for run_id, _ in self.runs()}  # runs of earlier tests are not ours to play
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.join(timeout=60)


@dataclass(eq=False)
class GlueDouble(ServiceDouble):
    job_name: str = "lake-job"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.client = boto3.client("glue", endpoint_url=self.endpoint_url, region_name=REGION)

    def _model(self, run_id: str) -> Any:
        from moto.glue.models import glue_backends

        job = glue_backends[DEFAULT_ACCOUNT_ID][REGION].get_job(self.job_name)
        return next(r for r in job.job_runs if r.job_run_id == run_id)

    def runs(self) -> list[tuple[str, str]]:
        runs = self.client.get_job_runs(JobName=self.job_name)["JobRuns"]
        return [(r["Id"], r["JobRunState"]) for r in reversed(runs)]

    def invocation(self, run_id: str) -> tuple[list[str], dict[str, str]]:
        arguments = self._model(run_id).arguments or {}
        return [str(x) for pair in arguments.items() for x in pair], {}

    def set_state(self, run_id: str, state: str, message: str | None, seconds: float) -> None:
        model = self._model(run_id)
        model.status, model.error_message = state, message  # moto keeps RUNNING on its own (manual progression)
        # the capacity `lake-deploy` defines (2 × G.1X): Glue bills execution time × DPUs
        model.worker_type, model.number_of_workers, model.max_capacity = "G.1X", 2, None


@dataclass(eq=False)
class EMRServerlessDouble(ServiceDouble):
    application_id: str = ""
    succeeded: str = "SUCCESS"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.client = boto3.client("emr-serverless", endpoint_url=self.endpoint_url, region_name=REGION)

    def _model(self, run_id: str) -> Any:
        from moto.emrserverless.models import emrserverless_backends

        return emrserverless_backends[DEFAULT_ACCOUNT_ID][REGION].get_job_run(self.application_id, run_id)

    def runs(self) -> list[tuple[str, str]]:
        return [
            (r["id"], r["state"])
            for r in reversed(self.client.list_job_runs(applicationId=self.application_id)["jobRuns"])
        ]

    def invocation(self, run_id: str) -> tuple[list[str], dict[str, str]]:
        words = self._model(run_id).job_driver["sparkSubmit"]["sparkSubmitParameters"].split()
        prefix = "spark.emr-serverless.driverEnv."
        return [], dict(w[len(prefix) :].split("=", 1) for w in words if w.startswith(prefix))

    def set_state(self, run_id: str, state: str, message: str | None, seconds: float) -> None:
        model = self._model(run_id)
        model.state, model.state_details = state, message
        model.total_execution_duration_seconds = int(seconds)
        # what EMR Serverless bills: 2 vCPU and 8 GB for the run's time, at least one minute
        hours = max(seconds, 60.0) / 3600
        model.billed_resource_utilization = {
            "vCPUHour": round(2 * hours, 6),
            "memoryGBHour": round(8 * hours, 6),
            "storageGBHour": 0.0,
        }


@dataclass(eq=False)
class EMRDouble(ServiceDouble):
    cluster_id: str = ""
    succeeded: str = "COMPLETED"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.client = boto3.client("emr", endpoint_url=self.endpoint_url, region_name=REGION)

    def _model(self, step_id: str) -> Any:
        from moto.emr.models import emr_backends

        return emr_backends[DEFAULT_ACCOUNT_ID][REGION].describe_step(self.cluster_id, step_id)

    def runs(self) -> list[tuple[str, str]]:
        steps = self.client.list_steps(ClusterId=self.cluster_id)["Steps"]
        # moto starts a cluster's first step RUNNING and the others PENDING: a step not played yet is new
        seen = set(self.submitted)
        return [
            (s["Id"], "PENDING" if s["Id"] not in seen and s["Status"]["State"] == "RUNNING" else s["Status"]["State"])
            for s in reversed(steps)
        ]

    def invocation(self, run_id: str) -> tuple[list[str], dict[str, str]]:
        args = list(self._model(run_id).args)
        script = next(i for i, a in enumerate(args) if a.endswith("entrypoint.py"))
        return args[script + 1 :], {}

    def set_state(self, run_id: str, state: str, message: str | None, seconds: float) -> None:
        model = self._model(run_id)
        model.state = state
        if state == self.running:
            model.start_date_time = datetime.now(UTC)
        else:
            model.end_date_time = datetime.now(UTC)
            model.last_state_change_reason = message


def new_double(engine: str, endpoint_url: str, settings_remote: Any, plan: list[str], python: str) -> ServiceDouble:
    """A double for `engine` whose runs belong to what `settings_remote` points at."""
    if engine == "glue":
        return GlueDouble(endpoint_url, plan, python, job_name=settings_remote.glue_job_name)
    if engine == "emr-serverless":
        return EMRServerlessDouble(
            endpoint_url, plan, python, application_id=settings_remote.emr_serverless_application_id
        )
    return EMRDouble(endpoint_url, plan, python, cluster_id=settings_remote.emr_cluster_id)


def create_services(endpoint_url: str, job_name: str) -> dict[str, str]:
    """A Glue job, an EMR Serverless application (which, as on AWS, lists no runs yet) and an EMR cluster."""
    from moto.emrserverless import models as serverless
    from moto.moto_api import state_manager

    glue = boto3.client("glue", endpoint_url=endpoint_url, region_name=REGION)
    glue.create_job(
        Name=job_name,
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl", "ScriptLocation": "s3://code/entrypoint.py"},
    )
    state_manager.set_transition("glue::job_run", {"progression": "manual", "times": 10**9})
    serverless.JOB_STATUS = "SUBMITTED"  # as EMR Serverless does; moto creates runs SUCCESS otherwise
    app = boto3.client("emr-serverless", endpoint_url=endpoint_url, region_name=REGION).create_application(
        name="lake", releaseLabel="emr-7.1.0", type="SPARK"
    )["applicationId"]
    serverless.emrserverless_backends[DEFAULT_ACCOUNT_ID][REGION].job_runs.setdefault(app, [])
    cluster = boto3.client("emr", endpoint_url=endpoint_url, region_name=REGION).run_job_flow(
        Name="lake",
        ReleaseLabel="emr-7.1.0",
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True},
    )["JobFlowId"]
    return {"glue_job_name": job_name, "emr_serverless_application_id": app, "emr_cluster_id": cluster}
