"""Register lake tables and partitions in the AWS Glue Data Catalog so Athena can query them.

Idempotent: the database and table are created when missing and updated to the contract's
columns otherwise; a partition is created, or re-pointed at its (new) location. Column types
come from the table's pandera contract (Spark types → Hive DDL types).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lake_assets.core.aws_errors import error_code
from lake_assets.steps import TABLES
from lake_assets.tables import Table

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


def table_input(table: Table, location: str) -> dict[str, Any]:
    columns = [{"Name": f.name, "Type": f.dataType.simpleString()} for f in table.schema.fields]
    return {
        "Name": f"{table.layer}_{table.name}",
        "TableType": "EXTERNAL_TABLE",
        "Description": table.description[:2048],
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE"},
        "PartitionKeys": [{"Name": "dt", "Type": "date"}],
        "StorageDescriptor": {"Columns": columns, "Location": location, **PARQUET},
    }


def ensure_table(glue: Any, database: str, table: Table, location: str) -> str:
    """Create the database/table if missing, else update the table. Returns 'created' or 'updated'."""
    try:
        glue.create_database(DatabaseInput={"Name": database})
    except Exception as exc:
        if error_code(exc) != "AlreadyExistsException":
            raise
    spec = table_input(table, location)
    try:
        glue.create_table(DatabaseName=database, TableInput=spec)
        return "created"
    except Exception as exc:
        if error_code(exc) != "AlreadyExistsException":
            raise
    glue.update_table(DatabaseName=database, TableInput=spec)
    return "updated"


def register_partition(
    glue: Any, database: str, table: Table, table_location: str, dt: str, partition_location: str | None = None
) -> str:
    """Point partition `dt` at its folder (default `<table>/dt=<dt>/`). Returns 'created' or 'updated'."""
    ensure_table(glue, database, table, table_location)
    name = f"{table.layer}_{table.name}"
    storage = {
        **table_input(table, table_location)["StorageDescriptor"],
        "Location": partition_location or f"{table_location.rstrip('/')}/dt={dt}/",
    }
    partition = {"Values": [dt], "StorageDescriptor": storage}
    try:
        glue.create_partition(DatabaseName=database, TableName=name, PartitionInput=partition)
        return "created"
    except Exception as exc:
        if error_code(exc) != "AlreadyExistsException":
            raise
    glue.update_partition(DatabaseName=database, TableName=name, PartitionValueList=[dt], PartitionInput=partition)
    return "updated"


def catalog_publisher(
    glue: Any, database: str, lake_root_uri: str, layers: tuple[str, ...] = ("gold",)
) -> Callable[[str, str, str, str], None]:
    """A lake `on_publish` hook: re-point the catalog partition of each published table in `layers`.

    The pointer object is what Spark readers follow; this makes Athena follow the same version.
    """

    def on_publish(layer: str, table: str, dt: str, location: str) -> None:
        if layer in layers:
            register_partition(
                glue,
                database,
                TABLES[f"{layer}/{table}"],
                f"{lake_root_uri.rstrip('/')}/{layer}/{table}/",
                dt,
                location.rstrip("/") + "/",
            )

    return on_publish
