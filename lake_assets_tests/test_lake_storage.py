"""Atomic, idempotent partition writes and footer-based descriptions."""

import pytest
from pyspark.sql import functions as F

from lake_assets.core.lake import LocalLake


def test_write_replace_and_describe(spark, tmp_path):
    lake = LocalLake(str(tmp_path))
    info = lake.write(spark.range(10).repartition(8), "silver", "t", "2026-11-21", max_files=2)
    assert (info.rows, info.files) == (10, 2) and info.bytes > 0
    info = lake.write(spark.range(3), "silver", "t", "2026-11-21")
    assert info.rows == 3
    part = tmp_path / "silver" / "t" / "dt=2026-11-21"
    assert {p.suffix for p in part.iterdir()} == {".parquet"}  # no _SUCCESS, no .crc
    assert list((tmp_path / "silver" / "t" / "_staging").iterdir()) == []
    assert lake.partitions("silver", "t") == ["2026-11-21"]


def test_failed_write_leaves_previous_version_intact(spark, tmp_path):
    lake = LocalLake(str(tmp_path))
    lake.write(spark.range(5), "gold", "t", "2026-11-21")
    boom = spark.range(5).select(F.assert_true(F.col("id") < 0).cast("int").alias("x"))
    with pytest.raises(Exception, match=r"assert_true|id < 0"):
        lake.write(boom, "gold", "t", "2026-11-21")
    assert lake.describe("gold", "t", "2026-11-21").rows == 5
    assert list((tmp_path / "gold" / "t" / "_staging").iterdir()) == []


def test_read_skips_missing_partitions_and_adds_dt(spark, tmp_path):
    lake = LocalLake(str(tmp_path))
    lake.write(spark.range(2), "bronze", "t", "2026-11-21")
    schema = spark.range(1).schema
    df = lake.read(spark, "bronze", "t", ["2026-11-21", "2026-11-22"], schema)
    assert sorted((r["id"], str(r["dt"])) for r in df.collect()) == [(0, "2026-11-21"), (1, "2026-11-21")]
    assert lake.read(spark, "bronze", "t", ["2026-11-23"], schema).count() == 0


def test_empty_partition_is_written_with_its_schema(spark, tmp_path):
    lake = LocalLake(str(tmp_path))
    info = lake.write(spark.range(0), "silver", "empty", "2026-11-21")
    assert info.rows == 0 and info.files == 1
