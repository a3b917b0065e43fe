"""The one shape every lake asset has: run a named job for a daily partition, report its outputs.

A table is added by declaring its outputs and upstreams here-style in a short module; the
factory turns that into a partitioned `multi_asset` whose metadata a person can read.
"""


import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from lake_assets.jobs.base import TableOutput
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


def column_schema(table_key: str) -> dg.TableSchema:
    """Dagster's column schema from the table's Spark schema (shown in the UI catalog)."""
    schema = TABLES[table_key].schema
    return dg.TableSchema(columns=[
        dg.TableColumn(f.name, f.dataType.simpleString(),
                       constraints=dg.TableColumnConstraints(nullable=f.nullable))
        for f in schema.fields
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
        "dagster/column_schema": column_schema(out.table.key),
        **{k: _metadata_value(v) for k, v in sorted(out.extra.items())},
    }


def build_lake_asset(decl: LakeAsset, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """A partitioned multi-asset that runs `decl.job` on the `engine` resource."""
    deps = [dg.AssetDep(asset_key(u.key), partition_mapping=u.mapping) for u in decl.upstreams]
    specs = []
    for table_key in decl.outputs:
        layer = table_key.split("/", 1)[0]
        specs.append(dg.AssetSpec(
            asset_key(table_key), deps=deps, group_name=layer, owners=OWNERS,
            kinds={"spark", "parquet"}, tags={"layer": layer},
            description=decl.output_descriptions.get(table_key, decl.description),
            metadata={"dagster/column_schema": column_schema(table_key),
                      "dagster/table_name": table_key.replace("/", ".")},
        ))

    @dg.multi_asset(name=decl.job, specs=specs, partitions_def=partitions_def, pool="spark")
    def _asset(context: dg.AssetExecutionContext, engine: dg.ResourceParam[Any]):
        outputs = engine.run_job(context, decl.job)
        for out in outputs:
            context.log.info(f"{out.table.key} dt={context.partition_key}: {out.rows} rows "
                             f"({json.dumps(out.extra, default=str)[:500]})")
            yield dg.MaterializeResult(asset_key=asset_key(out.table.key), metadata=output_metadata(out))

    return _asset
