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
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
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
PARALLEL_GZIP_BYTES = 8 << 20  # below this, threads cost more than they save
GZIP_THREADS = 2


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


def _json_line_encoder() -> Callable[[Any], str]:
    """``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``, same text, less overhead.

    ``json.dumps`` builds a new encoder per call; this reuses one C encoder (the one
    ``JSONEncoder`` itself uses) and falls back to ``json.dumps`` where there is none.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return partial(json.dumps, ensure_ascii=False, separators=(",", ":"))

    def default(o: Any) -> Any:
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    encode = make(None, default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda obj: "".join(encode(obj, 0))


_line_json = _json_line_encoder()


def _scan_order(key: Key) -> str:
    return hashlib.md5(f"{key[0]}|{key[1]}".encode()).hexdigest()


class ExportCache:
    """What one export of a run can reuse from the previous one (exports rewrite the whole
    table, while only a few percent of the items change in between).

    ``lines`` holds each item's serialised line: whoever changes or deletes an item must
    :meth:`forget` it (``TableSim.changed`` collects those keys). Scan-order keys, the
    previous scan order and the partition hashes depend on the item key only.
    """

    def __init__(self) -> None:
        self.lines: dict[Key, str] = {}
        self.order: dict[Key, str] = {}
        self.scan: list[Key] = []
        self.shard: dict[str, int] = {}

    def forget(self, keys: Iterable[Key]) -> None:
        """Drop the cached lines of changed or deleted items."""
        lines = self.lines
        for key in keys:
            lines.pop(key, None)


def serialize(items: dict[Key, Item], cache: ExportCache | None = None) -> list[tuple[Key, str]]:
    """Items as export lines, in a hash order like DynamoDB's partition scan."""
    if cache is None:
        cache = ExportCache()
    order = cache.order
    new = [k for k in items if k not in order]
    for k in new:
        order[k] = _scan_order(k)
    # The previous scan order minus deleted items is already sorted: timsort merges in the new.
    keys = [k for k in cache.scan if k in items] + new
    keys.sort(key=order.__getitem__)
    cache.scan = keys
    lines = cache.lines
    out = []
    for k in keys:
        line = lines.get(k)
        if line is None:
            line = lines[k] = _line_json({"Item": items[k]})
        out.append((k, line))
    return out


def _partition(lines: list[tuple[Key, str]], rng: random.Random, cache: ExportCache | None = None) -> list[list[str]]:
    """Split lines into data files by partition key, plus one empty file (AWS writes those)."""
    n_full = max(3, len(lines) // 50_000 + 1)
    parts: list[list[str]] = [[] for _ in range(n_full)]
    shard = cache.shard if cache is not None else {}
    for key, line in lines:
        h = shard.get(key[0])
        if h is None:
            h = shard[key[0]] = int(hashlib.md5(key[0].encode()).hexdigest()[:8], 16)
        parts[h % n_full].append(line)
    parts.insert(rng.randrange(n_full + 1), [])
    return parts


def _data_text(lines: list[str]) -> bytes:
    """The uncompressed text of one data file: one line per item, each ending in a newline."""
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def _gzip_all(texts: list[bytes]) -> list[bytes]:
    """Gzip each text (one gzip per data file; an empty one is a valid gzip with no lines);
    big exports use a second thread (zlib releases the GIL), the bytes are the same."""
    if len(texts) < 2 or sum(map(len, texts)) < PARALLEL_GZIP_BYTES:
        return [gzip_bytes(t) for t in texts]
    with ThreadPoolExecutor(max_workers=GZIP_THREADS) as pool:
        return list(pool.map(gzip_bytes, texts))


def write_export(
    root: Path,
    rng: random.Random,
    table_id: str,
    export_time_ms: int,
    items: dict[Key, Item],
    kind: str,
    complete: bool = True,
    cache: ExportCache | None = None,
) -> ExportInfo:
    """Write one full export of ``items`` as of ``export_time_ms`` (``cache``: see ExportCache)."""
    export_id = f"0{export_time_ms:013d}-{rand_hex(rng, 8)}"
    base = f"{PREFIX}/AWSDynamoDB/{export_id}"
    write_file(root, f"{base}/_started", b"")
    lines = serialize(items, cache)
    parts = _partition(lines, rng, cache)
    del lines
    if not complete:
        parts = parts[: max(1, len(parts) // 2)]
    texts = [_data_text(part) for part in parts]
    gzipped = _gzip_all(texts)
    manifest_lines, billed = [], 0
    for part, text, data in zip(parts, texts, gzipped, strict=True):
        key = f"{base}/data/{rand_b32(rng, 26)}.json.gz"
        write_file(root, key, data)
        billed += len(text) - len(part)  # the lines' UTF-8 bytes without their newlines
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
    # Items by attribute signature (names and types), expanded to per-attribute counts below:
    # a few hundred signatures instead of ten Counter updates per item.
    signatures: dict[tuple[bool, tuple[str, ...], tuple[str, ...]], int] = {}
    users = tasks = 0
    for (pk, sk), item in items.items():
        is_user = sk == "PROFILE"
        sig = (is_user, tuple(item), tuple(map(next, map(iter, item.values()))))
        signatures[sig] = signatures.get(sig, 0) + 1
        if is_user:
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
    attribute_types: Counter[str] = Counter()
    for (is_user, names, types), count in signatures.items():
        entity = "user" if is_user else "task"
        for name, dynamo_type in zip(names, types, strict=True):
            attribute_types[f"{entity}.{name}:{dynamo_type}"] += count
    return {
        "users": users,
        "tasks": tasks,
        "tasks_by_status": dict(sorted(by_status.items())),
        "tasks_created": dict(sorted(created.items())),
        "tasks_completed": dict(sorted(completed.items())),
        "open_tasks": dict(sorted(open_tasks.items())),
        "attribute_types": dict(sorted(attribute_types.items())),
    }
