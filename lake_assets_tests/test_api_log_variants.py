"""Issue #11: the API Gateway access-log templates (console presets included) and CloudWatch
envelope provenance, each parsed exactly (pure Python, no Spark)."""

import gzip
import json

import pytest

from lake_assets.core.landing import LocalLanding
from lake_assets_tests.api_log_builders import (
    CLF_MICROS,
    CLF_TIME,
    EPOCH_MS,
    STAMP_MS,
    envelope,
    parse,
    picked,
    record,
)

# 2. Access-log templates -------------------------------------------------------------------------

TIMED = ("request_id", "ip", "event_time", "time_source", "http_method", "route_key", "status", "protocol")


def test_rest_json_preset():
    preset = {
        "requestId": "r1",
        "ip": "203.0.113.7",
        "caller": "-",
        "user": "-",
        "requestTime": CLF_TIME,
        "httpMethod": "GET",
        "resourcePath": "/tasks/{taskId}",
        "status": "200",
        "protocol": "HTTP/1.1",
        "responseLength": "512",
    }
    (row,) = parse(json.dumps(preset).encode())
    assert picked(row, *TIMED, "response_length", "log_format", "extra_fields", "user_id") == {
        "request_id": "r1",
        "ip": "203.0.113.7",
        "event_time": CLF_MICROS,
        "time_source": "requestTime",
        "http_method": "GET",
        "route_key": "GET /tasks/{taskId}",
        "status": 200,
        "protocol": "HTTP/1.1",
        "response_length": 512,
        "log_format": "json",
        "extra_fields": None,
        "user_id": None,
    }
    assert row["missing_fields"] == "integrationLatency,path,requestTimeEpoch,responseLatency,userAgent,userId"


def test_http_api_json_preset():
    preset = {"requestId": "r2", "ip": "198.51.100.1", "requestTime": CLF_TIME, "httpMethod": "POST",
              "routeKey": "POST /tasks", "status": "201", "protocol": "HTTP/1.1", "responseLength": "40"}  # fmt: skip
    (row,) = parse(json.dumps(preset).encode())
    assert picked(row, *TIMED) == {
        "request_id": "r2",
        "ip": "198.51.100.1",
        "event_time": CLF_MICROS,
        "time_source": "requestTime",
        "http_method": "POST",
        "route_key": "POST /tasks",
        "status": 201,
        "protocol": "HTTP/1.1",
    }


CLF_REST = f'203.0.113.7 - - [{CLF_TIME}] "GET /tasks/{{taskId}} HTTP/1.1" 200 512 r3'
CLF_HTTP = f'203.0.113.7 - - [{CLF_TIME}] "GET GET /tasks/{{taskId}} HTTP/1.1" 404 20 r4'
CSV_REST = f"203.0.113.7,-,-,{CLF_TIME},DELETE,/tasks/{{taskId}},HTTP/1.1,204,0,r5"
CSV_HTTP = f"203.0.113.7,{CLF_TIME},GET,$default,HTTP/2.0,200,10,r6"
XML = (
    '<request id="r7"> <ip>203.0.113.7</ip> <caller>-</caller> <user>-</user> '
    f"<requestTime>{CLF_TIME}</requestTime> <httpMethod>PATCH</httpMethod> "
    "<resourcePath>/tasks/{taskId}</resourcePath> <status>500</status> <protocol>HTTP/1.1</protocol> "
    "<responseLength>90</responseLength> </request>"
)


@pytest.mark.parametrize(
    ("line", "fmt", "rid", "method", "route", "status"),
    [
        (CLF_REST, "clf", "r3", "GET", "GET /tasks/{taskId}", 200),
        (CLF_HTTP, "clf", "r4", "GET", "GET /tasks/{taskId}", 404),
        (CSV_REST, "csv", "r5", "DELETE", "DELETE /tasks/{taskId}", 204),
        (CSV_HTTP, "csv", "r6", "GET", "$default", 200),
        (XML, "xml", "r7", "PATCH", "PATCH /tasks/{taskId}", 500),
    ],
)
def test_text_presets_in_ndjson_and_in_envelopes(line, fmt, rid, method, route, status):
    expected = {
        "record_type": "access_log",
        "parse_error": None,
        "request_id": rid,
        "ip": "203.0.113.7",
        "event_time": CLF_MICROS,
        "time_source": "requestTime",
        "http_method": method,
        "route_key": route,
        "status": status,
        "log_format": fmt,
        "invalid_fields": None,
        "extra_fields": None,
    }
    (plain,) = parse(gzip.compress((line + "\n").encode()))
    (wrapped,) = parse(gzip.compress(json.dumps(envelope(line)).encode()))
    assert picked(plain, *expected) == expected == picked(wrapped, *expected)
    assert plain["raw"] == line == wrapped["raw"]


def test_unquoted_numbers_epoch_ms_request_time_and_bare_dashes():
    text = '{"requestId": "r8", "requestTime": 1763769598123, "status": 200, "responseLatency": 12.0, "userId": -}'
    (row,) = parse(text.encode())
    assert picked(row, "request_id", "event_time", "time_source", "status", "response_latency_ms", "user_id") == {
        "request_id": "r8",
        "event_time": EPOCH_MS * 1000,
        "time_source": "requestTime",
        "status": 200,
        "response_latency_ms": 12,
        "user_id": None,
    }
    assert row["invalid_fields"] == "bare_dash" and row["log_format"] == "json" and row["raw"] == text


