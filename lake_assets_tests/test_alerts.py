"""The three alert sensors evaluated against a real (temporary) Dagster instance, including runs started
from the CLI in another process (the notifier and its targets are in test_alert_targets.py)."""

import json
import os
import subprocess
import sys
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from lake_assets.alerts.notifier import JsonLinesTarget, Notifier
from lake_assets.alerts.sensors import build_alert_sensors, newly_failed, root_error_message, run_partition
from lake_assets.core.settings import LakeSettings
from lake_assets.definitions import build_definitions

WEB = "http://dagster.example:3000"
WHEN = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)


# --- the sensors ------------------------------------------------------------------------------------------

DAILY = dg.DailyPartitionsDefinition(start_date="2026-11-01", timezone="UTC")


@dg.asset(key=["silver", "boom"], partitions_def=DAILY)
def boom():
    raise ValueError("kaboom")


@dg.asset(
    key=["silver", "checked"],
    check_specs=[
        dg.AssetCheckSpec("quality", asset=["silver", "checked"], blocking=True),
        dg.AssetCheckSpec("soft", asset=["silver", "checked"], blocking=True),
        dg.AssetCheckSpec("advisory", asset=["silver", "checked"]),
    ],
)
def checked():
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name="quality", passed=False, description="3 unknown users", metadata={"failed_rows": 3}
    )
    yield dg.AssetCheckResult(check_name="soft", passed=False, severity=dg.AssetCheckSeverity.WARN)
    yield dg.AssetCheckResult(check_name="advisory", passed=False)  # not blocking: no alert


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def sensors_writing_to(path):
    return {s.name: s for s in build_alert_sensors(lambda: Notifier([JsonLinesTarget(path)]), WEB + "/")}


