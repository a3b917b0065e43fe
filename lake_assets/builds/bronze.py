"""Bronze builds: landing objects of one day → Bronze partitions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from lake_assets.builds.base import BuildContext, BuildInputError, BuildResult, Staged
from lake_assets.builds.tasks import parse_tasks
from lake_assets.core.landing import Landing, skip_reason
from lake_assets.parsing import exports as ex
from lake_assets.quality.drift import ROW, api_log_findings, api_log_verdict, export_drift
from lake_assets.quality.outcome import CheckOutcome
from lake_assets.tables import Table
from lake_assets.transforms.bronze import (
    OBJECTS_SCHEMA,
    TASKS_CHANGES_SCHEMA,
    parse_api_log_objects,
    parse_change_files,
    parse_export_files,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

API_LOGS_PREFIX = "api_logs"
TASKS_EXPORT_PREFIX = "dynamodb/tasks"
SKIPPED_SHOWN = 20  # skipped landing objects named in the metadata (the count covers all)
UNTRUSTED_SHOWN = 5  # data files named in the error; the rejected rows hold all of them


def refuse_untrusted_files(ctx: BuildContext, staged: Staged, rows: DataFrame, exports: list[str]) -> None:
    """Fail the build, without retries, when a Spark task flagged a data file it could not trust.

    A file whose bytes do not match the manifest's md5Checksum (or that is truncated) makes the
    whole export untrustworthy: nothing is published, the manifest reconciliation is never
    evaluated on it, and the rows read so far are kept under `_rejected/` for inspection. Only the
    flag rows (one per untrusted file) come back to the driver.
    """
    from pyspark.sql import functions as F

    flagged = rows.where(F.col("parse_error").startswith(ex.FILE_PROBLEM_PREFIX))
    found = [
        r["parse_error"]
        for r in flagged.orderBy("source_key").select("parse_error").limit(UNTRUSTED_SHOWN + 1).collect()
    ]
    if not found:
        return
    total = len(found) if len(found) <= UNTRUSTED_SHOWN else flagged.count()
    kept = ctx.lake.reject(staged.path, staged.table.layer, staged.table.name)
    more = f"; and {total - UNTRUSTED_SHOWN} more" if total > UNTRUSTED_SHOWN else ""
    which = f"export{'s' if len(exports) > 1 else ''} {', '.join(exports)}"
    raise BuildInputError(
        f"{which} cannot be trusted: {total} data file(s) differ from manifest-files.json: "
        f"{'; '.join(found[:UNTRUSTED_SHOWN])}{more}. Nothing was published for {ctx.dt}; the rows read are kept "
        f"at {kept}. Re-export the table (a file changed after AWS wrote it is not repaired by a re-run)."
    )


def refuse_older_export(ctx: BuildContext, table: Table, export_id: str, export_time: datetime) -> None:
    """Never replace a published partition with an older export than the one it holds.

    Why: a day's newest export may be missing or unreadable on a re-run (deleted, moved, a broken
    summary), and an earlier ad-hoc export of the same day would then silently roll the table back.
    The run tag `lake/allow_older_export=true` lets a person do it on purpose.
    """
    from pyspark.sql import functions as F

    if ctx.settings.allow_older_export or ctx.dt not in ctx.lake.partitions(table.layer, table.name):
        return
    held = ctx.read(table).select(F.max(F.unix_micros("export_time")).alias("t"), F.max("export_id").alias("id"))
    row = held.first()
    if row is None or row["t"] is None:
        return
    held_at = datetime.fromtimestamp(row["t"] / 1_000_000, UTC)
    if export_time < held_at:
        raise BuildInputError(
            f"export {export_id} (exportTime {export_time:%Y-%m-%dT%H:%M:%S}Z) is older than export {row['id']} "
            f"({held_at:%Y-%m-%dT%H:%M:%S}Z) that {table.key} dt={ctx.dt} already holds: the published partition is "
            "kept. To replace it with the older export on purpose, launch the run with the tag "
            "lake/allow_older_export=true."
        )


def first_landing_day(landing: Landing) -> date | None:
    """The earliest day folder under `api_logs/` (YYYY/MM/DD): before it no data was expected.

    Three small delimiter listings (years, then the first year's months, then days), never a walk."""
    for year in landing.list_dirs(API_LOGS_PREFIX):
        for month in landing.list_dirs(f"{API_LOGS_PREFIX}/{year}"):
            for day in landing.list_dirs(f"{API_LOGS_PREFIX}/{year}/{month}"):
                try:
                    return date(int(year), int(month), int(day))
                except ValueError:
                    continue  # not a day folder
    return None


def no_data_outcome(ctx: BuildContext, table_key: str, prefix: str, objects: int, first: date | None) -> CheckOutcome:
    """`no_data`: did anything land for an expected day? Judged with `LAKE_EMPTY_DAY_SEVERITY`."""
    metadata = {"landing_prefix": prefix, "landing_objects": objects, "first_landing_day": str(first)}
    if objects:
        return CheckOutcome(table_key, "no_data", True, metadata)
    return CheckOutcome(
        table_key,
        "no_data",
        False,
        metadata,
        description=f"no landing objects arrived for {ctx.dt} under {prefix}/ although data has landed since "
        f"{first}: an empty day, not a healthy one",
        severity=ctx.settings.empty_day_severity,
    )


def bronze_api_requests(ctx: BuildContext) -> BuildResult:
    """Partition D = every object that *arrived* on D (Firehose's UTC arrival-hour folders).

    A day without any landing object is skipped when it is before the first landing day (nothing
    was expected yet); otherwise it is staged empty and judged by the `no_data` check.
    """
    from pyspark.sql import functions as F

    table = ctx.table("bronze/api_requests")
    prefix = f"{API_LOGS_PREFIX}/{ctx.day:%Y/%m/%d}"
    listed = ctx.landing.list(prefix)
    skipped = {o.key: reason for o in listed if (reason := skip_reason(o.key)) is not None}
    objects = [o for o in listed if o.key not in skipped]
    first = first_landing_day(ctx.landing) if not objects else None
    if not objects and (first is None or ctx.day < first):
        return BuildResult(
            [], [], skipped=f"no data expected: {ctx.dt} is before the first landing day ({first or 'none yet'})"
        )
    rows = [(o.key, o.last_modified) for o in objects]
    listing = parse_tasks(ctx.spark, rows, [o.size for o in objects], OBJECTS_SCHEMA)
    staged = ctx.stage(table, parse_api_log_objects(listing, ctx.landing))
    parsed = ctx.read_staged(staged)
    # Every figure below and the schema drift from ONE small group-by (≤ objects × kinds rows, plus
    # one per drifted field), not a Spark job each: `ROW` findings count the rows themselves.
    kind = F.split("parse_error", ":", 2).getItem(0)
    findings = parsed.select(
        "source_key", "record_type", "compression", kind.alias("error"), F.explode(api_log_findings()).alias("f")
    )
    grouped = (
        findings.groupBy("source_key", "record_type", "compression", "error", "f.kind", "f.name").count().collect()
    )
    row_groups = [r for r in grouped if r["kind"] == ROW]
    counts: dict[str, int] = {}
    errors: dict[str, int] = {}
    layers: dict[str, int] = {}
    for r in row_groups:
        counts[r["record_type"]] = counts.get(r["record_type"], 0) + r["count"]
        layers[r["compression"] or "-"] = layers.get(r["compression"] or "-", 0) + r["count"]
        if r["error"] is not None:
            errors[r["error"]] = errors.get(r["error"], 0) + r["count"]
    keys_with_rows = {r["source_key"] for r in row_groups}
    staged.extra.update(
        {
            "landing_prefix": prefix,
            "landing_objects": len(objects),
            "landing_objects_skipped": len(skipped),
            "skipped_objects": dict(sorted(skipped.items())[:SKIPPED_SHOWN]),
            "landing_bytes": sum(o.size for o in objects),
            "objects_without_records": len(objects) - len(keys_with_rows),
            "access_log_rows": counts.get("access_log", 0),
            "malformed_rows": counts.get("malformed", 0),
            "control_messages": counts.get("control_message", 0),
            "parse_errors": dict(sorted(errors.items())),
            "rows_by_compression": dict(sorted(layers.items())),
        }
    )
    passed, drift = api_log_verdict((r["kind"], r["name"], r["count"]) for r in grouped)
    no_data = no_data_outcome(ctx, table.key, prefix, len(objects), first)
    return ctx.finish([staged], [CheckOutcome(table.key, "schema_drift", passed, drift), no_data])


def first_export_time(summaries: list[ex.ExportSummary]) -> datetime | None:
    """The time of the earliest completed export (full or incremental): before it no export was expected."""
    times = [t for e in summaries if (t := e.export_time or e.export_to_time) is not None]
    return min(times) if times else None


def bronze_tasks_export(ctx: BuildContext) -> BuildResult:
    """Partition D = the table at the end of D: the latest completed full export in (D, D+1]."""
    from pyspark.sql import functions as F

    table = ctx.table("bronze/tasks_export")
    summaries, notes = ex.list_completed_exports(ctx.landing, TASKS_EXPORT_PREFIX)
    try:
        chosen = ex.choose_full_export(summaries, ctx.day)
        incremental = ex.choose_incremental_exports(summaries, ctx.day)
    except ex.ExportError as exc:
        raise BuildInputError(str(exc)) from None
    if chosen is None and incremental:
        # Full exports are not daily here: Silver builds D from an earlier snapshot plus the
        # incremental exports, so this partition is skipped rather than failed.
        return BuildResult([], [], skipped=f"no full export for {ctx.dt}; incremental exports cover it")
    lo, hi = ex.day_window(ctx.day)
    first = first_export_time(summaries)
    if chosen is None and first is not None and first > hi:  # exports exist, all of later days
        return BuildResult(
            [], [], skipped=f"no export expected: {ctx.dt} is before the first export ({first:%Y-%m-%d %H:%M} UTC)"
        )
    if chosen is None:
        seen = ", ".join(f"{s.export_id} ({s.export_type} at {s.export_time})" for s in summaries) or "none"
        raise BuildInputError(
            f"no completed FULL_EXPORT of the tasks table with exportTime in ({lo:%Y-%m-%d %H:%M}, "
            f"{hi:%Y-%m-%d %H:%M}] UTC under {TASKS_EXPORT_PREFIX}/. Completed exports seen: {seen}. "
            f"Ignored: {'; '.join(notes) or 'none'}."
        )
    try:
        export = ex.load_files(ctx.landing, chosen)
    except ex.ExportError as exc:
        raise BuildInputError(str(exc)) from None
    export_time = export.export_time
    assert export_time is not None, "choose_full_export picks only exports with an exportTime"
    refuse_older_export(ctx, table, export.export_id, export_time)
    keys = [(f.key, f.md5_checksum) for f in export.files]
    files = parse_tasks(ctx.spark, keys, [f.item_count for f in export.files], "key string, md5_checksum string")
    manifest_items = sum(f.item_count for f in export.files)
    staged = ctx.stage(
        table,
        parse_export_files(files, ctx.landing, export.export_id, export_time),
        export_id=export.export_id,
        export_time=export_time.isoformat(),
        export_data_files=len(export.files),
        manifest_item_count=manifest_items,
        exports_ignored=notes + [s.export_id for s in summaries if s.export_id != export.export_id],
    )
    items = ctx.read_staged(staged)
    refuse_untrusted_files(ctx, staged, items, [export.export_id])
    parse_errors = F.col("parse_error").isNotNull().cast("int")
    staged.extra["items_with_parse_errors"] = ctx.audit(staged, parse_errors=parse_errors)["parse_errors"]
    reconciled = CheckOutcome(
        table.key,
        "manifest_reconciliation",
        staged.rows == manifest_items,
        {
            "rows_read": staged.rows,
            "manifest_item_count": manifest_items,
            "summary_item_count": export.item_count,
            "export_id": export.export_id,
        },
    )
    passed, drift = export_drift(items)
    return ctx.finish([staged], [reconciled, CheckOutcome(table.key, "schema_drift", passed, drift)])


def bronze_tasks_changes(ctx: BuildContext) -> BuildResult:
    """Partition D = every item change of the incremental exports whose window ends in (D, D+1]."""
    from pyspark.sql import types as T

    table = ctx.table("bronze/tasks_changes")
    summaries, notes = ex.list_completed_exports(ctx.landing, TASKS_EXPORT_PREFIX)
    try:
        exports = [ex.load_files(ctx.landing, e) for e in ex.choose_incremental_exports(summaries, ctx.day)]
    except ex.ExportError as exc:
        raise BuildInputError(str(exc)) from None
    first = first_export_time(summaries)
    if not exports and first is not None and first > ex.day_window(ctx.day)[1]:
        return BuildResult(
            [], [], skipped=f"no export expected: {ctx.dt} is before the first export ({first:%Y-%m-%d %H:%M} UTC)"
        )
    rows = [(f.key, f.md5_checksum, e.export_id, e.export_to_time) for e in exports for f in e.files]
    schema = T.StructType(
        [
            T.StructField("key", T.StringType()),
            T.StructField("md5_checksum", T.StringType()),
            T.StructField("export_id", T.StringType()),
            T.StructField("export_to_time", T.TimestampType()),
        ]
    )
    files = parse_tasks(ctx.spark, rows, [f.item_count for e in exports for f in e.files], schema)
    manifest_items = sum(f.item_count for e in exports for f in e.files)
    # No change files (most days): an empty frame of the parsed schema, without a Python worker
    # started for nothing (~1 s a day: what a 7-day backfill or a small day pays per step).
    changes = parse_change_files(files, ctx.landing) if rows else ctx.spark.createDataFrame([], TASKS_CHANGES_SCHEMA)
    staged = ctx.stage(
        table,
        changes,
        export_ids=[e.export_id for e in exports],
        windows=[f"{e.export_from_time} → {e.export_to_time}" for e in exports],
        output_views=sorted({e.output_view or "-" for e in exports}),
        manifest_item_count=manifest_items,
        exports_in_progress=notes,
    )
    if staged.rows:  # an empty partition holds no flag rows: no job to look for them
        refuse_untrusted_files(ctx, staged, ctx.read_staged(staged), [e.export_id for e in exports])
    reconciled = CheckOutcome(
        table.key,
        "manifest_reconciliation",
        staged.rows == manifest_items,
        {"rows_read": staged.rows, "manifest_item_count": manifest_items, "exports": len(exports)},
    )
    return ctx.finish([staged], [reconciled])
