"""Issue #11: compression layering and the inputs that used to crash a task, each parsed exactly or
turned into one row with a reason (pure Python, no Spark)."""

import gzip
import json
import os

import pytest

from lake_assets.core.landing import LocalLanding, escape_key, skip_reason, unescape_key
from lake_assets.parsing import gzip_members
from lake_assets.parsing.api_logs import MAX_LINE_BYTES, RAW_PREFIX_BYTES
from lake_assets_tests.api_log_builders import (
    KEY,
    cwl_members,
    envelope,
    parse,
    record,
)

# 1. Compression layering -------------------------------------------------------------------------


@pytest.mark.parametrize("key", [KEY, KEY.removesuffix(".gz")])
def test_gzip_of_gzip_members_is_unwrapped_not_garbage(key):
    rows = parse(gzip.compress(cwl_members("a", "b")), key)
    assert [(r["record_type"], r["request_id"], r["parse_error"]) for r in rows] == [
        ("access_log", "a", None),
        ("access_log", "b", None),
    ]
    assert {(r["compression"], r["source_format"], r["log_format"]) for r in rows} == {
        ("gzip+gzip", "cloudwatch_envelope", "json")
    }


def test_each_layering_is_named():
    line = (record("a") + "\n").encode()
    assert [r["compression"] for r in parse(line)] == ["none"]
    assert [r["compression"] for r in parse(gzip.compress(line))] == ["gzip"]
    assert [r["compression"] for r in parse(gzip.compress(gzip.compress(line)))] == ["gzip+gzip"]
    assert [r["compression"] for r in parse(cwl_members("a"))] == ["gzip"]
    assert [r["source_format"] for r in parse(gzip.compress(gzip.compress(line)))] == ["ndjson"]


def test_too_many_layers_is_one_reason_row():
    data = (record("a") + "\n").encode()
    for _ in range(gzip_members.MAX_LAYERS + 1):
        data = gzip.compress(data)
    (row,) = parse(data)
    assert row["record_type"] == "malformed" and row["parse_error"].startswith("too_many_gzip_layers")


def test_truncated_double_gzip_keeps_what_was_readable():
    inner = cwl_members(*"abcdefgh")
    data = gzip.compress(inner)
    rows = parse(data[: len(data) * 2 // 3])
    good = [r["request_id"] for r in rows if r["record_type"] == "access_log"]
    bad = [r for r in rows if r["record_type"] == "malformed"]
    assert good == list("abcdefgh")[: len(good)] and 0 < len(good) < 8
    # The record cut mid-way is one `invalid_json` row holding the text that was readable (a prefix
    # of the real envelope, never binary), then the damage itself: truncated inner and outer members.
    cut = [r for r in bad if r["parse_error"] == "invalid_json"]
    assert len(cut) <= 1 and all(
        json.dumps(envelope(record(r))).startswith(c["raw"]) for c in cut for r in "abcdefgh"[len(good) : len(good) + 1]
    )
    assert [r["parse_error"] for r in bad if r not in cut] == [
        "corrupt_gzip: truncated member (unexpected end of data)"
    ] * 2


def test_corrupt_member_is_skipped_and_decoding_resumes_at_the_next_one():
    first, second, third = (gzip.compress(json.dumps(envelope(record(r))).encode(), mtime=0) for r in "abc")
    broken = second[:10] + bytes(b ^ 0x55 for b in second[10:])
    rows = parse(first + broken + third)
    assert [(r["record_type"], r["request_id"]) for r in rows] == [
        ("access_log", "a"),
        ("malformed", None),
        ("access_log", "c"),
    ]
    assert rows[1]["parse_error"].startswith("corrupt_gzip: Error -3 while decompressing data")
    assert rows[1]["parse_error"].endswith(f"({len(broken)} bytes skipped)")
    assert [r["record_index"] for r in rows] == [0, 1, 2]


def test_decompressed_size_is_bounded():
    bomb = gzip.compress(gzip.compress(b"\n" * 5_000_000))
    chunks = list(gzip_members.unwrap(bomb, max_bytes=1_000_000))
    assert chunks[-1].error and chunks[-1].error.startswith("decompressed_too_large")
    assert sum(len(c.data) for c in chunks) <= 1_000_000


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04" + b"\n\x01" * 50, "unsupported_compression: zip"),
        (b"\xff\x06\x00\x00sNaPpY" + b"\n\x02" * 50, "unsupported_compression: snappy"),
        (gzip.compress(b"\x00\x01\n" * 100, mtime=0), "binary_data: NUL bytes, not log text"),
    ],
    ids=["zip", "snappy", "gzip-binary"],  # stable ids: pytest-xdist workers must collect the same names
)
def test_other_compressions_and_binary_payloads_are_one_reason_row(data, reason):
    (row,) = parse(data)
    assert row["record_type"] == "malformed" and row["parse_error"] == reason and row["raw"]


def test_non_gzip_trailer_is_reported():
    rows = parse(gzip.compress(record("a").encode()) + b"garbage")
    assert [r["parse_error"] for r in rows] == [None, "corrupt_gzip: 7 trailing bytes are not a gzip member"]


# 4. Inputs that used to crash a task -------------------------------------------------------------


