"""Type the contract's access-log variables a column at a time, exactly as `access_log_fields`.

The input is a table of the 14 template variables as strings (what Arrow's JSON reader gives for
records that are the contract's template); each rule below restates one of `access_log_values`
for a whole column, so a difference would show in `test_api_log_columns.py`.
"""

from __future__ import annotations

import functools
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from lake_assets.parsing.access_log_values import INT_COLUMNS, STRING_COLUMNS
from lake_assets.parsing.api_logs import ACCESS_LOG

__all__ = ["contract_columns", "usable_rows"]

# Column → its template variable.
_STRING_OF = {"request_id": "requestId", "ip": "ip", "request_time": "requestTime", "http_method": "httpMethod",
              "route_key": "routeKey", "path": "path", "protocol": "protocol", "user_agent": "userAgent",
              "user_id": "userId"}  # fmt: skip
_EPOCH_MS = r"^[0-9]{1,15}$"
_INTEGER = r"^-?[0-9]{1,18}$"  # RE2: `$` is the end of the text, as `re.fullmatch`
_UNAVAILABLE = pa.array(["-", ""])
_FALSE = pa.scalar(False)
assert set(_STRING_OF) == set(STRING_COLUMNS)


def usable_rows(table: pa.Table) -> Any:
    """Rows typed in bulk: every variable present and a string, `requestTimeEpoch` usable
    (otherwise the time comes from `requestTime`, per row)."""
    present: Any = functools.reduce(pc.and_, [pc.is_valid(c) for c in table.columns])
    epoch = pc.match_substring_regex(table["requestTimeEpoch"], _EPOCH_MS)
    return pc.fill_null(pc.and_(present, epoch), _FALSE)


def _strings(arr: Any) -> Any:
    """Strings as logged; `"-"` and empty mean unavailable (`text_of`)."""
    return pc.if_else(pc.is_in(arr, value_set=_UNAVAILABLE), pa.scalar(None, pa.string()), arr)


def _integers(arr: Any, largest: int) -> tuple[Any, Any]:
    """(typed values, where the value does not type), as `access_log_values._integer` decides."""
    digits = pc.match_substring_regex(arr, _INTEGER)
    number = pc.cast(pc.if_else(digits, arr, pa.scalar(None, pa.string())), pa.int64())
    in_range = pc.and_(pc.greater_equal(number, pa.scalar(-largest)), pc.less_equal(number, pa.scalar(largest)))
    typed: Any = pc.fill_null(in_range, _FALSE)  # null where the text is not digits
    invalid = pc.invert(pc.or_(typed, pc.is_in(arr, value_set=_UNAVAILABLE)))
    return pc.if_else(typed, number, pa.scalar(None, pa.int64())), invalid


def _invalid_fields(invalid: dict[str, Any], n: int) -> pa.Array:
    """`invalid_fields`: the names whose value did not type, comma-joined in column order. Such
    rows are rare, so only they are joined in Python (pyarrow 26's `binary_join_element_wise`
    with `null_handling="skip"` was seen returning fewer rows than it was given)."""
    flags = list(invalid.values())
    rows_at: list[int] = pc.indices_nonzero(functools.reduce(pc.or_, flags)).to_pylist() if flags else []
    texts: list[str | None] = [None] * n
    for i in rows_at:
        texts[i] = ",".join(name for name, flag in invalid.items() if flag[i].as_py())
    return pa.array(texts, pa.string())


def contract_columns(variables: pa.Table, schema: pa.Schema) -> dict[str, Any]:
    """The Bronze columns `access_log_fields` makes of `usable_rows`: every variable present, a
    string, and `requestTimeEpoch` usable, so the time is always the epoch's and nothing is
    missing or extra."""
    n = variables.num_rows
    out: dict[str, Any] = {col: _strings(variables[name]) for col, name in _STRING_OF.items()}
    invalid = {}
    for col, name, largest in INT_COLUMNS:
        out[col], invalid[name] = _integers(variables[name], largest)
    out["invalid_fields"] = _invalid_fields(invalid, n)
    epoch = pc.cast(variables["requestTimeEpoch"], pa.int64())
    out["request_time_epoch_ms"] = epoch
    out["event_time"] = pc.multiply(epoch, 1000).cast(schema.field("event_time").type)
    out["time_source"] = pa.repeat(pa.scalar("requestTimeEpoch"), n)
    out["record_type"] = pa.repeat(pa.scalar(ACCESS_LOG), n)
    out["log_format"] = pa.repeat(pa.scalar("json"), n)
    return out
