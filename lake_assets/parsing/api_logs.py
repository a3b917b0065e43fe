"""Parse API Gateway access-log objects delivered by Firehose (both variants of the contract).

One object becomes one row per access-log record, per CloudWatch Logs control message and per
fragment that could not be parsed, so Silver can account for every line that landed. Values are
typed leniently here (`"-"` means unavailable); deciding whether a row is *usable* is Silver's job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from lake_assets.parsing.gzip_members import split_gzip_members

CONTROL = "control_message"
ACCESS_LOG = "access_log"
MALFORMED = "malformed"

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"
_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_STRING_FIELDS = {
    "requestId": "request_id",
    "ip": "ip",
    "requestTime": "request_time",
    "httpMethod": "http_method",
    "routeKey": "route_key",
    "path": "path",
    "protocol": "protocol",
    "userAgent": "user_agent",
    "userId": "user_id",
}
_INT_FIELDS = {
    "status": "status",
    "responseLength": "response_length",
    "responseLatency": "response_latency_ms",
    "integrationLatency": "integration_latency_ms",
}
_KNOWN = {*_STRING_FIELDS, *_INT_FIELDS, "requestTimeEpoch"}
# The stage's access-log template: a key absent from a record is schema drift, not a `"-"` value.
TEMPLATE_FIELDS = tuple(sorted(_KNOWN))

# Column order of the rows this module yields (Bronze's schema mirrors it).
COLUMNS = (
    "record_type",
    "parse_error",
    "request_id",
    "ip",
    "request_time",
    "request_time_epoch_ms",
    "event_time",
    "time_source",
    "http_method",
    "route_key",
    "path",
    "status",
    "protocol",
    "response_length",
    "response_latency_ms",
    "integration_latency_ms",
    "user_agent",
    "user_id",
    "invalid_fields",
    "missing_fields",
    "extra_fields",
    "log_group",
    "log_stream",
    "log_event_id",
    "log_event_time",
    "source_key",
    "source_format",
    "record_index",
    "raw",
)


def _text(value: Any) -> str | None:
    """Access-log values are strings; `"-"` (and empty) means the variable was unavailable."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    return None if text in ("-", "") else text


def parse_clf_time(text: str) -> datetime | None:
    """Parse Common Log Format `dd/MMM/yyyy:HH:mm:ss ±hhmm` into an aware UTC datetime."""
    try:
        day, month, rest = text.split("/", 2)
        year, hh, mm, tail = rest.split(":", 3)
        ss, offset = tail.split(" ", 1)
        offset = offset.strip()
        sign = -1 if offset[0] == "-" else 1
        if offset[0] not in "+-" or len(offset) != 5:
            return None
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        local = datetime(int(year), _MONTHS[month.lower()], int(day), int(hh), int(mm), int(ss))
        return (local - sign * delta).replace(tzinfo=UTC)
    except (ValueError, KeyError, IndexError):
        return None


