"""Apply incremental-export changes on top of a full snapshot (change data capture).

The state at a moment T is the snapshot taken at S ≤ T plus every change written in (S, T],
last write wins per key, ordered by `WriteTimestampMicros` (the order in which DynamoDB applied
them, not the order of files or lines). A key whose last change is a REMOVE leaves the table:
Silver holds current state only; the removal stays visible in `bronze/tasks_changes`. A change
at exactly the snapshot time is already in the snapshot and is ignored.

Two items with one key in the *same* export are an export defect, not a change: the later line
stays the item, the earlier is kept for Silver to quarantine (`duplicate_key_in_export`), whether
or not the day also has changes.

The merge is split in two so Silver ranks once: `item_rows` lines the snapshot and the changes up
as one frame, and `with_fate` ranks it with one window. Silver types the rows in between, so only
narrow typed columns travel through the window's shuffle and sort, not the item texts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import Column, DataFrame, Row, Window
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
FATES = ("kept", "superseded", "removed")


@dataclass(frozen=True)
class Changes:
    """Incremental-export rows (`bronze/tasks_changes`) to apply in (`after`, `until`]."""

    rows: DataFrame
    after: datetime  # the snapshot's time: a change at or before it is already in the snapshot
    until: datetime


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def item_rows(snapshot: DataFrame, changes: Changes | None = None) -> DataFrame:
    """Snapshot rows and the changes in their window, in `ITEM_COLUMNS` plus the ranking columns
    `_ts` (write time, µs), `_op` (SNAPSHOT, UPSERT, MODIFY, REMOVE) and `_rank_source` (0 snapshot,
    1 change)."""
    taken = _micros(changes.after) if changes else 0  # one snapshot alone: its rows rank by position
    rows = snapshot.select(
        *ITEM_COLUMNS, F.lit(taken).alias("_ts"), F.lit("SNAPSHOT").alias("_op"), F.lit(0).alias("_rank_source")
    )
    if changes is None:
        return rows
    ts = F.col("write_timestamp_micros")
    in_window = (ts > _micros(changes.after)) & (ts <= _micros(changes.until))
    delta = changes.rows.where(in_window | ts.isNull()).select(
        *ITEM_COLUMNS, ts.alias("_ts"), F.col("operation").alias("_op"), F.lit(1).alias("_rank_source")
    )
    return rows.unionByName(delta)


def usable() -> Column:
    """A row that takes part in the merge: it parsed and has both keys (the rest pass through, and
    Silver quarantines them)."""
    return F.col("pk").isNotNull() & F.col("sk").isNotNull() & F.col("parse_error").isNull()


def with_fate(rows: DataFrame) -> DataFrame:
    """`rows` (`item_rows`, any extra columns) plus `_fate` (kept | superseded | removed) and
    `_duplicate` (true for a kept row whose key an earlier line of the same export also holds)."""
    latest = Window.partitionBy("pk", "sk").orderBy(
        usable().desc(),  # unusable rows never outrank a usable one
        F.col("_ts").desc(),
        F.col("_rank_source").desc(),
        F.col("source_key").desc(),
        F.col("line_number").desc(),
    )
    n = F.row_number().over(latest)
    same_export = (F.col("_rank_source") == 0) & (F.lag("_rank_source").over(latest) == 0)
    duplicate = usable() & (n > 1) & same_export
    fate = (
        F.when(~usable() | duplicate, F.lit("kept"))
        .when(n > 1, F.lit("superseded"))
        .when(F.col("_op") == "REMOVE", F.lit("removed"))
        .otherwise(F.lit("kept"))
    )
    return rows.withColumn("_duplicate", F.coalesce(duplicate, F.lit(False))).withColumn("_fate", fate)


def merge_counts(groups: Iterable[Row]) -> dict[str, int]:
    """How many snapshot rows and changes were kept, superseded by a later change, or removed, from
    counts grouped by (`_rank_source`, `_fate`, …): one aggregation serves every count of a step."""
    counts = {f"{source}_{fate}": 0 for source in ("snapshot", "change") for fate in FATES}
    for row in groups:
        counts[f"{'change' if row['_rank_source'] else 'snapshot'}_{row['_fate']}"] += row["count"]
    return counts
