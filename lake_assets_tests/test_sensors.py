"""Landing and export sensors: cursor edge cases over a sequence of landings, local and S3 (moto)."""

import gzip
import json
import os
from datetime import UTC, date, datetime

import dagster as dg
import pytest

from lake_assets.automation.export_sensor import build_export_sensor, evaluate_exports
from lake_assets.automation.landing_sensor import build_landing_sensor, evaluate_landing
from lake_assets.core.landing import LocalLanding
from lake_assets.core.s3_landing import S3Landing
from lake_assets_tests.landing_builders import write_export, write_incremental

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
FIRST = date(2026, 11, 1)


class LocalStore:
    def __init__(self, root):
        self.root, self.landing = root, LocalLanding(str(root))

    def put(self, key, body, mtime=None):
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        if mtime is not None:
            os.utime(path, (mtime, mtime))


class S3Store:
    def __init__(self, client, bucket, endpoint_url):
        self.client, self.bucket = client, bucket
        self.landing = S3Landing(self.bucket, "landing", endpoint_url)

    def put(self, key, body, mtime=None):
        self.client.put_object(Bucket=self.bucket, Key=f"landing/{key}", Body=body)


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path)
    make_bucket = request.getfixturevalue("make_bucket")
    return S3Store(request.getfixturevalue("s3"), make_bucket(), request.getfixturevalue("endpoint"))


def tick(store, cursor):
    requests, cursor, _ = evaluate_landing(store.landing, cursor, TODAY, 3, FIRST)
    return [(r.partition_key, r.run_key) for r in requests], cursor


def test_landing_sequence(store):
    stamp = 1795340000
    store.put("api_logs/2026/11/22/09/a.gz", gzip.compress(b"{}"), stamp)
    store.put("api_logs/2026/11/22/09/b.gz", gzip.compress(b"{}"), stamp)
    first, cursor = tick(store, None)
    assert [p for p, _ in first] == ["2026-11-22"]
    assert tick(store, cursor)[0] == []  # nothing new
    store.put("api_logs/2026/11/22/09/c.gz", gzip.compress(b"{}"), stamp)  # same second as a and b
    same_second, cursor = tick(store, cursor)
    assert [p for p, _ in same_second] == ["2026-11-22"] and same_second[0][1] != first[0][1]
    store.put("api_logs/2026/11/22/09/a.gz", gzip.compress(b'{"x": 1}'), stamp + 5)  # re-delivered key
    redelivered, cursor = tick(store, cursor)
    assert [p for p, _ in redelivered] == ["2026-11-22"]
    store.put("api_logs/2026/11/21/03/late.gz", gzip.compress(b"{}"), stamp)  # late, into an old hour folder
    late, cursor = tick(store, cursor)
    assert [p for p, _ in late] == ["2026-11-21"]
    store.put("api_logs/2026/11/15/03/ancient.gz", gzip.compress(b"{}"), stamp)  # outside the look-back
    assert tick(store, cursor)[0] == []
    assert sorted(json.loads(cursor)) == ["2026-11-21", "2026-11-22"]  # the cursor holds the window only


def test_landing_sensor_definition_and_run_keys(tmp_path):
    store = LocalStore(tmp_path)
    store.put("api_logs/2026/11/22/00/a.gz", gzip.compress(b"{}"))
    sensor = build_landing_sensor(lambda: store.landing, 3, FIRST, now=lambda: NOW)
    result = sensor(dg.build_sensor_context(cursor=None))
    (request,) = result.run_requests
    assert request.partition_key == "2026-11-22" and request.run_key.startswith("api_logs:2026-11-22:")
    assert request.asset_selection == [dg.AssetKey(["bronze", "api_requests"])]
    again = sensor(dg.build_sensor_context(cursor=result.cursor))
    assert again.run_requests == [] and again.skip_reason is not None


class NoDataReads:
    """A landing double for the export sensor: it records every read and HEAD, and fails the test
    when a data file body is read (the sensor must validate from manifests and listings only)."""

    def __init__(self, inner):
        self.inner, self.reads, self.heads = inner, [], []

    def list(self, prefix, **kwargs):
        return self.inner.list(prefix, **kwargs)

    def list_dirs(self, prefix, **kwargs):
        return self.inner.list_dirs(prefix, **kwargs)

    def exists(self, key):
        self.heads.append(key)
        return self.inner.exists(key)

    def read_bytes(self, key):
        assert "/data/" not in key, f"the export sensor read the data file {key}"
        self.reads.append(key.rsplit("/", 2)[-2:])
        return self.inner.read_bytes(key)


def complete(root, export_id, export_time, **kwargs):
    write_export(root, export_id, export_time, **kwargs)
    base = root / "dynamodb/tasks/AWSDynamoDB" / export_id
    for name in ("manifest-summary", "manifest-files"):
        if (base / f"{name}.json").exists():
            (base / f"{name}.md5").write_text("x")


