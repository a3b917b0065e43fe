"""Unmarshal DynamoDB JSON (the `DYNAMODB_JSON` export format) without losing information.

Numbers stay exact: an `N` value is written back as the same JSON number literal (no float round
trip), binary stays base64 text, sets become JSON arrays. Each item also yields a map of
attribute → DynamoDB type so schema drift can be seen downstream.

The plain JSON (`item_json`) is what Silver types, but it is lossy inside nested values (`B` and
`S` both become strings, sets become lists). So every valid item is also kept as its DynamoDB JSON
(`item_dynamodb_json`): validated, object keys sorted, compact separators, list and set order kept.
It loads back to exactly the exported typed document (numbers are strings there, so no JSON number
is ever re-spelled), and equal items give equal text.

Every parser here returns a row for any input string and never raises: a line that cannot be
used keeps its raw text and gets a `parse_error` reason.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_MICROS = (1 << 63) - 1  # write_timestamp_micros is a Spark LONG

TYPE_CODES = ("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M")


# Built once: `json.dumps(x, ensure_ascii=False)` and `json.loads(x, parse_float=…)` build a new
# encoder/decoder per call, which cost more than the work at a million values per export.
# `_TEXT(s)` is exactly `json.dumps(s, ensure_ascii=False)` for a str (the function that call ends
# in, without its per-call wrapper): test_parser_fast_paths.py holds the two equal.
_TEXT: Callable[[str], str] = json.encoder.encode_basestring
_EXACT = json.JSONDecoder(parse_float=Decimal, parse_int=Decimal).decode  # numbers stay Decimal
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


# A JSON number literal (ASCII digits, as the C JSON scanner reads them): such a stripped `N` text
# is kept as spelled, with no Decimal or JSON decode (`_number_literal`'s fast path).
# Its exponent has at most 9 digits, so Decimal() of it is always finite.
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]{1,9})?")


class DynamoJsonError(ValueError):
    """A typed value does not follow the DynamoDB JSON format."""


def _number_literal(text: Any) -> str:
    """The JSON literal of an `N` value: the producer's spelling when it already is a JSON number
    (`12.50` stays `12.50`), else the Decimal's (`+5` → `5`); not a finite number raises."""
    if type(text) is str:
        literal = text.strip()  # what Decimal() strips too
        if _JSON_NUMBER.fullmatch(literal):  # a JSON number is a finite Decimal: the checks below pass
            return literal
    return _checked_number_literal(text)


def _checked_number_literal(text: Any) -> str:
    """`_number_literal` without its fast path (test_parser_fast_paths.py holds the two equal)."""
    if not isinstance(text, str):
        raise DynamoJsonError(f"N value must be a string, got {type(text).__name__}")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise DynamoJsonError(f"N value {text!r} is not a number") from None
    if not number.is_finite():
        raise DynamoJsonError(f"N value {text!r} is not finite")
    literal = text.strip()
    try:  # keep the producer's spelling when it already is a JSON number (e.g. "12.50")
        _EXACT(literal)
        if literal[:1] not in "+." and not literal.startswith(("00", "-.")):
            return literal
    except ValueError:
        pass
    return str(number)


def _binary(text: Any) -> str:
    if not isinstance(text, str):
        raise DynamoJsonError("B value must be a base64 string")
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DynamoJsonError("B value is not valid base64") from None
    return text


def _typed_to_json(typed: Any) -> tuple[str, str]:
    """Return (DynamoDB type code, JSON text of the plain value) for one typed value."""
    if not isinstance(typed, dict) or len(typed) != 1:
        raise DynamoJsonError(f"a typed value must be an object with one type key, got {typed!r}"[:200])
    ((code, value),) = typed.items()
    if code == "S":
        if not isinstance(value, str):
            raise DynamoJsonError("S value must be a string")
        return code, _TEXT(value)
    if code == "N":
        return code, _number_literal(value)
    if code == "B":
        return code, json.dumps(_binary(value))
    if code == "BOOL":
        if not isinstance(value, bool):
            raise DynamoJsonError("BOOL value must be true or false")
        return code, "true" if value else "false"
    if code == "NULL":
        if value is not True:
            raise DynamoJsonError("NULL value must be true")
        return code, "null"
    if code in ("SS", "NS", "BS"):
        if not isinstance(value, list):
            raise DynamoJsonError(f"{code} value must be a list")
        convert = {
            "SS": lambda v: _typed_to_json({"S": v})[1],
            "NS": _number_literal,
            "BS": lambda v: json.dumps(_binary(v)),
        }[code]
        return code, "[" + ",".join(convert(v) for v in value) + "]"
    if code == "L":
        if not isinstance(value, list):
            raise DynamoJsonError("L value must be a list")
        return code, "[" + ",".join(_typed_to_json(v)[1] for v in value) + "]"
    if code == "M":
        if not isinstance(value, dict):
            raise DynamoJsonError("M value must be an object")
        return code, item_to_json(value)[0]
    raise DynamoJsonError(f"unknown DynamoDB type {code!r}")


