"""Sensor: completed DynamoDB exports → one Bronze run per export.

Completion is `manifest-summary.json` (AWS writes it last), never `_started`. Before requesting
anything the export is validated from its manifests and listings alone: `manifest-files.json`
and both manifests' checksum files are present, the listed data files exist, and their item
counts add up to the summary's. A tick never reads a data file: a multi-GB export must not pass
through the daemon, so each file's MD5 is checked by the Spark task that parses it, and the
Bronze job refuses the export there. A broken export is reported once with its reason and
remembered, so it neither blocks later exports nor is retried every tick (fixing it in place
changes nothing; re-export instead). Listing is bounded: export ids start with the export's epoch
milliseconds, so `StartAfter` skips everything older than the look-back window.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

from lake_assets.parsing import exports as ex

if TYPE_CHECKING:
    from lake_assets.core.landing import Landing

TABLE_PREFIX = "dynamodb/tasks"
TARGETS = {
    "FULL_EXPORT": dg.AssetKey(["bronze", "tasks_export"]),
    "INCREMENTAL_EXPORT": dg.AssetKey(["bronze", "tasks_changes"]),
}


def export_partition(export: ex.ExportSummary) -> date | None:
    """The day an export closes: exportTime (full) or exportToTime (incremental) in (D, D+1]."""
    moment = export.export_time if export.export_type == "FULL_EXPORT" else export.export_to_time
    return (moment - timedelta(microseconds=1)).date() if moment else None


def evaluate_exports(
    landing: Landing, cursor: str | None, now: datetime, lookback_days: int, first_day: date
) -> tuple[list[dg.RunRequest], str, list[str]]:
    """(run requests, new cursor, problems newly found) for one tick."""
    state = json.loads(cursor) if cursor else {"done": {}, "broken": {}}
    start_after = f"{int((now - timedelta(days=lookback_days)).timestamp() * 1000):014d}"
    names = landing.list_dirs(f"{TABLE_PREFIX}/{ex.EXPORTS_DIR}", start_after=start_after)
    summaries, _notes = ex.list_completed_exports(landing, TABLE_PREFIX, names=names)
    problems: list[str] = []
    wanted: dict[tuple[dg.AssetKey, str], list[str]] = {}  # one run per (table, day), however many exports
    for export in summaries:
        if export.export_id in state["done"] or export.export_id in state["broken"]:
            continue
        day, target = export_partition(export), TARGETS.get(export.export_type)
        try:
            if export.problem is not None:
                raise ex.ExportError(f"export {export.export_id}: {export.problem}")
            if target is None or day is None:
                raise ex.ExportError(
                    f"export {export.export_id}: unsupported type {export.export_type} or no export time"
                )
            ex.load_files(landing, export, require_checksum_files=True)  # manifests and listings only
        except ex.ExportError as exc:
            state["broken"][export.export_id] = str(exc)
            problems.append(str(exc))
            continue
        state["done"][export.export_id] = day.isoformat()
        if day >= first_day:
            wanted.setdefault((target, day.isoformat()), []).append(export.export_id)
    requests = [
        dg.RunRequest(
            run_key=f"export:{'+'.join(sorted(ids))}",
            partition_key=day,
            asset_selection=[target],
            tags={"lake/trigger": "export_sensor", "lake/export_ids": ",".join(sorted(ids))},
        )
        for (target, day), ids in sorted(wanted.items(), key=lambda kv: (kv[0][1], kv[0][0].to_user_string()))
    ]
    keep = {k: v for k, v in state["done"].items() if k > start_after}
    broken = {k: v for k, v in state["broken"].items() if k > start_after}
    return requests, json.dumps({"done": keep, "broken": broken}, sort_keys=True), problems


def build_export_sensor(
    landing_factory: Callable[[], Landing],
    lookback_days: int,
    first_day: date,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dg.SensorDefinition:
    @dg.sensor(
        name="dynamodb_export_sensor",
        minimum_interval_seconds=120,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=list(TARGETS.values()),
        description=__doc__.splitlines()[0],
    )
    def dynamodb_export_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        requests, cursor, problems = evaluate_exports(
            landing_factory(), context.cursor, now(), lookback_days, first_day
        )
        for problem in problems:
            context.log.error(f"broken DynamoDB export skipped: {problem}")
        skip = None if requests else ("; ".join(problems) or "no newly completed exports")
        return dg.SensorResult(run_requests=requests, cursor=cursor, skip_reason=skip)

    return dynamodb_export_sensor
