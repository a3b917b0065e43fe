"""The Glue engine: run a lake job as an AWS Glue job run through Dagster Pipes.

The Glue job (`glue_job_name`) runs `lake_assets/remote/entrypoint.py` with the package on its
`--extra-py-files`; Pipes context and messages travel through `pipes_bucket`. A run that ends
without reporting anything is a failure, never a silent success.
"""

from __future__ import annotations

from typing import Any

import dagster as dg


class RemoteJobSilentError(dg.Failure):
    """The remote job finished but never reported through Pipes."""


class GlueEngine(dg.ConfigurableResource):
    """Runs jobs on AWS Glue (`LAKE_ENGINE=glue`)."""

    glue_job_name: str
    pipes_bucket: str
    lake_root_uri: str
    landing_uri: str
    region_name: str | None = None
    endpoint_url: str | None = None  # an AWS-compatible endpoint (tests: a moto server)

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region_name, endpoint_url=self.endpoint_url)

    def run_job(self, context: dg.AssetExecutionContext, job_name: str) -> list[Any]:
        from dagster_aws.pipes import PipesGlueClient, PipesS3ContextInjector, PipesS3MessageReader

        s3 = self._client("s3")
        client = PipesGlueClient(
            client=self._client("glue"),
            context_injector=PipesS3ContextInjector(bucket=self.pipes_bucket, client=s3, key_prefix="pipes"),
            message_reader=PipesS3MessageReader(bucket=self.pipes_bucket, client=s3, interval=1),
        )
        arguments = {"--lake-job": job_name, "--partition-key": context.partition_key,
                     "--lake-root-uri": self.lake_root_uri, "--landing-uri": self.landing_uri}
        results = client.run(context=context, start_job_run_params={
            "JobName": self.glue_job_name, "Arguments": arguments}).get_results()
        if not results:
            raise RemoteJobSilentError(
                description=f"Glue job {self.glue_job_name} finished for {job_name} {context.partition_key} but "
                            "reported nothing through Pipes: check that the job script opens Dagster Pipes "
                            "and can reach the Pipes bucket.", allow_retries=False)
        return results
