"""Lake storage on S3: immutable partition versions, published by one atomic pointer write.

S3 has no rename, so a partition is never replaced in place. Every write goes to a fresh prefix
`<layer>/<table>/dt=D/v=<version>/` that no reader knows about yet; there it is audited. Publishing
is one small PUT of `<layer>/<table>/_published/dt=D.json` (atomic and strongly consistent on S3),
followed, where a Glue Data Catalog is configured, by re-pointing the catalog partition at the new
version so Athena switches too. Spark readers resolve the pointer, Athena the catalog partition, so
a reader sees the old partition or the new one — never a mix, never a half-written one.

A rejected version stays where it was written, listed under `_rejected/` for inspection. The
version published before the current one is kept (a query that started earlier may still be
scanning it); older versions are deleted on the next publish.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lake_assets.core.lake import PartitionInfo, read_partitions
from lake_assets.core.object_store import ObjectStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

# Called after a pointer flips: (layer, table, dt, partition location URI).
PublishHook = Callable[[str, str, str, str], None]


@dataclass(frozen=True)
class VersionedLake:
    """Bronze/Silver/Gold on an object store (`LAKE_ROOT_URI=s3://bucket/prefix`)."""

    store: ObjectStore
    on_publish: PublishHook | None = None

    @property
    def root(self) -> str:
        return self.store.uri("").rstrip("/")

    @staticmethod
    def _pointer_key(layer: str, table: str, dt: str) -> str:
        return f"{layer}/{table}/_published/dt={dt}.json"

    def pointer(self, layer: str, table: str, dt: str) -> dict[str, Any] | None:
        """The published version of a partition: location, version, rows, files, bytes."""
        data = self.store.get(self._pointer_key(layer, table, dt))
        return json.loads(data) if data is not None else None

    def has_partition(self, layer: str, table: str, dt: str) -> bool:
        return self.pointer(layer, table, dt) is not None

    def partitions(self, layer: str, table: str) -> list[str]:
        """Dates of the published partitions, oldest first."""
        prefix = f"{layer}/{table}/_published/dt="
        return sorted(k[len(prefix) : -len(".json")] for k, _ in self.store.list(prefix) if k.endswith(".json"))

    def read(self, spark: SparkSession, layer: str, table: str, dts: list[str], schema: StructType) -> DataFrame:
        """Rows of the published partitions among `dts` (with a `dt` column); missing ones are skipped."""
        pointers = [(dt, self.pointer(layer, table, dt)) for dt in dts]
        return read_partitions(spark, [(dt, p["location"]) for dt, p in pointers if p is not None], schema)

    def stage(self, df: DataFrame, layer: str, table: str, dt: str, max_files: int = 4) -> str:
        """Write `df` as a new, unpublished version of partition `dt`; returns its location."""
        version = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"  # sorts by creation time
        prefix = f"{layer}/{table}/dt={dt}/v={version}/"
        location = self.store.uri(prefix)
        try:
            # `coalesce` never adds partitions: no need to ask first (`df.rdd.getNumPartitions()`
            # converts to a Python RDD, 3.6 s of a 20k-row Bronze step).
            df.coalesce(max_files).write.mode("errorifexists").parquet(location)
            self.store.delete([k for k, _ in self.store.list(prefix) if not k.endswith(".parquet")])
        except BaseException:
            self.store.delete([k for k, _ in self.store.list(prefix)])
            raise
        return location

    def describe_path(self, location: str) -> PartitionInfo:
        """Row count and size of a version from its Parquet footers (no data read)."""
        files = [
            (k, size)
            for k, size in self.store.list(self.store.key_of(location).rstrip("/") + "/")
            if k.endswith(".parquet")
        ]
        rows = sum(self.store.parquet_rows(k) for k, _ in files)
        return PartitionInfo(location, rows, len(files), sum(size for _, size in files))

    def describe(self, layer: str, table: str, dt: str) -> PartitionInfo:
        """What the pointer recorded at publish time (one small GET)."""
        published = self.pointer(layer, table, dt)
        if published is None:
            raise FileNotFoundError(f"{layer}/{table} has no published partition dt={dt}")
        return PartitionInfo(published["location"], published["rows"], published["files"], published["bytes"])

    def publish(self, location: str, layer: str, table: str, dt: str) -> PartitionInfo:
        """Make a staged version the partition: flip the pointer, update the catalog, prune."""
        info = self.describe_path(location)
        previous = self.pointer(layer, table, dt)
        record = {
            "location": location,
            "version": location.rstrip("/").rsplit("v=", 1)[-1],
            "rows": info.rows,
            "files": info.files,
            "bytes": info.bytes,
            "published_at": datetime.now(UTC).isoformat(),
            "previous": previous["location"] if previous else None,
        }
        self.store.put(self._pointer_key(layer, table, dt), json.dumps(record, indent=1).encode())
        if self.on_publish is not None:
            self.on_publish(layer, table, dt, location)
        if previous is not None:
            self._prune(layer, table, dt, keep={location, previous["location"]}, before=previous["version"])
        return info

    def _prune(self, layer: str, table: str, dt: str, keep: set[str], before: str) -> None:
        """Delete versions older than `before` that were not rejected (those stay for inspection)."""
        rejected = {
            json.loads(self.store.get(k) or b"{}").get("location")
            for k, _ in self.store.list(f"{layer}/{table}/_rejected/dt={dt}/")
        }
        partition = f"{layer}/{table}/dt={dt}/"
        doomed = []
        for key, _ in self.store.list(partition):
            version = key[len(partition) :].split("/", 1)[0]
            location = self.store.uri(f"{partition}{version}/")
            if version.startswith("v=") and version[2:] < before and location not in keep | rejected:
                doomed.append(key)
        self.store.delete(doomed)

    def reject(self, location: str, layer: str, table: str) -> str:
        """Leave a version that failed its checks unpublished, and list it under `_rejected/`."""
        key = self.store.key_of(location).rstrip("/")
        dt, version = key.split("/")[-2:]
        marker = {"location": location, "rejected_at": datetime.now(UTC).isoformat()}
        self.store.put(f"{layer}/{table}/_rejected/{dt}/{version}.json", json.dumps(marker).encode())
        return location

    def write(self, df: DataFrame, layer: str, table: str, dt: str, max_files: int = 4) -> PartitionInfo:
        """Write `df` as partition `dt`, replacing any previous version atomically."""
        return self.publish(self.stage(df, layer, table, dt, max_files), layer, table, dt)