@pytest.mark.parametrize("value", ["--5", "²", "1" * 40, "-", "1e3"])
def test_untypable_numbers_never_raise(value):
    (row,) = parse(json.dumps({"requestId": "r", "status": value, "responseLength": value}).encode())
    assert row["record_type"] == "access_log" and row["status"] is None and row["response_length"] is None
    assert row["invalid_fields"] == (None if value == "-" else "status,responseLength")


def test_out_of_range_numbers_and_timestamps_are_invalid_not_overflows():
    doc = {"requestId": "r", "status": 2**40, "requestTimeEpoch": 10**17}
    bad_stamp = envelope(json.dumps({"requestId": "s"}))
    bad_stamp["logEvents"][0]["timestamp"] = 10**30
    rows = parse(json.dumps(doc).encode()) + parse(gzip.compress(json.dumps(bad_stamp).encode()))
    assert rows[0]["status"] is None and rows[0]["invalid_fields"] == "status,requestTimeEpoch"
    assert rows[1]["log_event_time"] is None and rows[1]["event_time"] is None


def test_deep_nesting_is_one_row_each_and_neighbours_survive():
    deep = "[" * 100_000
    rows = parse("\n".join([record("a"), deep, '{"a":' * 50_000, record("b")]).encode())
    assert [(r["record_type"], r["parse_error"]) for r in rows] == [
        ("access_log", None),
        ("malformed", "too_deeply_nested"),
        ("malformed", "too_deeply_nested"),
        ("access_log", None),
    ]
    (inside,) = parse(gzip.compress(json.dumps(envelope(deep)).encode()))
    assert inside["parse_error"] == "too_deeply_nested" and inside["log_owner"] == "123456789012"


def test_a_very_long_line_is_one_row_with_a_prefix():
    long = b'{"requestId": "' + b"x" * (MAX_LINE_BYTES + 1) + b'"}'
    rows = parse(gzip.compress(record("a").encode() + b"\n" + long + b"\n" + record("b").encode()))
    assert [r["request_id"] for r in rows] == ["a", None, "b"]
    assert rows[1]["parse_error"] == f"line_too_long: {len(long)} bytes"
    assert rows[1]["raw"] == long[:RAW_PREFIX_BYTES].decode()


def test_invalid_utf8_is_flagged_and_never_collapses_two_ids():
    lines = [b'{"requestId": "r-\xff", "status": "200"}', b'{"requestId": "r-\xfe", "status": "200"}',
             b'{"requestId": "ok", "userAgent": "ua\xc3"}', b"\x80\x81 binary"]  # fmt: skip
    rows = parse(b"\n".join(lines))
    assert [(r["request_id"], r["parse_error"]) for r in rows] == [
        ("r-\\xff", "invalid_utf8: requestId"),
        ("r-\\xfe", "invalid_utf8: requestId"),
        ("ok", None),
        (None, "invalid_utf8"),
    ]
    assert rows[2]["user_agent"] == "ua\\xc3" and rows[2]["invalid_fields"] == "invalid_utf8:user_agent"
    assert rows[3]["raw"] == "\\x80\\x81 binary"
    assert "\ufffd" not in "".join(r["raw"] for r in rows)


def test_lone_surrogate_escapes_in_json_are_arrow_safe():
    (row,) = parse(b'{"requestId": "r\\ud800", "status": "200"}')
    assert row["request_id"] == "r\\ud800" and row["parse_error"] == "invalid_utf8: requestId"
    row["raw"].encode("utf-8")  # no lone surrogate left


# Landing keys ------------------------------------------------------------------------------------


def test_non_utf8_local_names_get_reversible_keys(tmp_path):
    folder = tmp_path / "api_logs/2026/11/21/23"
    folder.mkdir(parents=True)
    raw_name = os.fsencode(folder) + b"/bad-\xff%41.gz"
    with open(raw_name, "wb") as f:
        f.write(gzip.compress(record("a").encode()))
    (folder / ".tmp-upload.gz").write_bytes(b"partial")
    (folder / "good.gz").write_bytes(gzip.compress(record("b").encode()))
    landing = LocalLanding(str(tmp_path))
    keys = [o.key for o in landing.list("api_logs/2026/11/21") if skip_reason(o.key) is None]
    assert keys == ["api_logs/2026/11/21/23/bad-%FF%2541.gz", "api_logs/2026/11/21/23/good.gz"]
    assert all(k.encode("utf-8") for k in keys) and landing.exists(keys[0])
    (row,) = parse(landing.read_bytes(keys[0]), keys[0])
    assert row["request_id"] == "a" and row["source_key"] == keys[0]
    assert unescape_key(escape_key("a\udcff%b")) == "a\udcff%b" and escape_key("plain%41") == "plain%41"


def test_every_listed_object_is_read_or_skipped_with_a_reason():
    assert skip_reason("api_logs/2026/11/21/10/tasks-1-2026-11-21-10-00-00-x.gz") is None
    assert skip_reason("api_logs/2026/11/21/10/.x.gz.tmp") == (
        "hidden name '.x.gz.tmp': copy tools and editors write temporary files so, not data yet; "
        "rename the object without the leading dot to have it read"
    )
    assert skip_reason("api_logs/2026/11/21/.staging/x.gz").startswith("hidden name '.staging'")
    assert skip_reason("api_logs/2026/11/21/") == (
        "folder marker: a zero-byte object the S3 console creates for a folder, not data"
    )
