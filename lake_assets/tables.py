"""Every lake table in one list: its layer, name and pandera contract (the single schema source)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyspark.sql.types import StructType


@dataclass(frozen=True)
class Table:
    layer: str
    name: str
    model: Any  # a pandera.pyspark DataFrameModel
    schema: StructType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "schema", self.model.to_structtype())

    @property
    def key(self) -> str:
        return f"{self.layer}/{self.name}"

    @property
    def description(self) -> str:
        return (self.model.__doc__ or "").strip()


def _tables() -> dict[str, Table]:
    from lake_assets.transforms import bronze, gold, silver_entities, silver_requests

    tables = [
        Table("bronze", "api_requests", bronze.BronzeApiRequests),
        Table("bronze", "tasks_export", bronze.BronzeTasksExport),
        Table("bronze", "tasks_changes", bronze.BronzeTasksChanges),
        Table("silver", "api_requests", silver_requests.SilverApiRequests),
        Table("silver", "api_requests_quarantine", silver_requests.SilverApiRequestsQuarantine),
        Table("silver", "tasks", silver_entities.SilverTasks),
        Table("silver", "users", silver_entities.SilverUsers),
        Table("silver", "tasks_quarantine", silver_entities.SilverTasksQuarantine),
        Table("gold", "tasks_per_user_daily", gold.GoldTasksPerUserDaily),
        Table("gold", "route_latency_daily", gold.GoldRouteLatencyDaily),
        Table("gold", "user_activity_daily", gold.GoldUserActivityDaily),
    ]
    return {t.key: t for t in tables}


TABLES = _tables()