def read_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_run_failure_sensor_alerts_with_asset_partition_error_and_link(instance, tmp_path):
    path = tmp_path / "alerts.jsonl"
    sensor = sensors_writing_to(path)["lake_run_failure_alerts"]
    result = dg.materialize([boom], partition_key="2026-11-20", instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    sensor(context)
    (alert,) = read_lines(path)
    run_id = result.dagster_run.run_id
    assert alert["kind"] == "run_failure" and alert["asset"] == "silver/boom"
    assert alert["partition"] == "2026-11-20" and alert["run_id"] == run_id
    assert "silver__boom: ValueError: kaboom" in alert["error"] and "failed" in alert["error"].splitlines()[0]
    assert alert["run_url"] == f"{WEB}/runs/{run_id}"


def test_check_failure_sensor_alerts_once_per_failed_blocking_error_check(instance, tmp_path):
    path = tmp_path / "alerts.jsonl"
    sensor = sensors_writing_to(path)["lake_check_failure_alerts"]
    first = dg.materialize([checked], instance=instance, raise_on_error=False)
    assert not first.success  # the blocking ERROR check stops the run

    result = sensor(dg.build_sensor_context(instance=instance, cursor=None))
    (alert,) = read_lines(path)
    assert alert["kind"] == "check_failure" and alert["asset"] == "silver/checked"
    assert alert["check_name"] == "quality" and alert["partition"] is None
    assert "3 unknown users" in alert["error"] and "failed_rows=3" in alert["error"]
    assert alert["run_url"] == f"{WEB}/runs/{first.dagster_run.run_id}"
    assert result.cursor is not None

    again = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
    assert again.skip_reason is not None and len(read_lines(path)) == 1  # no duplicate
    assert again.cursor == result.cursor

    second = dg.materialize([checked], instance=instance, raise_on_error=False)
    later = sensor(dg.build_sensor_context(instance=instance, cursor=again.cursor))
    assert int(later.cursor) > int(result.cursor)
    assert [a["run_id"] for a in read_lines(path)] == [first.dagster_run.run_id, second.dagster_run.run_id]


def test_freshness_transitions():
    assert newly_failed({}, {"a": "FAIL", "b": "PASS"}) == ["a"]
    assert newly_failed({"a": "FAIL"}, {"a": "FAIL"}) == []
    assert newly_failed({"a": "WARN", "b": "FAIL"}, {"a": "FAIL", "b": "PASS"}) == ["a"]
    assert newly_failed({"a": "FAIL"}, {"a": "PASS"}) == []


def test_freshness_sensor_alerts_on_transition_only(instance, tmp_path):
    from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange  # what the daemon writes

    path = tmp_path / "alerts.jsonl"
    sensor = sensors_writing_to(path)["lake_freshness_alerts"]
    defs = dg.Definitions(assets=[boom, checked], sensors=[sensor])
    quiet = sensor(dg.build_sensor_context(instance=instance, cursor=None, definitions=defs))
    assert quiet.skip_reason is not None and quiet.cursor == "{}" and not path.exists()

    instance.report_runless_asset_event(
        FreshnessStateChange(
            key=dg.AssetKey(["silver", "boom"]),
            previous_state=FreshnessState.PASS,
            new_state=FreshnessState.FAIL,
            state_change_timestamp=WHEN.timestamp(),
        )
    )
    failed = sensor(dg.build_sensor_context(instance=instance, cursor=quiet.cursor, definitions=defs))
    assert json.loads(failed.cursor) == {"silver/boom": "FAIL"}
    (alert,) = read_lines(path)
    assert alert["kind"] == "freshness" and alert["asset"] == "silver/boom"
    assert alert["run_url"] == f"{WEB}/assets/silver/boom" and alert["occurred_at"] == WHEN.isoformat()
    still = sensor(dg.build_sensor_context(instance=instance, cursor=failed.cursor, definitions=defs))
    assert still.skip_reason is not None and len(read_lines(path)) == 1


def test_run_partition_reads_single_and_ranged_partition_tags():
    assert run_partition({"dagster/partition": "2026-11-20"}) == "2026-11-20"
    ranged = {"dagster/asset_partition_range_start": "a", "dagster/asset_partition_range_end": "b"}
    assert run_partition(ranged) == "a...b"
    assert run_partition({}) is None
    assert root_error_message(None) is None


def test_building_and_evaluating_sensors_emits_no_deprecation_warning(instance, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sensors = build_alert_sensors(lambda: Notifier([JsonLinesTarget(tmp_path / "a.jsonl")]), WEB)
        defs = dg.Definitions(assets=[checked], sensors=sensors)
        defs.get_repository_def()
        by_name = {s.name: s for s in sensors}
        by_name["lake_check_failure_alerts"](dg.build_sensor_context(instance=instance))
        by_name["lake_freshness_alerts"](dg.build_sensor_context(instance=instance, definitions=defs))
    assert [s.name for s in sensors] == [
        "lake_run_failure_alerts",
        "lake_check_failure_alerts",
        "lake_freshness_alerts",
    ]
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors)
    assert by_name["lake_freshness_alerts"].minimum_interval_seconds == 300
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)], [str(w.message) for w in caught]


def test_runless_check_failure_alert_has_no_run_link(instance, tmp_path):
    path = tmp_path / "alerts.jsonl"
    sensor = sensors_writing_to(path)["lake_check_failure_alerts"]
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey(["silver", "checked"]), check_name="quality", passed=False, blocking=True
        )
    )
    result = sensor(dg.build_sensor_context(instance=instance))
    (alert,) = read_lines(path)  # a runless evaluation: no run link
    assert alert["run_id"] is None and alert["run_url"] is None
    assert (datetime.now(UTC) - datetime.fromisoformat(alert["occurred_at"])) < timedelta(minutes=5)
    assert result.cursor


# --- runs started from the CLI, in another process and under another code-location origin -------------------

RUN_FAILURE_SENSOR = "lake_run_failure_alerts"
# What `dagster dev -w workspace.yaml` / `dg dev` load: the daemon evaluates the sensor in this location.
DAEMON_LOCATION = InProcessCodeLocationOrigin(
    loadable_target_origin=LoadableTargetOrigin(executable_path=sys.executable, module_name="lake_assets.definitions"),
    location_name="lake_assets",
)
# A run of one of the lake's assets (silver/api_requests), started the way the README does it, but
# failing at once: the real step would need Spark and a landing zone, and what the sensor decides on is
# the run's origin and its asset keys, both recorded by the real CLI exactly as for the real code.
LAKE_STAND_IN = """
import dagster as dg

@dg.asset(key=["silver", "api_requests"], partitions_def=dg.DailyPartitionsDefinition(start_date="2026-11-01"))
def api_requests():
    raise ValueError("cli kaboom")

defs = dg.Definitions(assets=[api_requests])
"""
# Another team's code location sharing the instance: its failures are not ours to page on.
OTHER_TEAM = """
import dagster as dg

@dg.asset(key=["other_team", "orders"])
def orders():
    raise ValueError("not ours")

defs = dg.Definitions(assets=[orders])
"""


