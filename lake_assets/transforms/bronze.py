"""Bronze transforms: landing objects → typed rows that keep the raw record and its provenance.

Parsing happens inside Spark tasks (`mapInArrow`) so objects are read and decoded in parallel and
rows travel to the JVM as Arrow, not pickled Python rows.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from lake_assets.core.landing import LocalLanding
from lake_assets.parsing.api_logs import parse_api_log_object
from lake_assets.parsing.dynamodb_json import parse_full_export_line
from lake_assets.transforms.arrow_rows import arrow_schema, batches

S, L, INT, TS = T.StringType(), T.LongType(), T.IntegerType(), T.TimestampType()

API_REQUESTS_SCHEMA = T.StructType([
    T.StructField("record_type", S, False), T.StructField("parse_error", S),
    T.StructField("request_id", S), T.StructField("ip", S), T.StructField("request_time", S),
    T.StructField("request_time_epoch_ms", L), T.StructField("event_time", TS),
    T.StructField("time_source", S), T.StructField("http_method", S), T.StructField("route_key", S),
    T.StructField("path", S), T.StructField("status", INT), T.StructField("protocol", S),
    T.StructField("response_length", L), T.StructField("response_latency_ms", L),
    T.StructField("integration_latency_ms", L), T.StructField("user_agent", S),
    T.StructField("user_id", S), T.StructField("invalid_fields", S), T.StructField("extra_fields", S),
    T.StructField("log_group", S), T.StructField("log_stream", S), T.StructField("log_event_id", S),
    T.StructField("log_event_time", TS), T.StructField("source_key", S, False),
    T.StructField("source_format", S), T.StructField("record_index", INT, False),
    T.StructField("raw", S), T.StructField("ingested_at", TS, False),
])

TASKS_EXPORT_SCHEMA = T.StructType([
    T.StructField("export_id", S, False), T.StructField("export_time", TS, False),
    T.StructField("source_key", S, False), T.StructField("line_number", INT, False),
    T.StructField("pk", S), T.StructField("sk", S), T.StructField("item_json", S),
    T.StructField("attribute_types", T.MapType(S, S)), T.StructField("raw_item", S, False),
    T.StructField("parse_error", S),
])

OBJECTS_SCHEMA = "key string, landed_at timestamp"


def _parse_api_batches(landing: LocalLanding, batches_in: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    schema = arrow_schema(API_REQUESTS_SCHEMA)

    def rows() -> Iterator[dict[str, Any]]:
        for batch in batches_in:
            for obj in batch.to_pylist():
                landed_at = obj["landed_at"]
                for row in parse_api_log_object(landing.read_bytes(obj["key"]), obj["key"]):
                    row["ingested_at"] = landed_at
                    yield row

    return batches(rows(), schema)


def parse_api_log_objects(objects: DataFrame, landing: LocalLanding) -> DataFrame:
    """Bronze `api_requests` rows of the landing objects listed in `objects` (key, landed_at).

    `ingested_at` is the object's landing time, so re-running a partition yields identical rows.
    """
    return objects.mapInArrow(lambda it: _parse_api_batches(landing, it), API_REQUESTS_SCHEMA)


def _parse_export_batches(landing: LocalLanding, export_id: str, export_time: Any,
                          batches_in: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    schema = arrow_schema(TASKS_EXPORT_SCHEMA)

    def rows() -> Iterator[dict[str, Any]]:
        for batch in batches_in:
            for obj in batch.to_pylist():
                data = landing.read_bytes(obj["key"])
                text = gzip.decompress(data).decode("utf-8", errors="replace") if data else ""
                for number, line in enumerate(text.splitlines(), start=1):
                    if not line.strip():
                        continue
                    row = parse_full_export_line(line, number)
                    row.update(export_id=export_id, export_time=export_time, source_key=obj["key"])
                    yield row

    return batches(rows(), schema)


def parse_export_files(files: DataFrame, landing: LocalLanding, export_id: str, export_time: Any) -> DataFrame:
    """Bronze `tasks_export` rows of one export's data files (a DataFrame with a `key` column)."""
    return files.mapInArrow(
        lambda it: _parse_export_batches(landing, export_id, export_time, it), TASKS_EXPORT_SCHEMA)
