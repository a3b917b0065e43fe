"""Run one declared step for one day — the same two calls on every engine.

The local engine and the remote job script (Glue, EMR) both build the job context from the
whole `LakeSettings` with `build_context` and run the step with `run_build`, which returns its
`BuildReport`. This module imports no Dagster: it runs inside the job script on the cluster.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from lake_assets.builds.base import BuildContext, BuildInputError
from lake_assets.builds.report import BuildReport, report_of
from lake_assets.core.failures import describe, is_transient
from lake_assets.core.lake import LocalLake
from lake_assets.core.secrets import PiiKeyError, checked_pii_key, local_pii_key
from lake_assets.core.settings import LakeSettings
from lake_assets.core.stores import lake_for, landing_for
from lake_assets.declare import Catalog
from lake_assets.steps import CATALOG

if TYPE_CHECKING:
    from lake_assets.core.versioned_lake import PublishHook


def build_context(
    settings: LakeSettings, day: date, on_publish: PublishHook | None = None, catalog: Catalog = CATALOG
) -> BuildContext:
    """The job context for `day`: Spark, the lake, the landing zone, the PII key, settings, catalog."""
    from lake_assets.core.spark import get_spark  # pyspark's JVM starts only when a job really runs

    lake = lake_for(settings.lake_root_uri, settings.s3_endpoint_url, on_publish)
    try:
        if settings.pii_hash_key:
            key = checked_pii_key(settings.pii_hash_key.encode(), "LAKE_PII_HASH_KEY (or the Secrets Manager secret)")
        elif isinstance(lake, LocalLake):
            key = local_pii_key(lake.root)
        else:
            key = b""
    except PiiKeyError as exc:
        raise BuildInputError(str(exc)) from None
    if not key:
        raise BuildInputError(
            "a lake on S3 needs the PII hash key: store it in Secrets Manager and set "
            "LAKE_PII_KEY_SECRET_ID (the job script reads it there)"
        )
    return BuildContext(
        spark=get_spark(settings),
        lake=lake,
        landing=landing_for(settings.landing_uri, settings.s3_endpoint_url),
        day=day,
        pii_key=key,
        settings=settings,
        catalog=catalog,
    )


def failure_report(build: str, partition: str, exc: Exception) -> BuildReport:
    """The report of a job that raised: `input_error` for anything a retry cannot fix (bad input, a
    bug, a JVM that cannot start: see `core.failures`); an infrastructure failure is re-raised, so
    the engine fails the attempt and the step's retry policy runs it again."""
    if isinstance(exc, BuildInputError):
        return BuildReport(build, partition, input_error=str(exc))
    if is_transient(exc):
        raise exc
    return BuildReport(build, partition, input_error=describe(exc))


def run_build(build: str, ctx: BuildContext) -> BuildReport:
    """The step's report; an input the job cannot work with becomes `input_error`, not an exception,
    so every engine fails it the same way (clearly, and never retried)."""
    if ctx.catalog is None or build not in ctx.catalog.builds:
        raise KeyError(f"no declared build named {build!r}")
    try:
        result = ctx.catalog.builds[build](ctx)
    except Exception as exc:
        return failure_report(build, ctx.dt, exc)
    return report_of(build, ctx.dt, result)
