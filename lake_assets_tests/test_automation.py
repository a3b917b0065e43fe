"""Declarative automation, the daily schedule and the retry policy, evaluated against a test instance."""

import dataclasses
import warnings
from datetime import UTC, date, datetime

import dagster as dg

from lake_assets.builds.report import BuildReport, CheckReport, OutputReport
from lake_assets.core.settings import LakeSettings
from lake_assets.definitions import build_definitions
from lake_assets.engines.base import StepResult

SETTINGS = LakeSettings(partition_start=date(2026, 11, 1))
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def requested(result) -> set[tuple[str, str]]:
    from lake_assets.steps import TABLES

    return {(key, p) for key in TABLES for p in result.get_requested_partitions(dg.AssetKey(key.split("/")))}


def materialized(instance, key, partition):
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key.split("/"), partition=partition))


SILVER = dg.AssetKey(["silver", "api_requests"])


class ReportingEngine:
    """An `engine` resource that runs nothing: every build returns `report` (with the asked build
    and partition), as an engine returns what a job reported; it counts the calls (attempts)."""

    def __init__(self, **report):
        self.report, self.calls = report, 0

    def run_build(self, context, build, partition):
        self.calls += 1
        return StepResult(BuildReport(build, partition, **self.report))


def blocking_check_fails() -> dict:
    """What `silver_api_requests` reports when its blocking quarantine-rate check fails: both
    outputs written but not published, the ERROR check failed."""
    outputs = [
        OutputReport(key, f"/lake/{key}/_staging/x", 10, 1, 100, published=False)
        for key in ("silver/api_requests", "silver/api_requests_quarantine")
    ]
    check = CheckReport("silver/api_requests", "quarantine_rate", passed=False, severity="ERROR", blocking=True)
    return {"outputs": outputs, "checks": [check]}


def run_silver(instance, engine, monkeypatch, day="2026-11-21") -> dg.ExecuteInProcessResult:
    """Silver API requests for one day through the production definitions (`lake_daily`, its retry
    policy included), with `engine` as the `engine` resource."""
    monkeypatch.setattr("lake_assets.engines.select.engine_for", lambda settings, catalog=None: engine)
    defs = build_definitions(SETTINGS)
    assert defs.resources["engine"] is engine
    return defs.resolve_job_def("lake_daily").execute_in_process(
        partition_key=day,
        instance=instance,
        asset_selection=[SILVER, dg.AssetKey(["silver", "api_requests_quarantine"])],
        raise_on_error=False,
    )


def test_silver_and_gold_follow_updates_and_wait_for_published_upstreams(monkeypatch):
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
        # Silver's run for the 21st fails a blocking check: the run is recorded with its failed
        # check evaluation, but nothing was published, so Silver is not "updated" for Gold.
        failed = run_silver(instance, ReportingEngine(**blocking_check_fails()), monkeypatch)
        assert not failed.success and failed.get_asset_materialization_events() == []
        assert [(e.check_name, e.passed) for e in failed.get_asset_check_evaluations()] == [("quarantine_rate", False)]
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
        "lake_dead_run_recovery",
    }
    assert set(statuses.values()) == {dg.DefaultSensorStatus.RUNNING}
    # A pid means nothing across machines: remote engines run no dead-run sensor.
    remote = build_definitions(dataclasses.replace(SETTINGS, engine="glue", lake_root_uri="s3://b/lake",
                                                   landing_uri="s3://b/landing"))  # fmt: skip
    assert "lake_dead_run_recovery" not in {s.name for s in remote.sensors}


def test_retry_policy_is_exponential_with_jitter():
    defs = build_definitions(SETTINGS)
    policy = defs.resolve_assets_def(SILVER).node_def.retry_policy
    assert (policy.max_retries, policy.backoff, policy.jitter) == (2, dg.Backoff.EXPONENTIAL, dg.Jitter.PLUS_MINUS)


def test_failed_blocking_checks_and_input_errors_are_not_retried(monkeypatch):
    """The Silver asset carries the retry policy (2 retries), yet a data failure — a failed blocking
    check, or an input the build cannot run on — ends the step at its first attempt: retrying the
    same build on the same data cannot help. (Infrastructure failures *are* retried: the parity
    suite, test_engine_parity.py, runs them on every engine with the production delays.)"""
    with dg.instance_for_test() as instance:
        for report in (blocking_check_fails(), {"input_error": "no completed FULL_EXPORT closes the day"}):
            engine = ReportingEngine(**report)
            result = run_silver(instance, engine, monkeypatch)
            events = [e.event_type_value for e in result.all_events]
            assert not result.success and engine.calls == 1, report
            assert (events.count("STEP_FAILURE"), events.count("STEP_UP_FOR_RETRY")) == (1, 0), report


class DayEngine(ReportingEngine):
    """A `ReportingEngine` whose report depends on the day: a good day publishes both outputs
    (with as many rows as its day of the month) and passes the check; `bad` days get `bad`."""

    def __init__(self, bad_days: dict[str, dict]):
        self.bad_days, self.runs = bad_days, []

    def days(self, build="silver_api_requests"):
        return [day for b, day in self.runs if b == build]

    def run_build(self, context, build, partition):
        self.runs.append((build, partition))
        rows = int(partition[-2:])
        good = {
            "outputs": [
                OutputReport(key, f"/lake/{key}/dt={partition}", rows, 1, 100, published=True) for key in SILVER_OUTPUTS
            ],
            "checks": [CheckReport("silver/api_requests", "quarantine_rate", True, "ERROR", True)],
        }
        return StepResult(BuildReport(build, partition, **self.bad_days.get(partition, good)))


