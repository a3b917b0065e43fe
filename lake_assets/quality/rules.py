"""Rules derived from a table's pandera contract, as Spark predicates that count failing rows.

pandera on Spark reports *which* check failed but not how many rows or which ones, and a person
fixing data needs both. So the contract's field checks are translated into Spark expressions
and evaluated in one aggregation pass; pandera itself validates the schema (columns and types).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column
from pyspark.sql import functions as F

if TYPE_CHECKING:
    from pandera.pyspark import DataFrameModel

NOT_NULL, ACCEPTED_VALUES, RANGES = "not_null", "accepted_values", "ranges"
_RANGE_CHECKS = {"greater_than_or_equal_to", "greater_than", "less_than_or_equal_to", "less_than", "in_range"}


@dataclass(frozen=True)
class Rule:
    """One column rule: the generated check it belongs to, its text, and how to test a row.

    The Spark predicate is built on demand (`fails()`), so rules can be listed at definitions
    load time without a Spark session.
    """

    check: str
    column: str
    text: str
    kind: str
    stats: tuple[tuple[str, Any], ...] = ()

    def fails(self) -> Column:
        """True for a row that breaks the rule."""
        col, stats = F.col(self.column), dict(self.stats)
        if self.kind == "not_null":
            return col.isNull()
        if self.kind == "isin":
            return col.isNotNull() & ~col.isin(list(stats["allowed_values"]))
        if self.kind == "notin":
            return col.isin(list(stats["forbidden_values"]))
        if self.kind == "str_matches":
            return col.isNotNull() & ~col.rlike(stats["pattern"])
        return col.isNotNull() & ~_range_passes(col, self.kind, stats)


def _range_text(name: str, stats: dict[str, Any]) -> str:
    return {
        "greater_than_or_equal_to": ">= {min_value}",
        "greater_than": "> {min_value}",
        "less_than_or_equal_to": "<= {max_value}",
        "less_than": "< {max_value}",
        "in_range": "in [{min_value}, {max_value}]",
    }[name].format(**stats)


def _range_passes(col: Column, name: str, stats: dict[str, Any]) -> Column:
    if name == "greater_than_or_equal_to":
        return col >= F.lit(stats["min_value"])
    if name == "greater_than":
        return col > F.lit(stats["min_value"])
    if name == "less_than_or_equal_to":
        return col <= F.lit(stats["max_value"])
    if name == "less_than":
        return col < F.lit(stats["max_value"])
    lo, hi = stats["min_value"], stats["max_value"]
    lower = col >= F.lit(lo) if stats.get("include_min", True) else col > F.lit(lo)
    upper = col <= F.lit(hi) if stats.get("include_max", True) else col < F.lit(hi)
    return lower & upper


def _frozen(stats: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in stats.items()))


def rules_for(model: type[DataFrameModel]) -> list[Rule]:
    """Every column rule of a pandera.pyspark model, grouped by generated check name."""
    rules = []
    for name, column in model.to_schema().columns.items():
        if not column.nullable:
            rules.append(Rule(NOT_NULL, name, f"{name} is not null", "not_null"))
        for check in column.checks:
            stats = dict(check.statistics or {})
            if check.name == "isin":
                text, group = f"{name} in {list(stats['allowed_values'])}", ACCEPTED_VALUES
            elif check.name == "notin":
                text, group = f"{name} not in {list(stats['forbidden_values'])}", ACCEPTED_VALUES
            elif check.name == "str_matches":
                text, group = f"{name} matches {stats['pattern']}", ACCEPTED_VALUES
            elif check.name in _RANGE_CHECKS:
                text, group = f"{name} {_range_text(check.name, stats)}", RANGES
            else:
                raise ValueError(f"{model.__name__}.{name}: check {check.name!r} has no Spark translation")
            rules.append(Rule(group, name, text, check.name, _frozen(stats)))
    return rules


def unique_key(model: type[DataFrameModel]) -> list[str]:
    """The columns whose combination must be unique (the model's `Config.unique`)."""
    unique = model.to_schema().unique
    return [unique] if isinstance(unique, str) else list(unique or [])


def generated_check_names(model: type[DataFrameModel]) -> list[str]:
    """The generated checks this model yields, in a stable order."""
    present = {rule.check for rule in rules_for(model)}
    names = ["schema", *[c for c in (NOT_NULL, ACCEPTED_VALUES, RANGES) if c in present]]
    return [*names, "unique_key"] if unique_key(model) else names
