"""An empty day is visible as empty (issue #14): before the first landing nothing is expected and
Bronze skips; an expected day without data fails `no_data` (or publishes with a warning when the
setting says so); Silver and Gold never build healthy-looking empty tables from a missing day."""

from __future__ import annotations

import gzip
import json
import re
from datetime import date
from pathlib import Path

import pytest

from lake_assets.builds.base import BuildInputError
from lake_assets.builds.bronze import bronze_api_requests, bronze_tasks_export, first_landing_day
from lake_assets.builds.gold import gold_route_latency_daily, gold_user_activity_daily
from lake_assets.builds.report import report_of
from lake_assets.builds.silver import silver_api_requests, silver_entities
from lake_assets.core.landing import LocalLanding
from lake_assets.core.settings import LakeSettings, SettingsError
from lake_assets.execute import build_context
from lake_assets_tests.landing_builders import write_export

FIRST, EMPTY, BEFORE = date(2026, 11, 20), date(2026, 11, 22), date(2026, 11, 18)
KEY = "k" * 32


def land(root: Path, day: date) -> None:
    folder = root / f"api_logs/{day:%Y/%m/%d}/10"
    folder.mkdir(parents=True)
    line = json.dumps({"requestId": "r1", "requestTimeEpoch": "1795255200", "status": "200", "routeKey": "GET /x"})
    (folder / "stream-1.gz").write_bytes(gzip.compress(line.encode() + b"\n", mtime=0))


def settings(tmp_path: Path, **changes) -> LakeSettings:
    return LakeSettings(
        lake_root_uri=str(tmp_path / "lake"), landing_uri=str(tmp_path / "landing"), pii_hash_key=KEY, **changes
    )


def test_the_first_landing_day_is_the_earliest_day_folder(tmp_path):
    landing = tmp_path / "landing"
    assert first_landing_day(LocalLanding(str(landing))) is None
    land(landing, date(2026, 11, 21))
    land(landing, FIRST)
    (landing / "api_logs/2026/11/notes").mkdir()  # not a day folder: ignored
    assert first_landing_day(LocalLanding(str(landing))) == FIRST


def test_a_day_before_the_first_landing_is_skipped_not_failed(tmp_path, spark):
    land(tmp_path / "landing", FIRST)
    result = bronze_api_requests(build_context(settings(tmp_path), BEFORE))
    assert (result.outputs, result.checks) == ([], [])
    assert result.skipped == "no data expected: 2026-11-18 is before the first landing day (2026-11-20)"


def test_an_expected_day_without_data_fails_no_data_and_publishes_nothing(tmp_path, spark):
    land(tmp_path / "landing", FIRST)
    result = bronze_api_requests(build_context(settings(tmp_path), EMPTY))
    (no_data,) = [c for c in result.checks if c.name == "no_data"]
    assert (no_data.passed, no_data.severity) == (False, "ERROR")
    assert no_data.description == (
        "no landing objects arrived for 2026-11-22 under api_logs/2026/11/22/ although data has landed since "
        "2026-11-20: an empty day, not a healthy one"
    )
    assert [c.name for c in result.blocking_failures] == ["no_data"]
    assert [(o.rows, o.published) for o in result.outputs] == [(0, False)]
    assert not (tmp_path / "lake/bronze/api_requests/dt=2026-11-22").exists()
    (reported,) = [c for c in report_of("bronze_api_requests", "2026-11-22", result).checks if c.name == "no_data"]
    assert (reported.severity, reported.blocking, reported.passed) == ("ERROR", True, False)


