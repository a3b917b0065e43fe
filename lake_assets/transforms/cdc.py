"""Apply incremental-export changes on top of a full snapshot (change data capture).

The state at a moment T is the snapshot taken at S ≤ T plus every change written in (S, T],
last write wins per key, ordered by `WriteTimestampMicros` (the order in which DynamoDB applied
them, not the order of files or lines). A key whose last change is a REMOVE leaves the table:
Silver holds current state only; the removal stays visible in `bronze/tasks_changes`. A change
at exactly the snapshot time is already in the snapshot and is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

ITEM_COLUMNS = (
    "pk",
    "sk",
    "item_json",
    "item_dynamodb_json",
    "attribute_types",
    "raw_item",
    "parse_error",
    "source_key",
    "line_number",
    "export_id",
)


@dataclass
class Merged:
    items: DataFrame  # current items, in Bronze `tasks_export` columns (what Silver types)
    ranked: DataFrame  # every input row with its `_fate`: kept | superseded | removed


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def merge_changes(snapshot: DataFrame, changes: DataFrame, snapshot_time: datetime, until: datetime) -> Merged:
    """Items at `until`: `snapshot` (taken at `snapshot_time`) plus `changes` in (snapshot_time, until]."""
    base = snapshot.select(
        *ITEM_COLUMNS,
        F.lit(_micros(snapshot_time)).alias("_ts"),
        F.lit("SNAPSHOT").alias("_op"),
        F.lit(0).alias("_rank_source"),
    )
    window = (F.col("write_timestamp_micros") > _micros(snapshot_time)) & (
        F.col("write_timestamp_micros") <= _micros(until)
    )
    delta = changes.where(window | F.col("write_timestamp_micros").isNull()).select(
        *ITEM_COLUMNS,
        F.col("write_timestamp_micros").alias("_ts"),
        F.col("operation").alias("_op"),
        F.lit(1).alias("_rank_source"),
    )
    rows = base.unionByName(delta)
    usable = F.col("pk").isNotNull() & F.col("sk").isNotNull() & F.col("parse_error").isNull()
    keyed = rows.where(usable)
    latest = Window.partitionBy("pk", "sk").orderBy(
        F.col("_ts").desc(), F.col("_rank_source").desc(), F.col("source_key").desc(), F.col("line_number").desc()
    )
    ranked = keyed.withColumn("_n", F.row_number().over(latest)).withColumn(
        "_fate", F.when(F.col("_n") > 1, "superseded").when(F.col("_op") == "REMOVE", "removed").otherwise("kept")
    )
    unusable = rows.where(~usable).withColumn("_n", F.lit(1)).withColumn("_fate", F.lit("kept"))
    ranked = ranked.unionByName(unusable)  # bad rows pass through so Silver quarantines them
    items = ranked.where(F.col("_fate") == "kept").select(*ITEM_COLUMNS)
    return Merged(items, ranked)


def merge_counts(ranked: DataFrame) -> dict[str, int]:
    """How many snapshot rows and changes were kept, superseded by a later change, or removed."""
    counts = {f"{source}_{fate}": 0 for source in ("snapshot", "change") for fate in ("kept", "superseded", "removed")}
    for row in ranked.groupBy("_rank_source", "_fate").count().collect():
        counts[f"{'change' if row['_rank_source'] else 'snapshot'}_{row['_fate']}"] += row["count"]
    return counts
