"""One declaration per table: tables, jobs, checks and assets all derive from `lake_assets/steps.py`,
a wrong reference fails when definitions load, and the README's add-a-table recipe works."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pandera.pyspark as pandera
import pyarrow.parquet as pq
import pytest
from pyspark.sql import types as T

from lake_assets.builds.base import BuildContext, BuildResult
from lake_assets.core.settings import LakeSettings
from lake_assets.declare import Check, DeclarationError, Output, Reads, Step
from lake_assets.definitions import build_definitions
from lake_assets.quality.fields import required
from lake_assets.steps import CATALOG

DAY = "2026-11-21"


class RouteCatalogDaily(pandera.DataFrameModel):
    """Toy Gold table: the routes a day knows, one row each."""

    route_key: T.StringType() = required("API route, e.g. 'GET /tasks'.")
    rank: T.LongType() = required("1-based rank of the route in the day's catalog.", ge=1)

    class Config:
        name = "gold/route_catalog_daily"
        unique = ["route_key"]


def gold_route_catalog_daily(ctx: BuildContext) -> BuildResult:
    """The recipe's job: build rows, stage them against the contract, audit and publish."""
    rows = [("GET /tasks", 1), ("POST /tasks", 2)]
    table = ctx.table("gold/route_catalog_daily")
    staged = ctx.stage(table, ctx.spark.createDataFrame(rows, table.schema), max_files=1)
    return ctx.finish([staged], [])


TOY = Step(
    gold_route_catalog_daily,
    reads=(Reads("silver/api_requests"),),
    outputs=(
        Output("gold/route_catalog_daily", RouteCatalogDaily, checks=(Check("always_two", "Toy check.", "WARN"),)),
    ),
    description="Toy table added through the README recipe.",
)


def test_catalog_is_derived_from_the_declarations():
    assert set(CATALOG.builds) == {s.name for s in CATALOG.steps} | {"check_unknown_users"}
    assert set(CATALOG.tables) == {o.key for s in CATALOG.steps for o in s.outputs}
    names = {c.name for c in CATALOG.checks_for("silver/api_requests")}
    assert {"schema", "not_null", "unique_key", "volume_anomaly", "quarantine_rate", "bronze_reconciliation"} <= names
    assert "volume_anomaly" not in {c.name for c in CATALOG.checks_for("silver/api_requests_quarantine")}


@pytest.mark.parametrize(
    "bad, message",
    [
        (
            Step(
                gold_route_catalog_daily,
                reads=(Reads("silver/nope"),),
                outputs=(Output("gold/route_catalog_daily", RouteCatalogDaily),),
                description="x",
            ),
            "reads silver/nope",
        ),
        (
            Step(
                gold_route_catalog_daily,
                reads=(),
                outputs=(Output("silver/api_requests", RouteCatalogDaily),),
                description="x",
            ),
            "silver/api_requests is declared by two steps",
        ),
    ],
)
def test_a_wrong_declaration_fails_when_the_catalog_is_built(bad, message):
    with pytest.raises(DeclarationError, match=message):
        CATALOG.with_steps([bad])


def test_lineage_carries_the_windows_jobs_really_read():
    graph = build_definitions(LakeSettings(partition_start=date(2026, 9, 1))).resolve_asset_graph()
    tasks = graph.get(dg.AssetKey(["silver", "tasks"]))
    requests = graph.get(dg.AssetKey(["silver", "api_requests"]))

    def upstream(node, parent, day):
        mapping = graph.get_partition_mapping(node.key, dg.AssetKey(parent.split("/")))
        result = mapping.get_upstream_mapped_partitions_result_for_partitions(
            node.partitions_def.subset_with_partition_keys([day]), node.partitions_def, node.partitions_def
        )
        return sorted(result.partitions_subset.get_partition_keys())

    window = upstream(tasks, "bronze/tasks_export", "2026-11-21")
    assert (window[0], window[-1], len(window)) == ("2026-10-21", "2026-11-21", 32)  # the 31-day look-back
    assert upstream(tasks, "bronze/tasks_changes", "2026-09-05")[0] == "2026-09-01"  # clipped at the start
    assert upstream(requests, "bronze/api_requests", "2026-11-21") == ["2026-11-21", "2026-11-22"]


def test_adding_a_table_is_one_declaration(tmp_path, spark):
    catalog = CATALOG.with_steps([TOY])
    settings = LakeSettings(
        lake_root_uri=str(tmp_path / "lake"),
        landing_uri=str(tmp_path / "landing"),
        partition_start=date(2026, 11, 1),
        pii_hash_key="k" * 32,
        spark_master="local[2]",
    )
    defs = build_definitions(settings, catalog)
    key = dg.AssetKey(["gold", "route_catalog_daily"])
    result = dg.materialize([defs.resolve_assets_def(key)], partition_key=DAY, selection=[key])
    assert result.success
    (event,) = result.get_asset_materialization_events()
    assert event.asset_key == key and event.materialization.metadata["dagster/row_count"].value == 2
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["schema"] and checks["unique_key"] and checks["ranges"] and "always_two" in checks
    rows = pq.read_table(tmp_path / "lake/gold/route_catalog_daily" / f"dt={DAY}").to_pylist()
    assert sorted(r["route_key"] for r in rows) == ["GET /tasks", "POST /tasks"]
