"""The EMR Serverless engine: run a lake job as an EMR Serverless job run through Dagster Pipes.

The job run's entry point is `lake_assets/remote/entrypoint.py` (`entry_point`, an S3 URI) with the
package on `spark.submit.pyFiles` (`py_files`) or in a packed virtualenv (`archives` + `python`).
Parameters and the Pipes bootstrap reach the driver as environment variables
(`--conf spark.emr-serverless.driverEnv.LAKE_BUILD=…`), which the job script reads when it has no
CLI arguments.

Idempotency is twofold. The run name ends with the idempotency key, so a retried step finds a run
that is still going or succeeded and reattaches to it. `clientToken` is the key plus the number of
earlier runs for it: a request whose answer was lost (and is sent again) does not start a second
run, while a retry after a failed run does start a new one, which a bare key would not
(EMR Serverless would hand back the failed run for the same token).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from lake_assets.remote.pipes_engine import (
    ErrorPolicy,
    PipesRemoteEngine,
    RunEnd,
    submit_with_retry,
    wait_until,
)

SUCCESS = "SUCCESS"
ACTIVE_STATES = {"SUBMITTED", "QUEUED", "PENDING", "SCHEDULED", "RUNNING"}
# CANCELLING only ever ends in CANCELLED, so it is final for us; an unknown state is too (and fails).
POLICY = ErrorPolicy(
    retryable=frozenset(
        {
            "ThrottlingException",
            "InternalServerException",
            "ServiceQuotaExceededException",
            "ConflictException",
            "TooManyRequestsException",
        }
    ),
    fix_hints={
        "ValidationException": "EMR Serverless rejected the job run: check the application (started, Spark, not "
        "terminated), the entry point and the Spark parameters",
        "ResourceNotFoundException": "the EMR Serverless application does not exist: fix the application id setting",
        "AccessDeniedException": "the Dagster role may not call emr-serverless:StartJobRun or pass the execution "
        "role (iam:PassRole), or the role is in another account: fix the IAM policies",
    },
)
DRIVER_ENV = "spark.emr-serverless.driverEnv"


def find_runs(client: Any, application_id: str, key: str, pages: int = 5) -> list[dict]:
    """Job runs of the application whose name ends with the key, newest first."""
    runs, token = [], None
    for _ in range(pages):
        page = client.list_job_runs(
            applicationId=application_id, maxResults=50, **({"nextToken": token} if token else {})
        )
        runs += [r for r in page.get("jobRuns", []) if (r.get("name") or "").endswith(key)]
        token = page.get("nextToken")
        if not token:
            break
    return runs


def submit_or_reattach(
    client: Any,
    application_id: str,
    key: str,
    request: dict[str, Any],
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 2.0,
) -> tuple[str, bool]:
    """(run id, reattached); `request` is StartJobRun's arguments, whose `name` must end with `key`."""
    earlier: list[int] = []

    def find() -> tuple[str, str] | None:
        runs = find_runs(client, application_id, key)
        earlier.append(len(runs))
        return next(((r["id"], r["state"]) for r in runs if r["state"] in ACTIVE_STATES | {SUCCESS}), None)

    def start() -> str:  # the token is fixed by the first look, so resending after an error is idempotent
        return client.start_job_run(applicationId=application_id, clientToken=f"{key}-{earlier[0]}", **request)[
            "jobRunId"
        ]

    return submit_with_retry(
        start,
        find,
        what=f"EMR Serverless application {application_id}",
        policy=POLICY,
        log=log,
        sleep=sleep,
        base_delay=base_delay,
    )


def spark_submit_parameters(
    env: dict[str, str],
    py_files: str | None = None,
    archives: str | None = None,
    python: str | None = None,
    extra: str = "",
) -> str:
    """`--conf` pairs: the package, the Python to use and each `env` entry as a driver variable.

    sparkSubmitParameters is split on whitespace, so a value with a space would be cut in two.
    """
    conf = {"spark.submit.pyFiles": py_files, "spark.archives": archives}
    if python:
        conf |= {
            f"{DRIVER_ENV}.PYSPARK_DRIVER_PYTHON": python,
            f"{DRIVER_ENV}.PYSPARK_PYTHON": python,
            "spark.executorEnv.PYSPARK_PYTHON": python,
        }
    conf |= {f"{DRIVER_ENV}.{name}": value for name, value in env.items()}
    spaced = sorted(name for name, value in conf.items() if value and len(value.split()) != 1)
    if spaced:
        raise ValueError(f"EMR Serverless: whitespace in {', '.join(spaced)} cannot travel in sparkSubmitParameters")
    return " ".join([*(f"--conf {name}={value}" for name, value in conf.items() if value), extra]).strip()


