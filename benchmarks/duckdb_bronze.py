"""Bronze for the DuckDB contender: landing objects → Bronze Parquet partitions, without Spark.

The raw landing formats (Firehose/CloudWatch envelopes in up to three gzip layers, CLF/CSV/XML/JSON
access-log lines, DynamoDB JSON with exact numbers, MD5-checked export data files) are parsed with
the project's own parser library (`lake_assets.parsing`, the same bulk access-log parser as the
Spark job), as a user would reuse a parser library: DuckDB's `read_json` cannot read these
formats with the same semantics (gzip-of-gzip members, malformed-fragment rows, `\\xNN`-escaped
bytes, typed DynamoDB numbers kept as exact literals), and a re-implementation would compare
parsers, not engines. What differs from the Spark run is everything around the parser: a process
pool (one worker per core, like Spark's local executors) instead of Spark tasks, and Arrow →
Parquet written directly by each worker.

Neither pyspark nor pandera is imported here: the DuckDB run pays no Spark import or JVM start.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lake_assets.core.landing import LocalLanding, skip_reason
from lake_assets.parsing import exports as ex
from lake_assets.parsing.api_log_columns import parse_api_log_table
from lake_assets.parsing.dynamodb_json import parse_full_export_line, parse_incremental_line

S, L, I32 = pa.string(), pa.int64(), pa.int32()
TS = pa.timestamp("us", tz="UTC")
STRING_MAP = pa.map_(pa.string(), pa.string())
BATCH_ROWS = 20_000

# The Bronze contracts' columns (transforms/bronze.py), as Arrow types.
API_REQUESTS = pa.schema(
    [
        *[("record_type", S), ("parse_error", S), ("request_id", S), ("ip", S), ("request_time", S)],
        *[("request_time_epoch_ms", L), ("event_time", TS), ("time_source", S), ("http_method", S)],
        *[("route_key", S), ("path", S), ("status", I32), ("protocol", S), ("response_length", L)],
        *[("response_latency_ms", L), ("integration_latency_ms", L), ("user_agent", S), ("user_id", S)],
        *[("invalid_fields", S), ("missing_fields", S), ("extra_fields", S), ("log_group", S)],
        *[("log_stream", S), ("log_event_id", S), ("log_event_time", TS), ("log_owner", S)],
        *[("log_region", S), ("log_subscription_filters", pa.list_(S)), ("log_policy_level", S)],
        *[("log_extracted_fields", STRING_MAP), ("source_key", S), ("source_format", S)],
        *[("compression", S), ("log_format", S), ("record_index", I32), ("raw", S), ("ingested_at", TS)],
    ]
)
TASKS_EXPORT = pa.schema(
    [
        *[("export_id", S), ("export_time", TS), ("source_key", S), ("line_number", I32), ("pk", S)],
        *[("sk", S), ("item_json", S), ("item_dynamodb_json", S), ("attribute_types", STRING_MAP)],
        *[("raw_item", S), ("parse_error", S)],
    ]
)
TASKS_CHANGES = pa.schema(
    [
        *[("export_id", S), ("export_to_time", TS), ("source_key", S), ("line_number", I32)],
        *[("write_timestamp_micros", L), ("operation", S), ("pk", S), ("sk", S), ("item_json", S)],
        *[("item_dynamodb_json", S), ("attribute_types", STRING_MAP), ("old_item_json", S)],
        *[("old_item_dynamodb_json", S), ("raw_item", S), ("parse_error", S)],
    ]
)
API_LOGS_PREFIX, TASKS_EXPORT_PREFIX = "api_logs", "dynamodb/tasks"


def partition_dir(lake: Path, layer: str, table: str, day: date) -> Path:
    return lake / layer / table / f"dt={day.isoformat()}"


def _write_part(rows: Iterator[dict[str, Any]], schema: pa.Schema, folder: Path) -> int:
    """Rows → one Parquet file in `folder` (written in batches); returns the rows written."""
    path, written, chunk = folder / f"part-{uuid.uuid4().hex}.parquet", 0, []
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= BATCH_ROWS:
                writer.write_batch(pa.RecordBatch.from_pylist(chunk, schema=schema))
                written, chunk = written + len(chunk), []
        if chunk or not written:  # an empty part keeps the schema of an empty partition
            writer.write_batch(pa.RecordBatch.from_pylist(chunk, schema=schema))
    return written + len(chunk)


def _api_part(landing_root: str, folder: str, objects: list[tuple[str, datetime]]) -> int:
    """The objects through the same bulk parser the Spark job uses, straight to one Parquet file."""
    landing = LocalLanding(landing_root)
    path, written = Path(folder) / f"part-{uuid.uuid4().hex}.parquet", 0
    with pq.ParquetWriter(path, API_REQUESTS, compression="snappy") as writer:
        for key, landed_at in objects:
            table = parse_api_log_table(landing.read_bytes(key), key, API_REQUESTS, {"ingested_at": landed_at})
            if table.num_rows or not written:  # an empty part keeps the schema of an empty partition
                writer.write_table(table)
            written += table.num_rows
        if not objects:
            writer.write_table(API_REQUESTS.empty_table())
    return written


def _export_part(
    landing_root: str,
    folder: str,
    files: list[tuple[str, str | None, dict[str, Any]]],
    parse: Callable[[str, int], dict[str, Any]],
    schema: pa.Schema,
) -> int:
    """Data files (key, md5, columns carried onto each row) → one Parquet part (see
    transforms.bronze_tasks.data_file_batches: an untrusted file adds one `data_file_…` flag row)."""
    landing = LocalLanding(landing_root)

    def rows() -> Iterator[dict[str, Any]]:
        for key, md5, carried in files:
            lines = ex.DataFileLines(landing, key, md5)
            for number, line in lines:
                row = parse(line, number)
                row.update(carried, source_key=key)
                yield row
            if lines.problem:
                yield {**carried, "source_key": key, "line_number": lines.last_line + 1, "raw_item": ""} | {
                    "parse_error": lines.problem
                }

    return _write_part(rows(), schema, Path(folder))


def _split(items: list[Any], parts: int) -> list[list[Any]]:
    return [chunk for chunk in (items[i::parts] for i in range(parts)) if chunk]


class BronzeWriter:
    """Writes the day's Bronze partitions with a process pool; each job replaces its partition."""

    def __init__(self, landing: Path, lake: Path, day: date, workers: int | None = None) -> None:
        self.landing, self.lake, self.day = LocalLanding(str(landing.resolve())), lake, day
        self.workers = workers or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(self.workers, mp_context=get_context("fork"))

    def close(self) -> None:
        self.pool.shutdown()

    def _run(self, table: str, work: Callable[..., int], chunks: list[Any]) -> int:
        final = partition_dir(self.lake, "bronze", table, self.day)
        staging = final.parent / f"_staging/{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        rows = sum(self.pool.map(partial(work, self.landing.root, str(staging)), chunks or [[]]))
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
        return rows

    def api_requests(self) -> int | None:
        """Partition D = every landing object that arrived on D (None: nothing landed)."""
        listed = self.landing.list(f"{API_LOGS_PREFIX}/{self.day:%Y/%m/%d}")
        objects = sorted(
            ((o.key, o.last_modified, o.size) for o in listed if skip_reason(o.key) is None),
            key=lambda o: -o[2],  # biggest first, dealt round-robin: balanced parts
        )
        if not objects:
            return None
        chunks = _split([(k, t) for k, t, _ in objects], self.workers * 2)
        return self._run("api_requests", _api_part, chunks)

    def tasks_export(self) -> int | None:
        """Partition D = the latest completed full export with exportTime in (D, D+1]."""
        summaries, _ = ex.list_completed_exports(self.landing, TASKS_EXPORT_PREFIX)
        chosen = ex.choose_full_export(summaries, self.day)
        if chosen is None:
            return None
        export = ex.load_files(self.landing, chosen)
        carried = {"export_id": export.export_id, "export_time": export.export_time}
        files = sorted(((f.key, f.md5_checksum, carried) for f in export.files), key=lambda f: f[0])
        work = partial(_export_part, parse=parse_full_export_line, schema=TASKS_EXPORT)
        return self._run("tasks_export", work, _split(files, 8))

    def tasks_changes(self) -> int | None:
        """Partition D = the changes of the incremental exports whose window ends in (D, D+1]."""
        summaries, _ = ex.list_completed_exports(self.landing, TASKS_EXPORT_PREFIX)
        exports = [ex.load_files(self.landing, e) for e in ex.choose_incremental_exports(summaries, self.day)]
        times = [t for e in summaries if (t := e.export_time or e.export_to_time) is not None]
        if not exports and (not times or min(times) > ex.day_window(self.day)[1]):
            return None
        files = [
            (f.key, f.md5_checksum, {"export_id": e.export_id, "export_to_time": e.export_to_time})
            for e in exports
            for f in e.files
        ]
        work = partial(_export_part, parse=parse_incremental_line, schema=TASKS_CHANGES)
        return self._run("tasks_changes", work, _split(files, 8))
