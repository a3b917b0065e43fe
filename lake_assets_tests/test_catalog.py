"""Glue Data Catalog registration against a moto server: idempotent tables and partitions."""

import boto3

from lake_assets.remote.catalog import register_partition
from lake_assets.steps import TABLES


def test_gold_partitions_register_and_re_register(endpoint):
    glue = boto3.client("glue", endpoint_url=endpoint)
    table = TABLES["gold/route_latency_daily"]
    root = "s3://lake/gold/route_latency_daily"
    assert register_partition(glue, "lake_gold", table, root, "2026-11-21") == "created"
    assert register_partition(glue, "lake_gold", table, root, "2026-11-22") == "created"
    assert (
        register_partition(
            glue, "lake_gold", table, root, "2026-11-21", partition_location=f"{root}/dt=2026-11-21/v=2/"
        )
        == "updated"
    )
    described = glue.get_table(DatabaseName="lake_gold", Name="gold_route_latency_daily")["Table"]
    columns = [(c["Name"], c["Type"]) for c in described["StorageDescriptor"]["Columns"]]
    assert columns[:3] == [("route_key", "string"), ("requests", "bigint"), ("errors_4xx", "bigint")]
    assert described["PartitionKeys"] == [{"Name": "dt", "Type": "date"}]
    partitions = {
        p["Values"][0]: p["StorageDescriptor"]["Location"]
        for p in glue.get_partitions(DatabaseName="lake_gold", TableName="gold_route_latency_daily")["Partitions"]
    }
    assert partitions == {"2026-11-21": f"{root}/dt=2026-11-21/v=2/", "2026-11-22": f"{root}/dt=2026-11-22/"}
