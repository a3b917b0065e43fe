"""`make bench` judges issue #12's targets from its own figures, and says MISSED when one is missed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def targets_module():
    """`benchmarks/` is not a package: import its module as run_benchmark.py does."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import targets

        yield targets
    finally:
        sys.path.remove(str(BENCHMARKS))


def results(
    requests: int, dagster_wall: float, dagster_cpu: float, rss_mb: float, bronze_step: float
) -> dict[str, Any]:
    duck = {"total_seconds": 20.0, "cpu_seconds": 30.0, "peak_rss_mb": 900.0}
    dag = {"total_seconds": dagster_wall, "cpu_seconds": dagster_cpu, "peak_rss_mb": rss_mb}
    return {
        "sample": {"params": {"requests_per_day": requests}},
        "medians": {"dagster": dag, "duckdb": duck},
        "table_rows": {"dagster": {"bronze/api_requests": 1_000_000}},
        "runs": {"dagster": {"step_seconds": {"bronze_api_requests": bronze_step}}},
    }


def test_a_large_day_is_judged_on_every_target(targets_module):
    found = {t.name: t for t in targets_module.targets(results(1_000_000, 39.0, 90.0, 3500.0, 8.0))}
    assert found["whole graph Dagster/DuckDB, wall"].figure == 1.95 and found["whole graph Dagster/DuckDB, wall"].met
    assert found["whole graph Dagster/DuckDB, CPU s"].figure == 3.0
    assert found["whole graph Dagster/DuckDB, CPU s"].met is False
    assert found["Bronze API parsing, rows/s (step wall)"].figure == 125_000
    assert found["Bronze API parsing, rows/s (step wall)"].met
    assert found["peak RSS of the Dagster run, MB"].met is False
    assert "MISSED" in found["peak RSS of the Dagster run, MB"].line()


def test_a_small_day_has_the_10x_goal_and_no_memory_goal(targets_module):
    found = {t.name: t for t in targets_module.targets(results(20_000, 190.0, 310.0, 3500.0, 20.0))}
    assert found["whole graph Dagster/DuckDB, wall"].goal == 10.0 and found["whole graph Dagster/DuckDB, wall"].met
    assert found["whole graph Dagster/DuckDB, CPU s"].met is False  # 310 / 30 > 10
    assert set(found) == {"whole graph Dagster/DuckDB, wall", "whole graph Dagster/DuckDB, CPU s"}


def test_a_mid_sized_day_has_no_goal(targets_module, capsys):
    sample = results(200_000, 100.0, 100.0, 100.0, 10.0)
    assert targets_module.targets(sample) == []
    targets_module.print_targets(sample)
    assert "for a day of 200,000 requests" in capsys.readouterr().out
