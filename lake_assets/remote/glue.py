"""The Glue engine: run a lake job as an AWS Glue job run through Dagster Pipes.

The Glue job (`glue_job_name`) runs `lake_assets/remote/entrypoint.py` with the package on its
`--extra-py-files`; the job's parameters and the Pipes bootstrap go in as Glue job arguments
(`--lake-job …`, `--dagster-pipes-context …`). The shared flow (messages under a prefix derived from
the idempotency key, termination forwarding, no silent success) is `pipes_engine.PipesRemoteEngine`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from lake_assets.remote.glue_runs import SUCCEEDED, console_url, submit_or_reattach, wait_for_run
from lake_assets.remote.pipes_engine import PipesRemoteEngine, RunEnd
from lake_assets.remote.pipes_engine import RemoteJobSilentError as RemoteJobSilentError  # re-exported
from lake_assets.remote.pipes_engine import StablePrefixS3MessageReader as StablePrefixS3MessageReader  # re-exported


class GlueEngine(PipesRemoteEngine):
    """Runs jobs on AWS Glue (`LAKE_ENGINE=glue`)."""

    glue_job_name: str

    service: ClassVar[str] = "Glue"
    boto_service: ClassVar[str] = "glue"
    metadata_keys: ClassVar[tuple[str, str, str]] = ("glue_job_run_id", "glue_job_run_url", "glue_reattached")

    def _target(self) -> str:
        return self.glue_job_name

    def _submit(self, client: Any, key: str, params: dict[str, str], session: Any,
                log: Callable[[str], None]) -> tuple[str, bool]:
        arguments = {f"--{name}": value for name, value in params.items()}
        return submit_or_reattach(client, self.glue_job_name, {**arguments, **session.get_bootstrap_cli_arguments()},
                                  key, log=log)

    def _wait(self, client: Any, run_id: str) -> RunEnd:
        run = wait_for_run(client, self.glue_job_name, run_id, self.poll_seconds)
        return RunEnd(run["JobRunState"], run["JobRunState"] == SUCCEEDED, run.get("ErrorMessage"))

    def _cancel(self, client: Any, run_id: str) -> None:
        client.batch_stop_job_run(JobName=self.glue_job_name, JobRunIds=[run_id])

    def _console_url(self, run_id: str) -> str:
        return console_url(self.region_name, self.glue_job_name, run_id)
