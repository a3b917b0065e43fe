"""Data-file MD5s are checked where the data is read: in the Spark tasks, on the compressed bytes.

The sensor and the driver only see manifests and listings (test_sensors, test_exports); here a
generated export has one data file replaced by another valid gzip, or truncated, and the Bronze
jobs must refuse the export with one clear error naming the file and both checksums, publish
nothing, and keep every row read (plus one flag row per untrusted file) for inspection.
"""

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import re
import zlib

import pyarrow.parquet as pq
import pytest

from lake_assets.builds.base import BuildContext, BuildInputError
from lake_assets.builds.bronze import bronze_tasks_changes, bronze_tasks_export
from lake_assets.core.lake import LocalLake
from lake_assets.core.landing import LocalLanding
from lake_assets.parsing import exports as ex
from lake_assets.steps import CATALOG
from lake_assets_tests.landing_builders import change, user, write_incremental
from lake_sample.generator import generate_sample

DAY = dt.date(2026, 11, 20)  # the sample's daily export (exportTime 2026-11-21T00:00Z) closes this day


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class Recorded(io.BytesIO):
    def __init__(self, data, sizes):
        super().__init__(data)
        self.sizes = sizes

    def read(self, size=-1):
        self.sizes.append(size)
        return super().read(size)


class StreamingLanding(LocalLanding):
    """A local landing that can stream (`open`), recording the size of every read."""

    def open(self, key):
        object.__setattr__(self, "sizes", [])
        return Recorded(self.read_bytes(key), self.sizes)


def put(tmp_path, data: bytes) -> LocalLanding:
    (tmp_path / "f.json.gz").write_bytes(data)
    return StreamingLanding(str(tmp_path))


def read_all(landing, checksum):
    lines = ex.DataFileLines(landing, "f.json.gz", checksum)
    return list(lines), lines.problem


