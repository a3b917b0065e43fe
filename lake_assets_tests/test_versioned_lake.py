"""The S3 lake layout: versions published by one pointer write, on a local folder (with Spark) and on
a moto S3 server over HTTP (objects, Parquet footers and the Glue Catalog partition swap)."""

import io
import json

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from lake_assets.core.object_store import LocalObjectStore, S3ObjectStore
from lake_assets.core.stores import lake_for
from lake_assets.core.versioned_lake import VersionedLake
from lake_assets.remote.catalog import catalog_publisher

DT = "2026-11-21"


def versions(root, layer="silver", table="t", dt=DT):
    folder = root / layer / table / f"dt={dt}"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_rewrite_flips_the_pointer_and_keeps_one_previous_version(spark, tmp_path):
    lake = VersionedLake(LocalObjectStore(str(tmp_path)))
    first = lake.write(spark.range(10).repartition(8), "silver", "t", DT, max_files=2)
    assert (first.rows, first.files) == (10, 2)
    second = lake.write(spark.range(3), "silver", "t", DT)
    assert lake.describe("silver", "t", DT).rows == 3 and lake.pointer("silver", "t", DT)["previous"] == first.path
    assert len(versions(tmp_path)) == 2  # the previous version stays for readers still scanning it
    third = lake.write(spark.range(4), "silver", "t", DT)
    assert versions(tmp_path) == sorted(
        [second.path.rstrip("/").rsplit("/", 1)[1], third.path.rstrip("/").rsplit("/", 1)[1]]
    )
    schema = spark.range(1).schema
    rows = lake.read(spark, "silver", "t", [DT, "2026-11-22"], schema).collect()
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 3] and {str(r["dt"]) for r in rows} == {DT}
    assert lake.partitions("silver", "t") == [DT]
    files = [p.name for p in (tmp_path / "silver" / "t" / f"dt={DT}").rglob("*") if p.is_file()]
    assert files and all(f.endswith(".parquet") for f in files)  # no _SUCCESS, no .crc


def test_failed_write_leaves_the_published_version_and_no_debris(spark, tmp_path):
    lake = VersionedLake(LocalObjectStore(str(tmp_path)))
    lake.write(spark.range(5), "gold", "t", DT)
    before = versions(tmp_path, "gold")
    boom = spark.range(5).select(F.assert_true(F.col("id") < 0).alias("x"))
    with pytest.raises(Exception, match=r"assert_true|id < 0"):
        lake.write(boom, "gold", "t", DT)
    assert lake.describe("gold", "t", DT).rows == 5
    assert [
        p
        for p in (tmp_path / "gold" / "t" / f"dt={DT}").rglob("*")
        if p.is_file() and not any(v in str(p) for v in before)
    ] == []


def test_rejected_version_is_listed_and_survives_pruning(spark, tmp_path):
    lake = VersionedLake(LocalObjectStore(str(tmp_path)))
    lake.write(spark.range(1), "silver", "t", DT)
    staged = lake.stage(spark.range(7), "silver", "t", DT)
    assert lake.reject(staged, "silver", "t") == staged
    assert lake.describe("silver", "t", DT).rows == 1  # readers never saw the rejected rows
    (marker,) = (tmp_path / "silver" / "t" / "_rejected" / f"dt={DT}").iterdir()
    assert json.loads(marker.read_text())["location"] == staged
    lake.write(spark.range(2), "silver", "t", DT)
    lake.write(spark.range(3), "silver", "t", DT)  # prunes the first version, not the rejected one
    assert lake.describe_path(staged).rows == 7 and len(versions(tmp_path)) == 3


def test_missing_partition_reads_empty_and_describe_says_which(spark, tmp_path):
    lake = VersionedLake(LocalObjectStore(str(tmp_path)))
    assert lake.read(spark, "gold", "t", [DT], spark.range(1).schema).count() == 0
    with pytest.raises(FileNotFoundError, match="gold/t has no published partition dt=2026-11-21"):
        lake.describe("gold", "t", DT)


def put_parquet(s3, bucket, key, n):
    sink = io.BytesIO()
    pq.write_table(pa.table({"id": list(range(n))}), sink)
    s3.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())


def test_s3_publish_swaps_the_catalog_partition(endpoint):
    s3, glue = boto3.client("s3", endpoint_url=endpoint), boto3.client("glue", endpoint_url=endpoint)
    s3.create_bucket(Bucket="lake-data")
    root = "s3://lake-data/prod"
    lake = lake_for(
        root, endpoint_url=endpoint, on_publish=catalog_publisher(glue, "lake_prod", root, layers=("gold",))
    )
    assert isinstance(lake, VersionedLake) and lake.root == root
    prefix = "prod/gold/route_latency_daily/dt=2026-11-21"
    locations = []
    for version, n in (("v=20261122T010000-aaaa", 3), ("v=20261122T020000-bbbb", 5), ("v=20261122T030000-cccc", 2)):
        put_parquet(s3, "lake-data", f"{prefix}/{version}/part-0.parquet", n)
        put_parquet(s3, "lake-data", f"{prefix}/{version}/part-1.parquet", 1)
        location = f"s3://lake-data/{prefix}/{version}/"
        info = lake.publish(location, "gold", "route_latency_daily", DT)
        assert (info.rows, info.files) == (n + 1, 2)
        locations.append(location)
        partition = glue.get_partition(
            DatabaseName="lake_prod", TableName="gold_route_latency_daily", PartitionValues=[DT]
        )["Partition"]
        assert partition["StorageDescriptor"]["Location"] == location
    assert lake.describe("gold", "route_latency_daily", DT).rows == 3
    assert lake.partitions("gold", "route_latency_daily") == [DT]
    left = {o["Key"].split("/")[-2] for o in s3.list_objects_v2(Bucket="lake-data", Prefix=prefix)["Contents"]}
    assert left == {"v=20261122T020000-bbbb", "v=20261122T030000-cccc"}


def test_s3_store_lists_past_one_page_and_deletes_in_batches(endpoint):
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="lake-many")
    store = S3ObjectStore("lake-many", "p", endpoint)
    keys = [f"t/k{i:04d}" for i in range(1005)]
    for key in keys:
        store.put(key, b"x")
    assert [k for k, _ in store.list("t/")] == keys and store.get("t/k0001") == b"x"
    assert store.get("t/none") is None and store.key_of(store.uri("t/k0001")) == "t/k0001"
    store.delete(keys)
    assert store.list("t/") == []
