"""Sensors that turn Dagster's own records into alerts: failed runs, failed blocking checks, stale assets.

Why sensors (and not hooks in the assets): they also see failures that never reach user code (a run
worker that dies, a blocking check that stops the run) and they keep a cursor, so each problem is
alerted once. The notifier is built by `notifier_factory` on every tick, so configuration is read
when the daemon evaluates the sensor, never when the code location is imported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg

from lake_assets.alerts.notifier import Alert, Notifier

CHECK_EVENTS_PER_TICK = 500
# With no cursor yet (the sensor was just turned on), older check failures are not news.
FIRST_TICK_MAX_AGE = timedelta(days=1)
ERROR_MAX_CHARS = 2000
ASSETS_LISTED_MAX = 5
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _truncate(text: str, limit: int = ERROR_MAX_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list(names: Iterable[str]) -> str | None:
    """At most a few names: an alert listing 40 assets is not read."""
    unique = sorted(set(names))
    if not unique:
        return None
    shown = ", ".join(unique[:ASSETS_LISTED_MAX])
    return shown if len(unique) <= ASSETS_LISTED_MAX else f"{shown} (+{len(unique) - ASSETS_LISTED_MAX} more)"


def root_error_message(error: Any) -> str | None:
    """The innermost cause of a SerializableErrorInfo: `ValueError: boom`, not Dagster's wrapper."""
    message = None
    while error is not None:
        message = error.message
        error = error.cause
    return message.strip() if message else None


def run_partition(tags: Mapping[str, str]) -> str | None:
    """The run's partition, or `start...end` for a ranged backfill run."""
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    return f"{start}...{end}" if start and end else None


def planned_assets_by_step(instance: dg.DagsterInstance, run_id: str) -> dict[str | None, set[dg.AssetKey]]:
    """The assets each step of a run was planned to materialize (Dagster records these when the run
    is created, so they exist even for a run that died before its first step)."""
    planned = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
    by_step: dict[str | None, set[dg.AssetKey]] = {}
    for record in planned:
        event = record.event_log_entry.dagster_event
        if event is not None and event.asset_key is not None:
            by_step.setdefault(event.step_key, set()).add(event.asset_key)
    return by_step


def touches_lake_assets(
    run: dg.DagsterRun,
    planned: Mapping[str | None, set[dg.AssetKey]],
    repository: dg.RepositoryDefinition | None,
) -> bool:
    """Whether a run selected, planned or checked any asset of `repository`.

    Why by asset key and not by code location: the sensor watches every location, because a run
    started with `dagster asset materialize -m lake_assets.definitions` records no (or another)
    location origin than the daemon's; the lake's asset keys are what both share. Without a
    repository to compare with (a hand-built test context) the run counts as ours: an alert too
    many beats a failure nobody hears of."""
    if repository is None:
        return True
    ours = set(repository.assets_defs_by_key)
    touched = set(run.asset_selection or ())
    touched.update(check.asset_key for check in run.asset_check_selection or ())
    for keys in planned.values():
        touched.update(keys)
    return not ours.isdisjoint(touched)


def run_failure_alert(
    context: dg.RunFailureSensorContext,
    webserver_url: str,
    planned: Mapping[str | None, set[dg.AssetKey]] | None = None,
) -> Alert:
    """Alert for a failed run: which assets failed (via the run's planned materializations), which
    partition, the root error of each failed step and a link to the run."""
    run = context.dagster_run
    step_failures = context.get_step_failure_events()
    failed_steps = {event.step_key for event in step_failures if event.step_key}
    if planned is None:
        planned = planned_assets_by_step(context.instance, run.run_id)
    failed_assets = [key.to_user_string() for step in failed_steps for key in planned.get(step, ())]
    selection = [key.to_user_string() for key in run.asset_selection or ()]
    asset = _list(failed_assets) or _list(selection) or _list(failed_steps)

    parts = [context.failure_event.message or f"run {run.run_id} failed"]
    for event in step_failures:
        detail = root_error_message(getattr(event.event_specific_data, "error", None))
        if detail:
            parts.append(f"{event.step_key}: {detail}")
    return Alert(
        kind="run_failure",
        asset=asset,
        partition=run_partition(run.tags),
        error=_truncate("\n".join(parts)),
        run_id=run.run_id,
        run_url=f"{webserver_url}/runs/{run.run_id}",
        occurred_at=datetime.now(UTC),
    )


def _metadata_summary(metadata: Mapping[str, Any]) -> str:
    simple = []
    for key, value in list(metadata.items())[:5]:
        raw = getattr(value, "value", value)
        if isinstance(raw, str | int | float | bool):
            simple.append(f"{key}={raw}")
    return ", ".join(simple)


def check_failure_alert(entry: dg.EventLogEntry, webserver_url: str) -> Alert | None:
    """Alert for a failed blocking ERROR check evaluation; None for anything else (passes, WARN
    checks, non-blocking checks: those stay visible in the UI without paging anyone)."""
    event = entry.dagster_event
    evaluation = event.event_specific_data if event is not None else None
    if not isinstance(evaluation, dg.AssetCheckEvaluation):
        return None
    if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR or not evaluation.blocking:
        return None
    error = f"blocking check {evaluation.check_name!r} failed"
    if evaluation.description:
        error += f": {evaluation.description}"
    details = _metadata_summary(evaluation.metadata)
    if details:
        error += f" ({details})"
    run_id = entry.run_id or None  # runless evaluations (reported from outside a run) have ""
    return Alert(
        kind="check_failure",
        asset=evaluation.asset_key.to_user_string(),
        partition=evaluation.partition,
        error=_truncate(error),
        run_id=run_id,
        run_url=f"{webserver_url}/runs/{run_id}" if run_id else None,
        occurred_at=datetime.fromtimestamp(entry.timestamp, UTC),
        check_name=evaluation.check_name,
    )