def _epoch_ms(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 15:
        return None
    return int(text)


def _to_micros(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def access_log_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Type one access-log JSON object; unparseable numbers are listed in `invalid_fields`."""
    out: dict[str, Any] = {col: _text(record.get(key)) for key, col in _STRING_FIELDS.items()}
    invalid: list[str] = []
    for key, col in _INT_FIELDS.items():
        text = _text(record.get(key))
        if text is not None and (text.lstrip("-").isdigit() and len(text) <= 18):
            out[col] = int(text)
        else:
            out[col] = None
            if text is not None:
                invalid.append(key)
    epoch_text = _text(record.get("requestTimeEpoch"))
    epoch_ms = _epoch_ms(epoch_text)
    if epoch_text is not None and epoch_ms is None:
        invalid.append("requestTimeEpoch")
    out["request_time_epoch_ms"] = epoch_ms
    if epoch_ms is not None:
        out["event_time"], out["time_source"] = epoch_ms * 1000, "requestTimeEpoch"
    else:
        clf = parse_clf_time(out["request_time"]) if out["request_time"] else None
        if out["request_time"] and clf is None:
            invalid.append("requestTime")
        out["event_time"] = _to_micros(clf)
        out["time_source"] = "requestTime" if clf else None
    out["invalid_fields"] = ",".join(invalid) or None
    out["missing_fields"] = ",".join(k for k in TEMPLATE_FIELDS if k not in record) or None
    extra = {k: v for k, v in record.items() if k not in _KNOWN}
    out["extra_fields"] = json.dumps(extra, sort_keys=True) if extra else None
    return out


def _row(record_type: str, raw: str, index: int, **fields: Any) -> dict[str, Any]:
    row = dict.fromkeys(COLUMNS)
    row.update(record_type=record_type, raw=raw, record_index=index, **fields)
    return row


def _line_record(text: str, index: int, envelope: dict[str, Any]) -> dict[str, Any]:
    """One access-log line (an NDJSON line, or a CloudWatch `message` string)."""
    try:
        value = json.loads(text)
    except ValueError:
        return _row(MALFORMED, text, index, parse_error="invalid_json", **envelope)
    if not isinstance(value, dict):
        return _row(MALFORMED, text, index, parse_error="not_an_object", **envelope)
    return _row(ACCESS_LOG, text, index, **access_log_fields(value), **envelope)


def _envelope_records(doc: dict[str, Any], raw: str, start: int) -> list[dict[str, Any]]:
    """Rows of one CloudWatch Logs subscription envelope."""
    meta = {
        "log_group": _text(doc.get("logGroup")),
        "log_stream": _text(doc.get("logStream")),
        "source_format": "cloudwatch_envelope",
    }
    if doc.get("messageType") == "CONTROL_MESSAGE":
        return [_row(CONTROL, raw, start, **meta)]
    events = doc.get("logEvents")
    if doc.get("messageType") != "DATA_MESSAGE" or not isinstance(events, list):
        return [_row(MALFORMED, raw, start, parse_error="invalid_envelope", **meta)]
    rows = []
    for offset, event in enumerate(events):
        if not isinstance(event, dict) or not isinstance(event.get("message"), str):
            rows.append(_row(MALFORMED, json.dumps(event), start + offset, parse_error="invalid_log_event", **meta))
            continue
        stamp = event.get("timestamp")
        event_meta = {
            **meta,
            "log_event_id": _text(event.get("id")),
            "log_event_time": int(stamp) * 1000 if isinstance(stamp, int) else None,
        }
        rows.append(_line_record(event["message"], start + offset, event_meta))
    return rows


def _documents(text: str) -> Iterator[tuple[Any, str, bool]]:
    """Yield (value, raw, ok) for each JSON document in `text`, separated or not.

    A document that does not decode is cut at the next newline (or the end), so one bad line
    never swallows its neighbours.
    """
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos] in _WS:
            pos += 1
        if pos >= end:
            return
        try:
            value, stop = _DECODER.raw_decode(text, pos)
        except ValueError:
            newline = text.find("\n", pos)
            stop = end if newline < 0 else newline
            yield None, text[pos:stop].rstrip("\r"), False
            pos = stop
            continue
        yield value, text[pos:stop], True
        pos = stop


def parse_api_log_object(data: bytes, source_key: str) -> Iterator[dict[str, Any]]:
    """Yield one row per record of a Firehose object (see module docstring)."""
    unpacked = split_gzip_members(data)
    index = 0
    plain_format = "ndjson" if unpacked.compressed else "plain"
    for member in unpacked.members:
        text = member.decode("utf-8", errors="replace")
        for value, raw, ok in _documents(text):
            if not ok:
                rows = [_row(MALFORMED, raw, index, parse_error="invalid_json", source_format=plain_format)]
            elif isinstance(value, dict) and "messageType" in value:
                rows = _envelope_records(value, raw, index)
            elif isinstance(value, dict):
                rows = [_row(ACCESS_LOG, raw, index, **access_log_fields(value), source_format=plain_format)]
            else:
                rows = [_row(MALFORMED, raw, index, parse_error="not_an_object", source_format=plain_format)]
            for row in rows:
                row["source_key"] = source_key
                yield row
            index += len(rows)
    if unpacked.error:
        yield _row(MALFORMED, "", index, parse_error=unpacked.error, source_key=source_key, source_format=plain_format)
