"""`make bench` judges issue #12's targets from its own figures, and says MISSED when one is missed."""

from __future__ import annotations

import re
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


@pytest.fixture(scope="module")
def missed_module(targets_module):
    import missed

    return missed


def step_results() -> dict[str, Any]:
    """A 1M day whose Dagster run started Spark (5 s) inside its Bronze API step (25 s)."""
    found = results(1_000_000, 80.0, 150.0, 2000.0, 25.0)
    found["runs"]["dagster"].update(
        startup_seconds=5.0,
        startup_span=[101.0, 106.0],
        step_spans={"bronze_api_requests": [100.0, 125.0], "silver_api_requests": [125.0, 145.0]},
        step_seconds={"bronze_api_requests": 25.0, "silver_api_requests": 20.0},
        outside_steps_seconds=3.0,
        total_seconds=80.0,
    )
    layer_cpu = {"dagster": (6.0, 40.0, 90.0, 10.0), "duckdb": (1.0, 20.0, 6.0, 2.0)}
    for name, cpus in layer_cpu.items():
        for part, cpu in zip(("startup", "bronze", "silver", "gold"), cpus, strict=True):
            found["medians"][name][part] = {"cpu": cpu, "peak_rss_mb": 900.0 + cpu}
    found["runs"]["duckdb"] = {
        "startup_seconds": 0.5,
        "job_seconds": {"bronze_api_requests": 12.5, "silver_api_requests": 4.0},
        "total_seconds": 20.0,
    }
    found["runs"]["plain"] = {
        "job_seconds": {"bronze_api_requests": 19.0},
        "actions": [
            {"job": "bronze_api_requests", "action": "collect", "seconds": 2.0, "site": "builds/bronze.py:144 f"},
            {"job": "bronze_api_requests", "action": "write.parquet", "seconds": 15.0, "site": "a:1 x > b:2 y > c:3 z"},
            {"job": "silver_api_requests", "action": "count", "seconds": 9.0, "site": "s:1 g"},
        ],
    }
    return found


def test_the_bronze_rate_leaves_out_the_spark_start_made_inside_the_step(targets_module):
    found = {t.name: t for t in targets_module.targets(step_results())}
    assert found["Bronze API parsing, rows/s (step wall)"].figure == 50_000  # 1M rows / (25 − 5) s


def test_a_missed_bronze_rate_is_set_against_the_same_parser_writing_directly(missed_module):
    lines = "\n".join(missed_module.missed_profile(step_results(), "bronze", 100_000))
    assert "1,000,000 rows in 20.0 s (Spark start excluded) = 50,000 rows/s" in lines
    assert "12.5 s = 80,000 rows/s" in lines and "add 7.5 s" in lines
    # the plain run's actions of the step, costliest first, with the first and last call site
    assert lines.index("write.parquet") < lines.index("collect") and "a:1 x > … > c:3 z" in lines
    assert "19.0 s, 17.0 s in 2 Spark actions, 2.0 s driver-side" in lines
    assert "7.5 s of Spark hand-over and checks, and the parser itself 2.5 s faster" in lines


def test_a_missed_wall_ratio_names_the_steps_over_their_budget(missed_module, capsys, targets_module):
    lines = "\n".join(missed_module.missed_profile(step_results(), "wall", 2.0))
    # budget = 2 × DuckDB's step: Bronze 20 − 25 = 0 over, Silver 20 − 8 = 12 over
    assert "To close it: 40.0 s less in the Dagster run (50% of it)" in lines
    assert "silver_api_requests 12.0 s" in lines and "bronze_api_requests" not in lines.split("To close it")[1]
    assert "fixed costs DuckDB has not got 7.0 s" in lines  # startup 5 − 2 × 0.5 = 4, outside steps 3
    assert "9.0 s  count" in lines  # the over-budget step's own Spark actions
    targets_module.print_targets(step_results())
    out = capsys.readouterr().out
    assert "MISSED whole graph Dagster/DuckDB, wall: why, and what would close it" in out
    assert "MISSED peak RSS" not in out  # 2,000 MB meets the 3 GB goal: no profile


def test_a_missed_backfill_speedup_splits_once_per_run_costs_from_steps(missed_module):
    daily = {"wall": 210.0, "phases": {"Spark start": 35.0, "step silver_entities": 70.0}}
    ranged = {"wall": 100.0, "phases": {"Spark start": 5.0, "step silver_entities": 80.0}}
    lines = "\n".join(missed_module.backfill_profile(daily, ranged, 7, 3.0))
    assert "the ranged run in ≤ 70.0 s, 30.0 s less" in lines
    assert "pays 5.0 s once (the 7 runs 35.0 s) and 80.0 s in steps, 11.4 s a day" in lines
    assert "its steps alone exceed the budget by 10.0 s" in lines


def test_a_missed_cpu_ratio_gives_each_layer_its_budget(missed_module):
    lines = "\n".join(missed_module.missed_profile(step_results(), "cpu", 2.0))
    # Dagster 150 CPU s, DuckDB 30: 90 s over; Silver 90 − 12 = 78 over, Bronze 0, startup 4, gold 6
    assert (
        "To close it: 90.0 CPU s less (60% of the run's). Over their budget: silver 78.0 s, gold 6.0 s, startup 4.0 s"
        in lines
    )
    assert re.search(r"outside layers \(imports, exit\)\s+4\.0\s+1\.0\s", lines)  # 150 − 146, 30 − 29


def test_a_backfill_runs_phases_take_the_spark_start_out_of_the_step_that_made_it(targets_module):
    import backfill

    run = {
        "definitions_seconds": 3.0,
        "total_seconds": 40.0,
        "startup_seconds": 5.0,
        "startup_span": [112.0, 117.0],
        "outside_steps_seconds": 1.0,
        "step_seconds": {"bronze_tasks_export": 9.0, "bronze_api_requests": 30.0},
        "step_spans": {"bronze_tasks_export": [101.0, 110.0], "bronze_api_requests": [110.0, 140.0]},
    }
    assert backfill.run_phases(run, 45.0) == {
        "process start and exit": 2.0,
        "imports and definitions": 3.0,
        "Spark start": 5.0,
        "Dagster outside steps": 1.0,
        "step bronze_tasks_export": 9.0,
        "step bronze_api_requests": 25.0,
    }
