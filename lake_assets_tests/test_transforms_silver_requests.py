"""Silver API request routing on hand-made Bronze rows: ownership, reasons, dedup, accounting."""

from datetime import UTC, date, datetime

from pyspark.sql import types as T

from lake_assets.transforms.bronze import API_REQUESTS_SCHEMA
from lake_assets.transforms.silver_requests import accounting, route_requests

D = date(2026, 11, 21)


def ts(day, hh=12, mm=0, ss=0):
    return datetime(2026, 11, day, hh, mm, ss, tzinfo=UTC)


def bronze_row(
    idx, arrival_day, event=None, request_id="r", record_type="access_log", parse_error=None, status=200, key="k1"
):
    row = dict.fromkeys(API_REQUESTS_SCHEMA.fieldNames())
    row.update(
        record_type=record_type,
        parse_error=parse_error,
        request_id=request_id,
        event_time=event,
        time_source="requestTimeEpoch" if event else None,
        status=status,
        route_key="GET /tasks",
        source_key=key,
        record_index=idx,
        ingested_at=ts(arrival_day, 0, 0, idx),
        raw=f"line{idx}",
        user_id="u-1",
    )
    return row, f"2026-11-{arrival_day:02d}"


def frame(spark, rows):
    """Bronze rows with their arrival partition as the `dt` column, as `LocalLake.read` returns them."""
    schema = T.StructType([*API_REQUESTS_SCHEMA.fields, T.StructField("dt", T.DateType())])
    return spark.createDataFrame([{**r, "dt": date.fromisoformat(dt)} for r, dt in rows], schema)


def test_routing_accounts_for_every_owned_row(spark):
    rows = [
        bronze_row(0, 21, ts(21), "a"),  # silver
        bronze_row(1, 21, ts(21), "a", key="k2"),  # duplicate of a (later key)
        bronze_row(2, 22, ts(21, 23, 59, 58), "b"),  # late arrival in D+1 -> silver, late
        bronze_row(3, 22, ts(22), "c"),  # belongs to D+1: not owned
        bronze_row(4, 21, ts(20, 23), "d"),  # belongs to D-1: not owned
        bronze_row(5, 21, None, "e"),  # no usable time -> quarantine in D
        bronze_row(6, 21, ts(21), None),  # missing request id
        bronze_row(7, 21, None, None, record_type="malformed", parse_error="invalid_json"),
        bronze_row(8, 21, None, None, record_type="control_message"),  # skipped
        bronze_row(9, 21, ts(15), "f"),  # far in the past -> quarantine in D
        bronze_row(10, 21, ts(21), "g", status=None),  # bad status
        bronze_row(11, 22, None, "h"),  # no time, arrived D+1: D+1 owns it
        bronze_row(12, 22, ts(21, 23), "a"),  # duplicate of a arriving next day
    ]
    routed = route_requests(frame(spark, rows), D)
    silver = sorted((r["request_id"], r["is_late_arrival"], str(r["arrival_date"])) for r in routed.requests.collect())
    assert silver == [("a", False, "2026-11-21"), ("b", True, "2026-11-22")]
    quarantine = sorted((r["record_index"], r["reason"], r["raw"]) for r in routed.quarantine.collect())
    assert quarantine == [  # each with its raw line (the routing drops the raw text of usable rows only)
        (5, "no_usable_time", "line5"),
        (6, "missing_request_id", "line6"),
        (7, "invalid_json", "line7"),
        (9, "event_date_outside_window:2026-11-15", "line9"),
        (10, "missing_or_invalid_status", "line10"),
    ]
    counts = accounting(routed.routed)
    assert counts["bronze_rows_owned"] == 10
    assert (counts["silver_rows"], counts["quarantine_rows"], counts["duplicate_rows"], counts["skipped_rows"]) == (
        2,
        5,
        2,
        1,
    )
    assert counts["bronze_rows_by_arrival_date"] == {"2026-11-21": 8, "2026-11-22": 2}
    assert counts["quarantine_reasons"] == {
        "event_date_outside_window": 1,
        "invalid_json": 1,
        "missing_or_invalid_status": 1,
        "missing_request_id": 1,
        "no_usable_time": 1,
    }


def test_dedup_keeps_the_first_arrival_deterministically(spark):
    rows = [bronze_row(3, 21, ts(21), "x", key="b"), bronze_row(1, 21, ts(21), "x", key="a")]
    (kept,) = route_requests(frame(spark, rows), D).requests.collect()
    assert kept["source_key"] == "a"  # the earliest ingested_at wins, whatever the input order


def test_the_requests_quarantine_never_carries_a_clear_email(spark):
    raw = '{"requestId": "q1", "path": "/tasks?owner=ada.lovelace@example.com", "status": "abc"}'
    row, dt = bronze_row(0, 21, None, "q1", parse_error="invalid_status: ada.lovelace@example.com")
    row["raw"] = raw
    (got,) = route_requests(frame(spark, [(row, dt)]), D).quarantine.collect()
    assert got["raw"] == '{"requestId": "q1", "path": "/tasks?owner=<redacted>", "status": "abc"}'
    assert got["reason"] == "invalid_status: <redacted>"