SILVER_OUTPUTS = ("silver/api_requests", "silver/api_requests_quarantine")
RANGE = ["2026-11-20", "2026-11-21", "2026-11-22"]


def run_silver_range(instance, engine, monkeypatch) -> dg.ExecuteInProcessResult:
    """Silver API requests for RANGE in one run, as a single-run backfill launches it."""
    monkeypatch.setattr("lake_assets.engines.select.engine_for", lambda settings, catalog=None: engine)
    tags = {"dagster/asset_partition_range_start": RANGE[0], "dagster/asset_partition_range_end": RANGE[-1]}
    return (
        build_definitions(SETTINGS)
        .resolve_job_def("lake_daily")
        .execute_in_process(
            tags=tags,
            instance=instance,
            asset_selection=[dg.AssetKey(k.split("/")) for k in SILVER_OUTPUTS],
            raise_on_error=False,
        )
    )


def test_a_ranged_run_records_each_day_with_its_own_metadata_and_checks(monkeypatch):
    """A single-run backfill: one materialization per table per day, with that day's row count,
    then one check evaluation per day (after the day's materialization, as in a one-day run)."""
    with dg.instance_for_test() as instance:
        engine = DayEngine({})
        result = run_silver_range(instance, engine, monkeypatch)
        assert result.success and engine.days() == RANGE
        got = sorted(
            ("/".join(e.materialization.asset_key.path), e.materialization.partition, e.materialization.metadata)
            for e in result.get_asset_materialization_events()
        )
        assert [(t, p, m["dagster/row_count"].value) for t, p, m in got] == [
            (t, p, int(p[-2:])) for t in SILVER_OUTPUTS for p in RANGE
        ]
        assert all(m["location"].value == f"/lake/{t}/dt={p}" for t, p, m in got)
        kinds = [
            (e.event_type_value, e.partition or getattr(e.event_specific_data, "partition", None))
            for e in result.all_events
        ]
        first_check = kinds.index(("ASSET_CHECK_EVALUATION", RANGE[0]))
        assert all(kind != "ASSET_MATERIALIZATION" for kind, _ in kinds[first_check:])
        evaluations = [(e.check_name, e.partition, e.passed) for e in result.get_asset_check_evaluations()]
        assert [(p, ok) for name, p, ok in evaluations if name == "quarantine_rate"] == [(p, True) for p in RANGE]
        # The standalone check runs once per day too; this engine never reports it: failed, per day.
        assert engine.days("check_unknown_users") == RANGE
        assert [(p, ok) for name, p, ok in evaluations if name == "unknown_users"] == [(p, False) for p in RANGE]
        status = instance.get_materialized_partitions(SILVER)
        assert status == set(RANGE)


def test_a_failed_day_of_a_ranged_run_is_named_and_the_others_are_published(monkeypatch):
    with dg.instance_for_test() as instance:
        engine = DayEngine({"2026-11-21": blocking_check_fails()})
        result = run_silver_range(instance, engine, monkeypatch)
        assert not result.success and engine.days() == RANGE  # every day ran once: no retry
        events = [e.event_type_value for e in result.all_events]
        assert (events.count("STEP_FAILURE"), events.count("STEP_UP_FOR_RETRY")) == (1, 0)
        (failure,) = result.get_step_failure_events()
        description = failure.step_failure_data.user_failure_data.description
        assert description.startswith("1 of 3 days failed (2026-11-21)")
        assert "silver/api_requests:quarantine_rate" in description
        assert instance.get_materialized_partitions(SILVER) == {"2026-11-20", "2026-11-22"}
        assert engine.days("check_unknown_users") == []  # its step waits on the failed one
        assert sorted((e.partition, e.passed) for e in result.get_asset_check_evaluations()) == [
            ("2026-11-20", True),
            ("2026-11-21", False),
            ("2026-11-22", True),
        ]


def test_a_subset_of_a_multi_table_step_records_every_table_it_published(monkeypatch):
    """Selecting one table of a two-table step still builds (and publishes) both: the unselected
    one is recorded too, with its metadata, instead of failing the step or going unrecorded."""
    monkeypatch.setattr("lake_assets.engines.select.engine_for", lambda settings, catalog=None: DayEngine({}))
    with dg.instance_for_test() as instance:
        result = (
            build_definitions(SETTINGS)
            .resolve_job_def("lake_daily")
            .execute_in_process(partition_key="2026-11-21", instance=instance, asset_selection=[SILVER])
        )
        assert result.success
        got = {
            ("/".join(e.materialization.asset_key.path), e.materialization.partition): e.materialization.metadata
            for e in result.get_asset_materialization_events()
        }
        assert set(got) == {(t, "2026-11-21") for t in SILVER_OUTPUTS}
        assert all(m["dagster/row_count"].value == 21 for m in got.values())
        quarantine = dg.AssetKey(["silver", "api_requests_quarantine"])
        assert instance.get_materialized_partitions(quarantine) == {"2026-11-21"}