def test_export_sensor_ignores_started_requests_completed_once_and_reports_broken(tmp_path):
    landing = LocalLanding(str(tmp_path))
    complete(tmp_path, "01795305600000-aaaa0001", "2026-11-22T00:00:00.000Z", complete=False)  # only _started
    requests, cursor, problems = evaluate_exports(landing, None, NOW, 7, FIRST)
    assert requests == [] and problems == []
    complete(tmp_path, "01795305600000-aaaa0002", "2026-11-22T00:00:00.000Z")
    complete(tmp_path, "01795300000000-bbbb0001", "2026-11-21T22:26:40.000Z")
    (tmp_path / "dynamodb/tasks/AWSDynamoDB/01795300000000-bbbb0001/data/part1.json.gz").unlink()  # broken
    requests, cursor, problems = evaluate_exports(landing, cursor, NOW, 7, FIRST)
    assert [(r.partition_key, r.run_key) for r in requests] == [("2026-11-21", "export:01795305600000-aaaa0002")]
    assert requests[0].asset_selection == [dg.AssetKey(["bronze", "tasks_export"])]
    assert problems == [
        "export 01795300000000-bbbb0001: data file dynamodb/tasks/AWSDynamoDB/01795300000000-bbbb0001"
        "/data/part1.json.gz listed in the manifest is missing"
    ]
    requests, cursor, problems = evaluate_exports(landing, cursor, NOW, 7, FIRST)
    assert requests == [] and problems == []  # once per export; the broken one is reported once
    assert "01795300000000-bbbb0001" in json.loads(cursor)["broken"]


def test_exports_closing_the_same_day_share_one_run(tmp_path):
    landing = LocalLanding(str(tmp_path))
    complete(tmp_path, "01795271400000-eeee0001", "2026-11-21T14:30:00.000Z")  # ad-hoc, mid-day
    complete(tmp_path, "01795305600000-eeee0002", "2026-11-22T00:00:00.000Z")  # the daily one
    requests, _, _ = evaluate_exports(landing, None, NOW, 7, FIRST)
    assert [(r.partition_key, r.run_key) for r in requests] == [
        ("2026-11-21", "export:01795271400000-eeee0001+01795305600000-eeee0002")
    ]


def test_export_sensor_requires_checksum_files_and_bounds_its_listing(tmp_path):
    landing = LocalLanding(str(tmp_path))
    write_export(tmp_path, "01795305600000-cccc0001", "2026-11-22T00:00:00.000Z")  # no .md5 files
    complete(tmp_path, "01790000000000-dddd0001", "2026-09-21T00:00:00.000Z")  # far older than the window
    sensor = build_export_sensor(lambda: landing, 7, FIRST, now=lambda: NOW)
    result = sensor(dg.build_sensor_context(cursor=None))
    assert result.run_requests == []
    assert "no checksum file" in result.skip_reason.skip_message
    assert json.loads(result.cursor)["done"] == {}


def upload(store, root):
    """Copy a locally written landing tree into the store (a no-op for the local store itself)."""
    if isinstance(store, S3Store):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            store.put(path.relative_to(root).as_posix(), path.read_bytes())


def test_export_sensor_never_reads_data_files_so_a_corrupt_one_still_gets_its_run(store, tmp_path):
    root = tmp_path / "written"
    complete(root, "01795305600000-ffff0001", "2026-11-22T00:00:00.000Z", items=3, corrupt=True)  # bad MD5
    write_incremental(
        root,
        "01795309200000-ffff0002",
        "2026-11-21T00:00:00.000Z",
        "2026-11-22T01:00:00.000Z",
        ['{"Keys": {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}}}'],
    )
    for name in ("manifest-summary", "manifest-files"):
        (root / f"dynamodb/tasks/AWSDynamoDB/01795309200000-ffff0002/{name}.checksum").write_text("x")
    upload(store, root)
    landing = NoDataReads(store.landing if isinstance(store, S3Store) else LocalLanding(str(root)))
    requests, cursor, problems = evaluate_exports(landing, None, NOW, 7, FIRST)
    assert problems == []
    assert [(r.partition_key, r.run_key, r.asset_selection[0].to_user_string()) for r in requests] == [
        ("2026-11-21", "export:01795305600000-ffff0001", "bronze/tasks_export"),
        ("2026-11-22", "export:01795309200000-ffff0002", "bronze/tasks_changes"),
    ]
    assert landing.reads == [
        ["01795305600000-ffff0001", "manifest-summary.json"],
        ["01795309200000-ffff0002", "manifest-summary.json"],
        ["01795305600000-ffff0001", "manifest-files.json"],
        ["01795309200000-ffff0002", "manifest-files.json"],
    ]
    # The full export's data file is found by listing its folder; only the shared incremental
    # folder (never listed) is checked file by file.
    assert [k for k in landing.heads if "/data/" in k] == [
        "dynamodb/tasks/AWSDynamoDB/data/01795309200000-ffff0002.json.gz"
    ]
    assert evaluate_exports(landing, cursor, NOW, 7, FIRST)[0] == []
