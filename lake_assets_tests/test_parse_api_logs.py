"""Every dirty case of the API access-log parser, on hand-made objects."""

import gzip
import json
from datetime import UTC, datetime

from lake_assets.parsing.api_logs import parse_clf_time
from lake_assets_tests import api_log_builders

LINE = api_log_builders.CONTRACT_RECORD


def envelope(*messages, kind="DATA_MESSAGE"):
    return {
        "messageType": kind,
        "owner": "123456789012",
        "logGroup": "/aws/apigateway/tasks-api",
        "logStream": "s1",
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": str(i), "timestamp": 1763769598200 + i, "message": m} for i, m in enumerate(messages)],
    }


def line(**changes):
    return json.dumps({**LINE, **changes})


def parse(data):
    return api_log_builders.parse(data, "api_logs/2026/11/21/23/x.gz")


def micros(dt):
    return int(dt.timestamp() * 1_000_000)


def test_ndjson_line_is_typed():
    (row,) = parse(gzip.compress((line() + "\n").encode()))
    assert row["record_type"] == "access_log" and row["parse_error"] is None
    assert row["request_id"] == "r-1" and row["status"] == 200 and row["response_latency_ms"] == 37
    assert row["event_time"] == 1763769598123000 and row["time_source"] == "requestTimeEpoch"
    assert row["source_format"] == "ndjson" and row["raw"] == line()
    assert row["source_key"] == "api_logs/2026/11/21/23/x.gz" and row["record_index"] == 0


def test_multi_member_concatenated_envelopes_without_separator():
    docs = [
        envelope(line(requestId="a"), line(requestId="b")),
        envelope(kind="CONTROL_MESSAGE"),
        envelope(line(requestId="c")),
    ]
    # two documents in one member with no separator, a third in its own member
    data = gzip.compress((json.dumps(docs[0]) + json.dumps(docs[1])).encode()) + gzip.compress(
        json.dumps(docs[2]).encode()
    )
    rows = parse(data)
    assert [r["record_type"] for r in rows] == ["access_log", "access_log", "control_message", "access_log"]
    assert [r["request_id"] for r in rows] == ["a", "b", None, "c"]
    assert [r["record_index"] for r in rows] == [0, 1, 2, 3]
    assert rows[0]["log_group"] == "/aws/apigateway/tasks-api" and rows[1]["log_event_id"] == "1"
    assert rows[0]["log_event_time"] == 1763769598200 * 1000
    assert {r["source_format"] for r in rows} == {"cloudwatch_envelope"}


def test_dash_values_are_unavailable_not_errors():
    (row,) = parse(gzip.compress(line(userId="-", integrationLatency="-", userAgent="-").encode()))
    assert row["user_id"] is None and row["integration_latency_ms"] is None and row["user_agent"] is None
    assert row["invalid_fields"] is None


def test_time_falls_back_to_clf_with_offset():
    (row,) = parse(gzip.compress(line(requestTimeEpoch="-", requestTime="22/Nov/2026:01:59:58 +0200").encode()))
    assert row["time_source"] == "requestTime"
    assert row["event_time"] == micros(datetime(2026, 11, 21, 23, 59, 58, tzinfo=UTC))


def test_no_usable_time_and_garbage_numbers_are_flagged():
    (row,) = parse(gzip.compress(line(requestTimeEpoch="soon", requestTime="yesterday", status="OK").encode()))
    assert row["event_time"] is None and row["status"] is None
    assert row["invalid_fields"] == "status,requestTimeEpoch,requestTime"


def test_malformed_lines_are_rows_with_reasons_and_do_not_swallow_neighbours():
    text = "\n".join(
        [
            line(requestId="ok1"),
            '{"requestId": "trunc',
            "plain text here",
            "[1, 2]",
            '"just a string"',
            line(requestId="ok2"),
        ]
    )
    rows = parse(gzip.compress(text.encode()))
    assert [(r["record_type"], r["parse_error"]) for r in rows] == [
        ("access_log", None),
        ("malformed", "invalid_json"),
        ("malformed", "invalid_json"),
        ("malformed", "not_an_object"),
        ("malformed", "not_an_object"),
        ("access_log", None),
    ]
    assert rows[1]["raw"] == '{"requestId": "trunc' and rows[2]["raw"] == "plain text here"


