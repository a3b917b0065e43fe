"""Export inputs the pipeline must refuse or survive (issue #11): outputFormat, unsafe or undecodable
manifests, and damaged data files without an MD5 in the manifest."""

import gzip
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lake_assets.builds.base import BuildContext, BuildInputError
from lake_assets.builds.bronze import bronze_tasks_changes, bronze_tasks_export
from lake_assets.core.lake import LocalLake
from lake_assets.core.landing import LocalLanding
from lake_assets.parsing import exports as ex
from lake_assets.steps import CATALOG
from lake_assets_tests.landing_builders import EXPORTS_PREFIX, change, user, write_export, write_incremental

DAY = date(2026, 11, 21)
GENUINE = Path(__file__).parent / "fixtures/real_samples/scylla-migrator-dynamodb-export/AWSDynamoDB"


def folder(root: Path, export_id: str) -> Path:
    return root / EXPORTS_PREFIX / "AWSDynamoDB" / export_id


def edit_json(path: Path, **changes) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}) + "\n")


def only_export(root: Path) -> ex.ExportSummary:
    (export,), _ = ex.list_completed_exports(LocalLanding(str(root)), EXPORTS_PREFIX)
    return export


def context(tmp_path: Path, spark=None) -> BuildContext:
    return BuildContext(
        spark=spark,
        lake=LocalLake(str(tmp_path / "lake")),
        landing=LocalLanding(str(tmp_path / "landing")),
        day=DAY,
        catalog=CATALOG,
    )


def test_output_format_defaults_to_dynamodb_json_and_ion_is_refused(tmp_path):
    root = tmp_path / "landing"
    write_export(root, "e1", "2026-11-22T00:00:00.000Z", items=2)  # its summary has no outputFormat
    assert only_export(root).output_format == "DYNAMODB_JSON"
    assert len(ex.load_files(LocalLanding(str(root)), only_export(root)).files) == 1
    edit_json(folder(root, "e1") / "manifest-summary.json", outputFormat="ION")
    message = (
        r"^export e1: outputFormat 'ION' is not supported: only DYNAMODB_JSON is parsed \(the Glue job has no "
        r"Amazon Ion reader\)\. Re-export the table with ExportFormat=DYNAMODB_JSON\.$"
    )
    with pytest.raises(ex.ExportError, match=message):
        ex.load_files(LocalLanding(str(root)), only_export(root))
    with pytest.raises(BuildInputError, match=message):  # refused before any data file is read
        bronze_tasks_export(context(tmp_path))


def test_an_ion_incremental_export_is_refused_too(tmp_path):
    root = tmp_path / "landing"
    lines = [change("u1", 1, user("u1"))]
    write_incremental(root, "inc", "2026-11-21T00:00:00.000Z", "2026-11-22T00:00:00.000Z", lines)
    edit_json(folder(root, "inc") / "manifest-summary.json", outputFormat="ION")
    with pytest.raises(BuildInputError, match=r"^export inc: outputFormat 'ION' is not supported"):
        bronze_tasks_changes(context(tmp_path))


def test_the_genuine_summary_has_an_output_format_but_no_export_type(tmp_path):
    root = tmp_path / "landing"
    (export_dir,) = GENUINE.iterdir()
    target = folder(root, export_dir.name)
    target.parent.mkdir(parents=True)
    shutil.copytree(export_dir, target)
    summary = json.loads((target / "manifest-summary.json").read_text())
    assert summary["outputFormat"] == "DYNAMODB_JSON" and "exportType" not in summary
    export = only_export(root)
    assert (export.export_type, export.output_format) == ("FULL_EXPORT", "DYNAMODB_JSON")
    assert export.manifest_files_key == f"{EXPORTS_PREFIX}/AWSDynamoDB/{export_dir.name}/manifest-files.json"
    (data,) = ex.load_files(LocalLanding(str(root)), export).files  # found through the AWSDynamoDB/ part
    assert data.key == f"{EXPORTS_PREFIX}/AWSDynamoDB/{export_dir.name}/data/uimbi7eofu2b5kzkxe63gsvb6i.json.gz"
    assert (data.item_count, data.md5_checksum) == (3, "rzAeIrtALbOlNdK5Hh8tgA==")


@pytest.mark.parametrize(
    "key",
    [
        "../../../../etc/hostname",
        "dynamodb/tasks/AWSDynamoDB/e1/../../../../etc/hostname",
        "dynamodb/tasks/AWSDynamoDB/e1/data//part1.json.gz",
        "dynamodb/tasks/AWSDynamoDB/e1\\..\\..\\x",
    ],
)
def test_data_file_keys_that_escape_the_export_are_refused(tmp_path, key):
    root = tmp_path / "landing"
    write_export(root, "e1", "2026-11-22T00:00:00.000Z")
    edit_json(folder(root, "e1") / "manifest-files.json", dataFileS3Key=key)
    expected = (
        f"export e1: manifest-files.json line 1: dataFileS3Key {key!r} does not resolve to a file under "
        f"{EXPORTS_PREFIX}/AWSDynamoDB/ (path traversal or a malformed key): refused"
    )
    with pytest.raises(ex.ExportError) as caught:
        ex.load_files(LocalLanding(str(root)), only_export(root))
    assert str(caught.value) == expected
    with pytest.raises(BuildInputError, match=re.escape(expected)):
        bronze_tasks_export(context(tmp_path))


