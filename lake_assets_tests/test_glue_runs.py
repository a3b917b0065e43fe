"""Glue submission: reattach instead of resubmitting, error classes, states, and moto's real
ConcurrentRunsExceeded answer over HTTP."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_api import state_manager

from lake_assets.remote.glue_runs import (
    FAILED_STATES,
    KEY_ARGUMENT,
    GlueSubmitError,
    find_reusable_run,
    idempotency_key,
    submit_or_reattach,
    wait_for_run,
)


def client_error(code):
    return ClientError({"Error": {"Code": code, "Message": code}}, "StartJobRun")


class FakeGlue:
    """Just enough of the Glue API to drive the submission logic through its branches."""

    def __init__(self, runs=None, start_errors=(), states=("RUNNING", "SUCCEEDED")):
        self.runs, self.start_errors, self.states, self.started = list(runs or []), list(start_errors), list(states), []

    def get_job_runs(self, JobName, NextToken=None):
        return {"JobRuns": self.runs}

    def start_job_run(self, JobName, Arguments):
        if self.start_errors:
            raise client_error(self.start_errors.pop(0))
        run = {"Id": f"jr_{len(self.started) + 1}", "Arguments": Arguments, "JobRunState": "STARTING"}
        self.started.append(run)
        return {"JobRunId": run["Id"]}

    def get_job_run(self, JobName, RunId):
        return {"JobRun": {"Id": RunId, "JobRunState": self.states.pop(0), "ErrorMessage": "boom"}}


def test_idempotency_key_is_stable_per_run_job_and_partition():
    assert idempotency_key("r1", "job", "2026-11-21") == idempotency_key("r1", "job", "2026-11-21")
    assert idempotency_key("r1", "job", "2026-11-21") != idempotency_key("r1", "job", "2026-11-22")
    assert idempotency_key("r1", "job", "2026-11-21") != idempotency_key("r2", "job", "2026-11-21")
    assert idempotency_key("r1", "job", "2026-11-21") != idempotency_key("r1", "other-job", "2026-11-21")


@pytest.mark.parametrize("state", ["RUNNING", "WAITING", "SUCCEEDED"])
def test_reattaches_to_a_run_that_is_going_or_done(state):
    glue = FakeGlue(runs=[{"Id": "jr_old", "JobRunState": state, "Arguments": {KEY_ARGUMENT: "k"}}])
    assert submit_or_reattach(glue, "job", {}, "k", log=print) == ("jr_old", True)
    assert glue.started == []


def test_a_failed_earlier_run_is_submitted_again():
    glue = FakeGlue(runs=[{"Id": "jr_old", "JobRunState": "FAILED", "Arguments": {KEY_ARGUMENT: "k"}}])
    assert submit_or_reattach(glue, "job", {}, "k", log=print) == ("jr_1", False)
    assert glue.started[0]["Arguments"][KEY_ARGUMENT] == "k"


def test_transient_errors_are_retried_with_growing_backoff():
    delays = []
    glue = FakeGlue(start_errors=["ConcurrentRunsExceededException", "ThrottlingException"])
    assert submit_or_reattach(glue, "job", {}, "k", log=print, sleep=delays.append) == ("jr_1", False)
    assert len(glue.started) == 1 and len(delays) == 2 and delays[1] > delays[0]


@pytest.mark.parametrize("code", ["EntityNotFoundException", "InvalidInputException", "AccessDeniedException"])
def test_permanent_errors_fail_at_once_with_what_to_fix(code):
    glue = FakeGlue(start_errors=[code])
    with pytest.raises(GlueSubmitError, match=code):
        submit_or_reattach(glue, "job", {}, "k", log=print, sleep=lambda s: pytest.fail("must not retry"))


@pytest.mark.parametrize("final", sorted({"SUCCEEDED", *FAILED_STATES}))
def test_wait_polls_through_every_active_state_until_a_final_one(final):
    sleeps = []
    glue = FakeGlue(states=["STARTING", "WAITING", "RUNNING", "STOPPING", final, "RUNNING"])
    run = wait_for_run(glue, "job", "jr_1", poll_seconds=0.01, sleep=sleeps.append)
    assert run["JobRunState"] == final and run["ErrorMessage"] == "boom" and len(sleeps) == 4
    assert glue.states == ["RUNNING"]  # stopped polling at the final state


def test_concurrent_runs_exceeded_then_success_without_a_second_run(endpoint):
    glue = boto3.client("glue", endpoint_url=endpoint)
    glue.create_job(
        Name="busy-job",
        Role="arn:aws:iam::123456789012:role/glue",
        Command={"Name": "glueetl"},
        ExecutionProperty={"MaxConcurrentRuns": 1},
    )
    state_manager.set_transition("glue::job_run", {"progression": "manual", "times": 10_000})
    blocker = glue.start_job_run(JobName="busy-job")["JobRunId"]
    codes = []

    def sleep(_seconds):  # while we back off, the blocking run finishes
        codes.append("slept")
        state_manager.set_transition("glue::job_run", {"progression": "immediate"})
        for _ in range(5):
            if glue.get_job_run(JobName="busy-job", RunId=blocker)["JobRun"]["JobRunState"] == "SUCCEEDED":
                break
        state_manager.set_transition("glue::job_run", {"progression": "manual", "times": 10_000})

    run_id, reattached = submit_or_reattach(glue, "busy-job", {}, "key-1", log=codes.append, sleep=sleep)
    assert not reattached and "slept" in codes
    assert any("ConcurrentRunsExceededException" in str(c) for c in codes)
    mine = [
        r
        for r in glue.get_job_runs(JobName="busy-job")["JobRuns"]
        if (r.get("Arguments") or {}).get(KEY_ARGUMENT) == "key-1"
    ]
    assert [r["Id"] for r in mine] == [run_id]  # exactly one run for the key
    assert find_reusable_run(glue, "busy-job", "key-1")["Id"] == run_id
