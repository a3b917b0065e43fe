"""Submitting Glue job runs without losing money or data.

- One idempotency key per (root run, job, partition): a retried step or re-executed run first
  looks for a Glue run with that key that is still going or already succeeded and *reattaches*
  to it instead of paying for a second one.
- Errors are classified: too many concurrent runs, throttling and internal errors are retried with
  exponential backoff and jitter; a missing job, bad input or missing permission fails at once
  with a message that says what to fix.
- Every job-run state is handled, and a run that ends in anything but SUCCEEDED is an error.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from typing import Any

KEY_ARGUMENT = "--lake-idempotency-key"
SUCCEEDED = "SUCCEEDED"
FAILED_STATES = {"FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"}
ACTIVE_STATES = {"STARTING", "RUNNING", "WAITING", "STOPPING"}
RETRYABLE = {"ConcurrentRunsExceededException", "ThrottlingException", "InternalServiceException",
             "OperationTimeoutException", "ResourceNumberLimitExceededException"}
FIX_HINTS = {
    "EntityNotFoundException": "the Glue job does not exist: create it or fix the Glue job name setting",
    "InvalidInputException": "Glue rejected the job arguments: check the job definition and parameters",
    "AccessDeniedException": "the Dagster role may not call glue:StartJobRun/GetJobRun on this job: fix its IAM policy",
}
MAX_ATTEMPTS = 6


class GlueSubmitError(RuntimeError):
    """A submission that cannot succeed by retrying; the message says what to fix."""


def idempotency_key(root_run_id: str, job_name: str, partition: str) -> str:
    return hashlib.sha256(f"{root_run_id}|{job_name}|{partition}".encode()).hexdigest()[:32]


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code")


def find_reusable_run(glue: Any, job_name: str, key: str, pages: int = 3) -> dict | None:
    """A run of `job_name` with this key that is still active or succeeded (newest first)."""
    token = None
    for _ in range(pages):
        page = glue.get_job_runs(JobName=job_name, **({"NextToken": token} if token else {}))
        for run in page.get("JobRuns", []):
            if (run.get("Arguments") or {}).get(KEY_ARGUMENT) == key and \
                    run.get("JobRunState") in ACTIVE_STATES | {SUCCEEDED}:
                return run
        token = page.get("NextToken")
        if not token:
            break
    return None


def submit_or_reattach(glue: Any, job_name: str, arguments: dict[str, str], key: str,
                       log: Callable[[str], None], sleep: Callable[[float], None] = time.sleep,
                       base_delay: float = 2.0) -> tuple[str, bool]:
    """(run id, reattached) for this key: an existing reusable run, or a new one."""
    existing = find_reusable_run(glue, job_name, key)
    if existing:
        log(f"reattaching to Glue run {existing['Id']} ({existing['JobRunState']}) for key {key}")
        return existing["Id"], True
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            run_id = glue.start_job_run(JobName=job_name, Arguments={**arguments, KEY_ARGUMENT: key})["JobRunId"]
            return run_id, False
        except Exception as exc:
            code = _error_code(exc)
            if code in FIX_HINTS:
                raise GlueSubmitError(f"Glue job {job_name}: {code}: {FIX_HINTS[code]}") from None
            if code not in RETRYABLE or attempt == MAX_ATTEMPTS:
                raise
            delay = base_delay * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
            log(f"Glue said {code}; retrying in {delay:.1f}s (attempt {attempt}/{MAX_ATTEMPTS})")
            sleep(delay)
            existing = find_reusable_run(glue, job_name, key)  # an earlier attempt may have landed
            if existing:
                return existing["Id"], True
    raise AssertionError("unreachable")


def wait_for_run(glue: Any, job_name: str, run_id: str, poll_seconds: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep) -> dict:
    """Poll until the run reaches a final state; return the final JobRun."""
    while True:
        run = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
        state = run["JobRunState"]
        if state == SUCCEEDED or state in FAILED_STATES:
            return run
        sleep(poll_seconds)


def console_url(region: str | None, job_name: str, run_id: str) -> str:
    region = region or "us-east-1"
    return (f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}"
            f"#/job/{job_name}/run/{run_id}")
