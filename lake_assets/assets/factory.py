"""The one shape every lake asset has, derived from the step declarations in `lake_assets/steps.py`.

A `Step` becomes a partitioned `multi_asset` (one asset per output table) with the tables' checks,
readable metadata, the real partition mapping of what it reads, and the cross-cutting policy
(freshness, automation) handed in by `definitions.py`; a `StandaloneCheck` becomes an asset check.
"""

import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import dagster as dg

from lake_assets.assets.outcome import asset_key, day_events, evaluation_of, failure_text, range_events, step_events
from lake_assets.declare import Catalog, Reads, StandaloneCheck, Step
from lake_assets.engines.base import LakeEngine
from lake_assets.engines.progress import run_step
from lake_assets.quality.catalog import CheckDecl
from lake_assets.tables import Table

OWNERS = ["team:data-platform"]
Policy = Callable[[str, Sequence[str]], dict[str, Any]]
StepEvent = dg.MaterializeResult | dg.AssetCheckResult | dg.AssetMaterialization | dg.AssetCheckEvaluation | dg.Output


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

    # `can_subset` makes the outputs (and check outputs) optional: a skippable job may yield
    # nothing, and a ranged run reports each day itself (Dagster would otherwise record every
    # required output as materialized for the whole range, failed days included).
    def _asset(context: dg.AssetExecutionContext, engine: dg.ResourceParam[LakeEngine]) -> Iterator[StepEvent]:
        if context.has_partition_key:
            day = context.partition_key
            step = run_step(context, engine, build, day, reads, writes)
            yield from step_events(context, step, context.selected_asset_keys)
        else:
            days = context.partition_keys
            yield from range_events(context, days, lambda day: run_step(context, engine, build, day, reads, writes))

    # A backfill of many days is one run (`BackfillPolicy` is a Dagster beta: used on purpose): the
    # Spark session, its JIT warm-up and each Python worker are paid once for the whole range.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning)
        return dg.multi_asset(
            name=build,
            specs=specs,
            check_specs=checks,
            partitions_def=partitions_def,
            pool=pool,
            retry_policy=retry_policy,
            can_subset=True,
            backfill_policy=dg.BackfillPolicy.single_run(),
        )(_asset)


def build_standalone_check(
    item: StandaloneCheck, catalog: Catalog, partitions_def: dg.PartitionsDefinition, pool: str = "spark_local"
) -> dg.AssetChecksDefinition:
    """A check that needs more than its own asset (e.g. another table of the same day).

    A multi-asset check of one spec, because a ranged run (a single-run backfill) evaluates it
    once per day, each evaluation naming its partition; `can_subset` makes its output optional.
    """
    decl, build = catalog.standalone_check(item.build), item.name
    spec = check_spec(decl, partitions_def, additional_deps=[asset_key(k) for k in item.reads])
    writes = [f"check {decl.name}"]

    def reported(events: Iterable[StepEvent], why: str | None = None) -> dg.AssetCheckResult | dg.AssetCheckEvaluation:
        """The check's own result; a report without it is a failed check that says why (never a pass)."""
        found = [e for e in events if isinstance(e, (dg.AssetCheckResult, dg.AssetCheckEvaluation))]
        mine = [e for e in found if e.check_name == decl.name]
        return (
            mine[0]
            if mine
            else dg.AssetCheckResult(
                asset_key=asset_key(decl.table),
                check_name=decl.name,
                passed=False,
                severity=dg.AssetCheckSeverity(decl.severity),
                metadata={"error": why or f"{build} did not report this check"},
            )
        )

    @dg.multi_asset_check(name=spec.get_python_identifier(), specs=[spec], can_subset=True, pool=pool)
    def _check(context: dg.AssetCheckExecutionContext, engine: dg.ResourceParam[LakeEngine]) -> Iterator[StepEvent]:
        if context.has_partition_key:
            day = context.partition_key
            yield reported(step_events(context, run_step(context, engine, build, day, item.reads, writes)))
            return
        for day in context.partition_keys:  # a ranged run: one evaluation per day
            step = run_step(context, engine, build, day, item.reads, writes)
            event = reported(day_events(context, step), failure_text(step.report))
            yield event if isinstance(event, dg.AssetCheckEvaluation) else evaluation_of(event, day)

    return _check