def test_a_manifest_files_key_that_escapes_makes_the_export_broken_not_read(tmp_path):
    root = tmp_path / "landing"
    write_export(root, "e1", "2026-11-22T00:00:00.000Z")
    edit_json(folder(root, "e1") / "manifest-summary.json", manifestFilesS3Key="../../secrets.json")
    (export,), notes = ex.list_completed_exports(LocalLanding(str(root)), EXPORTS_PREFIX)
    assert (export.export_id, export.manifest_files_key, notes) == ("e1", "", [])
    assert export.problem == (
        "unusable manifestFilesS3Key ('../../secrets.json' does not resolve to a "
        "file under dynamodb/tasks/AWSDynamoDB/ (path traversal or a malformed key): refused)"
    )


def test_manifest_files_that_are_not_utf8_are_a_clear_input_error(tmp_path):
    root = tmp_path / "landing"
    write_export(root, "e1", "2026-11-22T00:00:00.000Z")
    manifest = folder(root, "e1") / "manifest-files.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"etag"', b'"\xff\xfetag"'))
    message = (
        r"^export e1: manifest-files.json is not valid UTF-8 \(byte 61: b'\\xff\\xfeta'\); AWS writes UTF-8 JSON "
        r"lines, so the file is damaged$"
    )
    with pytest.raises(ex.ExportError, match=message):
        ex.load_files(LocalLanding(str(root)), only_export(root))
    with pytest.raises(BuildInputError, match=message):
        bronze_tasks_export(context(tmp_path))


LINES = [f'{{"Item": {{"PK": {{"S": "USER#u{n}"}}, "SK": {{"S": "PROFILE"}}}}}}' for n in range(3000)]


def read(tmp_path: Path, data: bytes, checksum: str | None = None):
    (tmp_path / "f.json.gz").write_bytes(data)
    lines = ex.DataFileLines(LocalLanding(str(tmp_path)), "f.json.gz", checksum)
    return list(lines), lines.problem


def test_damage_inside_the_stream_keeps_the_lines_before_it(tmp_path):
    data = bytearray(gzip.compress("".join(f"{line}\n" for line in LINES).encode(), mtime=0))
    data[len(data) // 2] ^= 0xFF  # one flipped bit pattern mid-stream, no MD5 in the manifest
    rows, problem = read(tmp_path, bytes(data))
    assert problem.startswith("data_file_unreadable: f.json.gz: Error -3 while decompressing data")
    intact = 0
    while intact < len(rows) and rows[intact] == (intact + 1, LINES[intact]):
        intact += 1
    assert intact > 1000  # everything before the damaged byte became rows, not an empty file
    assert [n for n, _ in rows] == list(range(1, len(rows) + 1))


def test_a_truncated_file_without_md5_is_flagged_with_its_readable_lines(tmp_path):
    data = gzip.compress("".join(f"{line}\n" for line in LINES).encode(), mtime=0)
    rows, problem = read(tmp_path, data[:-4])  # the trailer cut: every line arrived
    assert rows == [(n + 1, line) for n, line in enumerate(LINES)]
    assert problem == (
        "data_file_unreadable: f.json.gz: the gzip stream ends before its end-of-stream marker: the object is truncated"
    )


def test_a_truncated_file_without_md5_refuses_the_export_instead_of_failing_a_task(tmp_path, spark):
    root = tmp_path / "landing"
    write_export(root, "e1", "2026-11-22T00:00:00.000Z", items=400)
    manifest = folder(root, "e1") / "manifest-files.json"
    entry = json.loads(manifest.read_text())
    del entry["md5Checksum"]
    manifest.write_text(json.dumps(entry) + "\n")
    path = root / entry["dataFileS3Key"]
    whole = gzip.decompress(path.read_bytes()).decode().splitlines()
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(BuildInputError) as caught:
        bronze_tasks_export(context(tmp_path, spark))
    message = str(caught.value)
    assert message.startswith(
        f"export e1 cannot be trusted: 1 data file(s) differ from manifest-files.json: data_file_unreadable: "
        f"{entry['dataFileS3Key']}: the gzip stream ends before its end-of-stream marker: the object is truncated."
    )
    kept = re.search(r"the rows read are kept at (\S+)\. Re-export", message).group(1)
    rows = sorted(pq.read_table(kept).to_pylist(), key=lambda r: r["line_number"])
    *lines, flag = rows
    assert 0 < len(lines) < 400 and flag["line_number"] == len(lines) + 1 and flag["raw_item"] == ""
    assert [r["raw_item"] for r in lines[:-1]] == whole[: len(lines) - 1]  # nothing lost before the cut
    assert whole[len(lines) - 1].startswith(lines[-1]["raw_item"])
