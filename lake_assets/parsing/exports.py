"""Find and validate DynamoDB Export-to-S3 exports in the landing zone, and read their data files.

An export is complete only when `manifest-summary.json` exists (AWS writes it last; `_started`
is written first and proves nothing). Data files are taken from `manifest-files.json`, never by
listing a folder, because incremental exports share one data folder. Validation from manifests
and listings (`load_files`) runs on the sensor's daemon and the Spark driver; data files are read,
and their MD5 checked, only inside Spark tasks (`DataFileLines`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from lake_assets.core.landing import Landing, LocalLanding

EXPORTS_DIR = "AWSDynamoDB"
FILE_PROBLEM_PREFIX = "data_file_"  # parse_error of the one row that flags an untrusted data file
READ_BYTES = 1 << 20  # object bytes hashed per read
INFLATE_BYTES = 64 << 10  # compressed bytes inflated at a time: bounds a task's memory per step
_GZIP = 31  # zlib wbits for a gzip header and trailer


class ExportError(ValueError):
    """An export is unusable or missing; the message says which and why."""


@dataclass(frozen=True)
class ExportFile:
    key: str
    item_count: int
    md5_checksum: str | None


@dataclass(frozen=True)
class ExportSummary:
    """The facts of one completed export that the pipeline relies on."""

    export_id: str
    export_type: str
    export_time: datetime | None
    end_time: datetime | None
    item_count: int | None
    manifest_files_key: str
    base_prefix: str  # landing prefix that holds AWSDynamoDB/ (the export's S3Prefix)
    files: tuple[ExportFile, ...] = field(default=())
    export_from_time: datetime | None = None  # incremental exports: window [from, to)
    export_to_time: datetime | None = None
    output_view: str | None = None


def parse_aws_time(text: object) -> datetime | None:
    """ISO-8601 as AWS writes it (`2026-11-21T02:00:00.000Z`) → aware UTC datetime."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _resolve(base_prefix: str, key: str) -> str:
    """Map a bucket-relative key from a manifest onto the landing root we read from."""
    marker = key.find(f"{EXPORTS_DIR}/")
    return f"{base_prefix}/{key[marker:]}" if marker >= 0 else key


def list_completed_exports(
    landing: Landing, table_prefix: str, names: list[str] | None = None
) -> tuple[list[ExportSummary], list[str]]:
    """Completed exports under `table_prefix` (e.g. `dynamodb/tasks`) and notes on ignored ones.

    `names` limits the look to these export folders (a bounded listing done by the caller).
    """
    summaries, notes = [], []
    root = f"{table_prefix}/{EXPORTS_DIR}"
    for export_id in landing.list_dirs(root) if names is None else names:
        if export_id == "data":
            continue  # the incremental exports' shared data folder
        summary_key = f"{root}/{export_id}/manifest-summary.json"
        if not landing.exists(summary_key):
            state = "started" if landing.exists(f"{root}/{export_id}/_started") else "unknown"
            notes.append(f"{export_id}: in progress ({state}, no manifest-summary.json)")
            continue
        try:
            doc = json.loads(landing.read_bytes(summary_key))
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            notes.append(f"{export_id}: unreadable manifest-summary.json ({exc})")
            continue
        summaries.append(
            ExportSummary(
                export_id=export_id,
                export_type=str(doc.get("exportType") or "FULL_EXPORT"),
                export_time=parse_aws_time(doc.get("exportTime")),
                end_time=parse_aws_time(doc.get("endTime")),
                item_count=doc.get("itemCount") if isinstance(doc.get("itemCount"), int) else None,
                manifest_files_key=_resolve(
                    table_prefix, str(doc.get("manifestFilesS3Key") or f"{root}/{export_id}/manifest-files.json")
                ),
                base_prefix=table_prefix,
                export_from_time=parse_aws_time(doc.get("exportFromTime")),
                export_to_time=parse_aws_time(doc.get("exportToTime")),
                output_view=doc.get("outputView"),
            )
        )
    return summaries, notes


