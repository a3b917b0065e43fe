"""The one translation of a job's outcome into Dagster events, used for every engine.

- input error (no export for the day, a broken manifest, no PII key): one clear failure, not
  retried — running the same job on the same input cannot help;
- skip: no materialization, a log line saying why;
- otherwise: a materialization per *published* output, every check with its declared severity,
  then — if a blocking check failed — a failure that is not retried (the data stays unpublished).
Infrastructure failures never reach this function: engines raise them, and the step's retry
policy retries them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import dagster as dg

from lake_assets.builds.report import CheckReport, OutputReport
from lake_assets.engines.base import StepContext, StepResult


def asset_key(table_key: str) -> dg.AssetKey:
    return dg.AssetKey(table_key.split("/"))


def metadata_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return dg.MetadataValue.json(value)
    return value


def output_metadata(out: OutputReport) -> dict[str, Any]:
    """Materialization metadata of one written partition."""
    return {
        "dagster/row_count": out.rows,
        "location": dg.MetadataValue.path(out.path),
        "size_bytes": out.bytes,
        "parquet_files": out.files,
        **{k: metadata_value(v) for k, v in sorted(out.extra.items())},
    }


def check_result(check: CheckReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=asset_key(check.table),
        check_name=check.name,
        passed=check.passed,
        description=check.description,
        severity=dg.AssetCheckSeverity(check.severity),
        metadata={k: metadata_value(v) for k, v in check.metadata.items()},
    )


def step_events(context: StepContext, step: StepResult) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Dagster events for one step's `StepResult`; raises `dg.Failure` for data failures."""
    report, run_metadata = step.report, {k: metadata_value(v) for k, v in step.run_metadata.items()}
    if report.input_error:
        raise dg.Failure(
            description=f"{report.build} cannot run for {report.partition}: {report.input_error}",
            metadata=run_metadata,
            allow_retries=False,
        )
    if report.skipped:
        context.log.info(f"{report.build}: nothing to write for {report.partition}: {report.skipped}")
        return
    for out in report.outputs:
        context.log.info(
            f"{out.table} dt={report.partition}: {out.rows} rows ({json.dumps(out.extra, default=str)[:500]})"
        )
        if out.published:
            yield dg.MaterializeResult(
                asset_key=asset_key(out.table), metadata={**output_metadata(out), **run_metadata}
            )
    for check in report.checks:
        yield check_result(check)
    failures = report.blocking_failures
    if failures:
        rejected = ", ".join(o.path for o in report.outputs)
        raise dg.Failure(
            description=f"Blocking checks failed for {report.partition}: "
            f"{', '.join(f'{c.table}:{c.name}' for c in failures)}. The new data was not "
            f"published (kept for inspection at {rejected}); readers still see the previous "
            "version and downstream assets were not run.",
            metadata=run_metadata,
            allow_retries=False,
        )
