"""Fuzzing the access-log parser: any bytes in, well-typed rows out, and nothing lost.

Bounded for CI (`derandomize=True`, a few hundred examples in all, a few seconds): the point is
totality on shapes a person would not think of, not an exhaustive search. Every row must carry
exactly the Bronze columns with the right Python types, convert to the Bronze Arrow schema (where
a lone surrogate or an int64 overflow would kill a Spark task), and never come from the
`parser_error` safety net.
"""

import gzip
import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from pyspark.sql import types as T

from lake_assets.parsing.api_logs import COLUMNS, parse_api_log_object
from lake_assets.transforms.arrow_rows import arrow_schema, batches
from lake_assets.transforms.bronze import API_REQUESTS_SCHEMA, BronzeApiRequests
from lake_assets_tests.api_log_builders import assert_same_table

FUZZ = settings(max_examples=150, deadline=None, derandomize=True)
ARROW = arrow_schema(API_REQUESTS_SCHEMA)
ALLOWED = {
    "record_type": {"access_log", "control_message", "malformed"},
    "time_source": {None, "requestTimeEpoch", "requestTime", "cloudwatch_event_timestamp"},
    "source_format": {"cloudwatch_envelope", "ndjson", "plain"},
    "compression": {"none", "gzip", "gzip+gzip", "gzip+gzip+gzip"},
    "log_format": {None, "json", "clf", "csv", "xml"},
}


def _typed(value, dtype):
    if value is None:
        return True
    if isinstance(dtype, T.StringType):
        return isinstance(value, str) and bool(value.encode("utf-8") or True)
    if isinstance(dtype, T.IntegerType | T.LongType | T.TimestampType):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(dtype, T.ArrayType):
        return isinstance(value, list) and all(_typed(v, dtype.elementType) for v in value)
    if isinstance(dtype, T.MapType):
        return isinstance(value, dict) and all(
            isinstance(k, str) and _typed(v, dtype.valueType) for k, v in value.items()
        )
    raise AssertionError(dtype)


def check_rows(data: bytes, key: str = "api_logs/2026/11/21/23/fuzz.gz") -> list[dict]:
    rows = list(parse_api_log_object(data, key))
    types = {f.name: f.dataType for f in API_REQUESTS_SCHEMA.fields}
    for index, row in enumerate(rows):
        assert tuple(row) == COLUMNS
        assert row["record_index"] == index and row["source_key"] == key
        for col, value in row.items():
            assert _typed(value, types[col]), (col, value)
        for col, allowed in ALLOWED.items():
            assert row[col] in allowed, (col, row[col])
        assert not (row["parse_error"] or "").startswith("parser_error"), row
    stamped = [{**r, "ingested_at": datetime(2026, 11, 21, tzinfo=UTC)} for r in rows]
    assert sum(b.num_rows for b in batches(stamped, ARROW)) == len(rows)
    assert_same_table(data, key, rows)
    return rows


def test_parser_columns_are_the_bronze_contract():
    assert set(BronzeApiRequests.to_structtype().fieldNames()) == {*COLUMNS, "ingested_at"}


@FUZZ
@given(st.binary(max_size=3000))
def test_arbitrary_bytes(data):
    check_rows(data)


@FUZZ
@given(st.binary(max_size=1500), st.integers(0, 4), st.integers(0, 40), st.booleans())
def test_arbitrary_gzip_layering(data, layers, cut, trailing):
    for _ in range(layers):
        data = gzip.compress(data, mtime=0)
    if cut:
        data = data[: max(0, len(data) - cut)]
    check_rows(data + (b"\x00\x01" if trailing else b""))


RIDS = st.lists(st.text("abcdefXYZ0123456789-_", max_size=12).map("r".__add__), min_size=1, max_size=6, unique=True)
VALUES = st.one_of(st.just("-"), st.text(max_size=8), st.integers(-(10**20), 10**20), st.none(), st.floats())


def _line(rid: str, extra: dict) -> str:
    record = {"requestId": rid, "requestTimeEpoch": "1763769598123", "status": "200", "routeKey": "GET /x"}
    return json.dumps({**record, **extra})


def _object(rids: list[str], variant: int, extra: dict) -> bytes:
    lines = [_line(r, extra) for r in rids]
    envelopes = [
        {
            "messageType": "DATA_MESSAGE",
            "owner": "1",
            "logGroup": "g",
            "logStream": "s",
            "subscriptionFilters": ["f"],
            "policyLevel": "ACCOUNT_LEVEL_POLICY",
            "logEvents": [
                {"id": str(i), "timestamp": 1, "message": m, "extractedFields": {"@aws.region": "eu-west-1", "n": None}}
            ],
        }
        for i, m in enumerate(lines)
    ]
    members = b"".join(gzip.compress(json.dumps(e).encode(), mtime=0) for e in envelopes)
    return [
        "\n".join(lines).encode(),
        gzip.compress("\n".join(lines).encode(), mtime=0),
        members,
        gzip.compress(members, mtime=0),
    ][variant]


@FUZZ
@given(RIDS, st.integers(0, 3), st.dictionaries(st.sampled_from(["userId", "status", "ip", "x"]), VALUES, max_size=2))
def test_valid_objects_lose_nothing(rids, variant, extra):
    extra = {k: v for k, v in extra.items() if k != "status"}  # status typing is not the point here
    rows = check_rows(_object(rids, variant, extra))
    assert [(r["record_type"], r["request_id"]) for r in rows] == [("access_log", r) for r in rids]
    assert all(r["event_time"] == 1763769598123000 and r["parse_error"] is None for r in rows)


@FUZZ
@given(
    RIDS,
    st.integers(0, 3),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
    st.integers(0, 30),
)
def test_mutated_objects_stay_total(rids, variant, flips, cut):
    data = bytearray(_object(rids, variant, {}))
    for pos, byte in flips:
        data[pos % len(data)] = byte
    check_rows(bytes(data[: len(data) - min(cut, len(data) - 1)]))


JSONISH = st.text('{}[]":,-019 \n\\udx<>/=[]"requestIdstatus', max_size=300)


@FUZZ
@given(JSONISH, st.binary(max_size=4), st.booleans())
def test_json_like_text(text, junk, wrap):
    data = text.encode() + junk
    if wrap:  # the same text as a CloudWatch event message
        message = data.decode("utf-8", "surrogateescape")
        doc = {"messageType": "DATA_MESSAGE", "logEvents": [{"id": "1", "timestamp": 5, "message": message}]}
        data = gzip.compress(json.dumps(doc).encode(), mtime=0)
    check_rows(data)