def day_window(day: date) -> tuple[datetime, datetime]:
    """(D 00:00, D+1 00:00] in UTC: a point-in-time export at midnight closes the day before."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def choose_full_export(exports: list[ExportSummary], day: date) -> ExportSummary | None:
    """The latest completed full export whose exportTime falls in `day_window(day)`."""
    lo, hi = day_window(day)
    candidates = [
        e for e in exports if e.export_type == "FULL_EXPORT" and e.export_time is not None and lo < e.export_time <= hi
    ]
    if not candidates:
        return None
    floor = datetime.min.replace(tzinfo=UTC)
    return max(candidates, key=lambda e: (e.export_time, e.end_time or floor, e.export_id))


def choose_incremental_exports(exports: list[ExportSummary], day: date) -> list[ExportSummary]:
    """Completed incremental exports whose window ends in `day_window(day)`, oldest first."""
    lo, hi = day_window(day)
    chosen = [
        e
        for e in exports
        if e.export_type == "INCREMENTAL_EXPORT" and e.export_to_time is not None and lo < e.export_to_time <= hi
    ]
    return sorted(chosen, key=lambda e: (e.export_to_time, e.export_id))


def md5_matches(digest: bytes, expected: str) -> bool:
    """AWS writes base64 digests in manifests; hex is accepted too."""
    return expected in (base64.b64encode(digest).decode(), digest.hex())


def _listed_keys(landing: Landing, folder: str) -> set[str]:
    """Keys under one export's own folder: a single bounded listing, never a read."""
    return {o.key for o in landing.list(folder)}


