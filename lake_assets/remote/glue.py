"""The Glue engine: run a lake job as an AWS Glue job run through Dagster Pipes.

The Glue job (`glue_job_name`) runs `lake_assets/remote/entrypoint.py` with the package on its
`--extra-py-files`; Pipes context and messages travel through `pipes_bucket`. Messages go to a
prefix derived from the idempotency key, so a reattached run's messages are still read. A run
that ends without reporting anything is a failure, never a silent success; a cancelled Dagster
run stops the Glue run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader

from lake_assets.remote.glue_runs import (
    SUCCEEDED,
    GlueSubmitError,
    console_url,
    idempotency_key,
    submit_or_reattach,
    wait_for_run,
)


class RemoteJobSilentError(dg.Failure):
    """The remote job finished but never reported through Pipes."""


class StablePrefixS3MessageReader(PipesS3MessageReader):
    """Pipes messages under a fixed prefix, so a reattached run's messages are found."""

    def __init__(self, *, prefix: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.prefix = prefix

    @contextmanager
    def get_params(self) -> Iterator[dict[str, Any]]:
        with super().get_params() as params:
            yield {**params, "key_prefix": self.prefix}


class GlueEngine(dg.ConfigurableResource):
    """Runs jobs on AWS Glue (`LAKE_ENGINE=glue`)."""

    glue_job_name: str
    pipes_bucket: str
    lake_root_uri: str
    landing_uri: str
    region_name: str | None = None
    endpoint_url: str | None = None  # an AWS-compatible endpoint (tests: a moto server)
    poll_seconds: float = 5.0

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region_name, endpoint_url=self.endpoint_url)

    def run_job(self, context: dg.AssetExecutionContext, job_name: str) -> list[Any]:
        glue, s3 = self._client("glue"), self._client("s3")
        key = idempotency_key(context.run.root_run_id or context.run.run_id, job_name, context.partition_key)
        reader = StablePrefixS3MessageReader(prefix=f"pipes/messages/{key}", bucket=self.pipes_bucket,
                                             client=s3, interval=1)
        injector = PipesS3ContextInjector(bucket=self.pipes_bucket, client=s3, key_prefix="pipes/context")
        arguments = {"--lake-job": job_name, "--partition-key": context.partition_key,
                     "--lake-root-uri": self.lake_root_uri, "--landing-uri": self.landing_uri}
        with dg.open_pipes_session(context=context, context_injector=injector, message_reader=reader) as session:
            try:
                run_id, reattached = submit_or_reattach(
                    glue, self.glue_job_name, {**arguments, **session.get_bootstrap_cli_arguments()}, key,
                    log=context.log.info)
            except GlueSubmitError as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            link = console_url(self.region_name, self.glue_job_name, run_id)
            context.log.info(f"Glue run {run_id} ({'reattached' if reattached else 'submitted'}): {link}")
            try:
                run = wait_for_run(glue, self.glue_job_name, run_id, self.poll_seconds)
            except DagsterExecutionInterruptedError:
                glue.batch_stop_job_run(JobName=self.glue_job_name, JobRunIds=[run_id])
                context.log.warning(f"Dagster run cancelled: stopped Glue run {run_id}")
                raise
            if run["JobRunState"] != SUCCEEDED:
                raise dg.Failure(description=f"Glue run {run_id} of {self.glue_job_name} ended {run['JobRunState']}: "
                                             f"{run.get('ErrorMessage') or 'no error message'} ({link})")
        results = list(session.get_results())
        if not session.message_handler.received_opened_message or not results:
            raise RemoteJobSilentError(
                description=f"Glue run {run_id} of {self.glue_job_name} succeeded for {job_name} "
                            f"{context.partition_key} but reported nothing through Pipes: check that the job "
                            "script opens Dagster Pipes and can reach the Pipes bucket.", allow_retries=False)
        extra = {"glue_job_run_id": run_id, "glue_job_run_url": dg.MetadataValue.url(link),
                 "glue_reattached": reattached}
        return [dg.MaterializeResult(asset_key=r.asset_key, metadata={**(r.metadata or {}), **extra},
                                     check_results=r.check_results, data_version=r.data_version)
                if isinstance(r, dg.MaterializeResult) else r for r in results]
