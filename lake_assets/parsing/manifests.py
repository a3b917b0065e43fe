"""DynamoDB export manifests: which exports completed, which one a day uses, and its data files.

Everything here reads manifests and listings only (never a data file), so it runs on the sensor's
daemon and on the Spark driver. Anything a manifest says that the pipeline cannot safely follow is
an `ExportError` naming the export and the reason, never a stack trace:

- `outputFormat` other than DYNAMODB_JSON. AWS also offers ION (Amazon Ion text). It is refused,
  not parsed: the Glue runtime ships no Ion library and `parsing/` is stdlib-only, and a
  hand-written Ion reader is a second parser to keep exact (decimals, blobs, symbols) for a format
  the platform never requests. Without the check an ION export read as 100% parse errors while
  `manifest_reconciliation` (rows read = itemCount) still passed. A summary without
  `outputFormat` is DYNAMODB_JSON, the API's default (`ExportFormat` defaults to DYNAMODB_JSON).
- a key in a manifest that does not lead under `<table prefix>/AWSDynamoDB/` once resolved (path
  traversal such as `../../../../etc/hostname`): refused before anything is opened.
- a `manifest-files.json` that is not UTF-8.

A completed export (its `manifest-summary.json` exists) whose summary cannot be used is *broken*,
not ignored: it may be the very export of the day being built, so choosing an older export of the
same day instead would publish stale data as if it were current. `choose_full_export` and
`choose_incremental_exports` refuse every day a broken export could belong to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from lake_assets.core.landing import Landing

EXPORTS_DIR = "AWSDynamoDB"
SUPPORTED_FORMAT = "DYNAMODB_JSON"
EXPORT_TYPES = ("FULL_EXPORT", "INCREMENTAL_EXPORT")
# An export id starts with the epoch milliseconds of its request (`01715685260608-c488b4e1`).
_REQUESTED_MS = re.compile(r"^(\d{14})-[0-9a-f]+$")
# Point-in-time recovery reaches 35 days back: a full export's exportTime (and an incremental
# export's window) lies at most this long before its request.
PITR_WINDOW = timedelta(days=35)


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
    output_format: str = SUPPORTED_FORMAT  # `outputFormat`; absent means DYNAMODB_JSON (AWS's default)
    problem: str | None = None  # why a completed export cannot be used (it is broken), else None

    @property
    def requested_at(self) -> datetime | None:
        """When the export was requested, from its id; None for an id not shaped like AWS's."""
        found = _REQUESTED_MS.match(self.export_id)
        return datetime.fromtimestamp(int(found.group(1)) / 1000, UTC) if found else None

    def could_belong_to(self, day: date) -> bool:
        """Whether this export's time could fall in `day_window(day)`: its time lies in
        [requested - PITR_WINDOW, requested]; an id without a time could belong to any day."""
        requested = self.requested_at
        if requested is None:
            return True
        lo, hi = day_window(day)
        return lo < requested and requested - PITR_WINDOW <= hi


def _broken(table_prefix: str, export_id: str, problem: str) -> ExportSummary:
    return ExportSummary(
        export_id=export_id,
        export_type="UNKNOWN",
        export_time=None,
        end_time=None,
        item_count=None,
        manifest_files_key="",
        base_prefix=table_prefix,
        problem=problem,
    )


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
    """Map a bucket-relative key from a manifest onto the landing root we read from.

    Files are located through the `AWSDynamoDB/` part of the key (the export's own S3 prefix may
    differ from where the files now sit). The result is always under `<base_prefix>/AWSDynamoDB/`
    with no empty, `.` or `..` segment; a key that cannot be resolved so raises ExportError.
    """
    marker = key.find(f"{EXPORTS_DIR}/")
    rest = key[marker:] if marker >= 0 else ""
    segments = rest.split("/")
    if not rest or "\\" in rest or "\x00" in rest or any(s in ("", ".", "..") for s in segments):
        raise ExportError(
            f"{key[:300]!r} does not resolve to a file under {base_prefix}/{EXPORTS_DIR}/ "
            "(path traversal or a malformed key): refused"
        )
    return f"{base_prefix}/{rest}"