def item_to_json(item: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Unmarshal an item (attribute → typed value) to plain JSON text and its attribute types.

    Most attributes are a plain `S` or `N`: those are converted inline (what `_typed_to_json`
    gives them, without its call and dispatch, a third of the parse at a million items).
    """
    parts, types = [], {}
    for name, typed in item.items():
        if type(typed) is dict and len(typed) == 1:
            ((code, value),) = typed.items()
            if type(value) is str and (code == "S" or code == "N"):
                types[name] = code
                parts.append(f"{_TEXT(name)}:{_TEXT(value) if code == 'S' else _number_literal(value)}")
                continue
        code, text = _typed_to_json(typed)
        types[name] = code
        parts.append(f"{_TEXT(name)}:{text}")
    return "{" + ",".join(parts) + "}", types


def unmarshal(typed: Any) -> Any:
    """Plain Python value of one typed value (Decimal for numbers, base64 text for binary)."""
    _code, text = _typed_to_json(typed)
    return _EXACT(text)


def _key_text(item: dict[str, Any], name: str) -> str | None:
    typed = item.get(name)
    if isinstance(typed, dict) and len(typed) == 1:
        ((code, value),) = typed.items()
        if code in ("S", "N") and isinstance(value, str):
            return value
    return None


EXPORT_COLUMNS = (
    "pk",
    "sk",
    "item_json",
    "item_dynamodb_json",
    "attribute_types",
    "raw_item",
    "parse_error",
    "line_number",
)
_BROKEN = (ValueError, TypeError, RecursionError)  # RecursionError: absurdly deep nesting


def typed_item_json(item: dict[str, Any]) -> str:
    """The item's DynamoDB JSON, canonical: keys sorted, compact, list/set order and values as exported.

    Call it on an item `item_to_json` accepted: such an item holds no JSON number (N values are
    strings), so `json.loads` of the result gives back exactly `item`.
    """
    return _CANONICAL(item)


def _unmarshalled(item: dict[str, Any]) -> tuple[str, dict[str, str], str]:
    """(plain JSON, sorted attribute types, canonical DynamoDB JSON) of a valid item."""
    text, types = item_to_json(item)
    return text, dict(sorted(types.items())), typed_item_json(item)


def _start_row(columns: tuple[str, ...], line: str, line_number: int) -> tuple[dict[str, Any], Any]:
    """A row that keeps the raw line, and the decoded document (None with `parse_error` set).

    Bare JSON numbers decode as Decimal (never float) so a bare timestamp keeps every digit.
    """
    row: dict[str, Any] = dict.fromkeys(columns)
    row.update(raw_item=line, line_number=line_number)
    try:
        return row, _EXACT(line)
    except _BROKEN:
        row["parse_error"] = "invalid_json"
        return row, None


CHANGE_COLUMNS = (
    "write_timestamp_micros",
    "operation",
    "pk",
    "sk",
    "item_json",
    "item_dynamodb_json",
    "attribute_types",
    "old_item_json",
    "old_item_dynamodb_json",
    "raw_item",
    "parse_error",
    "line_number",
)
# What a row derives from its line (nulled when the line cannot be encoded); export rows hold a subset.
_DERIVED = tuple(c for c in CHANGE_COLUMNS if c not in ("raw_item", "parse_error", "line_number"))
_TEXTS = ("pk", "sk", "item_json", "item_dynamodb_json", "old_item_json", "old_item_dynamodb_json")


def _encodable(row: dict[str, Any]) -> dict[str, Any]:
    """The row, or its error form when a value holds an unpaired surrogate.

    JSON may spell one (`"\\ud800"`) and Python decodes it, but such text has no UTF-8 form: Arrow
    would fail the whole Spark task on it. The raw line (always valid UTF-8) is kept.
    """
    try:
        for name in _TEXTS:
            if row.get(name) is not None:
                row[name].encode("utf-8")
    except UnicodeEncodeError:
        row.update((name, None) for name in _DERIVED if name in row)
        row["parse_error"] = "invalid_unicode: a value holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)"
    return row


def parse_full_export_line(line: str, line_number: int) -> dict[str, Any]:
    """One line of a full export (`{"Item": {...}}`) → a Bronze row; bad lines get a reason."""
    return _encodable(_parse_full(line, line_number))


def _parse_full(line: str, line_number: int) -> dict[str, Any]:
    row, doc = _start_row(EXPORT_COLUMNS, line, line_number)
    if row["parse_error"]:
        return row
    item = doc.get("Item") if isinstance(doc, dict) else None
    if not isinstance(item, dict):
        row["parse_error"] = 'missing_item: a full-export line must be {"Item": {...}}'
        return row
    row["pk"], row["sk"] = _key_text(item, "PK"), _key_text(item, "SK")
    try:
        row["item_json"], row["attribute_types"], row["item_dynamodb_json"] = _unmarshalled(item)
    except DynamoJsonError as exc:
        row["parse_error"] = f"invalid_dynamodb_json: {exc}"
    except _BROKEN as exc:
        row["parse_error"] = f"invalid_dynamodb_json: {type(exc).__name__}"
    return row


def write_timestamp(metadata: Any) -> int:
    """`Metadata.WriteTimestampMicros` as an int, in either shape AWS documents and writes.

    Typed (`{"N": "1763690712345678"}`) or bare (`1763690712345678` or `"1763690712345678"`).
    Anything else (missing, fractional, negative, beyond a LONG) raises DynamoJsonError.
    """
    value = metadata.get("WriteTimestampMicros") if isinstance(metadata, dict) else None
    if isinstance(value, dict):
        number = unmarshal(value)
        if not isinstance(number, Decimal):
            raise DynamoJsonError("WriteTimestampMicros must be a number")
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        number = Decimal(_number_literal(value))
    else:
        raise DynamoJsonError("Metadata.WriteTimestampMicros is missing")
    if number != number.to_integral_value() or not 0 <= number <= MAX_MICROS:
        raise DynamoJsonError(f"WriteTimestampMicros {str(number)[:40]} is not an integer in [0, 2^63)")
    return int(number)


def parse_incremental_line(line: str, line_number: int) -> dict[str, Any]:
    """One line of an incremental export → a change row.

    `operation`: MODIFY (both images), UPSERT (NewImage only: an insert, or an update under view
    NEW_IMAGE — the merge treats both as "this is the item now"), REMOVE (no NewImage).
    """
    return _encodable(_parse_change(line, line_number))


def _parse_change(line: str, line_number: int) -> dict[str, Any]:
    row, doc = _start_row(CHANGE_COLUMNS, line, line_number)
    if row["parse_error"]:
        return row
    if not isinstance(doc, dict) or not isinstance(doc.get("Keys"), dict):
        row["parse_error"] = "missing_keys: an incremental-export line must have Keys"
        return row
    keys, new, old = doc["Keys"], doc.get("NewImage"), doc.get("OldImage")
    row["pk"], row["sk"] = _key_text(keys, "PK"), _key_text(keys, "SK")
    try:
        stamp = write_timestamp(doc.get("Metadata"))
    except DynamoJsonError as exc:
        row["parse_error"] = f"invalid_write_timestamp: {exc}"
        return row
    except _BROKEN as exc:
        row["parse_error"] = f"invalid_write_timestamp: {type(exc).__name__}"
        return row
    try:
        for name, image in (("NewImage", new), ("OldImage", old)):
            if image is not None and not isinstance(image, dict):
                raise DynamoJsonError(f"{name} must be an object")
        if isinstance(new, dict):
            row["item_json"], row["attribute_types"], row["item_dynamodb_json"] = _unmarshalled(new)
        if isinstance(old, dict):
            row["old_item_json"], _, row["old_item_dynamodb_json"] = _unmarshalled(old)
    except DynamoJsonError as exc:
        row.update(item_json=None, item_dynamodb_json=None, attribute_types=None, old_item_json=None)
        row.update(old_item_dynamodb_json=None, parse_error=f"invalid_dynamodb_json: {exc}")
        return row
    except _BROKEN as exc:
        row.update(item_json=None, item_dynamodb_json=None, attribute_types=None, old_item_json=None)
        row.update(old_item_dynamodb_json=None, parse_error=f"invalid_dynamodb_json: {type(exc).__name__}")
        return row
    row["write_timestamp_micros"] = stamp
    row["operation"] = "REMOVE" if new is None else "MODIFY" if old is not None else "UPSERT"
    return row
