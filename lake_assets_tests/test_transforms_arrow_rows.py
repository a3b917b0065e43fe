"""Rows built in Python reach Spark through `mapInArrow` unchanged, on PySpark 3.5 and 4.x alike."""

import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from lake_assets.core.landing import LocalLanding
from lake_assets.steps import TABLES
from lake_assets.transforms import bronze_tasks
from lake_assets.transforms.arrow_rows import arrow_schema, arrow_type, batches

SCHEMA = T.StructType(
    [
        T.StructField("s", T.StringType()),
        T.StructField("n", T.LongType()),
        T.StructField("i", T.IntegerType()),
        T.StructField("f", T.DoubleType()),
        T.StructField("b", T.BooleanType()),
        T.StructField("d", T.DateType()),
        T.StructField("ts", T.TimestampType()),
        T.StructField("ntz", T.TimestampNTZType()),
        T.StructField("dec", T.DecimalType(38, 18)),
        T.StructField("bin", T.BinaryType()),
        T.StructField("tags", T.ArrayType(T.StringType())),
        T.StructField("attrs", T.MapType(T.StringType(), T.StringType())),
        T.StructField("inner", T.StructType([T.StructField("x", T.IntegerType())])),
    ]
)
ROW = {
    "s": "héllo",
    "n": 2**40,
    "i": 7,
    "f": 0.1,
    "b": True,
    "d": date(2026, 11, 21),
    "ts": datetime(2026, 11, 21, 23, 59, 58, 123456, tzinfo=UTC),
    "ntz": datetime(2026, 11, 21, 1, 2, 3),
    "dec": Decimal("12.345678901234567890"),
    "bin": b"\x00\xff",
    "tags": ["a", None],
    "attrs": {"k": "v", "m": None},
    "inner": {"x": 3},
}


def _produce(_batches):
    return batches([ROW, dict.fromkeys(ROW)], arrow_schema(SCHEMA))


def test_every_mapped_type_round_trips_through_map_in_arrow(spark):
    got = spark.range(1).coalesce(1).mapInArrow(_produce, SCHEMA).collect()
    assert [r.asDict(recursive=True) for r in got][1] == dict.fromkeys(ROW)
    first = got[0].asDict(recursive=True)
    # The session runs in UTC: the instant comes back as the same UTC wall time, naive.
    assert first["ts"] == datetime(2026, 11, 21, 23, 59, 58, 123456)
    assert first["bin"] == bytearray(b"\x00\xff")
    assert {k: v for k, v in first.items() if k not in ("ts", "bin")} == {
        k: v for k, v in ROW.items() if k not in ("ts", "bin")
    }


def test_every_table_schema_maps_and_unknown_types_fail_loudly():
    for table in TABLES.values():
        assert arrow_schema(table.schema).names == table.schema.fieldNames()
    with pytest.raises(TypeError, match="no Arrow mapping"):
        arrow_type(T.NullType())


RETURN_MEMORY_SCRIPT = """
import sys
from lake_assets.transforms.arrow_rows import return_memory

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))

# 256 MB in 64 KiB blocks (below glibc's mmap threshold, so inside the C heap); every other block
# is kept, so the freed ones are holes glibc does not give back on its own.
blocks = [bytes(64 * 1024) for _ in range(4096)]
del blocks[::2]
held = rss_mb()
return_memory()
print(held, rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and relies on glibc's malloc_trim")
def test_return_memory_gives_a_finished_tasks_freed_memory_back_to_the_os() -> None:
    """A reused Python worker sits idle beside the JVM after a Bronze task: what the task freed must
    not stay in its RSS (the run's memory peak)."""
    out = subprocess.run([sys.executable, "-c", RETURN_MEMORY_SCRIPT], capture_output=True, text=True, check=True)
    held, after = map(int, out.stdout.split())
    assert held - after >= 64, f"RSS {held} MB before return_memory, {after} MB after"


def test_every_bronze_parse_task_returns_its_memory_when_done(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(bronze_tasks, "return_memory", lambda: calls.append("returned"))
    schema = arrow_schema(T.StructType([T.StructField("key", T.StringType())]))
    assert list(bronze_tasks.api_log_batches(LocalLanding("/nonexistent"), schema, iter([]))) == []
    assert list(bronze_tasks.data_file_batches(LocalLanding("/nonexistent"), dict, schema, iter([]))) == []
    assert calls == ["returned", "returned"]
