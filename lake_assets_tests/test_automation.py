"""Declarative automation and the daily schedule, evaluated against a test instance."""

import warnings
from datetime import UTC, date, datetime

import dagster as dg

from lake_assets.core.settings import LakeSettings
from lake_assets.definitions import build_definitions

SETTINGS = LakeSettings(partition_start=date(2026, 11, 1))
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def requested(result) -> set[tuple[str, str]]:
    from lake_assets.steps import TABLES

    return {(key, p) for key in TABLES for p in result.get_requested_partitions(dg.AssetKey(key.split("/")))}


def materialized(instance, key, partition):
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key.split("/"), partition=partition))


def test_silver_and_gold_follow_updates_and_wait_for_published_upstreams():
    defs = build_definitions(SETTINGS)
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=NOW)
        assert requested(first) == set()
        for day in ("2026-11-21", "2026-11-22"):
            materialized(instance, "bronze/api_requests", day)
        second = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=first.cursor, evaluation_time=NOW
        )
        got = requested(second)
        assert ("silver/api_requests", "2026-11-21") in got and ("silver/api_requests", "2026-11-22") in got
        assert ("gold/route_latency_daily", "2026-11-21") in got  # same run, after silver
        assert not any(key.startswith("silver/tasks") for key, _ in got)  # its upstreams did not change
        # Silver's run failed a blocking check: nothing was published, so nothing is "updated".
        third = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=second.cursor, evaluation_time=NOW
        )
        assert requested(third) == set()
        materialized(instance, "silver/api_requests", "2026-11-21")  # a later good run published it
        fourth = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=third.cursor, evaluation_time=NOW
        )
        assert ("gold/route_latency_daily", "2026-11-21") in requested(fourth)


def test_a_day_with_only_incremental_changes_still_triggers_silver_entities():
    defs = build_definitions(SETTINGS)
    with dg.instance_for_test() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance, evaluation_time=NOW)
        materialized(instance, "bronze/tasks_changes", "2026-11-21")  # no bronze/tasks_export for the 21st
        second = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=first.cursor, evaluation_time=NOW
        )
        assert ("silver/tasks", "2026-11-21") in requested(second)


def test_daily_schedule_runs_yesterday_at_two():
    defs = build_definitions(SETTINGS)
    schedule = defs.resolve_schedule_def("lake_daily_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    with warnings.catch_warnings(), dg.instance_for_test() as instance:
        warnings.simplefilter("ignore", DeprecationWarning)  # raised inside Dagster's schedule plumbing
        context = dg.build_schedule_context(
            instance=instance,
            repository_def=defs.get_repository_def(),
            scheduled_execution_time=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
        )
        (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-22"


def test_sensors_and_automation_run_by_default():
    defs = build_definitions(SETTINGS)
    statuses = {s.name: s.default_status for s in defs.sensors}
    assert set(statuses) >= {
        "api_logs_landing_sensor",
        "dynamodb_export_sensor",
        "lake_automation",
        "lake_run_failure_alerts",
        "lake_check_failure_alerts",
        "lake_freshness_alerts",
    }
    assert set(statuses.values()) == {dg.DefaultSensorStatus.RUNNING}


def test_retry_policy_is_exponential_with_jitter_and_quality_failures_do_not_retry():
    defs = build_definitions(SETTINGS)
    node = defs.resolve_assets_def(dg.AssetKey(["silver", "api_requests"])).node_def
    policy = node.retry_policy
    assert (policy.max_retries, policy.backoff, policy.jitter) == (2, dg.Backoff.EXPONENTIAL, dg.Jitter.PLUS_MINUS)
