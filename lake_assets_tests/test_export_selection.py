"""Export selection cannot go backwards (issue #15): a completed export whose summary is unreadable
is an error for every day it could belong to, never a reason to fall back to an older export; and a
published partition is never replaced by an older export unless the run says so."""

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from lake_assets.automation.export_sensor import evaluate_exports
from lake_assets.builds.base import BuildContext, BuildInputError
from lake_assets.builds.bronze import bronze_tasks_changes, bronze_tasks_export
from lake_assets.core.lake import LocalLake
from lake_assets.core.landing import LocalLanding
from lake_assets.core.settings import ALLOW_OLDER_EXPORT_TAG, LakeSettings
from lake_assets.parsing import exports as ex
from lake_assets.steps import CATALOG
from lake_assets_tests.landing_builders import EXPORTS_PREFIX, write_export

DAY = date(2026, 11, 21)
# Export ids as AWS makes them: the epoch milliseconds of the request, then a random suffix.
AD_HOC = "01795255200000-aaaa0001"  # requested 2026-11-21T10:00Z, an ad-hoc export of the 21st
NIGHTLY = "01795305600000-bbbb0002"  # requested 2026-11-22T00:00Z, the export that closes the 21st
NEXT = "01795392000000-cccc0003"  # requested 2026-11-23T00:00Z, closes the 22nd


def summary_path(root: Path, export_id: str) -> Path:
    return root / EXPORTS_PREFIX / "AWSDynamoDB" / export_id / "manifest-summary.json"


def context(tmp_path: Path, spark=None, day: date = DAY, settings: LakeSettings | None = None) -> BuildContext:
    return BuildContext(
        spark=spark,
        lake=LocalLake(str(tmp_path / "lake")),
        landing=LocalLanding(str(tmp_path / "landing")),
        day=day,
        catalog=CATALOG,
        settings=settings or LakeSettings(),
    )


def test_an_unreadable_summary_beside_an_older_export_is_an_error_for_its_day(tmp_path):
    root = tmp_path / "landing"
    write_export(root, AD_HOC, "2026-11-21T10:00:00.000Z", items=2)
    write_export(root, NIGHTLY, "2026-11-22T00:00:00.000Z", items=3)
    summary_path(root, NIGHTLY).write_text('{"exportType": "FULL_EXPORT", "itemCount": 3, "exportTi')  # cut short
    expected = (
        "completed export(s) that may belong to 2026-11-21 cannot be read: 01795305600000-bbbb0002 (requested "
        "2026-11-22T00:00Z): manifest-summary.json is unreadable (Unterminated string starting at: line 1 column "
        "47 (char 46)). 2026-11-21 is not built from another export, which could be older than the one AWS "
        "delivered. Repair the summary, or move the broken export folder out of the landing zone and re-export "
        "the table."
    )
    with pytest.raises(BuildInputError) as caught:
        bronze_tasks_export(context(tmp_path))
    assert str(caught.value) == expected
    # The incremental job of the same day refuses too: the broken export could be an incremental one.
    with pytest.raises(BuildInputError, match=re.escape(expected)):
        bronze_tasks_changes(context(tmp_path))