def test_with_warn_the_empty_day_is_published_with_a_failing_warning(tmp_path, spark):
    land(tmp_path / "landing", FIRST)
    ctx = build_context(settings(tmp_path, empty_day_severity="WARN"), EMPTY)
    result = bronze_api_requests(ctx)
    (no_data,) = [c for c in result.checks if c.name == "no_data"]
    assert (no_data.passed, no_data.severity) == (False, "WARN")
    assert result.blocking_failures == []
    assert [(o.rows, o.published) for o in result.outputs] == [(0, True)]
    (reported,) = [c for c in report_of("bronze_api_requests", "2026-11-22", result).checks if c.name == "no_data"]
    assert (reported.severity, reported.passed) == ("WARN", False)
    # The user asked for empty days: Silver builds from the published empty Bronze.
    assert all(o.published for o in silver_api_requests(ctx).outputs)


def test_a_day_with_data_passes_no_data(tmp_path, spark):
    land(tmp_path / "landing", FIRST)
    result = bronze_api_requests(build_context(settings(tmp_path), FIRST))
    (no_data,) = [c for c in result.checks if c.name == "no_data"]
    assert no_data.passed and no_data.metadata["landing_objects"] == 1
    assert [(o.rows, o.published) for o in result.outputs] == [(1, True)]


def test_silver_and_gold_refuse_to_build_from_a_missing_day(tmp_path, spark):
    ctx = build_context(settings(tmp_path), EMPTY)
    expected = (
        "bronze/api_requests dt=2026-11-22 is not published (no data arrived for the day, or its run failed), so this "
        "step does not build an empty table from it. Materialize bronze/api_requests for 2026-11-22 first; "
        "LAKE_EMPTY_DAY_SEVERITY=WARN publishes empty days on purpose."
    )
    with pytest.raises(BuildInputError) as caught:
        silver_api_requests(ctx)
    assert str(caught.value) == expected
    with pytest.raises(BuildInputError, match=r"^silver/api_requests dt=2026-11-22 is not published"):
        gold_route_latency_daily(ctx)
    with pytest.raises(BuildInputError, match=r"^silver/api_requests, silver/tasks dt=2026-11-22 is not published"):
        gold_user_activity_daily(ctx)
    assert not (tmp_path / "lake/silver").exists() and not (tmp_path / "lake/gold").exists()


def test_days_before_the_first_export_and_snapshot_are_skipped(tmp_path, spark):
    write_export(tmp_path / "landing", "e1", "2026-11-21T00:00:00.000Z", items=2)  # closes the 20th
    ctx = build_context(settings(tmp_path), FIRST)
    assert bronze_tasks_export(ctx).outputs[0].published
    before = build_context(settings(tmp_path), BEFORE)
    result = bronze_tasks_export(before)
    assert result.skipped == "no export expected: 2026-11-18 is before the first export (2026-11-21 00:00 UTC)"
    assert silver_entities(before).skipped == "no data expected: 2026-11-18 is before the first bronze/tasks_export " \
        "snapshot (2026-11-20)"  # fmt: skip


def test_the_severity_setting_is_checked():
    assert LakeSettings.from_env({"LAKE_EMPTY_DAY_SEVERITY": "warn"}).empty_day_severity == "WARN"
    with pytest.raises(SettingsError, match=re.escape("LAKE_EMPTY_DAY_SEVERITY='LOUD' is not ERROR or WARN")):
        LakeSettings.from_env({"LAKE_EMPTY_DAY_SEVERITY": "loud"})


@pytest.mark.e2e  # the whole graph through Dagster: about a minute
def test_the_whole_graph_for_a_day_before_any_data_materializes_nothing_and_fails_nothing(tmp_path, spark):
    import dagster as dg

    from lake_assets.definitions import build_definitions

    land(tmp_path / "landing", FIRST)
    write_export(tmp_path / "landing", "e1", "2026-11-21T00:00:00.000Z", items=2)
    defs = build_definitions(settings(tmp_path, partition_start=date(2026, 11, 1)))
    result = defs.resolve_job_def("lake_daily").execute_in_process(
        partition_key=BEFORE.isoformat(), instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert result.success
    assert result.get_asset_materialization_events() == []
    assert not (tmp_path / "lake").exists() or not any((tmp_path / "lake").rglob("dt=2026-11-18"))
