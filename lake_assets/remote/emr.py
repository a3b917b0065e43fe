"""The EMR engine: run a lake job as a step on a running EMR (on EC2) cluster through Dagster Pipes.

Each job is one `command-runner.jar` step, `spark-submit --py-files <package> <entrypoint> --lake-build …
--dagster-pipes-context … --dagster-pipes-messages …`: parameters and the Pipes bootstrap are CLI
arguments, as for Glue. The step's ActionOnFailure is CONTINUE: a failed lake job must never take
the shared cluster down with it.

AddJobFlowSteps has no idempotency token, so the step name ends with the idempotency key and a
retried step first lists the cluster's steps and reattaches to one that is pending, running or
completed.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from lake_assets.remote.pipes_engine import ErrorPolicy, PipesRemoteEngine, RunEnd, submit_with_retry, wait_until

COMPLETED = "COMPLETED"
ACTIVE_STATES = {"PENDING", "RUNNING"}
# CANCEL_PENDING only ever ends in CANCELLED, so it is final for us; an unknown state is too (and fails).
POLICY = ErrorPolicy(
    retryable=frozenset(
        {"ThrottlingException", "Throttling", "InternalServerError", "InternalServerException", "RequestLimitExceeded"}
    ),
    fix_hints={
        "ValidationException": "EMR rejected the step: the cluster may be terminating or terminated, or the step "
        "is malformed; check the cluster id setting and that the cluster is WAITING/RUNNING",
        "InvalidRequestException": "EMR rejected the request: check that the cluster id exists in this region",
        "AccessDeniedException": "the Dagster role may not call elasticmapreduce:AddJobFlowSteps/DescribeStep on "
        "this cluster: fix its IAM policy",
    },
)


def find_steps(emr: Any, cluster_id: str, key: str, pages: int = 5) -> list[dict]:
    """Steps of the cluster whose name ends with the key, newest first."""
    steps, marker = [], None
    for _ in range(pages):
        page = emr.list_steps(ClusterId=cluster_id, **({"Marker": marker} if marker else {}))
        steps += [s for s in page.get("Steps", []) if (s.get("Name") or "").endswith(key)]
        marker = page.get("Marker")
        if not marker:
            break
    return steps


def find_reusable_step(emr: Any, cluster_id: str, key: str) -> tuple[str, str] | None:
    """(step id, state) of a step with this key that is pending, running or completed."""
    return next(
        (
            (s["Id"], s["Status"]["State"])
            for s in find_steps(emr, cluster_id, key)
            if s["Status"]["State"] in ACTIVE_STATES | {COMPLETED}
        ),
        None,
    )


def submit_or_reattach(
    emr: Any,
    cluster_id: str,
    key: str,
    step: dict[str, Any],
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 2.0,
    execution_role_arn: str | None = None,
) -> tuple[str, bool]:
    """(step id, reattached); `step` is one AddJobFlowSteps step whose `Name` must end with `key`."""

    def find() -> tuple[str, str] | None:
        return find_reusable_step(emr, cluster_id, key)

    def start() -> str:
        role = {"ExecutionRoleArn": execution_role_arn} if execution_role_arn else {}
        return emr.add_job_flow_steps(JobFlowId=cluster_id, Steps=[step], **role)["StepIds"][0]

    return submit_with_retry(
        start, find, what=f"EMR cluster {cluster_id}", policy=POLICY, log=log, sleep=sleep, base_delay=base_delay
    )


def step_arguments(
    entry_point: str,
    params: dict[str, str],
    pipes_args: dict[str, str],
    py_files: str | None = None,
    deploy_mode: str = "cluster",
    extra: str = "",
) -> list[str]:
    """The command-runner.jar command line: spark-submit with the package, the script and its arguments."""
    return [
        "spark-submit",
        "--deploy-mode",
        deploy_mode,
        *(["--py-files", py_files] if py_files else []),
        *shlex.split(extra),
        entry_point,
        *(x for name, value in params.items() for x in (f"--{name}", value)),
        *(x for pair in pipes_args.items() for x in pair),
    ]


def wait_for_step(
    emr: Any, cluster_id: str, step_id: str, poll_seconds: float = 5.0, sleep: Callable[[float], None] = time.sleep
) -> dict:
    """Poll until the step leaves the active states; return the final Step."""
    return wait_until(
        lambda: emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"],
        lambda step: step["Status"]["State"] not in ACTIVE_STATES,
        poll_seconds,
        sleep,
    )


def failure_message(step: dict) -> str | None:
    status = step.get("Status") or {}
    details = status.get("FailureDetails") or {}
    parts = [
        details.get("Reason"),
        details.get("Message"),
        details.get("LogFile") and f"log: {details['LogFile']}",
        (status.get("StateChangeReason") or {}).get("Message"),
    ]
    return "; ".join(p for p in parts if p) or None


def console_url(region: str | None, cluster_id: str) -> str:
    region = region or "us-east-1"
    return f"https://{region}.console.aws.amazon.com/emr/home?region={region}#/clusterDetails/{cluster_id}"


def step_cost(step: dict) -> tuple[dict[str, Any], tuple[str, float] | None]:
    """How long the step ran (EMR on EC2 bills the cluster, not the step: its share is its time)."""
    timeline = (step.get("Status") or {}).get("Timeline") or {}
    began, ended = timeline.get("StartDateTime"), timeline.get("EndDateTime")
    if not began or not ended:
        return {}, None
    seconds = round((ended - began).total_seconds(), 3)
    return {"emr_step_seconds": seconds}, ("step_second", seconds)


@dataclass(frozen=True)
class EMREngine(PipesRemoteEngine):
    """Runs jobs as steps on a running EMR cluster (`LAKE_ENGINE=emr`)."""

    deploy_mode: str = "cluster"

    service: ClassVar[str] = "EMR"
    boto_service = "emr"
    metadata_keys: ClassVar[tuple[str, str, str]] = ("emr_step_id", "emr_cluster_url", "emr_reattached")

    def _target(self) -> str:
        return f"cluster {self.remote.emr_cluster_id}"

    def _find(self, client: Any, key: str) -> tuple[str, str] | None:
        return find_reusable_step(client, self.remote.emr_cluster_id, key)

    def _submit(
        self, client: Any, key: str, params: dict[str, str], session: Any, log: Callable[[str], None]
    ) -> tuple[str, bool]:
        args = step_arguments(
            self.remote.entrypoint_uri,
            params,
            dict(session.get_bootstrap_cli_arguments()),
            self.remote.package_uri or None,
            self.deploy_mode,
        )
        step = {
            "Name": f"lake {params['lake-build']} {params['partition-key']} {key}",
            "ActionOnFailure": "CONTINUE",
            "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
        }
        return submit_or_reattach(client, self.remote.emr_cluster_id, key, step, log=log)

    def _wait(self, client: Any, run_id: str) -> RunEnd:
        step = wait_for_step(client, self.remote.emr_cluster_id, run_id, self.remote.poll_seconds)
        state = step["Status"]["State"]
        cost, billed = step_cost(step)
        return RunEnd(state, state == COMPLETED, failure_message(step), cost, billed)

    def _cancel(self, client: Any, run_id: str) -> None:
        answer = client.cancel_steps(
            ClusterId=self.remote.emr_cluster_id, StepIds=[run_id], StepCancellationOption="SEND_INTERRUPT"
        )
        refused = [i for i in answer.get("CancelStepsInfoList", []) if i.get("Status") == "FAILED"]
        if refused:  # EMR answers 200 and says per step whether it could cancel
            raise RuntimeError(refused[0].get("Reason") or "EMR refused to cancel the step")

    def _console_url(self, run_id: str) -> str:
        return console_url(self.remote.region_name, self.remote.emr_cluster_id)
