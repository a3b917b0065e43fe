"""The EMR (on EC2) engine against a moto server over real HTTP: a step runs the job script with
its arguments, reattaches, fails unless COMPLETED and reported, and is cancelled on termination."""

import dagster as dg
import pytest

from lake_assets.remote import emr
from lake_assets.remote.emr import EMREngine
from lake_assets.remote.entrypoint import parse_params
from lake_assets_tests.emr_support import (
    JOB,
    Flaky,
    Interrupting,
    aws,  # noqa: F401 (fixtures)
    emr_engine,
    emr_player,
    failure_message,
    lake_asset,
    moto_step,
)
from lake_assets_tests.test_glue_engine import (
    DAY,
    quick_pipes_close,  # noqa: F401 (fixture)
)
from lake_assets_tests.test_s3_landing import endpoint  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("quick_pipes_close")


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
