"""Issue #11 through Spark: a day delivered gzip-of-gzip (Firehose GZIP over CloudWatch Logs records)
reaches Silver, with REST presets, CloudWatch-timestamp fallbacks and a non-UTF-8 local file name."""

import gzip
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lake_assets.builds.bronze import bronze_api_requests
from lake_assets.builds.silver import silver_api_requests
from lake_assets.core.landing import skip_reason
from lake_assets.core.settings import LakeSettings
from lake_assets.execute import build_context

DAY = date(2026, 11, 21)
MS = int(datetime(2026, 11, 21, 10, tzinfo=UTC).timestamp() * 1000)


def message(rid, **fields):
    return json.dumps({"requestId": rid, "requestTimeEpoch": str(MS), "status": "200", "routeKey": "GET /x", **fields})


def member(*messages):
    doc = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/apigateway/tasks-api",
        "logStream": "s1",
        "subscriptionFilters": ["to-firehose"],
        "policyLevel": "ACCOUNT_LEVEL_POLICY",
        "logEvents": [
            {"id": str(i), "timestamp": MS + 5_000, "message": m, "extractedFields": {"@aws.region": "eu-west-1"}}
            for i, m in enumerate(messages)
        ],
    }
    return gzip.compress(json.dumps(doc).encode(), mtime=0)


def read(root, table):
    return pq.read_table(Path(root, "lake", table, f"dt={DAY}")).to_pylist()


@pytest.mark.e2e  # two builds with their checks on the local Spark: about a minute on 2 cores
def test_double_gzipped_day_reaches_silver(tmp_path, spark):
    folder = tmp_path / "landing/api_logs/2026/11/21/10"
    folder.mkdir(parents=True)
    clf = '203.0.113.7 - - [21/Nov/2026:10:00:00 +0000] "GET /tasks/{taskId} HTTP/1.1" 200 512 rest-1'
    records = member(message("a"), message("b"), clf) + member(json.dumps({"requestId": "no-time", "status": "201"}))
    (folder / "tasks-1-2026-11-21-10-00-00-x.gz").write_bytes(gzip.compress(records, mtime=0))
    (folder / "tasks-1-2026-11-21-10-05-00-y").write_bytes(gzip.compress(member(message("c")), mtime=0))
    (folder / ".tasks-1-2026-11-21-10-09-00-z.gz.tmp").write_bytes(b"partial upload")  # skipped, with its reason
    with open(os.fsencode(folder) + b"/tasks-\xff.gz", "wb") as f:  # not UTF-8: listed under an escaped key
        f.write(member(message("d")))
    settings = LakeSettings(
        lake_root_uri=str(tmp_path / "lake"), landing_uri=str(tmp_path / "landing"), pii_hash_key="k" * 32
    )
    ctx = build_context(settings, DAY)

    bronze = bronze_api_requests(ctx)
    assert bronze.outputs[0].published and bronze.outputs[0].rows == 6
    extra = bronze.outputs[0].extra
    assert extra["rows_by_compression"] == {"gzip": 1, "gzip+gzip": 5} and extra["malformed_rows"] == 0
    assert (extra["access_log_rows"], extra["control_messages"], extra["parse_errors"]) == (6, 0, {})
    assert extra["objects_without_records"] == 0
    hidden = "api_logs/2026/11/21/10/.tasks-1-2026-11-21-10-09-00-z.gz.tmp"
    assert (extra["landing_objects"], extra["landing_objects_skipped"]) == (3, 1)
    assert extra["skipped_objects"] == {hidden: skip_reason(hidden)}
    assert skip_reason(hidden).startswith("hidden name '.tasks-1-2026-11-21-10-09-00-z.gz.tmp': copy tools")
    rows = {r["request_id"]: r for r in read(tmp_path, "bronze/api_requests")}
    assert rows["d"]["source_key"] == "api_logs/2026/11/21/10/tasks-%FF.gz"
    assert rows["a"]["log_owner"] == "123456789012" and rows["a"]["log_subscription_filters"] == ["to-firehose"]
    assert rows["a"]["log_region"] == "eu-west-1" and rows["a"]["log_policy_level"] == "ACCOUNT_LEVEL_POLICY"
    assert rows["a"]["log_extracted_fields"] == [("@aws.region", "eu-west-1")]  # a Parquet map, as pyarrow reads it
    assert {r["compression"] for r in rows.values()} == {"gzip", "gzip+gzip"}

    silver = silver_api_requests(ctx)
    assert not silver.blocking_failures and all(o.published for o in silver.outputs)
    got = {r["request_id"]: r for r in read(tmp_path, "silver/api_requests")}
    assert sorted(got) == ["a", "b", "c", "d", "no-time", "rest-1"]
    assert got["rest-1"]["route_key"] == "GET /tasks/{taskId}" and got["rest-1"]["time_source"] == "requestTime"
    assert got["no-time"]["time_source"] == "cloudwatch_event_timestamp"
    assert got["no-time"]["event_time"] == datetime(2026, 11, 21, 10, 0, 5, tzinfo=UTC)
    assert read(tmp_path, "silver/api_requests_quarantine") == []


@pytest.mark.e2e  # one Bronze build on the local Spark
def test_bronze_metadata_counts_every_kind_of_row(tmp_path, spark):
    """The Bronze metadata (one group-by over the staged rows) names parse errors by kind, counts
    rows by type and compression, and finds objects that held no record."""
    folder = tmp_path / "landing/api_logs/2026/11/21/10"
    folder.mkdir(parents=True)
    lines = [message("a"), "{broken", "[1, 2]", "{also broken: true", ""]
    (folder / "tasks-1-2026-11-21-10-00-00-x.gz").write_bytes(gzip.compress("\n".join(lines).encode(), mtime=0))
    (folder / "tasks-1-2026-11-21-10-05-00-y.gz").write_bytes(gzip.compress(b"", mtime=0))
    settings = LakeSettings(
        lake_root_uri=str(tmp_path / "lake"), landing_uri=str(tmp_path / "landing"), pii_hash_key="k" * 32
    )
    extra = bronze_api_requests(build_context(settings, DAY)).outputs[0].extra
    assert extra["parse_errors"] == {"invalid_json": 2, "not_an_object": 1}
    assert (extra["access_log_rows"], extra["malformed_rows"], extra["control_messages"]) == (1, 3, 0)
    assert extra["rows_by_compression"] == {"gzip": 4}
    assert (extra["landing_objects"], extra["objects_without_records"]) == (2, 1)
