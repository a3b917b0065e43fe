"""What every job receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from lake_assets.tables import Table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from lake_assets.core.lake import LocalLake
    from lake_assets.core.landing import LocalLanding


class JobInputError(RuntimeError):
    """The job cannot run on what exists (e.g. no export for the day); not worth retrying."""


@dataclass(frozen=True)
class JobContext:
    spark: SparkSession
    lake: LocalLake
    landing: LocalLanding
    day: date
    pii_key: bytes = field(repr=False, default=b"")

    @property
    def dt(self) -> str:
        return self.day.isoformat()

    def next_dt(self, days: int = 1) -> str:
        return (self.day + timedelta(days=days)).isoformat()

    def read(self, table: Table, dts: list[str] | None = None) -> DataFrame:
        return self.lake.read(self.spark, table.layer, table.name, dts or [self.dt], table.schema)

    def write(self, table: Table, df: DataFrame, *, max_files: int = 4, **extra: Any) -> TableOutput:
        """Write `df` (projected on the table's schema) as partition D; `extra` becomes metadata."""
        info = self.lake.write(df.select(*table.schema.fieldNames()), table.layer, table.name, self.dt,
                               max_files=max_files)
        return TableOutput(table, info.path, info.rows, info.files, info.bytes, extra)


@dataclass(frozen=True)
class TableOutput:
    """One written partition and the job's facts about it (JSON-serialisable `extra`)."""

    table: Table
    path: str
    rows: int
    files: int
    bytes: int
    extra: dict[str, Any]


Job = Callable[[JobContext], list[TableOutput]]
