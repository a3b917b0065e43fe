"""Hand-made access-log objects shared by the API-log parser tests (standard library only)."""

import gzip
import json

from lake_assets.parsing.api_logs import parse_api_log_object

KEY = "api_logs/2026/11/21/23/tasks-1-2026-11-21-23-00-00-abc.gz"
EPOCH_MS = 1763769598123  # 2025-11-21T23:59:58.123Z
CLF_TIME = "21/Nov/2025:23:59:58 +0000"
CLF_MICROS = 1763769598_000000
STAMP_MS = 1763769600500  # the CloudWatch event timestamp used below


def parse(data, key=KEY):
    return list(parse_api_log_object(data, key))


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
