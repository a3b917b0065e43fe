"""Hand-made access-log objects shared by the API-log parser tests, and `parse`, which holds the
bulk (Arrow) parser equal to the row parser on every object a test parses."""

import gzip
import json
from datetime import UTC, datetime

import pyarrow as pa

from lake_assets.parsing.api_log_columns import parse_api_log_table
from lake_assets.parsing.api_logs import parse_api_log_object
from lake_assets.transforms.arrow_rows import arrow_schema
from lake_assets.transforms.bronze import API_REQUESTS_SCHEMA

KEY = "api_logs/2026/11/21/23/tasks-1-2026-11-21-23-00-00-abc.gz"
EPOCH_MS = 1763769598123  # 2025-11-21T23:59:58.123Z
CLF_TIME = "21/Nov/2025:23:59:58 +0000"
CLF_MICROS = 1763769598_000000
STAMP_MS = 1763769600500  # the CloudWatch event timestamp used below


# The contract's access-log record (every template variable, as strings).
CONTRACT_RECORD = {
    "requestId": "r-1",
    "ip": "203.0.113.7",
    "requestTime": "21/Nov/2026:23:59:58 +0000",
    "requestTimeEpoch": "1763769598123",
    "httpMethod": "GET",
    "routeKey": "GET /tasks/{taskId}",
    "path": "/tasks/t-42",
    "status": "200",
    "protocol": "HTTP/1.1",
    "responseLength": "512",
    "responseLatency": "37",
    "integrationLatency": "31",
    "userAgent": "curl/8",
    "userId": "u-1",
}
ARROW = arrow_schema(API_REQUESTS_SCHEMA)
INGESTED_AT = datetime(2026, 11, 21, 23, 5, tzinfo=UTC)


def parse(data, key=KEY):
    """The row parser's rows, after checking that the bulk parser yields exactly the same."""
    rows = list(parse_api_log_object(data, key))
    assert_same_table(data, key, rows)
    return rows


def assert_same_table(data, key, rows):
    """`parse_api_log_table` equals the row parser's `rows` (as Bronze Arrow), column by column."""
    expected = pa.Table.from_pylist([{**r, "ingested_at": INGESTED_AT} for r in rows], ARROW)
    actual = parse_api_log_table(data, key, ARROW, {"ingested_at": INGESTED_AT})
    assert actual.schema == expected.schema
    for name in ARROW.names:
        assert actual[name].to_pylist() == expected[name].to_pylist(), name


def envelope(*messages, **extra):
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/apigateway/tasks-api",
        "logStream": "s1",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": f"e{i}", "timestamp": STAMP_MS + i, "message": m} for i, m in enumerate(messages)],
        **extra,
    }


def record(rid):
    return json.dumps({"requestId": rid, "requestTimeEpoch": str(EPOCH_MS), "status": "200", "routeKey": "GET /x"})


def cwl_members(*rids):
    """What CloudWatch Logs sends Firehose: one gzip member per record (here one event each)."""
    return b"".join(gzip.compress(json.dumps(envelope(record(r))).encode()) for r in rids)


def picked(row, *cols):
    return {c: row[c] for c in cols}
