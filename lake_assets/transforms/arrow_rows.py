"""Turn Python row dicts produced inside Spark tasks into Arrow batches for `mapInArrow`.

The Arrow schema is derived here rather than with `pyspark.sql.pandas.types.to_arrow_schema`,
whose signature and defaults differ between PySpark 3.5 (AWS Glue 5.0) and 4.x (timestamps
without a zone, optional large strings): one mapping, the same batches on every Spark.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
from pyspark.sql import types as T

BATCH_ROWS = 20_000
_PRIMITIVES: dict[type[T.DataType], pa.DataType] = {
    T.BooleanType: pa.bool_(),
    T.ByteType: pa.int8(),
    T.ShortType: pa.int16(),
    T.IntegerType: pa.int32(),
    T.LongType: pa.int64(),
    T.FloatType: pa.float32(),
    T.DoubleType: pa.float64(),
    T.StringType: pa.string(),
    T.BinaryType: pa.binary(),
    T.DateType: pa.date32(),
    # Spark's TIMESTAMP is an instant: Arrow microseconds in UTC, what Spark reads back exactly.
    T.TimestampType: pa.timestamp("us", tz="UTC"),
    T.TimestampNTZType: pa.timestamp("us"),
}


def arrow_type(dt: T.DataType) -> pa.DataType:
    """The Arrow type Spark reads back as `dt` (nested types keep their nullability)."""
    for spark_type, arrow in _PRIMITIVES.items():
        if type(dt) is spark_type:
            return arrow
    if isinstance(dt, T.DecimalType):
        return pa.decimal128(dt.precision, dt.scale)
    if isinstance(dt, T.ArrayType):
        return pa.list_(pa.field("element", arrow_type(dt.elementType), nullable=dt.containsNull))
    if isinstance(dt, T.MapType):
        # pyarrow takes fields here (to carry the value's nullability); pyarrow-stubs 20 type only DataTypes.
        return pa.map_(  # type: ignore[call-overload]  # stub gap: fields are accepted at run time
            pa.field("key", arrow_type(dt.keyType), nullable=False),
            pa.field("value", arrow_type(dt.valueType), nullable=dt.valueContainsNull),
        )
    if isinstance(dt, T.StructType):
        return pa.struct([pa.field(f.name, arrow_type(f.dataType), nullable=f.nullable) for f in dt.fields])
    raise TypeError(f"no Arrow mapping for Spark type {dt.simpleString()}")


def arrow_schema(schema: T.StructType) -> pa.Schema:
    """The Arrow schema Spark expects back for `schema` (timestamps as UTC microseconds)."""
    return pa.schema([pa.field(f.name, arrow_type(f.dataType), nullable=f.nullable) for f in schema.fields])


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


def _malloc_trim() -> None:
    """glibc's `malloc_trim(0)`: free pages inside the C heap go back to the OS (absent on macOS, musl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def return_memory() -> None:
    """Give the memory a finished parse task freed back to the OS.

    Why: Spark keeps a Python worker alive after its task (`spark.python.worker.reuse`) and kills
    it only after a minute without Python work. Arrow's allocator and glibc keep what a parser
    freed, so each idle Bronze worker held ~370 MB beside the JVM through the first minute of
    Silver, the run's memory peak; after this it holds ~260 MB.
    """
    gc.collect()
    pa.default_memory_pool().release_unused()
    _malloc_trim()
