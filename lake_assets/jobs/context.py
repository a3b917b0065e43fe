"""Everything a job needs for one day, built the same way wherever Spark runs.

The local engine and the remote job script (Glue, EMR) both call `build_job_context` with the
whole `LakeSettings`, so a setting cannot be honoured on one engine and lost on another. This
module imports no Dagster: it runs inside the job script on the cluster's runtime.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from lake_assets.core.lake import LocalLake, lake_for
from lake_assets.core.landing import landing_for
from lake_assets.core.secrets import local_pii_key
from lake_assets.core.settings import LakeSettings
from lake_assets.jobs.base import JobContext, JobInputError

if TYPE_CHECKING:
    from lake_assets.core.versioned_lake import PublishHook


def build_job_context(settings: LakeSettings, day: date, on_publish: PublishHook | None = None) -> JobContext:
    """The job context for `day`: Spark, the lake, the landing zone, the PII key and the settings."""
    from lake_assets.core.spark import get_spark  # pyspark loads only when a job really runs

    lake = lake_for(settings.lake_root_uri, settings.s3_endpoint_url, on_publish)
    if settings.pii_hash_key:
        key = settings.pii_hash_key.encode()
    elif isinstance(lake, LocalLake):
        key = local_pii_key(lake.root)
    else:
        raise JobInputError("a lake on S3 needs the PII hash key: store it in Secrets Manager and set "
                            "LAKE_PII_KEY_SECRET_ID (the job script reads it there)")
    return JobContext(spark=get_spark(settings), lake=lake, landing=landing_for(settings.landing_uri,
                                                                                  settings.s3_endpoint_url),
                      day=day, pii_key=key, settings=settings)