def list_completed_exports(
    landing: Landing, table_prefix: str, names: list[str] | None = None
) -> tuple[list[ExportSummary], list[str]]:
    """Completed exports under `table_prefix` (e.g. `dynamodb/tasks`), broken ones included (with
    `problem` set), and notes on exports still in progress.

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
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            summaries.append(_broken(table_prefix, export_id, f"manifest-summary.json is unreadable ({exc})"))
            continue
        try:
            manifest_files_key = _resolve(
                table_prefix, str(doc.get("manifestFilesS3Key") or f"{root}/{export_id}/manifest-files.json")
            )
        except ExportError as exc:
            summaries.append(_broken(table_prefix, export_id, f"unusable manifestFilesS3Key ({exc})"))
            continue
        summary = ExportSummary(
            export_id=export_id,
            export_type=str(doc.get("exportType") or "FULL_EXPORT"),
            export_time=parse_aws_time(doc.get("exportTime")),
            end_time=parse_aws_time(doc.get("endTime")),
            item_count=doc.get("itemCount") if isinstance(doc.get("itemCount"), int) else None,
            manifest_files_key=manifest_files_key,
            base_prefix=table_prefix,
            export_from_time=parse_aws_time(doc.get("exportFromTime")),
            export_to_time=parse_aws_time(doc.get("exportToTime")),
            output_view=doc.get("outputView"),
            output_format=str(doc.get("outputFormat") or SUPPORTED_FORMAT),
        )
        summaries.append(replace(summary, problem=_summary_problem(summary, doc)))
    return summaries, notes


def _summary_problem(summary: ExportSummary, doc: dict[str, object]) -> str | None:
    """Why a readable summary still cannot place the export on a day, if it cannot."""
    if summary.export_type not in EXPORT_TYPES:
        return f"manifest-summary.json has exportType {summary.export_type[:40]!r}, not one of {EXPORT_TYPES}"
    name = "exportTime" if summary.export_type == "FULL_EXPORT" else "exportToTime"
    moment = summary.export_time if summary.export_type == "FULL_EXPORT" else summary.export_to_time
    if moment is None:
        return f"manifest-summary.json has no usable {name} ({repr(doc.get(name))[:40]})"
    return None


def refuse_broken(exports: list[ExportSummary], day: date) -> None:
    """Raise ExportError naming every broken export that could be `day`'s own export: building the
    day from another export would silently publish older data than AWS delivered."""
    suspects = [e for e in exports if e.problem is not None and e.could_belong_to(day)]
    if not suspects:
        return
    named = "; ".join(
        f"{e.export_id} (requested {e.requested_at:%Y-%m-%dT%H:%MZ}): {e.problem}"
        if e.requested_at
        else f"{e.export_id}: {e.problem}"
        for e in suspects
    )
    raise ExportError(
        f"completed export(s) that may belong to {day.isoformat()} cannot be read: {named}. {day.isoformat()} is "
        "not built from another export, which could be older than the one AWS delivered. Repair the summary, "
        "or move the broken export folder out of the landing zone and re-export the table."
    )


def day_window(day: date) -> tuple[datetime, datetime]:
    """(D 00:00, D+1 00:00] in UTC: a point-in-time export at midnight closes the day before."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def choose_full_export(exports: list[ExportSummary], day: date) -> ExportSummary | None:
    """The latest completed full export whose exportTime falls in `day_window(day)`; ExportError if a
    broken export could belong to the day (`refuse_broken`)."""
    refuse_broken(exports, day)
    lo, hi = day_window(day)
    candidates = [
        e for e in exports if e.export_type == "FULL_EXPORT" and e.export_time is not None and lo < e.export_time <= hi
    ]
    if not candidates:
        return None
    floor = datetime.min.replace(tzinfo=UTC)
    return max(candidates, key=lambda e: (e.export_time, e.end_time or floor, e.export_id))


def choose_incremental_exports(exports: list[ExportSummary], day: date) -> list[ExportSummary]:
    """Completed incremental exports whose window ends in `day_window(day)`, oldest first; ExportError
    if a broken export could belong to the day (`refuse_broken`)."""
    refuse_broken(exports, day)
    lo, hi = day_window(day)
    chosen = [
        e
        for e in exports
        if e.export_type == "INCREMENTAL_EXPORT" and e.export_to_time is not None and lo < e.export_to_time <= hi
    ]
    return sorted(chosen, key=lambda e: (e.export_to_time, e.export_id))


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
    if export.output_format != SUPPORTED_FORMAT:
        raise ExportError(
            f"export {export.export_id}: outputFormat {export.output_format[:40]!r} is not supported: only "
            f"{SUPPORTED_FORMAT} is parsed (the Glue job has no Amazon Ion reader). Re-export the table with "
            f"ExportFormat={SUPPORTED_FORMAT}."
        )
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
    try:
        text = landing.read_bytes(export.manifest_files_key).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ExportError(
            f"export {export.export_id}: manifest-files.json is not valid UTF-8 (byte {exc.start}: "
            f"{exc.object[exc.start : exc.start + 4]!r}); AWS writes UTF-8 JSON lines, so the file is damaged"
        ) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            key = _resolve(export.base_prefix, str(entry["dataFileS3Key"]))
            count = int(entry.get("itemCount", 0))
        except ExportError as exc:
            raise ExportError(
                f"export {export.export_id}: manifest-files.json line {number}: dataFileS3Key {exc}"
            ) from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
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
