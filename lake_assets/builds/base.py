"""What every build receives and returns, and the write-audit-publish step every build ends with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from lake_assets.core.settings import DEFAULT_MAX_QUARANTINE_RATE, LakeSettings
from lake_assets.quality.catalog import CheckDecl
from lake_assets.quality.outcome import CheckOutcome
from lake_assets.tables import Table

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from lake_assets.core.lake import LakeStorage
    from lake_assets.core.landing import Landing
    from lake_assets.declare import Catalog

VOLUME_HISTORY = 7


class BuildInputError(RuntimeError):
    """The build cannot run on what exists (e.g. no export for the day); not worth retrying."""


@dataclass(frozen=True)
class TableOutput:
    """One partition a build wrote, whether it was published, and the build's facts about it."""

    table: Table
    path: str
    rows: int
    files: int
    bytes: int
    extra: dict[str, Any]
    published: bool = True


@dataclass(frozen=True)
class BuildResult:
    outputs: list[TableOutput]
    checks: list[CheckOutcome]
    declared: dict[tuple[str, str], CheckDecl] = field(default_factory=dict)
    skipped: str | None = None  # why nothing was written (a legitimate no-op, not a failure)

    @property
    def blocking_failures(self) -> list[CheckOutcome]:
        """Failed checks that this build declared blocking (a check-only build declares none itself)."""
        declared = self.declared
        return [
            c
            for c in self.checks
            if not c.passed
            and (c.table, c.name) in declared
            and declared[(c.table, c.name)].blocking
            and (c.severity or declared[(c.table, c.name)].severity) == "ERROR"
        ]


@dataclass(frozen=True)
class Staged:
    """A partition written to staging, not yet visible to readers."""

    table: Table
    path: str  # where the staged version is, readable by Spark
    rows: int
    extra: dict[str, Any]
    # The contract's outcomes once `BuildContext.audit` has evaluated them (`finish` then reuses them).
    contract: list[CheckOutcome] = field(default_factory=list)


@dataclass(frozen=True)
class BuildContext:
    spark: SparkSession
    lake: LakeStorage
    landing: Landing
    day: date
    pii_key: bytes = field(repr=False, default=b"")
    settings: LakeSettings = field(default_factory=LakeSettings)
    catalog: Catalog | None = None  # the declarations: tables and their checks (`lake_assets/steps.py`)

    @property
    def dt(self) -> str:
        return self.day.isoformat()

    def next_dt(self, days: int = 1) -> str:
        return (self.day + timedelta(days=days)).isoformat()

    def require_catalog(self) -> Catalog:
        """The declarations; a context built without them cannot look up tables or checks."""
        if self.catalog is None:
            raise RuntimeError("this build context has no catalog: build it with lake_assets.execute.build_context")
        return self.catalog

    def table(self, key: str) -> Table:
        """A declared table (contract, layer, name) by key."""
        return self.require_catalog().table(key)

    def quarantine_limit(self, table_key: str) -> float:
        """`LAKE_MAX_QUARANTINE_RATE` for this table (its own entry, else the "*" default)."""
        limits = self.settings.max_quarantine_rate
        return limits.get(table_key, limits.get("*", DEFAULT_MAX_QUARANTINE_RATE))

    def require_upstream(self, *table_keys: str) -> None:
        """Raise BuildInputError naming each upstream table whose partition D is not published.

        Why: reading a missing partition yields no rows, and a table built from nothing looks like
        a healthy quiet day (0 rows, every check passing) while it is really a day without data.
        """
        tables = [self.table(key) for key in table_keys]
        missing = [t.key for t in tables if not self.lake.has_partition(t.layer, t.name, self.dt)]
        if missing:
            raise BuildInputError(
                f"{', '.join(missing)} dt={self.dt} is not published (no data arrived for the day, or its run "
                f"failed), so this step does not build an empty table from it. Materialize {', '.join(missing)} "
                f"for {self.dt} first; LAKE_EMPTY_DAY_SEVERITY=WARN publishes empty days on purpose."
            )

    def read(self, table: Table, dts: list[str] | None = None) -> DataFrame:
        """Published partitions of `table` (default: day D) with a `dt` column."""
        return self.lake.read(self.spark, table.layer, table.name, dts or [self.dt], table.schema)

    def stage(self, table: Table, df: DataFrame, *, max_files: int = 4, **extra: Any) -> Staged:
        """Write `df` (projected on the table's contract) to staging; `extra` becomes metadata."""
        path = self.lake.stage(df.select(*table.schema.fieldNames()), table.layer, table.name, self.dt, max_files)
        return Staged(table, path, self.lake.describe_path(path).rows, extra)

    def read_staged(self, staged: Staged) -> DataFrame:
        return self.spark.read.schema(staged.table.schema).parquet(staged.path)

    def audit(self, staged: Staged, **sums: Column) -> dict[str, int]:
        """Evaluate `staged`'s contract now, and the sum of each of `sums` (name → integer column)
        over its rows in the same Spark job: a build reconciling its output against its input
        reads the staged partition once for all its checks. `finish` reuses these outcomes."""
        from lake_assets.quality.contract import evaluate_contract_with_sums

        outcomes, values = evaluate_contract_with_sums(self.read_staged(staged), staged.table, staged.rows, sums)
        staged.contract[:] = outcomes
        return values

    def _volume(self, staged: Staged) -> CheckOutcome:
        from lake_assets.quality.volume import volume_verdict

        table = staged.table
        earlier = [d for d in self.lake.partitions(table.layer, table.name) if d < self.dt][-VOLUME_HISTORY:]
        history = [self.lake.describe(table.layer, table.name, d).rows for d in earlier]
        passed, metadata = volume_verdict(staged.rows, history)
        return CheckOutcome(table.key, "volume_anomaly", passed, metadata)

    def finish(self, staged: list[Staged], outcomes: list[CheckOutcome]) -> BuildResult:
        """Audit every staged partition, then publish all of them, or none if a blocking check failed."""
        from lake_assets.quality.contract import evaluate_contract

        assert self.catalog is not None, "build the context with lake_assets.execute.build_context"
        declared = {(d.table, d.name): d for s in staged for d in self.catalog.checks_for(s.table.key)}
        checks = list(outcomes)
        for item in staged:
            checks += item.contract or evaluate_contract(self.read_staged(item), item.table, rows=item.rows)
            if (item.table.key, "volume_anomaly") in declared:
                checks.append(self._volume(item))
        seen = {(c.table, c.name) for c in checks}
        checks += [
            CheckOutcome(t, n, False, {"error": "the build did not evaluate this check"})
            for (t, n) in declared
            if (t, n) not in seen
        ]
        result = BuildResult([], checks, declared)
        blocked = bool(result.blocking_failures)
        outputs = []
        for item in staged:
            table = item.table
            if blocked:
                path = self.lake.reject(item.path, table.layer, table.name)
                info = self.lake.describe_path(path)
            else:
                info = self.lake.publish(item.path, table.layer, table.name, self.dt)
            outputs.append(
                TableOutput(table, info.path, info.rows, info.files, info.bytes, item.extra, published=not blocked)
            )
        return BuildResult(outputs, checks, declared)
