"""The one shape every lake asset has, derived from the step declarations in `lake_assets/steps.py`.

A `Step` becomes a partitioned `multi_asset` (one asset per output table) with the tables' checks,
readable metadata, the real partition mapping of what it reads, and the cross-cutting policy
(freshness, automation) handed in by `definitions.py`; a `StandaloneCheck` becomes an asset check.
"""

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dagster as dg

from lake_assets.assets.outcome import asset_key, step_events
from lake_assets.declare import Catalog, Reads, StandaloneCheck, Step
from lake_assets.engines.base import LakeEngine
from lake_assets.engines.progress import run_step
from lake_assets.quality.catalog import CheckDecl
from lake_assets.tables import Table

OWNERS = ["team:data-platform"]
Policy = Callable[[str, Sequence[str]], dict[str, Any]]


def partition_mapping(reads: Reads) -> dg.PartitionMapping | None:
    """Day D of this asset reads D - days_before … D + days_after of the upstream (None: D itself).

    Days before the first partition or after the last do not exist (yet), and the job copes with
    that; without `allow_nonexistent_upstream_partitions` (a Dagster beta parameter, used on
    purpose) a backfill of the first month would refuse to plan silver/tasks' 31-day look-back.
    """
    if reads.days_before == reads.days_after == 0:
        return None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        return dg.TimeWindowPartitionMapping(
            start_offset=-reads.days_before, end_offset=reads.days_after, allow_nonexistent_upstream_partitions=True
        )


def reads_label(reads: Reads) -> str:
    """`bronze/api_requests` or, for a window, `bronze/api_requests D…D+1` (progress lines)."""
    if reads.days_before == reads.days_after == 0:
        return reads.key
    first = f"D-{reads.days_before}" if reads.days_before else "D"
    return f"{reads.key} {first}…D+{reads.days_after}" if reads.days_after else f"{reads.key} {first}…D"


def column_schema(table: Table) -> dg.TableSchema:
    """Dagster's column schema from the table's pandera contract (shown in the UI catalog), with
    each column's description from the contract, so the UI explains what a column holds."""
    columns = table.model.to_schema().columns
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name,
                column.dtype.type.simpleString(),
                description=column.description,
                constraints=dg.TableColumnConstraints(
                    nullable=column.nullable, other=[str(c.error or c.name) for c in column.checks]
                ),
            )
            for name, column in columns.items()
        ]
    )


def check_spec(decl: CheckDecl, partitions_def: dg.PartitionsDefinition, **kwargs: Any) -> dg.AssetCheckSpec:
    """A per-partition check spec (partitioned checks are a Dagster preview: used on purpose)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        return dg.AssetCheckSpec(
            decl.name,
            asset=asset_key(decl.table),
            description=decl.description,
            blocking=decl.blocking,
            partitions_def=partitions_def,
            **kwargs,
        )


def build_lake_asset(
    step: Step,
    catalog: Catalog,
    partitions_def: dg.PartitionsDefinition,
    policy: Policy = lambda layer, deps: {},
    retry_policy: dg.RetryPolicy | None = None,
    pool: str = "spark_local",
) -> dg.AssetsDefinition:
    """A partitioned multi-asset that runs `step` on the `engine` resource.

    `policy(layer, upstream keys)` gives extra `AssetSpec` arguments (freshness, automation);
    `pool` is the engine's concurrency pool (one slot per running Spark job).
    """
    deps = [dg.AssetDep(asset_key(r.key), partition_mapping=partition_mapping(r)) for r in step.reads]
    specs, checks = [], []
    for out in step.outputs:
        table = catalog.table(out.key)
        specs.append(
            dg.AssetSpec(
                asset_key(out.key),
                deps=deps,
                group_name=table.layer,
                owners=OWNERS,
                kinds={"spark", "parquet"},
                tags={"layer": table.layer},
                description=out.description or step.description,
                metadata={
                    "dagster/column_schema": column_schema(table),
                    "dagster/table_name": out.key.replace("/", "."),
                },
                skippable=step.skippable,
                **policy(table.layer, [r.key for r in step.reads]),
            )
        )
        checks += [check_spec(c, partitions_def) for c in catalog.checks_for(out.key)]
    build = step.name
    reads, writes = [reads_label(r) for r in step.reads], [o.key for o in step.outputs]

    # A skippable job may yield nothing; `can_subset` makes its outputs (and check outputs) optional.
    @dg.multi_asset(
        name=build,
        specs=specs,
        check_specs=checks,
        partitions_def=partitions_def,
        pool=pool,
        retry_policy=retry_policy,
        can_subset=step.skippable,
    )
    def _asset(
        context: dg.AssetExecutionContext, engine: dg.ResourceParam[LakeEngine]
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        yield from step_events(context, run_step(context, engine, build, reads, writes))

    return _asset


def build_standalone_check(
    item: StandaloneCheck, catalog: Catalog, partitions_def: dg.PartitionsDefinition, pool: str = "spark_local"
) -> dg.AssetChecksDefinition:
    """A check that needs more than its own asset (e.g. another table of the same day)."""
    decl, build = catalog.standalone_check(item.build), item.name
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)

        @dg.asset_check(
            asset=asset_key(decl.table),
            name=decl.name,
            description=decl.description,
            blocking=decl.blocking,
            additional_deps=[asset_key(k) for k in item.reads],
            partitions_def=partitions_def,
            pool=pool,
        )
        def _check(context: dg.AssetCheckExecutionContext, engine: dg.ResourceParam[LakeEngine]) -> dg.AssetCheckResult:
            events = step_events(context, run_step(context, engine, build, item.reads, [f"check {decl.name}"]))
            reported = [e for e in events if isinstance(e, dg.AssetCheckResult) and e.check_name == decl.name]
            if reported:
                return reported[0]
            return dg.AssetCheckResult(
                asset_key=asset_key(decl.table),
                check_name=decl.name,
                passed=False,
                severity=dg.AssetCheckSeverity(decl.severity),
                metadata={"error": f"{build} did not report this check"},
            )

    return _check
