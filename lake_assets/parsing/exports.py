"""Find and validate DynamoDB Export-to-S3 exports in the landing zone.

An export is complete only when `manifest-summary.json` exists (AWS writes it last; `_started`
is written first and proves nothing). Data files are taken from `manifest-files.json`, never by
listing a folder, because incremental exports share one data folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from lake_assets.core.landing import LocalLanding

EXPORTS_DIR = "AWSDynamoDB"


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


def list_completed_exports(landing: LocalLanding, table_prefix: str,
                           names: list[str] | None = None) -> tuple[list[ExportSummary], list[str]]:
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
        summaries.append(ExportSummary(
            export_id=export_id,
            export_type=str(doc.get("exportType") or "FULL_EXPORT"),
            export_time=parse_aws_time(doc.get("exportTime")),
            end_time=parse_aws_time(doc.get("endTime")),
            item_count=doc.get("itemCount") if isinstance(doc.get("itemCount"), int) else None,
            manifest_files_key=_resolve(table_prefix, str(doc.get("manifestFilesS3Key")
                                                          or f"{root}/{export_id}/manifest-files.json")),
            base_prefix=table_prefix,
            export_from_time=parse_aws_time(doc.get("exportFromTime")),
            export_to_time=parse_aws_time(doc.get("exportToTime")),
            output_view=doc.get("outputView"),
        ))
    return summaries, notes


def day_window(day: date) -> tuple[datetime, datetime]:
    """(D 00:00, D+1 00:00] in UTC: a point-in-time export at midnight closes the day before."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def choose_full_export(exports: list[ExportSummary], day: date) -> ExportSummary | None:
    """The latest completed full export whose exportTime falls in `day_window(day)`."""
    lo, hi = day_window(day)
    candidates = [e for e in exports if e.export_type == "FULL_EXPORT"
                  and e.export_time is not None and lo < e.export_time <= hi]
    if not candidates:
        return None
    floor = datetime.min.replace(tzinfo=UTC)
    return max(candidates, key=lambda e: (e.export_time, e.end_time or floor, e.export_id))


def choose_incremental_exports(exports: list[ExportSummary], day: date) -> list[ExportSummary]:
    """Completed incremental exports whose window ends in `day_window(day)`, oldest first."""
    lo, hi = day_window(day)
    chosen = [e for e in exports if e.export_type == "INCREMENTAL_EXPORT"
              and e.export_to_time is not None and lo < e.export_to_time <= hi]
    return sorted(chosen, key=lambda e: (e.export_to_time, e.export_id))


def _md5_matches(data: bytes, expected: str) -> bool:
    """AWS writes base64 digests in manifests; hex is accepted too."""
    digest = hashlib.md5(data, usedforsecurity=False).digest()
    return expected in (base64.b64encode(digest).decode(), digest.hex())


def load_files(landing: LocalLanding, export: ExportSummary, verify_checksums: bool = True) -> ExportSummary:
    """Read `manifest-files.json` and check that every listed data file exists (and its MD5)."""
    if not landing.exists(export.manifest_files_key):
        raise ExportError(f"export {export.export_id}: {export.manifest_files_key} is missing")
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
                f"export {export.export_id}: manifest-files.json line {number} is invalid ({exc})") from None
        if not landing.exists(key):
            raise ExportError(f"export {export.export_id}: data file {key} listed in the manifest is missing")
        checksum = entry.get("md5Checksum")
        if verify_checksums and checksum and not _md5_matches(landing.read_bytes(key), checksum):
            raise ExportError(f"export {export.export_id}: data file {key} does not match its md5Checksum")
        files.append(ExportFile(key, count, checksum))
    total = sum(f.item_count for f in files)
    if export.item_count is not None and total != export.item_count:
        raise ExportError(f"export {export.export_id}: manifest files list {total} items but the summary says "
                          f"{export.item_count}")
    return ExportSummary(**{**export.__dict__, "files": tuple(files)})
