"""What a declared check is, and the checks every table gets from its contract.

Generated checks come from each table's pandera contract. On Silver and Gold they are blocking
(ERROR): a failing one keeps the new partition from being published and stops downstream. Extra
checks are declared with their table in `lake_assets/steps.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from lake_assets.quality.rules import generated_check_names
from lake_assets.tables import Table


@dataclass(frozen=True)
class CheckDecl:
    table: str
    name: str
    description: str
    severity: str = "ERROR"  # ERROR | WARN
    blocking: bool = False


_GENERATED_TEXT = {
    "schema": "Columns and Spark types match the table's pandera contract.",
    "not_null": "Required columns have no nulls.",
    "accepted_values": "Columns restricted to a set of values (or a pattern) hold only those.",
    "ranges": "Numeric columns stay within their declared ranges.",
    "unique_key": "The table's key is unique within the partition.",
}
VOLUME = "Row count within the robust band (median ± 3.5 MAD) of the 7 previous partitions."


def generated_checks(table: Table, volume: bool = True) -> list[CheckDecl]:
    """The checks a table's contract yields, plus the volume anomaly check (WARN) unless opted out."""
    blocking = table.layer in ("silver", "gold")
    decls = [
        CheckDecl(table.key, name, _GENERATED_TEXT[name], "ERROR", blocking)
        for name in generated_check_names(table.model)
    ]
    if volume:
        decls.append(CheckDecl(table.key, "volume_anomaly", VOLUME, "WARN"))
    return decls
