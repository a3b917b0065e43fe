"""Plain, typed PySpark transforms: DataFrames in, DataFrames out, no Dagster and no I/O paths.

Each module owns its table's Spark schema so reads and writes are always explicit.
"""
