"""Compute engines: the resource that runs a named job for one partition.

`LocalSparkEngine` runs the job in this process on the shared local Spark session. Remote engines
(Glue, EMR) implement the same `run_job` by submitting the same job code through Dagster Pipes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

import dagster as dg

from lake_assets.core.settings import LakeSettings
from lake_assets.jobs.base import JobContext, JobInputError, JobResult


class LocalSparkEngine(dg.ConfigurableResource):
    """Runs jobs on a local Spark (`local[*]`), reading and writing a local lake."""

    lake_root_uri: str
    landing_uri: str
    spark_master: str = "local[*]"
    shuffle_partitions: int = 4
    spark_driver_memory: str = "4g"
    pii_hash_key: str | None = None
    s3_endpoint_url: str | None = None  # for an s3:// landing zone (the lake itself is local)
    max_quarantine_rate: dict[str, float] = {"*": 0.05}

    def settings(self) -> LakeSettings:
        return LakeSettings(
            lake_root_uri=self.lake_root_uri, landing_uri=self.landing_uri, engine="local",
            pii_hash_key=self.pii_hash_key, spark_master=self.spark_master,
            shuffle_partitions=self.shuffle_partitions, spark_driver_memory=self.spark_driver_memory,
            max_quarantine_rate=dict(self.max_quarantine_rate), s3_endpoint_url=self.s3_endpoint_url)

    def job_context(self, day: date) -> JobContext:
        return build_job_context(self.settings(), day)

    def run_job(self, context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
                job_name: str) -> JobResult:
        from lake_assets.jobs.registry import JOBS

        day = date.fromisoformat(context.partition_key)
        context.log.info(f"running {job_name} for {day} on local Spark")
        try:
            return JOBS[job_name](self.job_context(day))
        except JobInputError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None


def build_job_context(settings: LakeSettings, day: date,
                      on_publish: Callable[[str, str, str, str], None] | None = None) -> JobContext:
    """Everything a job needs for day `day`, wherever Spark runs (this machine or a job script)."""
    from lake_assets.core.lake import LocalLake, lake_for
    from lake_assets.core.landing import landing_for
    from lake_assets.core.secrets import local_pii_key
    from lake_assets.core.spark import get_spark

    lake = lake_for(settings.lake_root_uri, settings.s3_endpoint_url, on_publish)
    if settings.pii_hash_key:
        key = settings.pii_hash_key.encode()
    elif isinstance(lake, LocalLake):
        key = local_pii_key(lake.root)
    else:
        raise JobInputError("a lake on S3 needs the PII hash key: store it in Secrets Manager and set "
                            "LAKE_PII_KEY_SECRET_ID (the job script reads it there)")
    return JobContext(spark=get_spark(settings), lake=lake,
                      landing=landing_for(settings.landing_uri, settings.s3_endpoint_url), day=day,
                      pii_key=key, max_quarantine_rate=settings.max_quarantine_rate)


def engine_for(settings: LakeSettings) -> dg.ConfigurableResource:
    """The engine resource for the configured `LAKE_ENGINE`: same jobs, different place to run."""
    if settings.engine == "local":
        return LocalSparkEngine(
            lake_root_uri=settings.lake_root_uri, landing_uri=settings.landing_uri,
            spark_master=settings.spark_master, shuffle_partitions=settings.shuffle_partitions,
            spark_driver_memory=settings.spark_driver_memory, max_quarantine_rate=settings.max_quarantine_rate,
            pii_hash_key=_secret_config(settings.pii_hash_key, "LAKE_PII_HASH_KEY"),
            s3_endpoint_url=settings.s3_endpoint_url,
        )
    remote = settings.remote
    common = {"pipes_bucket": remote.pipes_bucket, "lake_root_uri": settings.lake_root_uri,
              "landing_uri": settings.landing_uri, "region_name": remote.region_name,
              "endpoint_url": settings.s3_endpoint_url, "glue_database": remote.glue_database,
              "pii_key_secret_id": remote.pii_key_secret_id or None, "poll_seconds": remote.poll_seconds}
    if settings.engine == "glue":
        from lake_assets.remote.glue import GlueEngine

        return GlueEngine(glue_job_name=remote.glue_job_name, **common)
    if settings.engine == "emr-serverless":
        from lake_assets.remote.emr_serverless import EMRServerlessEngine

        env = {"archives": f"{remote.python_env_uri}#environment", "python": "./environment/bin/python"} \
            if remote.python_env_uri else {}
        return EMRServerlessEngine(application_id=remote.emr_serverless_application_id,
                                   execution_role_arn=remote.emr_execution_role_arn, entry_point=remote.entrypoint_uri,
                                   py_files=remote.package_uri, **env, **common)
    from lake_assets.remote.emr import EMREngine

    return EMREngine(cluster_id=remote.emr_cluster_id, entry_point=remote.entrypoint_uri,
                     py_files=remote.package_uri, **common)


def _secret_config(value: str | None, env_var: str) -> str | dg.EnvVar | None:
    """Pass a secret that came from the environment as an `EnvVar`, so the UI shows its name only."""
    if value is not None and os.environ.get(env_var) == value:
        return dg.EnvVar(env_var)
    return value
