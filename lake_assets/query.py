"""Analyst access to the local lake: DuckDB views over the Parquet tables (Hive partitions).

Each table `<layer>/<name>` is a view `<layer>_<name>` with a `dt` column from the folder names.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lake_assets.steps import TABLES

if TYPE_CHECKING:
    import duckdb


def connect(lake_root: str, layers: tuple[str, ...] = ("bronze", "silver", "gold")) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per table that has data."""
    import duckdb

    con = duckdb.connect()
    for table in TABLES.values():
        if table.layer not in layers:
            continue
        base = Path(lake_root, table.layer, table.name)
        if not any(base.glob("dt=*/*.parquet")):
            continue
        pattern = str(base / "dt=*" / "*.parquet").replace("'", "''")
        con.execute(
            f"CREATE VIEW {table.layer}_{table.name} AS SELECT * FROM read_parquet("
            f"'{pattern}', hive_partitioning = true, hive_types = {{'dt': DATE}})"
        )
    return con
