"""Turn Python row dicts produced inside Spark tasks into Arrow batches for `mapInArrow`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
from pyspark.sql.pandas.types import to_arrow_schema
from pyspark.sql.types import StructType

BATCH_ROWS = 20_000


def arrow_schema(schema: StructType) -> pa.Schema:
    """The Arrow schema Spark expects back for `schema` (timestamps as UTC microseconds)."""
    return to_arrow_schema(schema, timezone="UTC", prefers_large_types=False)


def batches(rows: Iterable[dict[str, Any]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Group rows into record batches of at most BATCH_ROWS rows."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH_ROWS:
            yield pa.RecordBatch.from_pylist(chunk, schema=schema)
            chunk = []
    if chunk:
        yield pa.RecordBatch.from_pylist(chunk, schema=schema)