def newly_failed(previous: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """Assets whose freshness state is FAIL now and was not FAIL at the last tick (sorted)."""
    return sorted(key for key, state in current.items() if state == "FAIL" and previous.get(key) != "FAIL")


def _send(context: dg.SensorEvaluationContext | dg.RunFailureSensorContext, notifier: Notifier, alert: Alert) -> int:
    """Notify; log failed targets on the tick (names only, never secrets). Returns the failure count."""
    failures = [(name, error) for name, error in notifier.notify(alert) if error is not None]
    for name, error in failures:
        context.log.warning(f"{alert.kind} alert not delivered to {name}: {type(error).__name__}")
    return len(failures)


def build_alert_sensors(notifier_factory: Callable[[], Notifier], webserver_url: str) -> list[dg.SensorDefinition]:
    """The three alert sensors, all RUNNING by default so alerting needs no click in the UI."""
    base_url = webserver_url.rstrip("/")

    @dg.run_failure_sensor(
        name="lake_run_failure_alerts",
        # All locations: a CLI-started run (`dagster asset materialize -m …`) has another origin than
        # the daemon's location; `touches_lake_assets` keeps other locations' runs out.
        monitor_all_code_locations=True,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts (file, Slack, SNS) when a run touching this lake's assets fails, whoever started it.",
    )
    def lake_run_failure_alerts(context: dg.RunFailureSensorContext) -> None:
        run = context.dagster_run
        planned = planned_assets_by_step(context.instance, run.run_id)
        if not touches_lake_assets(run, planned, context.repository_def):
            context.log.debug(f"run {run.run_id} ({run.job_name}) touches none of this lake's assets: no alert")
            return
        _send(context, notifier_factory(), run_failure_alert(context, base_url, planned))

    @dg.sensor(
        name="lake_check_failure_alerts",
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts on failed blocking ERROR asset checks (instance-wide), once per evaluation.",
    )
    def lake_check_failure_alerts(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        after = int(context.cursor) if context.cursor else -1
        try:
            # The cross-run event log by storage id: what Dagster's own run-retry daemon reads. On the
            # default run-sharded SQLite storage, check evaluations are mirrored into the index shard,
            # so this works there too (EventRecordsFilter + get_event_records is deprecated, and on
            # run-sharded SQLite it rejects an integer cursor).
            entries = context.instance.event_log_storage.get_logs_for_all_runs_by_log_id(
                after_cursor=after,
                dagster_event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION,
                limit=CHECK_EVENTS_PER_TICK,
            )
        except NotImplementedError:
            return dg.SensorResult(
                skip_reason="this event log storage cannot be read across runs", cursor=context.cursor
            )
        if not entries:
            return dg.SensorResult(skip_reason="no new asset check evaluations", cursor=context.cursor)
        oldest = datetime.now(UTC) - FIRST_TICK_MAX_AGE if context.cursor is None else None
        alerts = [
            alert
            for _, entry in sorted(entries.items())
            if (alert := check_failure_alert(entry, base_url)) is not None
            and (oldest is None or alert.occurred_at >= oldest)
        ]
        cursor = str(max(entries))
        if not alerts:
            return dg.SensorResult(
                skip_reason=f"{len(entries)} new evaluations, none a failed blocking check", cursor=cursor
            )
        notifier = notifier_factory()
        failed = sum(_send(context, notifier, alert) for alert in alerts)
        context.log.info(f"sent {len(alerts)} check failure alerts ({failed} target deliveries failed)")
        return dg.SensorResult(cursor=cursor)

    @dg.sensor(
        name="lake_freshness_alerts",
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts when an asset's freshness state turns FAIL (once per transition).",
    )
    def lake_freshness_alerts(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        repository = context.repository_def
        if repository is None:
            return dg.SensorResult(skip_reason="no repository to read asset keys from", cursor=context.cursor)
        previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        keys = list(repository.assets_defs_by_key)
        records = context.instance.get_freshness_state_records(keys) if keys else {}
        # Freshness states are a str enum (PASS/WARN/FAIL/UNKNOWN/NOT_APPLICABLE); store the plain value.
        current = {key.to_user_string(): str(record.freshness_state.value) for key, record in records.items()}
        cursor = json.dumps(current, sort_keys=True)
        names = newly_failed(previous, current)
        if not names:
            return dg.SensorResult(skip_reason="no asset newly failed its freshness policy", cursor=cursor)
        notifier = notifier_factory()
        by_name = {key.to_user_string(): record for key, record in records.items()}
        for name in names:
            record = by_name[name]
            was = previous.get(name, "unknown")
            alert = Alert(
                kind="freshness",
                asset=name,
                partition=None,
                error=f"freshness policy failed (state FAIL, was {was})",
                run_id=None,
                run_url=f"{base_url}/assets/{name}",
                occurred_at=record.updated_at,
            )
            _send(context, notifier, alert)
        return dg.SensorResult(cursor=cursor)

    return [lake_run_failure_alerts, lake_check_failure_alerts, lake_freshness_alerts]
