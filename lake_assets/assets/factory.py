"""The one shape every lake asset has: run a named job for a daily partition, report its outputs.

A table is added by declaring its outputs and upstreams in a short `LakeAsset`; the factory
turns that into a partitioned `multi_asset` with the table's checks, readable metadata and the
cross-cutting policy (freshness) handed in by `definitions.py`.
"""

import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from lake_assets.jobs.base import JobResult, TableOutput
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


def asset_key(table_key: str) -> dg.AssetKey:
    return dg.AssetKey(table_key.split("/"))


def _metadata_value(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return dg.MetadataValue.json(value)
    return value


def output_metadata(out: TableOutput) -> dict[str, Any]:
    """Materialization metadata of one written partition."""
    return {
        "dagster/row_count": out.rows,
        "location": dg.MetadataValue.path(out.path),
        "size_bytes": out.bytes,
        "parquet_files": out.files,
        **{k: _metadata_value(v) for k, v in sorted(out.extra.items())},
    }


def check_spec(decl: CheckDecl, partitions_def: dg.PartitionsDefinition, **kwargs: Any) -> dg.AssetCheckSpec:
    """A per-partition check spec (partitioned checks are a Dagster preview: used on purpose)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.PreviewWarning)
        return dg.AssetCheckSpec(decl.name, asset=asset_key(decl.table), description=decl.description,
                                 blocking=decl.blocking, partitions_def=partitions_def, **kwargs)


def check_results(result: JobResult) -> list[dg.AssetCheckResult]:
    """Dagster check results for a job's outcomes, with the declared severity."""
    return [dg.AssetCheckResult(
        asset_key=asset_key(c.table), check_name=c.name, passed=c.passed, description=c.description,
        severity=dg.AssetCheckSeverity(result.declared[(c.table, c.name)].severity)
        if (c.table, c.name) in result.declared else dg.AssetCheckSeverity.WARN,
        metadata={k: _metadata_value(v) for k, v in c.metadata.items()},
    ) for c in result.checks]


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
    def _asset(context: dg.AssetExecutionContext, engine: dg.ResourceParam[Any]):
        result = engine.run_job(context, decl.job)
        if isinstance(result, (list, tuple)):  # a remote engine: results already came back through Pipes
            yield from result
            return
        if result.skipped:
            context.log.info(f"nothing to write for {context.partition_key}: {result.skipped}")
            return
        for out in result.outputs:
            context.log.info(f"{out.table.key} dt={context.partition_key}: {out.rows} rows "
                             f"({json.dumps(out.extra, default=str)[:500]})")
            if out.published:
                yield dg.MaterializeResult(asset_key=asset_key(out.table.key), metadata=output_metadata(out))
        yield from check_results(result)
        failures = result.blocking_failures
        if failures:
            rejected = ", ".join(o.path for o in result.outputs)
            raise dg.Failure(
                description=f"Blocking checks failed for {context.partition_key}: "
                            f"{', '.join(f'{c.table}:{c.name}' for c in failures)}. The new data was not "
                            f"published (kept for inspection at {rejected}); readers still see the previous "
                            "version and downstream assets were not run.",
                allow_retries=False)

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
        def _check(context: dg.AssetCheckExecutionContext, engine: dg.ResourceParam[Any]) -> dg.AssetCheckResult:
            result = engine.run_job(context, job)
            if isinstance(result, (list, tuple)):  # a remote engine: the check came back through Pipes
                return remote_check_result(result, decl)
            declared = JobResult(result.outputs, result.checks, {(decl.table, decl.name): decl})
            (outcome,) = check_results(declared)
            return outcome

    return _check


def remote_check_result(results: Sequence[Any], decl: CheckDecl) -> dg.AssetCheckResult:
    """The declared check among a remote job's Pipes results, with its declared severity."""
    for r in results:
        if isinstance(r, dg.AssetCheckResult) and r.check_name == decl.name:
            return dg.AssetCheckResult(asset_key=asset_key(decl.table), check_name=decl.name, passed=r.passed,
                                       severity=dg.AssetCheckSeverity(decl.severity), metadata=r.metadata,
                                       description=r.description)
    return dg.AssetCheckResult(asset_key=asset_key(decl.table), check_name=decl.name, passed=False,
                               severity=dg.AssetCheckSeverity(decl.severity),
                               metadata={"error": "the remote job did not report this check"})