def test_a_broken_export_blocks_only_the_days_it_could_belong_to(tmp_path):
    root = tmp_path / "landing"
    write_export(root, NIGHTLY, "2026-11-22T00:00:00.000Z")
    write_export(root, NEXT, "2026-11-23T00:00:00.000Z")
    summary_path(root, NIGHTLY).write_bytes(b"\xff\xfe not utf-8")
    exports, _ = ex.list_completed_exports(LocalLanding(str(root)), EXPORTS_PREFIX)
    # Requested at 2026-11-22T00:00Z: its exportTime is at most that, and at most 35 days earlier.
    with pytest.raises(ex.ExportError, match="may belong to 2026-11-21"):
        ex.choose_full_export(exports, date(2026, 11, 21))
    with pytest.raises(ex.ExportError, match="may belong to 2026-10-18"):
        ex.choose_full_export(exports, date(2026, 10, 18))
    assert ex.choose_full_export(exports, date(2026, 10, 16)) is None
    assert ex.choose_full_export(exports, date(2026, 11, 22)).export_id == NEXT  # the next day is unaffected
    # An id without a request time could belong to any day.
    shutil.move(root / EXPORTS_PREFIX / "AWSDynamoDB" / NIGHTLY, root / EXPORTS_PREFIX / "AWSDynamoDB" / "e-manual")
    exports, _ = ex.list_completed_exports(LocalLanding(str(root)), EXPORTS_PREFIX)
    with pytest.raises(ex.ExportError, match=r"e-manual: manifest-summary.json is unreadable \(Expecting value"):
        ex.choose_full_export(exports, date(2026, 11, 22))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"exportTime": None}, "manifest-summary.json has no usable exportTime (None)"),
        ({"exportTime": "yesterday"}, "manifest-summary.json has no usable exportTime ('yesterday')"),
        ({"exportType": "SNAPSHOT"}, "manifest-summary.json has exportType 'SNAPSHOT', not one of"),
        ({"manifestFilesS3Key": "../../x.json"}, "unusable manifestFilesS3Key ('../../x.json' does not resolve"),
    ],
)
def test_a_summary_that_cannot_place_the_export_on_a_day_is_broken(tmp_path, changes, problem):
    root = tmp_path / "landing"
    write_export(root, AD_HOC, "2026-11-21T10:00:00.000Z")
    write_export(root, NIGHTLY, "2026-11-22T00:00:00.000Z")
    path = summary_path(root, NIGHTLY)
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))
    exports, _ = ex.list_completed_exports(LocalLanding(str(root)), EXPORTS_PREFIX)
    (broken,) = [e for e in exports if e.problem]
    assert broken.export_id == NIGHTLY
    assert broken.problem.startswith(problem)
    with pytest.raises(ex.ExportError, match=re.escape(problem)):
        ex.choose_full_export(exports, DAY)


def test_the_export_sensor_reports_a_broken_summary_once_with_its_reason(tmp_path):
    from datetime import UTC, datetime

    root = tmp_path / "landing"
    write_export(root, NIGHTLY, "2026-11-22T00:00:00.000Z")
    summary_path(root, NIGHTLY).write_text("[]")
    now = datetime(2026, 11, 22, 1, tzinfo=UTC)
    requests, cursor, problems = evaluate_exports(LocalLanding(str(root)), None, now, 7, date(2026, 11, 1))
    assert requests == []
    assert problems == [f"export {NIGHTLY}: manifest-summary.json is unreadable (not a JSON object)"]
    assert evaluate_exports(LocalLanding(str(root)), cursor, now, 7, date(2026, 11, 1))[2] == []


def test_a_partition_is_never_replaced_by_an_older_export_unless_the_run_allows_it(tmp_path, spark):
    root = tmp_path / "landing"
    write_export(root, NIGHTLY, "2026-11-22T00:00:00.000Z", items=3)
    result = bronze_tasks_export(context(tmp_path, spark))
    assert [(o.table.key, o.rows, o.published) for o in result.outputs] == [("bronze/tasks_export", 3, True)]

    # The nightly export disappears from the landing zone; an earlier ad-hoc export of the day remains.
    shutil.rmtree(root / EXPORTS_PREFIX / "AWSDynamoDB" / NIGHTLY)
    write_export(root, AD_HOC, "2026-11-21T10:00:00.000Z", items=2)
    expected = (
        f"export {AD_HOC} (exportTime 2026-11-21T10:00:00Z) is older than export {NIGHTLY} "
        "(2026-11-22T00:00:00Z) that bronze/tasks_export dt=2026-11-21 already holds: the published partition is "
        "kept. To replace it with the older export on purpose, launch the run with the tag "
        "lake/allow_older_export=true."
    )
    with pytest.raises(BuildInputError) as caught:
        bronze_tasks_export(context(tmp_path, spark))
    assert str(caught.value) == expected
    lake = LocalLake(str(tmp_path / "lake"))
    assert lake.describe("bronze", "tasks_export", "2026-11-21").rows == 3

    forced = LakeSettings().for_run({ALLOW_OLDER_EXPORT_TAG: "true"})
    result = bronze_tasks_export(context(tmp_path, spark, settings=forced))
    assert [(o.rows, o.published) for o in result.outputs] == [(2, True)]
    assert lake.describe("bronze", "tasks_export", "2026-11-21").rows == 2


def test_only_the_run_tag_allows_an_older_export():
    settings = LakeSettings()
    assert settings.for_run({}) is settings
    assert settings.for_run({ALLOW_OLDER_EXPORT_TAG: "false"}).allow_older_export is False
    assert settings.for_run({ALLOW_OLDER_EXPORT_TAG: "True"}).allow_older_export is True
    # The override travels whole to remote job scripts.
    assert LakeSettings.from_param(settings.for_run({ALLOW_OLDER_EXPORT_TAG: "1"}).to_param()).allow_older_export
