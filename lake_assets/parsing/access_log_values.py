"""Type one access-log record (variable name → value) into Bronze columns, leniently and totally.

Values are typed here, never judged: an unparseable value becomes null and its variable is listed
in `invalid_fields`; whether the row is *usable* is Silver's decision. Numbers are accepted only
as ASCII digits within the column's range (`"--5"`, `"²"` or 10**30 are invalid, never a crash
or an Arrow overflow downstream).

Event time, in order of preference (`time_source`):
1. `requestTimeEpoch` (epoch ms, authoritative) → "requestTimeEpoch";
2. `requestTime` (CLF with offset, or 13-digit epoch ms) → "requestTime";
3. only when the template has *no* time variable at all (neither key present, as in a custom
   template without them) and the line came in a CloudWatch Logs envelope: the log event's
   timestamp (when API Gateway wrote the line, just after the request ended) →
   "cloudwatch_event_timestamp". A present-but-unusable time (`"-"`, garbage) is never replaced:
   the contract quarantines those lines (`no_usable_time`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from lake_assets.parsing.access_log_formats import COLUMN_OF, TEMPLATE_FIELDS, flatten

_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_INT = re.compile(r"-?[0-9]{1,18}")
_EPOCH_MS = re.compile(r"[0-9]{1,15}")
_EPOCH_MS_13 = re.compile(r"[0-9]{13}")
STRING_COLUMNS = ("request_id", "ip", "request_time", "http_method", "route_key", "path", "protocol",
                  "user_agent", "user_id")  # fmt: skip
# Integer columns, their template variable (for `invalid_fields`) and their largest value.
INT_COLUMNS = (
    ("status", "status", 2**31 - 1),
    ("response_length", "responseLength", 2**63 - 1),
    ("response_latency_ms", "responseLatency", 2**63 - 1),
    ("integration_latency_ms", "integrationLatency", 2**63 - 1),
)
CLOUDWATCH_TIME = "cloudwatch_event_timestamp"
TIME_SOURCES = ("requestTimeEpoch", "requestTime", CLOUDWATCH_TIME)
# Every alias but the first of a column (`sourceIp` beside `ip`, …): a record without them names
# each column at most once, so the first available value needs no choosing.
_LATER_ALIASES = frozenset(
    name for column in set(COLUMN_OF.values()) - {""} for name in [n for n, c in COLUMN_OF.items() if c == column][1:]
)


def text_of(value: Any) -> str | None:
    """Access-log values are strings; `"-"`, empty and null mean the variable was unavailable."""
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
        if offset[0] not in "+-" or len(offset) != 5 or not offset[1:].isascii():
            return None
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        local = datetime(int(year), _MONTHS[month.lower()], int(day), int(hh), int(mm), int(ss))
        return (local - sign * delta).replace(tzinfo=UTC)
    except (ValueError, KeyError, IndexError, OverflowError):
        return None


def _integer(value: Any, largest: int) -> tuple[int | None, bool]:
    """(value, valid): JSON ints and integral floats as they are, strings of ASCII digits."""
    if type(value) is str:  # the common case first: the contract's values are strings
        if value in ("-", ""):
            return None, True
        return (int(value), True) if _INT.fullmatch(value) and -largest <= int(value) <= largest else (None, False)
    if value is None or isinstance(value, bool):
        return None, value is None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return (value, True) if -largest <= value <= largest else (None, False)
    text = text_of(value)
    if text is None:
        return None, True
    if _INT.fullmatch(text) and -largest <= int(text) <= largest:
        return int(text), True
    return None, False


def _epoch_ms(value: Any, pattern: re.Pattern[str]) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = text_of(value)
    return int(text) if text is not None and pattern.fullmatch(text) else None


def _to_micros(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _variables(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """(column → first value, unknown path → value, variable names seen) through the mapping."""
    keys = record.keys()
    if (
        keys <= COLUMN_OF.keys()
        and keys.isdisjoint(_LATER_ALIASES)
        and not any(issubclass(t, dict) for t in set(map(type, record.values())))
    ):
        # The common case, a flat template of known names (the contract's): every key is its own
        # path and name and names a different column, so `flatten` and "first value wins" are no-ops.
        return {COLUMN_OF[name]: value for name, value in record.items() if COLUMN_OF[name]}, {}, set(record)
    return _mapped_variables(record)


def _mapped_variables(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """`_variables` for any record: nested groups, aliases and unknown names (the general path)."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    seen: set[str] = set()
    for path, name, value in flatten(record):
        column = COLUMN_OF.get(name)
        if column is None:
            extra[path] = value
            continue
        seen.add(name)
        if column and text_of(values.get(column)) is None:  # the first available value wins
            values[column] = value
    return values, extra, seen


def access_log_fields(record: dict[str, Any], fallback_ms: int | None = None) -> dict[str, Any]:
    """Bronze columns of one access-log record; `fallback_ms` is the CloudWatch event timestamp."""
    values, extra, seen = _variables(record)
    out: dict[str, Any] = {col: text_of(values.get(col)) for col in STRING_COLUMNS}
    invalid: list[str] = []
    for col, name, largest in INT_COLUMNS:
        out[col], valid = _integer(values.get(col), largest)
        if not valid:
            invalid.append(name)
    resource = text_of(values.get("resource_path"))
    if out["route_key"] is None and resource is not None:
        out["route_key"] = f"{out['http_method'] or '-'} {resource}"  # REST: "<METHOD> <resourcePath>"
    epoch_raw = values.get("request_time_epoch")
    epoch_ms = _epoch_ms(epoch_raw, _EPOCH_MS)
    if text_of(epoch_raw) is not None and epoch_ms is None:
        invalid.append("requestTimeEpoch")
    out["request_time_epoch_ms"] = epoch_ms
    out["event_time"] = out["time_source"] = None
    if epoch_ms is not None:
        out["event_time"], out["time_source"] = epoch_ms * 1000, "requestTimeEpoch"
    else:
        text = out["request_time"]
        clf = parse_clf_time(text) if text else None
        ms = _epoch_ms(text, _EPOCH_MS_13) if text and clf is None else None
        if clf is not None:
            out["event_time"], out["time_source"] = _to_micros(clf), "requestTime"
        elif ms is not None:
            out["event_time"], out["time_source"] = ms * 1000, "requestTime"
        elif text:
            invalid.append("requestTime")
        elif fallback_ms is not None and not seen & {"requestTime", "requestTimeEpoch"}:
            out["event_time"], out["time_source"] = fallback_ms * 1000, CLOUDWATCH_TIME
    out["invalid_fields"] = ",".join(invalid) or None
    provided = seen | ({"routeKey"} if out["route_key"] else set())
    if "sourceIp" in seen:
        provided.add("ip")
    if "integration.latency" in seen:
        provided.add("integrationLatency")
    out["missing_fields"] = ",".join(k for k in TEMPLATE_FIELDS if k not in provided) or None
    out["extra_fields"] = json.dumps(extra, sort_keys=True) if extra else None
    return out