def test_bad_message_inside_envelope_and_bad_envelope():
    data = gzip.compress(json.dumps(envelope("not json", "[]")).encode()) + gzip.compress(
        json.dumps({"messageType": "DATA_MESSAGE", "logEvents": "oops"}).encode()
    )
    rows = parse(data)
    assert [r["parse_error"] for r in rows] == ["invalid_json", "not_an_object", "invalid_envelope"]
    assert rows[0]["raw"] == "not json"


def test_empty_and_blank_objects_yield_nothing():
    assert parse(b"") == [] and parse(gzip.compress(b"")) == [] and parse(gzip.compress(b"\n\n")) == []


def test_uncompressed_object_is_read_as_plain_ndjson():
    (row,) = parse((line() + "\r\n").encode())
    assert row["source_format"] == "plain" and row["request_id"] == "r-1"


def test_truncated_gzip_keeps_good_members_and_reports_the_damage():
    good = gzip.compress(line(requestId="a").encode())
    broken = gzip.compress(line(requestId="b").encode())[:-12]
    rows = parse(good + broken)
    assert rows[0]["request_id"] == "a"
    assert rows[-1]["record_type"] == "malformed" and rows[-1]["parse_error"].startswith("corrupt_gzip")


def test_extra_and_missing_fields_are_kept_for_drift_detection():
    record = {k: v for k, v in LINE.items() if k not in ("ip", "protocol")}
    (row,) = parse(gzip.compress(json.dumps({**record, "newField": "x"}).encode()))
    assert json.loads(row["extra_fields"]) == {"newField": "x"}
    assert row["missing_fields"] == "ip,protocol"
    (full,) = parse(gzip.compress(line().encode()))
    assert full["missing_fields"] is None


def test_non_string_values_are_tolerated():
    (row,) = parse(gzip.compress(json.dumps({**LINE, "status": 404, "requestTimeEpoch": 1763769598123}).encode()))
    assert row["status"] == 404 and row["event_time"] == 1763769598123000


def test_clf_parser_rejects_garbage():
    assert parse_clf_time("21/Foo/2026:23:59:58 +0000") is None
    assert parse_clf_time("21/Nov/2026:23:59:58") is None
    assert parse_clf_time("21/nov/2026:23:59:58 -0130") == datetime(2026, 11, 22, 1, 29, 58, tzinfo=UTC)


EDGE_VALUES = ["-", "", "0", "-0", "007", "+7", "2147483647", "2147483648", "-2147483647", "-2147483648",
               "999999999999999999", "1000000000000000000", "1e3", "1.0", "²", " 1", "1 ", "200\n", "abc", "é",
               "\u0000", "17637695981230000"]  # fmt: skip


def test_edge_values_type_the_same_in_bulk_as_row_by_row():
    """Every edge value in every variable of the contract's record, in both Firehose variants:
    `parse` holds the bulk parser's typing equal to the row parser's (also on Glue's pyarrow)."""
    lines = [line(**{name: value}) for name in LINE for value in EDGE_VALUES]
    ndjson = api_log_builders.parse(gzip.compress("\n".join(lines).encode()))
    members = b"".join(gzip.compress(json.dumps(envelope(*lines[i : i + 7])).encode()) for i in range(0, len(lines), 7))
    assert [r["raw"] for r in api_log_builders.parse(members)] == lines == [r["raw"] for r in ndjson]
    flagged = {(r["invalid_fields"] or "") for r in ndjson}
    assert {"status", "responseLength", "responseLatency", "integrationLatency", "requestTimeEpoch"} <= flagged
