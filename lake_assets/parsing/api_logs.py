"""Parse API Gateway access-log objects delivered by Firehose (both variants of the contract).

One object becomes one row per access-log record, per CloudWatch Logs control message and per
fragment that could not be parsed, so Silver can account for every line that landed. Values are
typed leniently (`access_log_values`); deciding whether a row is *usable* is Silver's job.

The parser is total: any bytes in, rows out, in bounded memory and recursion.
- Compression (`gzip_members.unwrap`): plain, gzip, or gzip of gzip members (Firehose GZIP on
  top of CloudWatch Logs records), with or without `.gz` in the key. Column `compression` says
  which ("none" | "gzip" | "gzip+gzip"); `source_format` stays "cloudwatch_envelope" for
  envelope records, else "ndjson" (compressed) or "plain" (not). Damage adds a `malformed` row
  (`corrupt_gzip…`, `decompressed_too_large…`, `too_many_gzip_layers…`) after what was readable.
  A payload that is not text (ZIP/Snappy/zstd/bzip2 magic, or NUL bytes early on) is one
  `unsupported_compression: <kind>` / `binary_data…` row, never a row per line of garbage.
- Lines: a line longer than `MAX_LINE_BYTES` is one `line_too_long` row whose `raw` is a
  `RAW_PREFIX_BYTES` prefix. JSON nested deeper than Python's recursion limit is one
  `too_deeply_nested` row. Any other unexpected failure on one document is one
  `parser_error: <Exception>` row (a bug to fix, never a failed task).
- Text: bytes that are not UTF-8 are kept reversibly as `\\xNN` (lone surrogates as `\\uXXXX`),
  never replaced by U+FFFD. A requestId holding them gets `parse_error` `invalid_utf8: requestId`
  (Silver quarantines it: two different byte strings must not collapse into one id); another
  field gets `invalid_utf8:<column>` in `invalid_fields`; an unparseable line gets `invalid_utf8`.
- Envelope provenance: `owner`, `subscriptionFilters`, `policyLevel`, each event's
  `extractedFields` (and `@aws.region` from them) go to the `log_*` columns.
- `log_format` of access-log rows: "json" | "clf" | "csv" | "xml" (`access_log_formats`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from lake_assets.parsing.access_log_formats import parse_line
from lake_assets.parsing.access_log_values import access_log_fields, parse_clf_time, text_of
from lake_assets.parsing.gzip_members import Chunk, binary_kind, layering, unwrap

__all__ = ["COLUMNS", "parse_api_log_object", "parse_clf_time"]

CONTROL = "control_message"
ACCESS_LOG = "access_log"
MALFORMED = "malformed"
MAX_LINE_BYTES = 8 << 20  # CloudWatch events are ≤ 1 MiB and Firehose records ≤ 1000 KiB
RAW_PREFIX_BYTES = 4096
MAX_EPOCH_MS = 10**15

_DECODER = json.JSONDecoder()
_WS = " \t\r\n"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_NOT_JSON = object()


def may_hold_surrogate(text: str) -> bool:
    """Could a row of this line hold a lone surrogate? Only if the line holds one (undecodable
    bytes) or a JSON escape of one at some level of escaping; rows of other lines (nearly all)
    skip `_clean`'s per-column scan. Cheap tests first: `isascii` is O(1) in CPython, and most
    lines hold no backslash-u at all."""
    return (not text.isascii() and _SURROGATE.search(text) is not None) or (
        "\\u" in text and _ESCAPED_SURROGATE.search(text) is not None
    )


# Column order of the rows this module yields (Bronze's schema, `BronzeApiRequests`, mirrors it).
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
    "log_owner",
    "log_region",
    "log_subscription_filters",
    "log_policy_level",
    "log_extracted_fields",
    "source_key",
    "source_format",
    "compression",
    "log_format",
    "record_index",
    "raw",
)
# String columns whose values come from the record: flagged when they held undecodable bytes.
_CHECKED = (
    *("request_id", "ip", "request_time", "http_method", "route_key", "path", "protocol", "user_agent", "user_id"),
    *("log_group", "log_stream", "log_event_id", "log_owner", "log_region", "log_policy_level"),
)


def _escape(text: str) -> str:
    """Lone surrogates (undecodable bytes kept by `surrogateescape`, or JSON `\\udXXX`) as text."""

    def one(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"

    return _SURROGATE.sub(one, text)


def clean(row: dict[str, Any]) -> dict[str, Any]:
    """Make every string Arrow-safe, and flag values that were not valid UTF-8."""
    bad = [c for c in _CHECKED if isinstance(row[c], str) and _SURROGATE.search(row[c])]
    for col in bad:
        row[col] = _escape(row[col])
    if "request_id" in bad and row["parse_error"] is None:
        row["parse_error"] = "invalid_utf8: requestId"
    others = [f"invalid_utf8:{c}" for c in bad if c != "request_id"]
    if others:
        row["invalid_fields"] = ",".join(filter(None, [row["invalid_fields"], *others]))
    if isinstance(row["raw"], str) and _SURROGATE.search(row["raw"]):
        row["raw"] = _escape(row["raw"])
        if row["parse_error"] == "invalid_json":
            row["parse_error"] = "invalid_utf8"
    for col in ("source_key", "invalid_fields", "missing_fields", "extra_fields", "parse_error"):
        if isinstance(row[col], str):
            row[col] = _escape(row[col])
    if row["log_subscription_filters"] is not None:
        row["log_subscription_filters"] = [_escape(f) for f in row["log_subscription_filters"]]
    if row["log_extracted_fields"] is not None:
        row["log_extracted_fields"] = {
            _escape(k): None if v is None else _escape(v) for k, v in row["log_extracted_fields"].items()
        }
    return row


_EMPTY_ROW = dict.fromkeys(COLUMNS)


def new_row(record_type: str, raw: str, **fields: Any) -> dict[str, Any]:
    row = _EMPTY_ROW.copy()
    row.update(record_type=record_type, raw=raw, **fields)
    return row


def access_row(record: dict[str, Any], fmt: str, raw: str, meta: dict[str, Any]) -> dict[str, Any]:
    try:
        fields = access_log_fields(record, meta.get("log_event_time_ms"))
    except RecursionError:  # a value nested too deep to serialise into `extra_fields`
        return new_row(MALFORMED, raw, parse_error="too_deeply_nested", **without_time(meta))
    if fmt == "json_bare_dash":
        fmt = "json"
        fields["invalid_fields"] = ",".join(filter(None, [fields["invalid_fields"], "bare_dash"]))
    # The hot path (one call per request): plain dict updates, no keyword-argument merging.
    row = _EMPTY_ROW.copy()
    row.update(meta)
    row.pop("log_event_time_ms", None)
    row.update(fields)
    row["record_type"], row["raw"], row["log_format"] = ACCESS_LOG, raw, fmt
    return row


def line_record(text: str, meta: dict[str, Any]) -> dict[str, Any]:
    """One whole access-log line (a CloudWatch `message`, or an NDJSON line not starting with `{`)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = _NOT_JSON
    except RecursionError:
        return new_row(MALFORMED, text, parse_error="too_deeply_nested", **without_time(meta))
    if isinstance(value, dict):
        return access_row(value, "json", text, meta)
    if value is not _NOT_JSON:
        return new_row(MALFORMED, text, parse_error="not_an_object", **without_time(meta))
    record, fmt, error = parse_line(text)
    if record is None or fmt is None:
        return new_row(MALFORMED, text, parse_error=error, **without_time(meta))
    return access_row(record, fmt, text, meta)