def test_lines_of_a_genuine_file_stream_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "READ_BYTES", 64)
    data = gzip.compress(b'{"a": 1}\r\n\n', mtime=0) + gzip.compress(b'{"b": "\xe2\x80\xa8"}\n{"c": 3}', mtime=0)
    landing = put(tmp_path, data)  # two gzip members (as Firehose writes), CRLF, a blank line, U+2028
    expected = [(1, '{"a": 1}'), (3, '{"b": "\u2028"}'), (4, '{"c": 3}')]
    assert read_all(landing, b64md5(data)) == (expected, None)
    assert read_all(landing, hashlib.md5(data).hexdigest()) == (expected, None)  # hex is accepted too
    assert landing.sizes == [64] * (-(-len(data) // 64) + 1)  # never read whole (the last read is empty)
    assert read_all(put(tmp_path, b""), b64md5(b"")) == ([], None)  # an empty partition's file


def test_a_different_valid_gzip_is_a_checksum_mismatch(tmp_path):
    manifest_md5 = b64md5(gzip.compress(b'{"a": 1}\n', mtime=0))
    other = gzip.compress(b'{"a": 2}\n', mtime=0)
    assert read_all(put(tmp_path, other), manifest_md5) == (
        [(1, '{"a": 2}')],
        (
            f"data_file_checksum_mismatch: f.json.gz has MD5 {b64md5(other)} but manifest-files.json says "
            f"md5Checksum {manifest_md5}"
        ),
    )


def test_a_truncated_or_non_gzip_file_is_flagged_not_raised(tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "READ_BYTES", 16)
    data = gzip.compress("".join(f'{{"n": {n}}}\n' for n in range(200)).encode(), mtime=0)
    lines, problem = read_all(put(tmp_path, data[: len(data) // 2]), b64md5(data))
    whole = [(n + 1, f'{{"n": {n}}}') for n in range(200)]
    assert lines[:-1] == whole[: len(lines) - 1] and 0 < len(lines) < 200  # what arrived, the last line cut
    assert whole[len(lines) - 1][1].startswith(lines[-1][1])
    assert problem == (
        f"data_file_checksum_mismatch: f.json.gz has MD5 {b64md5(data[: len(data) // 2])} but "
        f"manifest-files.json says md5Checksum {b64md5(data)} (the gzip stream ends before its "
        "end-of-stream marker: the object is truncated)"
    )
    junk = b"not gzip at all, " * 10
    assert read_all(put(tmp_path, junk), None) == (
        [],
        "data_file_unreadable: f.json.gz: Error -3 while decompressing data: incorrect header check",
    )
    # The MD5 covers every byte of the object, also those after the point where gzip failed.
    assert read_all(put(tmp_path, junk), "x")[1].startswith(
        f"data_file_checksum_mismatch: f.json.gz has MD5 {b64md5(junk)} but"
    )


@pytest.fixture
def sample(tmp_path):
    """A generated landing zone with its daily full export for DAY (4 data files, 18 items)."""
    truth = generate_sample(tmp_path / "landing", DAY, 1, 0, seed=7, users=5, tasks_per_user=2)
    (daily,) = [e for e in truth.exports if e["kind"] == "daily"]
    folder = tmp_path / "landing/dynamodb/tasks/AWSDynamoDB" / daily["export_id"]
    manifest = [json.loads(line) for line in (folder / "manifest-files.json").read_text().splitlines()]
    biggest = max(manifest, key=lambda e: e["itemCount"])
    ctx = BuildContext(
        spark=None, lake=LocalLake(str(tmp_path / "lake")), landing=LocalLanding(str(tmp_path / "landing")), day=DAY
    )
    return ctx, daily, biggest, tmp_path / "landing" / biggest["dataFileS3Key"]


def run_refused(ctx, job, spark):
    ctx = BuildContext(spark=spark, lake=ctx.lake, landing=ctx.landing, day=ctx.day, catalog=CATALOG)
    with pytest.raises(BuildInputError) as caught:
        job(ctx)
    message = str(caught.value)
    kept = re.search(r"the rows read are kept at (\S+)\. Re-export the table", message).group(1)
    return message, pq.read_table(kept).to_pylist()


def test_a_replaced_data_file_refuses_the_export_and_keeps_every_row(sample, spark):
    ctx, daily, entry, path = sample
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    forged = gzip.compress("".join(line.replace('"OPEN"', '"DONE"') + "\n" for line in lines).encode(), mtime=0)
    path.write_bytes(forged)  # same item count: only the checksum can tell
    message, rows = run_refused(ctx, bronze_tasks_export, spark)
    assert message.startswith(  # "1 data file": the sample's 3 other files verify on the executors
        f"export {daily['export_id']} cannot be trusted: 1 data file(s) differ from manifest-files.json: "
        f"data_file_checksum_mismatch: {entry['dataFileS3Key']} has MD5 {b64md5(forged)} but manifest-files.json "
        f"says md5Checksum {entry['md5Checksum']}. Nothing was published for 2026-11-20; the rows read are kept at "
    )
    assert not (ctx.lake.table_path("bronze", "tasks_export") / "dt=2026-11-20").exists()
    from_file = sorted(r["line_number"] for r in rows if r["source_key"] == entry["dataFileS3Key"])
    assert from_file == list(range(1, len(lines) + 2))  # every line of the file, then its flag row
    (flag,) = [r for r in rows if r["parse_error"] and r["parse_error"].startswith("data_file_")]
    assert (flag["line_number"], flag["raw_item"], flag["export_id"]) == (len(lines) + 1, "", daily["export_id"])
    assert len(rows) == daily["item_count"] + 1


def test_a_truncated_data_file_refuses_the_export_without_a_task_failure(sample, spark):
    ctx, _, entry, path = sample
    data = path.read_bytes()
    truncated = data[: len(data) // 2]
    path.write_bytes(truncated)
    message, rows = run_refused(ctx, bronze_tasks_export, spark)
    assert (
        f"data_file_checksum_mismatch: {entry['dataFileS3Key']} has MD5 {b64md5(truncated)} but "
        f"manifest-files.json says md5Checksum {entry['md5Checksum']} (the gzip stream ends before its "
        "end-of-stream marker: the object is truncated). Nothing was published for 2026-11-20"
    ) in message
    readable = zlib.decompressobj(31).decompress(truncated).split(b"\n")  # what survives, the last line cut
    assert 0 < len(readable) < entry["itemCount"]
    from_file = sorted((r for r in rows if r["source_key"] == entry["dataFileS3Key"]), key=lambda r: r["line_number"])
    assert [(r["line_number"], r["raw_item"]) for r in from_file[:-1]] == [
        (n, line.decode()) for n, line in enumerate(readable, start=1)
    ]  # the cut line too, as a row
    assert from_file[-1]["line_number"] == len(readable) + 1
    assert from_file[-1]["parse_error"].startswith("data_file_checksum_mismatch")


def test_a_corrupt_incremental_data_file_refuses_the_changes(tmp_path, spark):
    landing = tmp_path / "landing"
    write_incremental(
        landing,
        "inc-20",
        "2026-11-20T00:00:00.000Z",
        "2026-11-21T00:00:00.000Z",
        [change("u1", 1, new=user("u1")), change("u2", 2, new=user("u2"))],
    )
    key = "dynamodb/tasks/AWSDynamoDB/data/inc-20.json.gz"
    original = (landing / key).read_bytes()
    forged = gzip.compress(gzip.decompress(original).replace(b"a@b.c", b"x@y.z"), mtime=0)
    (landing / key).write_bytes(forged)
    ctx = BuildContext(
        spark=None, lake=LocalLake(str(tmp_path / "lake")), landing=LocalLanding(str(landing)), day=DAY, catalog=CATALOG
    )
    message, rows = run_refused(ctx, bronze_tasks_changes, spark)
    assert message.startswith(
        f"export inc-20 cannot be trusted: 1 data file(s) differ from manifest-files.json: "
        f"data_file_checksum_mismatch: {key} has MD5 {b64md5(forged)} but manifest-files.json "
        f"says md5Checksum {b64md5(original)}. Nothing was published for 2026-11-20"
    )
    assert [(r["line_number"], r["operation"]) for r in sorted(rows, key=lambda r: r["line_number"])] == [
        (1, "UPSERT"),
        (2, "UPSERT"),
        (3, None),
    ]
