"""Choosing and validating DynamoDB exports, and the Bronze job's error when none fits."""

import base64
import gzip
import hashlib
import json
from datetime import date

import pytest

from lake_assets.builds.base import BuildContext, BuildInputError
from lake_assets.builds.bronze import bronze_tasks_export
from lake_assets.core.landing import LocalLanding
from lake_assets.parsing.exports import ExportError, choose_full_export, list_completed_exports, load_files
from lake_assets.steps import CATALOG
from lake_assets_tests.landing_builders import EXPORTS_PREFIX, write_export, write_incremental


def test_window_is_exclusive_start_inclusive_end(tmp_path):
    write_export(tmp_path, "e-midnight-21", "2026-11-21T00:00:00.000Z")  # closes the 20th
    write_export(tmp_path, "e-midday", "2026-11-21T14:30:00.000Z")
    write_export(tmp_path, "e-midnight-22", "2026-11-22T00:00:00.000Z")  # closes the 21st: latest
    write_export(tmp_path, "e-running", "2026-11-21T23:00:00.000Z", complete=False)
    write_incremental(tmp_path, "e-incr", "2026-11-21T19:00:00.000Z", "2026-11-21T20:00:00.000Z", [])
    exports, notes = list_completed_exports(LocalLanding(str(tmp_path)), EXPORTS_PREFIX)
    assert choose_full_export(exports, date(2026, 11, 21)).export_id == "e-midnight-22"
    assert choose_full_export(exports, date(2026, 11, 20)).export_id == "e-midnight-21"
    assert choose_full_export(exports, date(2026, 11, 19)) is None
    assert notes == ["e-running: in progress (started, no manifest-summary.json)"]


def test_manifest_problems_are_explained(tmp_path):
    write_export(tmp_path, "bad", "2026-11-22T00:00:00.000Z", items=2, corrupt=True)
    landing = LocalLanding(str(tmp_path))
    (export,), _ = list_completed_exports(landing, EXPORTS_PREFIX)
    # Manifests and listings only: a corrupt data file passes here; its MD5 is checked where it is read.
    (listed,) = load_files(landing, export).files
    data = gzip.compress(
        b"".join(
            json.dumps({"Item": {"PK": {"S": f"USER#u{i}"}, "SK": {"S": "PROFILE"}}}).encode() + b"\n" for i in range(2)
        ),
        mtime=0,
    )
    assert (listed.key, listed.item_count) == (f"{EXPORTS_PREFIX}/AWSDynamoDB/bad/data/part1.json.gz", 2)
    assert listed.md5_checksum == base64.b64encode(hashlib.md5(data).digest()).decode()
    with pytest.raises(
        ExportError,
        match=r"^export bad: manifest-summary.json has no checksum file "
        r"\(manifest-summary.md5 or .checksum\)$",
    ):
        load_files(landing, export, require_checksum_files=True)
    summary = tmp_path / EXPORTS_PREFIX / "AWSDynamoDB/bad/manifest-summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text()), "itemCount": 3}))
    (export,), _ = list_completed_exports(landing, EXPORTS_PREFIX)
    with pytest.raises(ExportError, match=r"^export bad: manifest files list 2 items but the summary says 3$"):
        load_files(landing, export)
    (tmp_path / EXPORTS_PREFIX / "AWSDynamoDB/bad/data/part1.json.gz").unlink()
    with pytest.raises(ExportError, match="listed in the manifest is missing"):
        load_files(landing, export)
    (tmp_path / EXPORTS_PREFIX / "AWSDynamoDB/bad/manifest-files.json").unlink()
    with pytest.raises(
        ExportError,
        match=r"^export bad: dynamodb/tasks/AWSDynamoDB/bad/manifest-files.json is "
        r"missing$",
    ):
        load_files(landing, export)


def test_bronze_job_says_why_there_is_no_export(tmp_path):
    write_export(tmp_path, "e-running", "2026-11-21T23:00:00.000Z", complete=False)
    ctx = BuildContext(
        spark=None, lake=None, landing=LocalLanding(str(tmp_path)), day=date(2026, 11, 21), catalog=CATALOG
    )
    with pytest.raises(
        BuildInputError,
        match=r"no completed FULL_EXPORT .* \(2026-11-21 00:00, 2026-11-22 00:00\]"
        r".*e-running: in progress",
    ):
        bronze_tasks_export(ctx)
