"""Row-level contract rules as one Spark column: the first rule a row breaks, or null.

The blocking contract checks (`quality.contract`) judge a whole partition: one bad row withholds
the day. A rule that a single row can break (not null, accepted values, pattern, range) is that
row's problem, so Silver quarantines the row with the rule as its reason before writing, and the
blocking checks then only fail for partition-level problems (reconciliation, volume, quarantine
rate, uniqueness). The rules come from the same pandera contract as the checks (`rules_for`), so
the routing and the checks cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from pyspark.sql import Column
from pyspark.sql import functions as F

from lake_assets.quality.rules import Rule, rules_for

if TYPE_CHECKING:
    from pandera.pyspark import DataFrameModel

RULE_PREFIX = "rule:"
_RANGE_IDS = {
    "greater_than_or_equal_to": "{c}>={min_value}",
    "greater_than": "{c}>{min_value}",
    "less_than_or_equal_to": "{c}<={max_value}",
    "less_than": "{c}<{max_value}",
}


def rule_id(rule: Rule) -> str:
    """A short, stable name of one rule for a reason column: `response_latency_ms>=0`, `status_in[1,5]`."""
    stats, c = dict(rule.stats), rule.column
    if rule.kind in _RANGE_IDS:
        return _RANGE_IDS[rule.kind].format(c=c, **stats)
    if rule.kind == "in_range":
        lo = "[" if stats.get("include_min", True) else "("
        hi = "]" if stats.get("include_max", True) else ")"
        return f"{c}_in{lo}{stats['min_value']},{stats['max_value']}{hi}"
    return {
        "not_null": f"{c}_not_null",
        "isin": f"{c}_in_accepted_values",
        "notin": f"{c}_not_forbidden",
        "str_matches": f"{c}_matches_pattern",
    }[rule.kind]


def row_rules(model: type[DataFrameModel], columns: Iterable[str] | None = None) -> list[Rule]:
    """The contract's rules a single row can break, limited to `columns` when given."""
    present = None if columns is None else set(columns)
    return [r for r in rules_for(model) if present is None or r.column in present]


def first_violation(model: type[DataFrameModel], columns: Iterable[str] | None = None) -> Column:
    """`rule:<rule id>` of the first row-level rule (contract order) a row breaks, else null.

    `columns` limits the rules to columns the frame already has (a routing step may run before
    every output column exists); each rule reads its column by the contract's name.
    """
    checks = [F.when(rule.fails(), F.lit(RULE_PREFIX + rule_id(rule))) for rule in row_rules(model, columns)]
    return F.coalesce(*checks) if checks else F.lit(None).cast("string")


def reason_key(reason: str) -> str:
    """The counting key of a quarantine reason: the whole `rule:…` id, else the part before `:`."""
    return reason if reason.startswith(RULE_PREFIX) else reason.split(":", 1)[0]