def evaluate_like_the_daemon(repo: dg.RepositoryDefinition, instance, cursor) -> SensorExecutionData:
    """One tick as the code server runs it (`dagster._grpc.impl.get_external_sensor_execution`): the
    sensor's own location and repository on the context, so the run-status sensor's location filter applies."""
    with dg.SensorEvaluationContext(
        instance_ref=None,
        instance=instance,
        cursor=cursor,
        repository_name=repo.name,
        repository_def=repo,
        sensor_name=RUN_FAILURE_SENSOR,
        code_location_origin=DAEMON_LOCATION,
    ) as context:
        return repo.get_sensor_def(RUN_FAILURE_SENSOR).evaluate_tick(context)


def cli_materialize(home: Path, module_file: Path, *args: str) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-f", str(module_file), *args],
        env=env,
        cwd=module_file.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode != 0, "the stand-in asset must fail"
    assert "RUN_FAILURE" in done.stdout + done.stderr, done.stderr[-2000:]


@pytest.fixture(scope="module")
def cli_failures(tmp_path_factory):
    """A DAGSTER_HOME holding two failed CLI runs (ours, other team's), the lake's real repository
    with its real sensor, and the sensor cursor from a tick taken before both runs."""
    root = tmp_path_factory.mktemp("cli_runs")
    home = root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    alerts = root / "alerts.jsonl"
    repo = build_definitions(LakeSettings(alerts_file=str(alerts))).get_repository_def()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        mp.delenv("LAKE_ALERTS_FILE", raising=False)  # the notifier reads it at tick time
        instance = dg.DagsterInstance.get()
        first = evaluate_like_the_daemon(repo, instance, None)  # the first tick only sets the cursor
        assert first.cursor is not None and not alerts.exists()
        lake_module, other_module = root / "lake_cli.py", root / "other_team.py"
        lake_module.write_text(LAKE_STAND_IN)
        other_module.write_text(OTHER_TEAM)
        cli_materialize(home, lake_module, "--select", "silver/api_requests", "--partition", "2026-11-20")
        cli_materialize(home, other_module, "--select", "other_team/orders")
        runs = {
            f"{run.job_name}:{','.join(key.to_user_string() for key in run.asset_selection or ())}": run
            for run in instance.get_runs()
        }
        yield repo, instance, first.cursor, alerts, runs
        instance.dispose()


def test_run_failure_started_from_the_cli_in_another_location_alerts(cli_failures):
    repo, instance, cursor, alerts, runs = cli_failures
    ours = runs["__ASSET_JOB:silver/api_requests"]
    assert ours.remote_job_origin is None or ours.remote_job_origin.location_name != "lake_assets"
    evaluate_like_the_daemon(repo, instance, cursor)
    (alert,) = read_lines(alerts)
    assert alert["kind"] == "run_failure" and alert["asset"] == "silver/api_requests"
    assert alert["partition"] == "2026-11-20" and alert["run_id"] == ours.run_id
    assert "silver__api_requests: ValueError: cli kaboom" in alert["error"]
    assert alert["run_url"] == f"{LakeSettings().webserver_url.rstrip('/')}/runs/{ours.run_id}"


def test_run_failure_of_another_locations_assets_does_not_alert(cli_failures, tmp_path):
    repo, instance, cursor, _, runs = cli_failures
    theirs = runs["__ASSET_JOB:other_team/orders"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKE_ALERTS_FILE", str(tmp_path / "alerts.jsonl"))
        tick = evaluate_like_the_daemon(repo, instance, cursor)
    seen = {reaction.dagster_run.run_id for reaction in tick.dagster_run_reactions or () if reaction.dagster_run}
    assert theirs.run_id in seen  # the sensor did look at the other team's run, and alerted only for ours:
    assert [a["run_id"] for a in read_lines(tmp_path / "alerts.jsonl")] == [
        runs["__ASSET_JOB:silver/api_requests"].run_id
    ]
