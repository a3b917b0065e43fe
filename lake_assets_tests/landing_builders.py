"""Builders for hand-made landing data shared by several test modules: DynamoDB full and
incremental exports written the way AWS lays them out, and CDC change lines.

Standard library only (no Dagster, no moto, no Spark): test modules that run in the Glue-shaped
venv (`glue_runtime.GLUE_TESTS`) use these too.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

EXPORTS_PREFIX = "dynamodb/tasks"


def write_export(
    root: Path,
    export_id: str,
    export_time: str | None,
    items: int = 1,
    complete: bool = True,
    export_type: str = "FULL_EXPORT",
    corrupt: bool = False,
) -> None:
    """A DynamoDB export folder under `root/dynamodb/tasks/AWSDynamoDB/<export_id>`: `_started`, one
    data file of `items` user profiles (u0, u1, …), `manifest-files.json` and, when `complete`,
    `manifest-summary.json` (no checksum files). `corrupt` appends a byte to the data file after its
    MD5 was taken; `export_time=None` leaves `exportTime` out of the summary."""
    base = root / EXPORTS_PREFIX / "AWSDynamoDB" / export_id
    (base / "data").mkdir(parents=True)
    (base / "_started").write_bytes(b"")
    lines = "".join(
        json.dumps({"Item": {"PK": {"S": f"USER#u{i}"}, "SK": {"S": "PROFILE"}}}) + "\n" for i in range(items)
    )
    data = gzip.compress(lines.encode(), mtime=0)
    data_key = f"{EXPORTS_PREFIX}/AWSDynamoDB/{export_id}/data/part1.json.gz"
    (root / data_key).write_bytes(data + (b"x" if corrupt else b""))
    digest = base64.b64encode(hashlib.md5(data).digest()).decode()
    manifest = {"itemCount": items, "md5Checksum": digest, "etag": "e", "dataFileS3Key": data_key}
    (base / "manifest-files.json").write_text(json.dumps(manifest) + "\n")
    if complete:
        summary = {
            "exportType": export_type,
            "itemCount": items,
            "endTime": "2026-11-22T00:05:00.000Z",
            "manifestFilesS3Key": f"{EXPORTS_PREFIX}/AWSDynamoDB/{export_id}/manifest-files.json",
        }
        if export_time:
            summary["exportTime"] = export_time
        (base / "manifest-summary.json").write_text(json.dumps(summary))


def write_incremental(root: Path, export_id: str, start: str, end: str, lines: list[str]) -> None:
    """A completed INCREMENTAL_EXPORT from `start` to `end` holding the change `lines` (see `change`),
    its data file in the table's shared `AWSDynamoDB/data/` folder as AWS writes them."""
    base = root / EXPORTS_PREFIX / "AWSDynamoDB" / export_id
    base.mkdir(parents=True)
    (base / "_started").write_bytes(b"")
    data = gzip.compress("".join(f"{line}\n" for line in lines).encode(), mtime=0)
    key = f"{EXPORTS_PREFIX}/AWSDynamoDB/data/{export_id}.json.gz"
    (root / key).parent.mkdir(parents=True, exist_ok=True)
    (root / key).write_bytes(data)
    entry = {
        "itemCount": len(lines),
        "md5Checksum": base64.b64encode(hashlib.md5(data).digest()).decode(),
        "etag": "e",
        "dataFileS3Key": key,
    }
    (base / "manifest-files.json").write_text(json.dumps(entry) + "\n")
    (base / "manifest-summary.json").write_text(
        json.dumps(
            {
                "exportType": "INCREMENTAL_EXPORT",
                "exportFromTime": start,
                "exportToTime": end,
                "outputView": "NEW_AND_OLD_IMAGES",
                "itemCount": len(lines),
                "manifestFilesS3Key": f"{EXPORTS_PREFIX}/AWSDynamoDB/{export_id}/manifest-files.json",
            }
        )
    )


def micros(hour: int, minute: int = 0) -> int:
    """A write timestamp on 2026-11-21 (UTC), in microseconds as DynamoDB's CDC records it."""
    return int(datetime(2026, 11, 21, hour, minute, tzinfo=UTC).timestamp() * 1_000_000)


def user(uid: str, email: str = "a@b.c") -> dict:
    """A user profile item in DynamoDB JSON."""
    return {"PK": {"S": f"USER#{uid}"}, "SK": {"S": "PROFILE"}, "email": {"S": email}}


def change(uid: str, ts: int, new: dict | None = None, old: dict | None = None, sk: str = "PROFILE") -> str:
    """One incremental-export line: an insert (`new` only), update (both) or delete (`old` only)."""
    doc: dict = {
        "Metadata": {"WriteTimestampMicros": {"N": str(ts)}},
        "Keys": {"PK": {"S": f"USER#{uid}"}, "SK": {"S": sk}},
    }
    if new is not None:
        doc["NewImage"] = new
    if old is not None:
        doc["OldImage"] = old
    return json.dumps(doc)
