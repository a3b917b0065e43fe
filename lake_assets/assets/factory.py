"""The one shape every lake asset has: run a named job for a daily partition, report its outputs.

A table is added by declaring its outputs and upstreams in a short `LakeAsset`; the factory
turns that into a partitioned `multi_asset` with the table's checks, readable metadata and the
cross-cutting policy (freshness) handed in by `definitions.py`.
"""

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from lake_assets.assets.outcome import asset_key, step_events
from lake_assets.engines.base import LakeEngine
from lake_assets.quality.catalog import CheckDecl, checks_for
from lake_assets.tables import TABLES

OWNERS = ["team:data-platform"]


@dataclass(frozen=True)
class Upstream:
    """An upstream asset and how this asset's partition D maps onto its partitions."""

    key: str
    mapping: dg.PartitionMapping | None = None


@dataclass(frozen=True)
class LakeAsset:
    """Declaration of one job and the tables it writes."""

    job: str
    outputs: Sequence[str]
    upstreams: Sequence[Upstream]
    description: str
    output_descriptions: dict[str, str] = field(default_factory=dict)
    skippable: bool = False  # the job may legitimately write nothing for a day


def column_schema(table_key: str) -> dg.TableSchema:
    """Dagster's column schema from the table's pandera contract (shown in the UI catalog)."""
    columns = TABLES[table_key].model.to_schema().columns
    return dg.TableSchema(columns=[
        dg.TableColumn(name, column.dtype.type.simpleString(),
                       constraints=dg.TableColumnConstraints(nullable=column.nullable,
                                                             other=[str(c.error or c.name) for c in column.checks]))
        for name, column in columns.items()
    ])


def check_spec(decl: CheckDecl, partitions_def: dg.PartitionsDefinition, **kwargs: Any) -> dg.AssetCheckSpec:
    """A per-partition check spec (partitioned checks are a Dagster preview: used on purpose)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        return dg.AssetCheckSpec(decl.name, asset=asset_key(decl.table), description=decl.description,
                                 blocking=decl.blocking, partitions_def=partitions_def, **kwargs)


def build_lake_asset(decl: LakeAsset, partitions_def: dg.PartitionsDefinition,
                     policy: Callable[[str, Sequence[str]], dict[str, Any]] = lambda layer, deps: {},
                     retry_policy: dg.RetryPolicy | None = None, pool: str = "spark_local") -> dg.AssetsDefinition:
    """A partitioned multi-asset that runs `decl.job` on the `engine` resource.

    `policy(layer, upstream keys)` gives extra `AssetSpec` arguments (freshness, automation);
    `pool` is the engine's concurrency pool (one slot per running Spark job).
    """
    deps = [dg.AssetDep(asset_key(u.key), partition_mapping=u.mapping) for u in decl.upstreams]
    specs, checks = [], []
    for table_key in decl.outputs:
        layer = table_key.split("/", 1)[0]
        specs.append(dg.AssetSpec(
            asset_key(table_key), deps=deps, group_name=layer, owners=OWNERS,
            kinds={"spark", "parquet"}, tags={"layer": layer},
            description=decl.output_descriptions.get(table_key, decl.description),
            metadata={"dagster/column_schema": column_schema(table_key),
                      "dagster/table_name": table_key.replace("/", ".")},
            skippable=decl.skippable,
            **policy(layer, [u.key for u in decl.upstreams]),
        ))
        checks += [check_spec(c, partitions_def) for c in checks_for(table_key)]

    # A skippable job may yield nothing; `can_subset` makes its outputs (and check outputs) optional.
    @dg.multi_asset(name=decl.job, specs=specs, check_specs=checks, partitions_def=partitions_def, pool=pool,
                    retry_policy=retry_policy, can_subset=decl.skippable)
    def _asset(context: dg.AssetExecutionContext, engine: dg.ResourceParam[LakeEngine]
               ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        yield from step_events(context, engine.run_job(context, decl.job))

    return _asset


def build_standalone_check(decl: CheckDecl, job: str, extra_deps: Sequence[str],
                           partitions_def: dg.PartitionsDefinition, pool: str = "spark_local"
                           ) -> dg.AssetChecksDefinition:
    """A check that needs more than its own asset (e.g. another table of the same day)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)

        @dg.asset_check(asset=asset_key(decl.table), name=decl.name, description=decl.description,
                        blocking=decl.blocking, additional_deps=[asset_key(k) for k in extra_deps],
                        partitions_def=partitions_def, pool=pool)
        def _check(context: dg.AssetCheckExecutionContext, engine: dg.ResourceParam[LakeEngine]
                   ) -> dg.AssetCheckResult:
            events = step_events(context, engine.run_job(context, job))
            reported = [e for e in events if isinstance(e, dg.AssetCheckResult) and e.check_name == decl.name]
            if reported:
                return reported[0]
            return dg.AssetCheckResult(asset_key=asset_key(decl.table), check_name=decl.name, passed=False,
                                       severity=dg.AssetCheckSeverity(decl.severity),
                                       metadata={"error": f"{job} did not report this check"})

    return _check
