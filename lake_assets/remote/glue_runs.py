"""Submitting Glue job runs without losing money or data.

- The idempotency key travels as a job argument (`--lake-idempotency-key`), so a retried step
  finds a Glue run with that key that is still going or already succeeded and *reattaches* to it
  instead of paying for a second one.
- Errors are classified: too many concurrent runs, throttling and internal errors are retried with
  exponential backoff and jitter; a missing job, bad input or missing permission fails at once
  with a message that says what to fix.
- Every job-run state is handled, and a run that ends in anything but SUCCEEDED is an error.
The retry and reattach mechanics are shared with the other engines (`pipes_engine`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lake_assets.remote.pipes_engine import ErrorPolicy, RemoteSubmitError, submit_with_retry, wait_until
from lake_assets.remote.pipes_engine import idempotency_key as idempotency_key  # re-exported: callers import it here

KEY_ARGUMENT = "--lake-idempotency-key"
SUCCEEDED = "SUCCEEDED"
FAILED_STATES = {"FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}
ACTIVE_STATES = {"STARTING", "RUNNING", "WAITING", "STOPPING"}
RETRYABLE = {
    "ConcurrentRunsExceededException",
    "ThrottlingException",
    "InternalServiceException",
    "OperationTimeoutException",
    "ResourceNumberLimitExceededException",
}
FIX_HINTS = {
    "EntityNotFoundException": "the Glue job does not exist: create it or fix the Glue job name setting",
    "InvalidInputException": "Glue rejected the job arguments: check the job definition and parameters",
    "AccessDeniedException": "the Dagster role may not call glue:StartJobRun/GetJobRun on this job: fix its IAM policy",
}


class GlueSubmitError(RemoteSubmitError):
    """A Glue submission that cannot succeed by retrying; the message says what to fix."""


POLICY = ErrorPolicy(retryable=frozenset(RETRYABLE), fix_hints=FIX_HINTS, error=GlueSubmitError)


def find_reusable_run(glue: Any, job_name: str, key: str, pages: int = 3) -> dict | None:
    """A run of `job_name` with this key that is still active or succeeded (newest first)."""
    token = None
    for _ in range(pages):
        page = glue.get_job_runs(JobName=job_name, **({"NextToken": token} if token else {}))
        for run in page.get("JobRuns", []):
            if (run.get("Arguments") or {}).get(KEY_ARGUMENT) == key and run.get("JobRunState") in ACTIVE_STATES | {
                SUCCEEDED
            }:
                return run
        token = page.get("NextToken")
        if not token:
            break
    return None


def submit_or_reattach(
    glue: Any,
    job_name: str,
    arguments: dict[str, str],
    key: str,
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 2.0,
) -> tuple[str, bool]:
    """(run id, reattached) for this key: an existing reusable run, or a new one."""

    def find() -> tuple[str, str] | None:
        run = find_reusable_run(glue, job_name, key)
        return (run["Id"], run["JobRunState"]) if run else None

    def start() -> str:
        return glue.start_job_run(JobName=job_name, Arguments={**arguments, KEY_ARGUMENT: key})["JobRunId"]

    return submit_with_retry(
        start, find, what=f"Glue job {job_name}", policy=POLICY, log=log, sleep=sleep, base_delay=base_delay
    )


def wait_for_run(
    glue: Any, job_name: str, run_id: str, poll_seconds: float = 5.0, sleep: Callable[[float], None] = time.sleep
) -> dict:
    """Poll until the run reaches a final state; return the final JobRun."""
    return wait_until(
        lambda: glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"],
        lambda run: run["JobRunState"] == SUCCEEDED or run["JobRunState"] in FAILED_STATES,
        poll_seconds,
        sleep,
    )


# DPUs per worker of each Glue worker type (Glue's pricing page); used when a run reports no DPUSeconds.
WORKER_DPUS = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0, "Z.2X": 2.0}


def run_cost(run: dict) -> tuple[dict[str, Any], tuple[str, float] | None]:
    """What a finished Glue run cost: (metadata, ("dpu_second", DPU-seconds)).

    Glue bills DPU-seconds. `DPUSeconds` is only reported for auto-scaling and Flex runs; for the
    others it is execution time × capacity (MaxCapacity, else workers × DPUs per worker type).
    """
    seconds = run.get("ExecutionTime")
    dpu_seconds = run.get("DPUSeconds")
    if dpu_seconds is None and seconds is not None:
        capacity = run.get("MaxCapacity")
        if capacity is None and run.get("NumberOfWorkers") and run.get("WorkerType") in WORKER_DPUS:
            capacity = run["NumberOfWorkers"] * WORKER_DPUS[run["WorkerType"]]
        dpu_seconds = seconds * capacity if capacity is not None else None
    cost = {
        k: v
        for k, v in (
            ("glue_execution_seconds", seconds),
            ("glue_dpu_seconds", dpu_seconds),
            ("glue_worker_type", run.get("WorkerType")),
            ("glue_workers", run.get("NumberOfWorkers")),
        )
        if v is not None
    }
    return cost, (("dpu_second", float(dpu_seconds)) if dpu_seconds else None)


def console_url(region: str | None, job_name: str, run_id: str) -> str:
    region = region or "us-east-1"
    return f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}#/job/{job_name}/run/{run_id}"
