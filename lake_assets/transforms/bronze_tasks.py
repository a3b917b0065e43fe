"""What Bronze runs inside Spark tasks (`mapInArrow`): listed landing files in, Arrow batches out.

Apart from `transforms.bronze` (the pandera contracts) because a Python worker imports the module
of every function it unpickles: importing pandera costs about a second per worker, in every step.
So nothing here imports pandera, Dagster or a Spark session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa

from lake_assets.core.failures import LandingInputError
from lake_assets.core.landing import Landing
from lake_assets.parsing.api_log_columns import parse_api_log_table
from lake_assets.parsing.api_logs import parse_api_log_object
from lake_assets.parsing.exports import DataFileLines
from lake_assets.transforms.arrow_rows import BATCH_ROWS, batches, return_memory


def api_log_batches(
    landing: Landing, schema: pa.Schema, batches_in: Iterator[pa.RecordBatch]
) -> Iterator[pa.RecordBatch]:
    """Each listed object parsed into Arrow in bulk (`parse_api_log_table`); tables are yielded
    in batches of about BATCH_ROWS rows."""
    pending: list[pa.Table] = []
    size = 0
    for batch in batches_in:
        for obj in batch.to_pylist():
            key, landed_at = obj["key"], obj["landed_at"]
            data = landing.read_bytes(key)  # an I/O failure here is infrastructure: retried
            try:
                table = parse_api_log_table(data, key, schema, {"ingested_at": landed_at})
            except Exception:  # the row parser, which locates a failure, decides (and names it)
                table = pa.Table.from_batches(list(_object_batches(data, key, landed_at, schema)), schema)
            pending.append(table)
            size += table.num_rows
            if size >= BATCH_ROWS:
                yield from pa.concat_tables(pending).to_batches(max_chunksize=BATCH_ROWS)
                pending, size = [], 0
    if pending:
        yield from pa.concat_tables(pending).to_batches(max_chunksize=BATCH_ROWS)
    return_memory()


def _object_batches(data: bytes, key: str, landed_at: datetime, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """One object through the row parser; a failure is named with the last record that parsed."""
    last: dict[str, Any] | None = None

    def rows() -> Iterator[dict[str, Any]]:
        nonlocal last
        for row in parse_api_log_object(data, key):
            row["ingested_at"] = landed_at
            last = row
            yield row

    try:
        yield from batches(rows(), schema)
    except Exception as exc:  # a parser bug on this object: name it, never a bare traceback
        if last is None:
            position, excerpt = "at its start", data[:120].decode("utf-8", "replace")
        else:  # the parser streams records: the last good one locates the failure
            position, excerpt = f"after record {last['record_index']}", str(last.get("raw") or "")
        raise LandingInputError(key, position, excerpt, exc) from exc


def data_file_batches(
    landing: Landing,
    parse: Callable[[str, int], dict[str, Any]],
    schema: pa.Schema,
    batches_in: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """Rows of the data files listed in the input batches; each input row's other columns
    (export id, times) are copied onto every row parsed from that file.

    Each file's MD5 is checked against its `md5_checksum` as it is read (`DataFileLines`). An
    untrusted file (checksum mismatch, truncated or non-gzip) adds one row after its lines with
    `parse_error` `data_file_…` naming the file and both checksums: the task never fails on it
    with a stack trace, and the job refuses the whole export from that row.
    """

    def rows() -> Iterator[dict[str, Any]]:
        for batch in batches_in:
            for obj in batch.to_pylist():
                carried = {k: v for k, v in obj.items() if k not in ("key", "md5_checksum")}
                lines = DataFileLines(landing, obj["key"], obj.get("md5_checksum"))
                for number, line in lines:
                    try:
                        row = parse(line, number)
                    except Exception as exc:  # a parser bug on this line: name it, never a bare traceback
                        raise LandingInputError(obj["key"], f"line {number}", line, exc) from exc
                    row.update(carried, source_key=obj["key"])
                    yield row
                if lines.problem:
                    yield {
                        **carried,
                        "source_key": obj["key"],
                        "line_number": lines.last_line + 1,
                        "raw_item": "",
                        "parse_error": lines.problem,
                    }

    yield from batches(rows(), schema)
    return_memory()
