"""After `lake-demo`, the sensors start from what it built: `make dev` launches nothing already done.

The e2e test runs the real demo (one small day) in a temporary instance, then evaluates each sensor
the way the daemon does, from the cursor stored in the instance; without the stored cursor the same
evaluation requests the demo's days again (the bug this guards against).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tomllib
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType

from lake_assets.automation import cursors
from lake_assets.cli import demo
from lake_assets.core.settings import REPO_ROOT, LakeSettings
from lake_assets.definitions import build_definitions

TODAY = datetime.now(UTC).date()
DAY = TODAY - timedelta(days=1)  # `lake-demo --days 1`: yesterday, plus today's late arrivals


def test_location_name_is_the_code_location_dg_dev_serves():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["dg"]["project"]
    assert (
        project["code_location_name"],
        project["code_location_target_module"],
    ) == (cursors.LOCATION_NAME, cursors.CODE_LOCATION_MODULE)


def test_a_stored_cursor_keeps_the_sensor_running_by_default_and_a_stop_from_the_ui():
    sensor = build_definitions(LakeSettings()).resolve_sensor_def(cursors.LANDING_SENSOR)
    with dg.instance_for_test() as instance:
        cursors.store_cursor(instance, sensor, '{"a": 1}')
        (state,) = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        assert (state.name, state.status, cursors.stored_cursor(instance, sensor.name)) == (
            cursors.LANDING_SENSOR,
            InstigatorStatus.DECLARED_IN_CODE,  # `dagster sensor cursor --set` would store STOPPED
            '{"a": 1}',
        )
        instance.update_instigator_state(state.with_status(InstigatorStatus.STOPPED))
        cursors.store_cursor(instance, sensor, '{"b": 2}')
        (state,) = instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
        assert (state.status, cursors.stored_cursor(instance, sensor.name)) == (InstigatorStatus.STOPPED, '{"b": 2}')


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, spark):
    """`lake-demo --days 1` in a temporary instance and lake; yields (instance, defs, stdout)."""
    root = tmp_path_factory.mktemp("demo")
    env = {
        "DAGSTER_HOME": str(root / "home"),
        "LAKE_ROOT_URI": str(root / "lake"),
        "LAKE_LANDING_URI": str(root / "landing"),
        "LAKE_ALERTS_FILE": str(root / "alerts.jsonl"),
        "LAKE_PARTITION_START": (TODAY - timedelta(days=30)).isoformat(),
    }
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        mp.delenv("LAKE_ENGINE", raising=False)
        with contextlib.redirect_stdout(out):
            code = demo.main(["--days", "1", "--requests-per-day", "200"])
        assert code == 0, out.getvalue()
        settings = LakeSettings.from_env()
        with dg.DagsterInstance.get() as instance:
            yield instance, build_definitions(settings), out.getvalue()


def evaluate(defs: dg.Definitions, instance: dg.DagsterInstance, name: str, cursor: str | None) -> list[str]:
    """The partitions a tick of sensor `name` requests, starting from `cursor`."""
    result = defs.resolve_sensor_def(name)(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))
    return sorted(str(r.partition_key) for r in result.run_requests)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("sensor", "without_cursor"),
    [
        (cursors.LANDING_SENSOR, [DAY.isoformat(), TODAY.isoformat()]),
        (cursors.EXPORT_SENSOR, [DAY.isoformat()]),
    ],
)
def test_sensors_request_nothing_the_demo_built(demo_run, sensor, without_cursor):
    instance, defs, _ = demo_run
    stored = cursors.stored_cursor(instance, sensor)
    assert stored is not None and json.loads(stored)
    assert evaluate(defs, instance, sensor, stored) == []
    assert evaluate(defs, instance, sensor, None) == without_cursor  # what `make dev` used to queue


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore::dagster.BetaWarning")  # raised inside Dagster's own evaluator
def test_declarative_automation_requests_nothing_after_the_demo(demo_run):
    instance, defs, _ = demo_run
    result = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert result.total_requested == 0


@pytest.mark.e2e
def test_demo_prints_its_plan_first_then_a_line_per_run_and_step(demo_run):
    instance, _, out = demo_run
    lines = out.splitlines()
    assert lines[0].startswith(f"lake-demo: 1 day(s), {DAY} … {DAY}: sample landing data (200 API requests/day)")
    assert "then 3 runs on local Spark (bronze ×2, then silver+gold ×1)" in lines[0]
    runs = [line for line in lines if line.startswith("[")]
    heads = [f"[1/3] bronze {DAY}", f"[2/3] bronze {TODAY}", f"[3/3] silver+gold {DAY}"]
    assert [line.split(":")[0] for line in runs] == [h for h in heads for _ in (0, 1)]  # start and end
    assert runs[1].endswith(f"; next: bronze {TODAY}") and runs[5].endswith("; next: summary")
    # Every step's end line gives the rows it wrote: the same numbers the instance recorded.
    written = dict(
        re.findall(rf"      bronze_api_requests ({DAY}|{TODAY}): wrote bronze/api_requests ([\d,]+) rows", out)
    )
    assert set(written) == {DAY.isoformat(), TODAY.isoformat()}
    for day, rows in written.items():
        (record,) = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["bronze", "api_requests"]), asset_partitions=[day]), limit=1
        ).records
        assert int(rows.replace(",", "")) == record.asset_materialization.metadata["dagster/row_count"].value
    assert f"      silver_api_requests {DAY}: started; reads bronze/api_requests D…D+1" in out
