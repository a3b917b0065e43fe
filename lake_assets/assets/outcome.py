"""The one translation of a job's outcome into Dagster events, used for every engine.

- input error (no export for the day, a broken manifest, no PII key): one clear failure, not
  retried — running the same job on the same input cannot help;
- skip: no materialization, a log line saying why;
- otherwise: a materialization per *published* output, every check with its declared severity,
  then — if a blocking check failed — a failure that is not retried (the data stays unpublished).
A ranged run (a single-run backfill) gets the same events per day, each naming its partition, and
fails at the end if any day failed.
Infrastructure failures never reach this function: engines raise them, and the step's retry
policy retries them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import dagster as dg

from lake_assets.builds.report import BuildReport, CheckReport, OutputReport
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


def failure_text(report: BuildReport) -> str | None:
    """Why the day failed (input error or failed blocking checks), None if it did not."""
    if report.input_error:
        return f"{report.build} cannot run for {report.partition}: {report.input_error}"
    failures = report.blocking_failures
    if not failures:
        return None
    rejected = ", ".join(o.path for o in report.outputs)
    return (
        f"Blocking checks failed for {report.partition}: "
        f"{', '.join(f'{c.table}:{c.name}' for c in failures)}. The new data was not "
        f"published (kept for inspection at {rejected}); readers still see the previous "
        "version and downstream assets were not run."
    )


def log_outputs(context: StepContext, report: BuildReport) -> None:
    """One run-log line per written table (rows and the build's facts), or why nothing was written."""
    if report.skipped:
        context.log.info(f"{report.build}: nothing to write for {report.partition}: {report.skipped}")
    for out in report.outputs:
        context.log.info(
            f"{out.table} dt={report.partition}: {out.rows} rows ({json.dumps(out.extra, default=str)[:500]})"
        )


def published(step: StepResult) -> list[tuple[dg.AssetKey, dict[str, Any]]]:
    """(asset key, materialization metadata) of each output the step published: the partition's
    own figures plus what the engine knows about the run."""
    run_metadata = {k: metadata_value(v) for k, v in step.run_metadata.items()}
    return [(asset_key(o.table), {**output_metadata(o), **run_metadata}) for o in step.report.outputs if o.published]


def step_events(
    context: StepContext, step: StepResult, selected: AbstractSet[dg.AssetKey] | None = None
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult | dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """Dagster events for the `StepResult` of a one-partition run; raises `dg.Failure` for data failures.

    A step builds all its tables together, so when only some of them were selected (a subset of a
    multi-table step) the others are published too, and recorded as plain materialization and
    evaluation events: Dagster accepts results only for what was selected."""
    report, run_metadata = step.report, {k: metadata_value(v) for k, v in step.run_metadata.items()}
    failure = failure_text(report)
    if report.input_error:
        raise dg.Failure(description=failure, metadata=run_metadata, allow_retries=False)
    log_outputs(context, report)
    if report.skipped:
        return
    chosen = (lambda key: True) if selected is None else selected.__contains__
    for key, metadata in published(step):
        if chosen(key):
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
        else:
            yield dg.AssetMaterialization(asset_key=key, partition=report.partition, metadata=metadata)
    for check in report.checks:
        result = check_result(check)
        yield result if chosen(asset_key(check.table)) else evaluation_of(result, report.partition, check.blocking)
    if failure:
        raise dg.Failure(description=failure, metadata=run_metadata, allow_retries=False)


def day_events(context: StepContext, step: StepResult) -> Iterator[dg.AssetMaterialization | dg.AssetCheckEvaluation]:
    """The events of one day of a ranged run, each naming its partition, materializations first."""
    report = step.report
    log_outputs(context, report)
    if report.input_error or report.skipped:
        return
    for key, metadata in published(step):
        yield dg.AssetMaterialization(asset_key=key, partition=report.partition, metadata=metadata)
    for check in report.checks:
        yield evaluation_of(check_result(check), report.partition, check.blocking)


def evaluation_of(result: dg.AssetCheckResult, partition: str, blocking: bool = False) -> dg.AssetCheckEvaluation:
    """`result` as the evaluation of one day: what Dagster records for a one-day run's check result."""
    if result.asset_key is None or result.check_name is None:
        raise ValueError(f"a check result names no check: {result}")
    return dg.AssetCheckEvaluation(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
        blocking=blocking,
        partition=partition,
    )


RangeEvent = dg.MaterializeResult | dg.Output | dg.AssetMaterialization | dg.AssetCheckEvaluation


def range_events(
    context: dg.AssetExecutionContext, days: Sequence[str], run_day: Callable[[str], StepResult]
) -> Iterator[RangeEvent]:
    """A ranged run (a single-run backfill): every day in order, each published and checked on its
    own as a one-day run would be; a day that fails does not stop the others.

    Events come at the end, materializations before check evaluations (as in a one-day run). When
    every day published every output, each output is yielded once and Dagster records one
    materialization per day with that day's metadata (`add_asset_metadata`), data-version
    provenance included, and runs the downstream steps. Otherwise only the days that published
    get a materialization, and nothing downstream runs in this run: the step fails naming the
    failed days, or (days with nothing to write, e.g. before the first landing) says so.
    """
    steps = [run_day(day) for day in days]
    events = [e for step in steps for e in day_events(context, step)]
    failed = {step.report.partition: text for step in steps if (text := failure_text(step.report))}
    materialized = [e for e in events if isinstance(e, dg.AssetMaterialization)]
    tables = set(context.selected_asset_keys)
    whole = not failed and all({e.partition for e in materialized if e.asset_key == key} == set(days) for key in tables)
    if whole:
        for event in (e for e in materialized if e.asset_key in tables):
            context.add_asset_metadata(event.metadata, asset_key=event.asset_key, partition_key=event.partition)
        yield from (dg.MaterializeResult(asset_key=key) for key in sorted(tables))
        yield from (e for e in materialized if e.asset_key not in tables)  # built with them, not selected
        checks = context.assets_def.check_specs_by_output_name.items()
        yield from (dg.Output(None, name) for name, spec in checks if spec.key in context.selected_asset_check_keys)
    else:
        yield from materialized
    yield from (e for e in events if isinstance(e, dg.AssetCheckEvaluation))
    if failed:
        for text in failed.values():
            context.log.error(text)
        raise dg.Failure(
            description=f"{len(failed)} of {len(days)} days failed ({', '.join(failed)}); the other days "
            "were published and checked, and nothing downstream ran in this run. " + " ".join(failed.values()),
            metadata={"failed_days": dg.MetadataValue.json(sorted(failed))},
            allow_retries=False,
        )
    if not whole:
        context.log.warning(
            f"{context.op_execution_context.op.name}: some days of {days[0]}…{days[-1]} had nothing to write; "
            "the days that did are published, and nothing downstream runs in this run: run the "
            "days with data (or each day) again to build the rest."
        )