def load_files(landing: Landing, export: ExportSummary, *, require_checksum_files: bool = False) -> ExportSummary:
    """The export with its data files from `manifest-files.json`, validated without reading data.

    Checks that the manifest exists (and, with `require_checksum_files`, both manifests' checksum
    sidecars), that every listed data file exists and that the item counts add up to the
    summary's. Existence comes from one listing of the export's folder (full exports keep their
    data there) or a HEAD per file in the shared incremental `data/` folder, which is never listed.
    A data file's bytes are never read here: a multi-GB export must not pass through the sensor's
    daemon or the Spark driver, so each file's MD5 is checked by the Spark task that parses it
    (`DataFileLines`).
    """
    folder = f"{export.base_prefix}/{EXPORTS_DIR}/{export.export_id}"
    listed = _listed_keys(landing, folder)

    def exists(key: str) -> bool:
        return key in listed if key.startswith(f"{folder}/") else landing.exists(key)

    if not exists(export.manifest_files_key):
        raise ExportError(f"export {export.export_id}: {export.manifest_files_key} is missing")
    for manifest in ("manifest-summary", "manifest-files") if require_checksum_files else ():
        if not any(f"{folder}/{manifest}.{ext}" in listed for ext in ("md5", "checksum")):
            raise ExportError(
                f"export {export.export_id}: {manifest}.json has no checksum file ({manifest}.md5 or .checksum)"
            )
    files = []
    text = landing.read_bytes(export.manifest_files_key).decode("utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            key = _resolve(export.base_prefix, entry["dataFileS3Key"])
            count = int(entry.get("itemCount", 0))
        except (ValueError, KeyError, TypeError) as exc:
            raise ExportError(
                f"export {export.export_id}: manifest-files.json line {number} is invalid ({exc})"
            ) from None
        if not exists(key):
            raise ExportError(f"export {export.export_id}: data file {key} listed in the manifest is missing")
        files.append(ExportFile(key, count, entry.get("md5Checksum") or None))
    total = sum(f.item_count for f in files)
    if export.item_count is not None and total != export.item_count:
        raise ExportError(
            f"export {export.export_id}: manifest files list {total} items but the summary says {export.item_count}"
        )
    return ExportSummary(**{**export.__dict__, "files": tuple(files)})


def _open(landing: Landing, key: str) -> BinaryIO:
    """A binary stream of one landing object.

    A landing that offers `open(key)` is streamed and a local one is opened as a file. Any other
    (`S3Landing` has only `read_bytes` today) is fetched in one GET into this task's memory: one
    compressed data file, never the whole export, and never on the driver.
    """
    opener = getattr(landing, "open", None)
    if callable(opener):
        return opener(key)
    if isinstance(landing, LocalLanding):
        return Path(landing.root, key).open("rb")
    return io.BytesIO(landing.read_bytes(key))


def _hashed(stream: BinaryIO, digest: Any) -> Iterator[bytes]:
    """The object's bytes as they are read, each added to `digest` first."""
    while chunk := stream.read(READ_BYTES):
        digest.update(chunk)
        yield chunk


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Decompressed pieces of a gzip stream, multi-member included (like `gzip.decompress`).

    Raises EOFError when the stream stops inside a member (a truncated object) and zlib.error on
    bytes that are not gzip. Zero bytes are an empty file (AWS writes empty partitions' files).
    """
    inflater, fed = zlib.decompressobj(_GZIP), False
    for chunk in chunks:
        for start in range(0, len(chunk), INFLATE_BYTES):
            data = chunk[start : start + INFLATE_BYTES]
            while data:
                fed = True
                yield inflater.decompress(data)
                if not inflater.eof:
                    break
                data, inflater, fed = inflater.unused_data, zlib.decompressobj(_GZIP), False
    if fed and not inflater.eof:
        raise EOFError("the gzip stream ends before its end-of-stream marker: the object is truncated")


class DataFileLines:
    """(line number, line) of one gzip data file, its MD5 checked on the bytes as they stream by.

    `md5Checksum` in manifest-files.json is the MD5 of the object as stored: the compressed bytes
    (for AWS's own exports md5(data file) equals it, and md5 of that digest gives the object's
    ETag). So the digest is fed the raw chunks before decompression, nothing is held whole, and
    the verdict exists only at the end of the object. Iterate once; then `problem` is None for a
    trusted file, or a `data_file_…` reason naming the file and both checksums (a mismatch) or the
    gzip fault (a truncated or non-gzip object). The lines already yielded belong to an untrusted
    file then, so the caller must account for `problem` (see `transforms.bronze`).
    """

    def __init__(self, landing: Landing, key: str, md5_checksum: str | None) -> None:
        self.landing, self.key, self.md5_checksum = landing, key, md5_checksum
        self.last_line = 0  # the number of the last line seen, blank ones included
        self.problem: str | None = None

    def __iter__(self) -> Iterator[tuple[int, str]]:
        digest = hashlib.md5(usedforsecurity=False)
        fault, pending = None, b""
        with _open(self.landing, self.key) as stream:
            chunks = _hashed(stream, digest)
            try:
                for piece in _gunzip(chunks):
                    *complete, pending = (pending + piece).split(b"\n")
                    for raw in complete:
                        yield from self._line(raw)
            except (EOFError, zlib.error) as exc:
                fault = str(exc)
                for _ in chunks:  # the MD5 still covers every byte of the object
                    pass
        if pending:
            yield from self._line(pending)
        self.problem = self._verdict(digest.digest(), fault)

    def _line(self, raw: bytes) -> Iterator[tuple[int, str]]:
        self.last_line += 1
        text = raw.removesuffix(b"\r").decode("utf-8", errors="replace")
        if text.strip():
            yield self.last_line, text

    def _verdict(self, digest: bytes, fault: str | None) -> str | None:
        expected = self.md5_checksum
        if expected and not md5_matches(digest, expected):
            found = base64.b64encode(digest).decode()
            return (
                f"{FILE_PROBLEM_PREFIX}checksum_mismatch: {self.key} has MD5 {found} but manifest-files.json "
                f"says md5Checksum {expected}" + (f" ({fault})" if fault else "")
            )
        if fault:
            return f"{FILE_PROBLEM_PREFIX}unreadable: {self.key}: {fault}"
        return None