def without_time(meta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in meta.items() if k != "log_event_time_ms"}


def event_meta(event: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """An event's provenance; its timestamp (epoch ms) is kept only when it is a sane integer."""
    value = event.get("timestamp")
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_EPOCH_MS
    stamp = value if ok else None
    extracted = event.get("extractedFields")
    fields = {str(k): text_of(v) for k, v in extracted.items()} if isinstance(extracted, dict) else None
    return {
        **meta,
        "log_event_id": text_of(event.get("id")),
        "log_event_time": None if stamp is None else stamp * 1000,
        "log_event_time_ms": stamp,
        "log_extracted_fields": fields,
        "log_region": (fields or {}).get("@aws.region"),
    }


def envelope_meta(doc: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """The provenance an envelope gives each of its rows."""
    filters = doc.get("subscriptionFilters")
    return {
        **meta,
        "log_group": text_of(doc.get("logGroup")),
        "log_stream": text_of(doc.get("logStream")),
        "log_owner": text_of(doc.get("owner")),
        "log_subscription_filters": [text_of(f) or "" for f in filters] if isinstance(filters, list) else None,
        "log_policy_level": text_of(doc.get("policyLevel")),
        "source_format": "cloudwatch_envelope",
    }


def envelope_records(doc: dict[str, Any], raw: str, meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of one CloudWatch Logs subscription envelope."""
    meta = envelope_meta(doc, meta)
    if doc.get("messageType") == "CONTROL_MESSAGE":
        return [new_row(CONTROL, raw, **meta)]
    events = doc.get("logEvents")
    if doc.get("messageType") != "DATA_MESSAGE" or not isinstance(events, list):
        return [new_row(MALFORMED, raw, parse_error="invalid_envelope", **meta)]
    rows = []
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("message"), str):
            rows.append(new_row(MALFORMED, json.dumps(event), parse_error="invalid_log_event", **meta))
            continue
        rows.append(line_record(event["message"], event_meta(event, meta)))
    return rows


TOO_DEEP = object()  # `split_documents`: an object nested deeper than Python's recursion limit


def split_documents(text: str) -> Iterator[tuple[Any, str]]:
    """One line's JSON objects back to back (`{...}{...}`), as (object, its text).

    Whatever does not decode as an object takes the rest of the line, as (None, rest) or
    (`TOO_DEEP`, rest): so one bad document never swallows its neighbours, and a CLF line is never
    read as the number at its start.
    """
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos] in _WS:
            pos += 1
        if pos >= end:
            return
        if text[pos] != "{":
            yield None, text[pos:end]
            return
        try:
            value, stop = _DECODER.raw_decode(text, pos)
        except RecursionError:
            yield TOO_DEEP, text[pos:end]
            return
        except ValueError:
            yield None, text[pos:end]
            return
        yield value, text[pos:stop]
        pos = stop


def document_rows(text: str, meta: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Rows of one line: its JSON objects (`split_documents`), or one line of another kind."""
    for value, raw in split_documents(text):
        if value is TOO_DEEP:
            yield new_row(MALFORMED, raw, parse_error="too_deeply_nested", **without_time(meta))
        elif value is None:
            yield line_record(raw.rstrip("\r"), meta)
        elif "messageType" in value:
            yield from envelope_records(value, raw, meta)
        else:
            yield access_row(value, "json", raw, meta)


def split_lines(data: bytes) -> Iterator[bytes]:
    start = 0
    while start < len(data):
        stop = data.find(b"\n", start)
        stop = len(data) if stop < 0 else stop
        yield data[start:stop]
        start = stop + 1


def _chunk_rows(data: bytes, meta: dict[str, Any], dirty_key: bool) -> Iterator[dict[str, Any]]:
    """Rows of one decompressed chunk, made Arrow-safe (`_clean`) where they may need it."""
    for line in split_lines(data):
        yield from line_rows(line, meta, dirty_key)


def line_rows(line: bytes, meta: dict[str, Any], dirty_key: bool) -> list[dict[str, Any]]:
    """Rows of one line of a decompressed chunk, made Arrow-safe (`clean`) where they may need it."""
    if len(line) > MAX_LINE_BYTES:
        prefix = line[:RAW_PREFIX_BYTES].decode("utf-8", "surrogateescape")
        return [clean(new_row(MALFORMED, prefix, parse_error=f"line_too_long: {len(line)} bytes", **meta))]
    text = line.decode("utf-8", "surrogateescape")
    try:
        rows = list(document_rows(text, meta))
    except RecursionError:
        rows = [new_row(MALFORMED, text, parse_error="too_deeply_nested", **meta)]
    except Exception as exc:  # a parser bug must cost one row, not the task
        rows = [new_row(MALFORMED, text, parse_error=f"parser_error: {type(exc).__name__}", **meta)]
    if dirty_key or may_hold_surrogate(text):
        rows = [clean(row) for row in rows]
    return rows


def parse_api_log_object(data: bytes, source_key: str) -> Iterator[dict[str, Any]]:
    """Yield one row per record of a Firehose object (see module docstring)."""
    index = 0
    dirty_key = has_surrogate(source_key)
    for chunk in unwrap(data):
        meta = chunk_meta(chunk, source_key)
        unreadable = unreadable_row(chunk, meta)
        rows = iter([unreadable]) if unreadable is not None else _chunk_rows(chunk.data, meta, dirty_key)
        for row in rows:
            row["record_index"] = index
            index += 1
            yield row


def has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def chunk_meta(chunk: Chunk, source_key: str) -> dict[str, Any]:
    """The provenance a decompressed chunk gives each of its rows."""
    return {
        "source_key": source_key,
        "compression": layering(chunk.layers),
        "source_format": "ndjson" if chunk.layers else "plain",
    }


def unreadable_row(chunk: Chunk, meta: dict[str, Any]) -> dict[str, Any] | None:
    """The one reason row of a chunk that is damaged or binary, else None (its lines are read)."""
    if chunk.error is not None:
        return clean(new_row(MALFORMED, "", parse_error=chunk.error, **meta))
    binary = binary_kind(chunk.data)
    if binary is not None:  # one reason row, not a row per "line" of binary garbage
        prefix = chunk.data[:RAW_PREFIX_BYTES].decode("utf-8", "surrogateescape")
        return clean(new_row(MALFORMED, prefix, parse_error=binary, **meta))
    return None
