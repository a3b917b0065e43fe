"""Generated checks: evaluate a table's pandera contract on a partition.

`schema` runs pandera itself (schema depth: columns present, Spark types). The data rules
(not-null, accepted values, ranges) run as one Spark aggregation; uniqueness of the key as one
group-by. Each outcome carries the rules, failing row counts and a small sample of failing rows
(key columns and the offending column only, so samples do not spread personal data).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, cast

from pandera.pyspark import DataFrameModel, DataFrameSchema
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from lake_assets.core.spark import aggregate_row
from lake_assets.quality.outcome import CheckOutcome, jsonable
from lake_assets.quality.rules import ACCEPTED_VALUES, NOT_NULL, RANGES, Rule, rules_for, unique_key
from lake_assets.tables import Table

SAMPLE_ROWS = 5


@functools.cache
def _schema_without_nullability(model: type[DataFrameModel]) -> DataFrameSchema:
    """The model's schema with every column nullable: pandera then checks columns and types from
    the DataFrame's schema alone (no Spark job). As declared, it runs one Spark job per
    non-nullable column to look for nulls (10 jobs for silver/tasks, seconds on a small day);
    the rules' single aggregation counts those nulls instead (`null_rows`)."""
    schema = model.to_schema()
    return schema.update_columns({name: {"nullable": True} for name in schema.columns})


def _schema_outcome(df: DataFrame, table: Table, null_rows: dict[str, int]) -> CheckOutcome:
    from pandera.config import ValidationDepth, config_context

    with config_context(validation_depth=ValidationDepth.SCHEMA_ONLY):
        # What `model.validate` does, through the schema, whose signature takes a Spark DataFrame.
        validated = _schema_without_nullability(table.model).validate(df)
    # pandera's Spark backend leaves its error summary (category → reason → [error]) on the
    # `.pandera` accessor it registers on DataFrames at import. Statically `DataFrame.__getattr__`
    # makes that a Column, and pandera annotates `errors` as its ErrorHandler: neither is the dict.
    summary = cast("dict[str, dict[str, list[dict[str, Any]]]]", validated.pandera.errors)
    errors = json.loads(json.dumps(dict(summary), default=str))
    problems = [
        f"{e.get('column')}: {e.get('error')}" for kinds in errors.values() for items in kinds.values() for e in items
    ]
    # Nullability is part of the schema (pandera's wording), counted by the rules' aggregation.
    problems += [f"{name}: non-nullable column '{name}' contains null" for name, rows in null_rows.items() if rows]
    return CheckOutcome(
        table.key,
        "schema",
        not problems,
        {
            "rule": f"columns and Spark types match the pandera contract {table.model.__name__}",
            "problems": problems[:20],
            "problem_count": len(problems),
        },
    )


def _sample(df: DataFrame, rule: Rule, keys: list[str]) -> list[dict]:
    columns = list(dict.fromkeys([*keys, rule.column]))
    return [jsonable(r.asDict()) for r in df.where(rule.fails()).select(*columns).limit(SAMPLE_ROWS).collect()]


def _totals(
    df: DataFrame, rules: list[Rule], keys: list[str], rows: int | None, sums: Mapping[str, Column]
) -> Mapping[str, Any]:
    """Rows, failing rows per rule (`_r<i>`), distinct keys (`_keys`) and the caller's `sums`
    (`_sum_<name>`), in ONE Spark aggregation. A partition known to be empty (`rows == 0`, from
    its Parquet footers) needs no job at all."""
    if rows == 0 or not (rules or keys or sums):
        empty = {"_rows": rows or 0, "_keys": rows or 0, **{f"_r{i}": 0 for i in range(len(rules))}}
        return {**empty, **{f"_sum_{name}": 0 for name in sums}}
    aggregates = [F.count(F.lit(1)).alias("_rows")] + [
        F.sum(F.when(rule.fails(), 1).otherwise(0)).alias(f"_r{i}") for i, rule in enumerate(rules)
    ]
    if keys:  # a struct of the key columns: rows whose keys are equal (nulls included) count once
        aggregates.append(F.count_distinct(F.struct(*keys)).alias("_keys"))
    aggregates += [F.coalesce(F.sum(value), F.lit(0)).alias(f"_sum_{name}") for name, value in sums.items()]
    return aggregate_row(df, *aggregates).asDict()


def _rule_outcomes(
    df: DataFrame, table: Table, keys: list[str], rules: list[Rule], totals: Mapping[str, Any]
) -> list[CheckOutcome]:
    rows = totals["_rows"]
    outcomes = []
    for check in (NOT_NULL, ACCEPTED_VALUES, RANGES):
        group = [(i, r) for i, r in enumerate(rules) if r.check == check]
        if not group:
            continue
        failing = {r.text: int(totals[f"_r{i}"] or 0) for i, r in group}
        first_bad = next((r for i, r in group if totals[f"_r{i}"]), None)
        outcomes.append(
            CheckOutcome(
                table.key,
                check,
                first_bad is None,
                {
                    "rules": [r.text for _, r in group],
                    "rows_checked": rows,
                    "failing_rows": sum(failing.values()),
                    "failing_rows_by_rule": {k: v for k, v in failing.items() if v},
                    "sample": _sample(df, first_bad, keys) if first_bad else [],
                },
            )
        )
    return outcomes


def _unique_outcome(df: DataFrame, table: Table, keys: list[str], totals: Mapping[str, Any]) -> CheckOutcome:
    """Unique when the distinct keys (from the shared aggregation) equal the rows; only a failing
    partition pays the group-by that finds and samples its duplicated keys."""
    count, sample = 0, []
    if totals["_keys"] != totals["_rows"]:
        dupes = df.groupBy(*keys).count().where(F.col("count") > 1)
        sample = [jsonable(r.asDict()) for r in dupes.limit(SAMPLE_ROWS).collect()]
        count = dupes.count()
    return CheckOutcome(
        table.key,
        "unique_key",
        count == 0,
        {"rule": f"({', '.join(keys)}) is unique", "duplicated_keys": count, "sample": sample},
    )


def evaluate_contract(df: DataFrame, table: Table, rows: int | None = None) -> list[CheckOutcome]:
    """All generated checks of `table` on one partition's rows; `rows`, when the caller knows it
    (a staged partition's footers), lets an empty partition be judged without Spark jobs."""
    return evaluate_contract_with_sums(df, table, rows, {})[0]


def evaluate_contract_with_sums(
    df: DataFrame, table: Table, rows: int | None, sums: Mapping[str, Column]
) -> tuple[list[CheckOutcome], dict[str, int]]:
    """`evaluate_contract`, plus the sum of each of `sums` (name → integer column) over the same
    rows, computed in the contract's own aggregation: a build that reconciles a staged partition
    against its input reads the partition once for all its checks instead of once more."""
    keys = unique_key(table.model)
    rules = rules_for(table.model)
    totals = _totals(df, rules, keys, rows, sums)
    nulls = {r.column: int(totals[f"_r{i}"] or 0) for i, r in enumerate(rules) if r.check == NOT_NULL}
    outcomes = [_schema_outcome(df, table, nulls), *_rule_outcomes(df, table, keys, rules, totals)]
    if keys:
        outcomes.append(_unique_outcome(df, table, keys, totals))
    return outcomes, {name: int(totals[f"_sum_{name}"]) for name in sums}