def wait_for_job_run(
    client: Any,
    application_id: str,
    run_id: str,
    poll_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll until the job run leaves the active states; return the final JobRun."""
    return wait_until(
        lambda: client.get_job_run(applicationId=application_id, jobRunId=run_id)["jobRun"],
        lambda run: run["state"] not in ACTIVE_STATES,
        poll_seconds,
        sleep,
    )


def console_url(region: str | None, application_id: str, run_id: str) -> str:
    region = region or "us-east-1"
    return (
        f"https://{region}.console.aws.amazon.com/emr/home?region={region}"
        f"#/serverless-applications/{application_id}/job-runs/{run_id}"
    )


def run_cost(run: dict) -> tuple[dict[str, Any], tuple[str, float] | None]:
    """What a finished job run cost: (metadata, ("vcpu_second", billed vCPU-seconds)).

    EMR Serverless bills vCPU-, memory- and storage-hours (`billedResourceUtilization`, which
    includes the minimum charge); throughput is given per billed vCPU-second.
    """
    billed = run.get("billedResourceUtilization") or {}
    cost = {
        k: v
        for k, v in (
            ("emr_serverless_execution_seconds", run.get("totalExecutionDurationSeconds")),
            ("emr_serverless_billed_vcpu_hours", billed.get("vCPUHour")),
            ("emr_serverless_billed_memory_gb_hours", billed.get("memoryGBHour")),
            ("emr_serverless_billed_storage_gb_hours", billed.get("storageGBHour")),
        )
        if v is not None
    }
    vcpu_hours = billed.get("vCPUHour")
    return cost, (("vcpu_second", float(vcpu_hours) * 3600) if vcpu_hours else None)


@dataclass(frozen=True)
class EMRServerlessEngine(PipesRemoteEngine):
    """Runs jobs on an EMR Serverless Spark application (`LAKE_ENGINE=emr-serverless`).

    The package comes from `LAKE_JOB_PACKAGE_URI` (`spark.submit.pyFiles`) or, with
    `LAKE_JOB_PYTHON_ENV_URI`, from a packed virtualenv (`spark.archives`, its Python as driver
    and executor interpreter).
    """

    service: ClassVar[str] = "EMR Serverless"
    boto_service = "emr-serverless"
    metadata_keys: ClassVar[tuple[str, str, str]] = (
        "emr_serverless_job_run_id",
        "emr_serverless_job_run_url",
        "emr_serverless_reattached",
    )

    def _target(self) -> str:
        return f"application {self.remote.emr_serverless_application_id}"

    def _find(self, client: Any, key: str) -> tuple[str, str] | None:
        runs = find_runs(client, self.remote.emr_serverless_application_id, key)
        return next(((r["id"], r["state"]) for r in runs if r["state"] in ACTIVE_STATES | {SUCCESS}), None)

    def _submit(
        self, client: Any, key: str, params: dict[str, str], session: Any, log: Callable[[str], None]
    ) -> tuple[str, bool]:
        remote = self.remote
        env = {name.upper().replace("-", "_"): value for name, value in params.items()}
        packed = remote.python_env_uri
        try:
            parameters = spark_submit_parameters(
                {**env, **session.get_bootstrap_env_vars()},
                remote.package_uri or None,
                f"{packed}#environment" if packed else None,
                "./environment/bin/python" if packed else None,
            )
        except ValueError as exc:
            raise POLICY.error(str(exc)) from None
        request = {
            "name": f"{params['lake-build']}-{params['partition-key']}-{key}",
            "executionRoleArn": remote.emr_execution_role_arn,
            "jobDriver": {"sparkSubmit": {"entryPoint": remote.entrypoint_uri, "sparkSubmitParameters": parameters}},
            "tags": {
                "lake-build": params["lake-build"],
                "partition": params["partition-key"],
                "lake-idempotency-key": key,
                **session.context.run.dagster_execution_info,
            },
        }
        return submit_or_reattach(client, remote.emr_serverless_application_id, key, request, log=log)

    def _wait(self, client: Any, run_id: str) -> RunEnd:
        run = wait_for_job_run(client, self.remote.emr_serverless_application_id, run_id, self.remote.poll_seconds)
        cost, billed = run_cost(run)
        return RunEnd(run["state"], run["state"] == SUCCESS, run.get("stateDetails"), cost, billed)

    def _cancel(self, client: Any, run_id: str) -> None:
        client.cancel_job_run(applicationId=self.remote.emr_serverless_application_id, jobRunId=run_id)

    def _console_url(self, run_id: str) -> str:
        return console_url(self.remote.region_name, self.remote.emr_serverless_application_id, run_id)
