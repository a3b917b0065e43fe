"""The code location: the one place that assembles `Definitions` and applies cross-cutting policy.

Definitions are built lazily (`@dg.definitions`), so importing this module reads no environment
variable, starts no Spark and creates no AWS client.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import dagster as dg

from lake_assets.core.settings import LakeSettings

if TYPE_CHECKING:
    from lake_assets.declare import Catalog

ALL_LAKE_ASSETS = dg.AssetSelection.groups("bronze", "silver", "gold")


def layer_policy(layer: str, upstreams: Sequence[str]) -> dict[str, Any]:
    """Cross-cutting policy per layer, applied to every asset of the layer: freshness for all,
    automation for Silver and Gold (Bronze is requested by the sensors and the schedule)."""
    from lake_assets.automation.policy import follow_upstreams
    from lake_assets.freshness.policies import POLICIES

    policy: dict[str, Any] = {"freshness_policy": POLICIES[layer]}
    if layer in ("silver", "gold"):
        policy["automation_condition"] = follow_upstreams(upstreams)
    return policy


def build_daily_schedule(daily_job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    """02:00 UTC every day: the whole graph for the previous day (the batch window). Running by
    default; pause it in the UI (Automation → lake_daily_schedule) without a code change.

    Written out rather than derived from the partitions: the partitions include today (for late
    data and sensors), so "latest partition" would be today, not the day that just closed.
    """

    @dg.schedule(
        name="lake_daily_schedule",
        cron_schedule="0 2 * * *",
        execution_timezone="UTC",
        job=daily_job,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def lake_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = (context.scheduled_execution_time - timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=f"daily:{day}", partition_key=day, tags={"lake/trigger": "daily_schedule"})

    return lake_daily_schedule


def build_sensors(settings: LakeSettings) -> list[dg.SensorDefinition]:
    """Landing and export sensors (they create their landing reader per tick, never at load)."""
    from lake_assets.alerts.notifier import notifier_from_env
    from lake_assets.alerts.sensors import build_alert_sensors
    from lake_assets.automation.dead_runs import build_dead_run_sensor
    from lake_assets.automation.export_sensor import build_export_sensor
    from lake_assets.automation.landing_sensor import build_landing_sensor
    from lake_assets.core.stores import landing_for

    def landing():
        return landing_for(settings.landing_uri, settings.s3_endpoint_url)

    def notifier():
        return notifier_from_env(os.environ, settings.alerts_file)

    # Only the embedded default runs every step in a process on this machine (see dead_runs.py).
    local_only = [build_dead_run_sensor()] if settings.engine == "local" else []
    return [
        *local_only,
        *build_alert_sensors(notifier, settings.webserver_url),
        build_landing_sensor(landing, settings.landing_lookback_days, settings.partition_start),
        build_export_sensor(landing, settings.export_lookback_days, settings.partition_start),
        dg.AutomationConditionSensorDefinition(
            "lake_automation",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
            minimum_interval_seconds=30,
            description="Evaluates Silver and Gold automation conditions.",
        ),
    ]


def build_definitions(settings: LakeSettings, catalog: Catalog | None = None) -> dg.Definitions:
    """Everything Dagster needs, for these settings and step declarations (default: `steps.CATALOG`)."""
    if catalog is None:
        from lake_assets.steps import CATALOG

        catalog = CATALOG
    from lake_assets.assets.factory import build_lake_asset, build_standalone_check
    from lake_assets.assets.landing import LANDING_SPECS
    from lake_assets.automation.policy import RETRY_POLICY
    from lake_assets.engines.select import engine_for
    from lake_assets.partitions import daily_partitions

    partitions = daily_partitions(settings.partition_start)
    lake_assets = [
        build_lake_asset(step, catalog, partitions, layer_policy, RETRY_POLICY, settings.pool) for step in catalog.steps
    ]
    checks = [build_standalone_check(item, catalog, partitions, settings.pool) for item in catalog.standalone]
    daily_job = dg.define_asset_job(
        "lake_daily",
        selection=ALL_LAKE_ASSETS,
        description="Every Bronze, Silver and Gold table for one day, in dependency order.",
    )
    return dg.Definitions(
        assets=[*LANDING_SPECS, *lake_assets],
        asset_checks=checks,
        jobs=[daily_job],
        schedules=[build_daily_schedule(daily_job)],
        sensors=build_sensors(settings),
        resources={"engine": engine_for(settings, catalog)},
        executor=executor_for(settings),
    )


def executor_for(settings: LakeSettings) -> dg.ExecutorDefinition:
    """Local Spark: one process per run, so all assets share one Spark session (one JVM start).
    Remote engines: steps only submit and wait, so independent jobs run side by side, as many
    as the engine's pool allows."""
    if settings.engine == "local":
        return dg.in_process_executor
    return dg.multiprocess_executor.configured({"max_concurrent": settings.remote.max_concurrent_jobs})


@dg.definitions
def defs() -> dg.Definitions:
    """Entry point for `dg dev`, `dg launch` and `dagster code-server start -m lake_assets.definitions`."""
    return build_definitions(LakeSettings.from_env())
