"""The benchmark's DuckDB contender builds the same Silver and Gold as the lake's Spark jobs.

A tiny sample day is built twice, by the lake's jobs on the test session's local Spark (as the
benchmark's plain PySpark run calls them) and by `benchmarks/duckdb_lake.py`, and the benchmark's
own comparison (`benchmarks/compare.py`) must find every Silver and Gold table identical row for
row. It must also notice a single changed value, or "identical" would prove nothing.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
DAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def bench_modules():
    """`benchmarks/` is not a package: import its modules as run_benchmark.py does."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import compare
        import duckdb_lake
        import plain_pyspark

        yield compare, duckdb_lake, plain_pyspark
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def lakes(tmp_path_factory, spark, bench_modules):
    from lake_sample.generator import generate_sample

    _, duckdb_lake, plain_pyspark = bench_modules
    root = tmp_path_factory.mktemp("duckdb_bench")
    landing, spark_lake, duck_lake = root / "landing", root / "lake_spark", root / "lake_duckdb"
    generate_sample(landing, DAY, 1, 2_000, 7, users=40, tasks_per_user=4)
    plain = plain_pyspark.run_plain_detailed(plain_pyspark.bench_settings(landing, spark_lake, DAY), DAY)
    duck = duckdb_lake.run_duckdb(landing, duck_lake, DAY)
    return spark_lake, duck_lake, plain, duck


@pytest.mark.e2e
def test_duckdb_builds_identical_silver_and_gold(lakes, bench_modules):
    compare = bench_modules[0]
    spark_lake, duck_lake, plain, duck = lakes
    diffs = compare.compare_lakes(spark_lake, duck_lake, DAY)
    assert [d.key for d in diffs] == list(compare.SILVER_GOLD)
    assert all(d.identical for d in diffs), "\n".join(d.describe() for d in diffs if not d.identical)
    assert all(d.rows[0] > 0 for d in diffs if d.key not in ("silver/tasks_quarantine",)), [d.rows for d in diffs]
    # Every table both runs wrote, with the same row counts as the Spark jobs reported.
    assert duck.table_rows == plain.table_rows
    assert set(duck.layer_seconds) >= {"bronze", "silver", "gold"} and duck.step_spans


@pytest.mark.e2e
def test_comparison_notices_one_changed_value(lakes, bench_modules, tmp_path):
    compare = bench_modules[0]
    spark_lake, duck_lake, _, _ = lakes
    folder = tmp_path / "silver" / "users" / f"dt={DAY.isoformat()}"
    folder.mkdir(parents=True)
    source = duck_lake / "silver" / "users" / f"dt={DAY.isoformat()}" / "*.parquet"
    duckdb.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY user_id) = 1 THEN coalesce(plan, '') || '!' "
        f"ELSE plan END AS plan) FROM read_parquet('{source}', hive_partitioning = false)) "
        f"TO '{folder / 'part-0.parquet'}' (FORMAT parquet)"
    )
    (diff,) = compare.compare_lakes(spark_lake, tmp_path, DAY, tables=("silver/users",))
    assert not diff.identical and (diff.only_in_a, diff.only_in_b) == (1, 1), diff.describe()