def test_bare_dash_inside_a_string_is_left_alone():
    text = '{"requestId": "r:-,", "status": -, "userAgent": "a, -]"}'
    (row,) = parse(text.encode())
    assert row["request_id"] == "r:-," and row["user_agent"] == "a, -]" and row["status"] is None


def test_nested_template():
    doc = {
        "request": {"requestId": "r9", "httpMethod": "GET", "routeKey": "GET /me", "time": "x"},
        "requestTimeEpoch": str(EPOCH_MS),
        "response": {"status": "503", "latency": "7"},
        "identity": {"sourceIp": "192.0.2.9", "userAgent": "ua"},
        "integration": {"status": "200", "latency": "5"},
    }
    (row,) = parse(json.dumps(doc).encode())
    assert picked(row, "request_id", "http_method", "route_key", "status", "ip", "user_agent") == {
        "request_id": "r9",
        "http_method": "GET",
        "route_key": "GET /me",
        "status": 503,
        "ip": "192.0.2.9",
        "user_agent": "ua",
    }
    assert row["integration_latency_ms"] == 5 and row["event_time"] == EPOCH_MS * 1000
    assert json.loads(row["extra_fields"]) == {
        "integration.status": "200",
        "request.time": "x",
        "response.latency": "7",
    }


def test_cloudwatch_timestamp_only_when_the_template_has_no_time():
    no_time = json.dumps({"requestId": "a", "status": "200"})
    dash_time = json.dumps({"requestId": "b", "status": "200", "requestTime": "-", "requestTimeEpoch": "-"})
    rows = parse(gzip.compress(json.dumps(envelope(no_time, dash_time)).encode()))
    assert [(r["event_time"], r["time_source"]) for r in rows] == [
        (STAMP_MS * 1000, "cloudwatch_event_timestamp"),
        (None, None),
    ]
    (ndjson,) = parse(gzip.compress(no_time.encode()))  # no envelope, nothing to fall back on
    assert ndjson["event_time"] is None and ndjson["time_source"] is None


# 3. Provenance -----------------------------------------------------------------------------------


def test_envelope_provenance_travels_into_every_row():
    doc = envelope(record("a"), policyLevel="ACCOUNT_LEVEL_POLICY")
    doc["logEvents"][0]["extractedFields"] = {"@aws.account": "123456789012", "@aws.region": "eu-west-1"}
    (row,) = parse(gzip.compress(json.dumps(doc).encode()))
    assert picked(row, "log_owner", "log_region", "log_subscription_filters", "log_policy_level") == {
        "log_owner": "123456789012",
        "log_region": "eu-west-1",
        "log_subscription_filters": ["to-firehose"],
        "log_policy_level": "ACCOUNT_LEVEL_POLICY",
    }
    assert row["log_extracted_fields"] == {"@aws.account": "123456789012", "@aws.region": "eu-west-1"}
    assert row["log_group"] == "/aws/apigateway/tasks-api" and row["log_event_id"] == "e0"
    (plain,) = parse(record("b").encode())
    assert plain["log_owner"] is None and plain["log_extracted_fields"] is None


def test_a_line_starting_with_a_number_is_one_row_not_many():
    text = "2026-01-01 00:00:00 WARN access log buffer overflow, 17 lines dropped"
    rows = parse(gzip.compress(f"{record('a')}\n{text}\n42\n{record('b')}".encode()))
    assert [(r["request_id"], r["parse_error"], r["raw"]) for r in rows] == [
        ("a", None, record("a")),
        (None, "invalid_json", text),
        (None, "not_an_object", "42"),
        ("b", None, record("b")),
    ]


def test_the_sample_generator_days_account_line_for_line(tmp_path):
    """The contract's own data: one row per landed line or control message, as its truth counts."""
    from datetime import date

    from lake_sample.generator import generate_sample

    generate_sample(tmp_path, date(2026, 11, 21), 2, 3000, seed=3)
    truth = json.loads((tmp_path / "_truth.json").read_text())
    truth = truth.get("api_logs", truth)
    landing = LocalLanding(str(tmp_path))
    for day in ("2026-11-21", "2026-11-22"):
        rows = [
            row
            for obj in landing.list(f"api_logs/{day.replace('-', '/')}")
            for row in parse(landing.read_bytes(obj.key), obj.key)
        ]
        assert len(rows) == truth["lines_total"][day] + truth["control_messages"][day]
        assert {r["compression"] for r in rows} == {"gzip"}
        assert {r["log_format"] for r in rows if r["record_type"] == "access_log"} == {"json"}


def test_rows_account_for_every_line():
    lines = [record("a"), "not json", CLF_REST, "[1]", "", record("b")]
    rows = parse("\n".join(lines).encode())
    assert len(rows) == 5 and [r["record_index"] for r in rows] == list(range(5))
