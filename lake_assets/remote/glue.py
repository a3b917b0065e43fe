"""The Glue engine: run a lake job as an AWS Glue job run through Dagster Pipes.

The Glue job (`LAKE_GLUE_JOB_NAME`, defined by `lake-deploy`) runs `lake_assets/remote/entrypoint.py`
with the package installed from its wheel; the job's parameters and the Pipes bootstrap go in as
Glue job arguments (`--lake-build …`, `--dagster-pipes-context …`). The shared flow is
`pipes_engine.PipesRemoteEngine`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from lake_assets.remote.glue_runs import (
    SUCCEEDED,
    console_url,
    find_reusable_run,
    run_cost,
    submit_or_reattach,
    wait_for_run,
)
from lake_assets.remote.pipes_engine import PipesRemoteEngine, RunEnd


@dataclass(frozen=True)
class GlueEngine(PipesRemoteEngine):
    """Runs jobs on AWS Glue (`LAKE_ENGINE=glue`)."""

    service: ClassVar[str] = "Glue"
    boto_service = "glue"
    metadata_keys: ClassVar[tuple[str, str, str]] = ("glue_job_run_id", "glue_job_run_url", "glue_reattached")

    def _target(self) -> str:
        return self.remote.glue_job_name

    def _find(self, client: Any, key: str) -> tuple[str, str] | None:
        run = find_reusable_run(client, self.remote.glue_job_name, key)
        return (run["Id"], run["JobRunState"]) if run else None

    def _submit(
        self, client: Any, key: str, params: dict[str, str], session: Any, log: Callable[[str], None]
    ) -> tuple[str, bool]:
        arguments = {f"--{name}": value for name, value in params.items()}
        return submit_or_reattach(
            client, self.remote.glue_job_name, {**arguments, **session.get_bootstrap_cli_arguments()}, key, log=log
        )

    def _wait(self, client: Any, run_id: str) -> RunEnd:
        run = wait_for_run(client, self.remote.glue_job_name, run_id, self.remote.poll_seconds)
        cost, billed = run_cost(run)
        return RunEnd(run["JobRunState"], run["JobRunState"] == SUCCEEDED, run.get("ErrorMessage"), cost, billed)

    def _cancel(self, client: Any, run_id: str) -> None:
        answer = client.batch_stop_job_run(JobName=self.remote.glue_job_name, JobRunIds=[run_id])
        errors = answer.get("Errors") or []
        if errors:  # Glue answers 200 and lists the runs it could not stop
            raise RuntimeError((errors[0].get("ErrorDetail") or {}).get("ErrorMessage") or "Glue refused to stop it")

    def _console_url(self, run_id: str) -> str:
        return console_url(self.remote.region_name, self.remote.glue_job_name, run_id)
