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
from bisect import bisect_left
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


def _shard_hash(pk: str) -> int:
    return int(hashlib.md5(pk.encode()).hexdigest()[:8], 16)


class ExportCache:
    """What one export of a run reuses from the previous one: exports rewrite the whole table,
    while only a few percent of the items change in between.

    The items seen so far are kept in scan order (md5 of the key, as DynamoDB's scan) in
    parallel lists: ``keys``, ``hexes`` (the md5s, sorted, so a key's position is a bisect),
    ``lines`` (the serialised item) and ``shards`` (partition hash of the partition key). Before
    each export :meth:`sync` re-serialises the changed items, drops the deleted ones and merges
    the new ones in, so an export costs O(changes * log n) plus one pass over the lines.
    ``pending`` holds lines of new items serialised elsewhere (``TableSim.lines``).
    """

    def __init__(self, pending: dict[Key, str] | None = None) -> None:
        self.pending: dict[Key, str] = {} if pending is None else pending
        self.keys: list[Key] = []
        self.hexes: list[str] = []
        self.lines: list[str] = []
        self.shards: list[int] = []
        self._shard_of: dict[str, int] = {}

    def sync(self, items: dict[Key, Item], created: Iterable[Key], changed: Iterable[Key]) -> None:
        """Catch up with ``items``: ``created`` and ``changed`` (changed or deleted) keys since
        the previous sync; ``created`` may list keys deleted since."""
        pending, keys, lines = self.pending, self.keys, self.lines
        gone: list[int] = []
        for key in changed:
            pending.pop(key, None)
            pos = bisect_left(self.hexes, _scan_order(key))
            if pos < len(keys) and keys[pos] == key:
                item = items.get(key)
                if item is None:
                    gone.append(pos)
                else:
                    lines[pos] = _line_json({"Item": item})
        if gone:
            self._drop(sorted(gone))
        self._add([k for k in created if k in items], items)

    def _add(self, new_keys: list[Key], items: dict[Key, Item]) -> None:
        """Merge new item keys into the scan order (O(new * log n) plus one copy)."""
        if not new_keys:
            return
        pending, shard_of = self.pending, self._shard_of
        if not self.keys:  # the first export: build the rows in creation order, sort once
            pop = pending.pop
            rows = []
            for k in new_keys:
                shard = shard_of.get(k[0])
                if shard is None:
                    shard = shard_of[k[0]] = _shard_hash(k[0])
                rows.append((_scan_order(k), k, pop(k, "") or _line_json({"Item": items[k]}), shard))
            rows.sort()
            self.hexes = [row[0] for row in rows]
            self.keys = [row[1] for row in rows]
            self.lines = [row[2] for row in rows]
            self.shards = [row[3] for row in rows]
            return
        new = sorted(zip(map(_scan_order, new_keys), new_keys, strict=True))
        merged: tuple[list[Any], ...] = ([], [], [], [])
        out_h, out_k, out_l, out_s = merged
        old: tuple[list[Any], ...] = (self.hexes, self.keys, self.lines, self.shards)
        at = 0
        for h, k in new:
            pos = bisect_left(self.hexes, h, at)
            if pos > at:
                for out, src in zip(merged, old, strict=True):
                    out += src[at:pos]
            line = pending.pop(k, None)
            if line is None:
                line = _line_json({"Item": items[k]})
            shard = shard_of.get(k[0])
            if shard is None:
                shard = shard_of[k[0]] = _shard_hash(k[0])
            out_h.append(h)
            out_k.append(k)
            out_l.append(line)
            out_s.append(shard)
            at = pos
        for out, src in zip(merged, old, strict=True):
            out += src[at:]
        self.hexes, self.keys, self.lines, self.shards = merged

    def _drop(self, positions: list[int]) -> None:
        """Remove the (ascending) scan positions of deleted items."""
        old: tuple[list[Any], ...] = (self.hexes, self.keys, self.lines, self.shards)
        kept: tuple[list[Any], ...] = ([], [], [], [])
        at = 0
        for pos in positions:
            for out, src in zip(kept, old, strict=True):
                out += src[at:pos]
            at = pos + 1
        for out, src in zip(kept, old, strict=True):
            out += src[at:]
        self.hexes, self.keys, self.lines, self.shards = kept


def serialize(items: dict[Key, Item]) -> list[tuple[Key, str]]:
    """Items as export lines, in a hash order like DynamoDB's partition scan."""
    cache = ExportCache()
    cache.sync(items, items, ())
    return list(zip(cache.keys, cache.lines, strict=True))


def _partition(cache: ExportCache, rng: random.Random) -> list[list[str]]:
    """Split the export lines into data files by partition key, in scan order within each file,
    plus one empty file (AWS writes those)."""
    n_full = max(3, len(cache.lines) // 50_000 + 1)
    parts: list[list[str]] = [[] for _ in range(n_full)]
    append = [part.append for part in parts]
    for line, part in zip(cache.lines, map(n_full.__rmod__, cache.shards), strict=True):
        append[part](line)
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
    """Write one full export of ``items`` as of ``export_time_ms``.

    ``cache`` (see ExportCache) must have been synced with ``items``.
    """
    export_id = f"0{export_time_ms:013d}-{rand_hex(rng, 8)}"
    base = f"{PREFIX}/AWSDynamoDB/{export_id}"
    write_file(root, f"{base}/_started", b"")
    if cache is None:
        cache = ExportCache()
        cache.sync(items, items, ())
    parts = _partition(cache, rng)
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
