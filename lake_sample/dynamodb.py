"""DynamoDB Export-to-S3 writer (full exports, DYNAMODB_JSON).

Writes the exact layout of ``landing-formats.md`` section 2 under
``dynamodb/tasks/AWSDynamoDB/<ExportId>/``: ``_started`` first, data files, then the manifests
with their md5 sidecars. An in-progress export stops after ``_started`` and some data files,
so readers must only trust exports that have ``manifest-summary.json``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lake_sample.common import (
    gzip_bytes,
    iso_ms,
    md5_hex,
    rand_b32,
    rand_hex,
    seeded_uuid,
    write_file,
)
from lake_sample.table import Item, Key

ACCOUNT = "123456789012"
REGION = "us-east-1"
TABLE = "tasks"
PREFIX = f"dynamodb/{TABLE}"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
OPEN_STATUSES = ("OPEN", "IN_PROGRESS")


@dataclass
class ExportInfo:
    """One export as written: identity, time, completeness and size."""

    export_id: str
    export_time: str
    kind: str  # "daily" | "adhoc" | "in_progress"
    complete: bool
    item_count: int
    data_files: int

    def to_dict(self) -> dict[str, Any]:
        """Truth representation (plain JSON types)."""
        return dict(self.__dict__)


def serialize(items: dict[Key, Item]) -> list[tuple[Key, str]]:
    """Items as export lines, in a hash order like DynamoDB's partition scan."""

    def order(key: Key) -> str:
        return hashlib.md5(f"{key[0]}|{key[1]}".encode()).hexdigest()

    return [
        (k, json.dumps({"Item": items[k]}, ensure_ascii=False, separators=(",", ":"))) for k in sorted(items, key=order)
    ]


def _partition(lines: list[tuple[Key, str]], rng: random.Random) -> list[list[str]]:
    """Split lines into data files by partition key, plus one empty file (AWS writes those)."""
    n_full = max(3, len(lines) // 50_000 + 1)
    parts: list[list[str]] = [[] for _ in range(n_full)]
    for key, line in lines:
        h = int(hashlib.md5(key[0].encode()).hexdigest()[:8], 16)
        parts[h % n_full].append(line)
    parts.insert(rng.randrange(n_full + 1), [])
    return parts


def _data_bytes(lines: list[str]) -> bytes:
    """One gzip per data file; an empty file is a valid gzip with no lines."""
    text = "".join(line + "\n" for line in lines)
    return gzip_bytes(text.encode("utf-8"))


def write_export(
    root: Path,
    rng: random.Random,
    table_id: str,
    export_time_ms: int,
    items: dict[Key, Item],
    kind: str,
    complete: bool = True,
) -> ExportInfo:
    """Write one full export of ``items`` as of ``export_time_ms``."""
    export_id = f"0{export_time_ms:013d}-{rand_hex(rng, 8)}"
    base = f"{PREFIX}/AWSDynamoDB/{export_id}"
    write_file(root, f"{base}/_started", b"")
    lines = serialize(items)
    parts = _partition(lines, rng)
    if not complete:
        parts = parts[: max(1, len(parts) // 2)]
    manifest_lines, billed = [], 0
    for part in parts:
        key = f"{base}/data/{rand_b32(rng, 26)}.json.gz"
        data = _data_bytes(part)
        write_file(root, key, data)
        billed += sum(len(p.encode("utf-8")) for p in part)
        entry = {
            "itemCount": len(part),
            "md5Checksum": base64.b64encode(hashlib.md5(data).digest()).decode(),
            "etag": md5_hex(data),
            "dataFileS3Key": key,
        }
        manifest_lines.append(json.dumps(entry, separators=(",", ":")))
    info = ExportInfo(export_id, iso_ms(export_time_ms), kind, complete, sum(len(p) for p in parts), len(parts))
    if complete:
        _write_manifests(root, rng, base, table_id, export_time_ms, manifest_lines, billed, info)
    return info


def _write_manifests(
    root: Path,
    rng: random.Random,
    base: str,
    table_id: str,
    export_time_ms: int,
    manifest_lines: list[str],
    billed: int,
    info: ExportInfo,
) -> None:
    """manifest-files.json (+md5), then manifest-summary.json (+md5), written last."""
    files_bytes = "".join(line + "\n" for line in manifest_lines).encode()
    write_file(root, f"{base}/manifest-files.json", files_bytes)
    write_file(root, f"{base}/manifest-files.md5", md5_hex(files_bytes).encode())
    start_ms = export_time_ms + rng.randrange(2_000, 300_000)
    summary = {
        "version": "2020-06-30",
        "exportArn": f"{TABLE_ARN}/export/{info.export_id}",
        "startTime": iso_ms(start_ms),
        "endTime": iso_ms(start_ms + rng.randrange(180_000, 480_000)),
        "tableArn": TABLE_ARN,
        "tableId": table_id,
        "exportTime": iso_ms(export_time_ms),
        "s3Bucket": "landing",
        "s3Prefix": PREFIX,
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"{base}/manifest-files.json",
        "billedSizeBytes": billed,
        "itemCount": info.item_count,
        "outputFormat": "DYNAMODB_JSON",
        "exportType": "FULL_EXPORT",
    }
    summary_bytes = json.dumps(summary, separators=(",", ":")).encode()
    write_file(root, f"{base}/manifest-summary.json", summary_bytes)
    write_file(root, f"{base}/manifest-summary.md5", md5_hex(summary_bytes).encode())


def new_table_id(rng: random.Random) -> str:
    """Stable tableId for the run."""
    return seeded_uuid(rng)


def snapshot_stats(items: dict[Key, Item], day: str) -> dict[str, Any]:
    """Truth numbers of a snapshot, read from the model (not from the written files)."""
    by_status: Counter[str] = Counter()
    created: Counter[str] = Counter()
    completed: Counter[str] = Counter()
    open_tasks: Counter[str] = Counter()
    attribute_types: Counter[str] = Counter()
    users = tasks = 0
    for (pk, sk), item in items.items():
        entity = "user" if sk == "PROFILE" else "task"
        attribute_types.update(f"{entity}.{name}:{next(iter(value))}" for name, value in item.items())
        if sk == "PROFILE":
            users += 1
            continue
        tasks += 1
        uid = pk[5:]
        status = item["status"]["S"]
        by_status[status] += 1
        if item["created_at"]["S"][:10] == day:
            created[uid] += 1
        if "completed_at" in item and item["completed_at"]["S"][:10] == day:
            completed[uid] += 1
        if status in OPEN_STATUSES:
            open_tasks[uid] += 1
    return {
        "users": users,
        "tasks": tasks,
        "tasks_by_status": dict(sorted(by_status.items())),
        "tasks_created": dict(sorted(created.items())),
        "tasks_completed": dict(sorted(completed.items())),
        "open_tasks": dict(sorted(open_tasks.items())),
        "attribute_types": dict(sorted(attribute_types.items())),
    }
