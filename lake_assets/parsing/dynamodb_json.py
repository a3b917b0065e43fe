"""Unmarshal DynamoDB JSON (the `DYNAMODB_JSON` export format) without losing information.

Numbers stay exact: an `N` value is written back as the same JSON number literal (no float round
trip), binary stays base64 text, sets become JSON arrays. Each item also yields a map of
attribute → DynamoDB type so schema drift can be seen downstream.
"""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal, InvalidOperation
from typing import Any

TYPE_CODES = ("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M")


class DynamoJsonError(ValueError):
    """A typed value does not follow the DynamoDB JSON format."""


def _number_literal(text: Any) -> str:
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
        json.loads(literal, parse_float=Decimal, parse_int=Decimal)
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
        return code, json.dumps(value, ensure_ascii=False)
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
    """Unmarshal an item (attribute → typed value) to plain JSON text and its attribute types."""
    parts, types = [], {}
    for name, typed in item.items():
        code, text = _typed_to_json(typed)
        types[name] = code
        parts.append(f"{json.dumps(name, ensure_ascii=False)}:{text}")
    return "{" + ",".join(parts) + "}", types


def unmarshal(typed: Any) -> Any:
    """Plain Python value of one typed value (Decimal for numbers, base64 text for binary)."""
    _code, text = _typed_to_json(typed)
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def _key_text(item: dict[str, Any], name: str) -> str | None:
    typed = item.get(name)
    if isinstance(typed, dict) and len(typed) == 1:
        ((code, value),) = typed.items()
        if code in ("S", "N") and isinstance(value, str):
            return value
    return None


EXPORT_COLUMNS = ("pk", "sk", "item_json", "attribute_types", "raw_item", "parse_error", "line_number")


def _start_row(columns: tuple[str, ...], line: str, line_number: int) -> tuple[dict[str, Any], Any]:
    """A row that keeps the raw line, and the decoded document (None with `parse_error` set)."""
    row: dict[str, Any] = dict.fromkeys(columns)
    row.update(raw_item=line, line_number=line_number)
    try:
        return row, json.loads(line)
    except ValueError:
        row["parse_error"] = "invalid_json"
        return row, None


def parse_full_export_line(line: str, line_number: int) -> dict[str, Any]:
    """One line of a full export (`{"Item": {...}}`) → a Bronze row; bad lines get a reason."""
    row, doc = _start_row(EXPORT_COLUMNS, line, line_number)
    if row["parse_error"]:
        return row
    item = doc.get("Item") if isinstance(doc, dict) else None
    if not isinstance(item, dict):
        row["parse_error"] = 'missing_item: a full-export line must be {"Item": {...}}'
        return row
    row["pk"], row["sk"] = _key_text(item, "PK"), _key_text(item, "SK")
    try:
        row["item_json"], types = item_to_json(item)
        row["attribute_types"] = dict(sorted(types.items()))
    except DynamoJsonError as exc:
        row["parse_error"] = f"invalid_dynamodb_json: {exc}"
    return row


CHANGE_COLUMNS = (
    "write_timestamp_micros",
    "operation",
    "pk",
    "sk",
    "item_json",
    "attribute_types",
    "old_item_json",
    "raw_item",
    "parse_error",
    "line_number",
)


def parse_incremental_line(line: str, line_number: int) -> dict[str, Any]:
    """One line of an incremental export → a change row.

    `operation`: MODIFY (both images), UPSERT (NewImage only: an insert, or an update under view
    NEW_IMAGE — the merge treats both as "this is the item now"), REMOVE (no NewImage).
    """
    row, doc = _start_row(CHANGE_COLUMNS, line, line_number)
    if row["parse_error"]:
        return row
    if not isinstance(doc, dict) or not isinstance(doc.get("Keys"), dict):
        row["parse_error"] = "missing_keys: an incremental-export line must have Keys"
        return row
    keys, new, old = doc["Keys"], doc.get("NewImage"), doc.get("OldImage")
    row["pk"], row["sk"] = _key_text(keys, "PK"), _key_text(keys, "SK")
    try:
        stamp = unmarshal((doc.get("Metadata") or {}).get("WriteTimestampMicros"))
        row["write_timestamp_micros"] = int(stamp)
        if isinstance(new, dict):
            row["item_json"], types = item_to_json(new)
            row["attribute_types"] = dict(sorted(types.items()))
        if isinstance(old, dict):
            row["old_item_json"] = item_to_json(old)[0]
    except (DynamoJsonError, TypeError, ValueError) as exc:
        row["parse_error"] = f"invalid_dynamodb_json: {exc}"
        return row
    row["operation"] = "REMOVE" if new is None else "MODIFY" if old is not None else "UPSERT"
    return row
