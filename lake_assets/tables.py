"""Every lake table in one list: its layer, name and Spark schema (the single schema source)."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import StructType


@dataclass(frozen=True)
class Table:
    layer: str
    name: str
    schema: StructType

    @property
    def key(self) -> str:
        return f"{self.layer}/{self.name}"


def _tables() -> dict[str, Table]:
    from lake_assets.transforms import bronze, gold, silver_entities, silver_requests

    tables = [
        Table("bronze", "api_requests", bronze.API_REQUESTS_SCHEMA),
        Table("bronze", "tasks_export", bronze.TASKS_EXPORT_SCHEMA),
        Table("silver", "api_requests", silver_requests.REQUESTS_SCHEMA),
        Table("silver", "api_requests_quarantine", silver_requests.QUARANTINE_SCHEMA),
        Table("silver", "tasks", silver_entities.TASKS_SCHEMA),
        Table("silver", "users", silver_entities.USERS_SCHEMA),
        Table("silver", "tasks_quarantine", silver_entities.QUARANTINE_SCHEMA),
        Table("gold", "tasks_per_user_daily", gold.TASKS_PER_USER_SCHEMA),
        Table("gold", "route_latency_daily", gold.ROUTE_LATENCY_SCHEMA),
        Table("gold", "user_activity_daily", gold.USER_ACTIVITY_SCHEMA),
    ]
    return {t.key: t for t in tables}


TABLES = _tables()
