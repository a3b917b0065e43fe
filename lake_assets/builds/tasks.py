"""Parse tasks: a listing of landing files spread over Spark's task slots by the work each holds.

Why: the Bronze parse is one Python task per slice of the listing, and a step lasts as long as its
heaviest slice. Spark slices a local listing by position, not by work, and spreading it by key
hashes (a shuffle stage of its own) leaves buckets uneven: a day's 20 equal export files hashed
into 4 tasks kept only ~1.2 of 2 cores busy. Ordering the listing so that Spark's own contiguous
slices hold equal work balances the tasks without any shuffle.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

# PySpark sends a local list to the JVM in batches of at most this many rows, and the JVM slices
# the batches, not the rows (`SparkContext.parallelize`, Spark 3.5 and 4.x alike).
PARALLELIZE_MAX_BATCH = 1024


def slice_sizes(rows: int, slices: int) -> list[int]:
    """How many rows of a `rows`-long local list land in each of `slices` partitions.

    Mirrors `SparkContext.parallelize`: rows go in batches of max(1, min(rows // slices, 1024)),
    and partition i gets the batches [i·b/slices, (i+1)·b/slices) of the b batches.
    """
    if rows == 0:
        return [0] * slices
    batch = max(1, min(rows // slices, PARALLELIZE_MAX_BATCH))
    batches = [min(batch, rows - start) for start in range(0, rows, batch)]
    bounds = [i * len(batches) // slices for i in range(slices + 1)]
    return [sum(batches[bounds[i] : bounds[i + 1]]) for i in range(slices)]


def balanced_order(weights: Sequence[int], sizes: Sequence[int]) -> list[list[int]]:
    """Indices of `weights` grouped into bins of exactly `sizes` rows with near-equal total weight.

    Heaviest first, each into the lightest bin that still has room (greedy LPT): within 4/3 of the
    best packing, and exact for the common case of equal files.
    """
    bins: list[list[int]] = [[] for _ in sizes]
    open_bins = [(0, b) for b, size in enumerate(sizes) if size > 0]
    heapq.heapify(open_bins)
    for index in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        load, b = heapq.heappop(open_bins)
        bins[b].append(index)
        if len(bins[b]) < sizes[b]:
            heapq.heappush(open_bins, (load + weights[index], b))
    return bins


def parse_tasks(
    spark: SparkSession, rows: Sequence[tuple[Any, ...]], weights: Sequence[int], schema: StructType | str
) -> DataFrame:
    """The listed landing files as a DataFrame whose partitions (the parse tasks) hold equal work.

    `weights[i]` is the work in `rows[i]` (bytes of a log object, items of an export file). A local
    listing becomes one task per slot (`defaultParallelism`, what `createDataFrame` slices it
    into): more would only queue behind the slots, and a straggler is what the weights prevent.
    """
    if len(weights) != len(rows):
        raise ValueError(f"{len(rows)} listed files but {len(weights)} weights")
    bins = balanced_order(weights, slice_sizes(len(rows), spark.sparkContext.defaultParallelism))
    ordered = [rows[i] for group in bins for i in group]
    return spark.createDataFrame(ordered, schema)
