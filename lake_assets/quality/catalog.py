"""Which checks exist for which table, with severity and blocking (the one declaration).

Generated checks come from each table's contract. Silver and Gold checks of ERROR severity are
blocking: a failing one keeps the new partition from being published and stops downstream.
"""

from __future__ import annotations

from dataclasses import dataclass

from lake_assets.quality.rules import generated_check_names
from lake_assets.tables import TABLES


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

EXTRA_CHECKS = [
    CheckDecl("bronze/api_requests", "schema_drift", "Access-log fields that appear, disappear or stop typing "
              "against the stage's log template (raw values are kept).", "WARN"),
    CheckDecl("bronze/tasks_export", "manifest_reconciliation", "Rows read equal the export manifests' itemCount.",
              "ERROR", blocking=True),
    CheckDecl("bronze/tasks_changes", "manifest_reconciliation", "Change rows read equal the incremental "
              "exports' manifest itemCount.", "ERROR", blocking=True),
    CheckDecl("bronze/tasks_export", "schema_drift", "Item attributes that appear, change DynamoDB type or go "
              "missing against the single-table design.", "WARN"),
    CheckDecl("silver/api_requests", "bronze_reconciliation", "Bronze rows owned by D = Silver + quarantined + "
              "duplicates + skipped control messages, recounted from the written files.", "ERROR", blocking=True),
    CheckDecl("silver/api_requests", "quarantine_rate", "Quarantined share of the day's records stays below the "
              "configured maximum.", "ERROR", blocking=True),
    CheckDecl("silver/tasks", "bronze_reconciliation", "Snapshot items = users + tasks + other entities + "
              "quarantined, recounted from the written files.", "ERROR", blocking=True),
    CheckDecl("silver/tasks", "quarantine_rate", "Quarantined share of the snapshot stays below the configured "
              "maximum.", "ERROR", blocking=True),
    CheckDecl("silver/tasks", "users_exist", "Every task's user exists in silver/users for the same day.",
              "ERROR", blocking=True),
    CheckDecl("gold/route_latency_daily", "silver_reconciliation", "Total requests equal Silver's rows for the day.",
              "ERROR", blocking=True),
    CheckDecl("gold/user_activity_daily", "silver_reconciliation", "API requests equal Silver's non-anonymous "
              "requests; task events equal gold/tasks_per_user_daily's.", "ERROR", blocking=True),
    CheckDecl("gold/tasks_per_user_daily", "silver_reconciliation", "Open, created and completed tasks equal "
              "Silver's counts for the day.", "ERROR", blocking=True),
]

# Standalone checks run after their extra upstreams, in a step of their own.
UNKNOWN_USERS = CheckDecl("silver/api_requests", "unknown_users", "API requests whose userId is not in "
                          "silver/users for the day (reported, not blocking).", "WARN")


def checks_for(table_key: str) -> list[CheckDecl]:
    """Checks evaluated inside the job that writes `table_key`."""
    table = TABLES[table_key]
    blocking = table.layer in ("silver", "gold")
    decls = [CheckDecl(table_key, name, _GENERATED_TEXT[name], "ERROR", blocking)
             for name in generated_check_names(table.model)]
    if not table.name.endswith("_quarantine"):
        decls.append(CheckDecl(table_key, "volume_anomaly", "Row count within the robust band (median ± 3.5 "
                               "MAD) of the 7 previous partitions.", "WARN"))
    return decls + [d for d in EXTRA_CHECKS if d.table == table_key]
