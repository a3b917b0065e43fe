"""Every DynamoDB JSON type, exact numbers, and bad items."""

import json
from decimal import Decimal

import pytest

from lake_assets.parsing.dynamodb_json import (
    DynamoJsonError,
    item_to_json,
    parse_full_export_line,
    unmarshal,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"S": "héllo"}, "héllo"),
        ({"N": "12.50"}, Decimal("12.50")),
        ({"N": "12.3456789012345678901"}, Decimal("12.3456789012345678901")),
        ({"N": "-7"}, Decimal("-7")),
        ({"B": "aGVsbG8="}, "aGVsbG8="),
        ({"BOOL": False}, False),
        ({"NULL": True}, None),
        ({"SS": ["a", "b"]}, ["a", "b"]),
        ({"NS": ["1", "2.5"]}, [Decimal("1"), Decimal("2.5")]),
        ({"BS": ["AA==", "AQ=="]}, ["AA==", "AQ=="]),
        ({"L": [{"S": "x"}, {"N": "1"}, {"NULL": True}]}, ["x", Decimal("1"), None]),
        ({"M": {"text": {"S": "t"}, "done": {"BOOL": True}}}, {"text": "t", "done": True}),
    ],
)
def test_every_type_unmarshals(typed, expected):
    assert unmarshal(typed) == expected


def test_number_literal_is_preserved_exactly():
    text, types = item_to_json({"h": {"N": "12.3456789012345678901"}, "p": {"N": "2.50"}, "w": {"N": "+5"}})
    assert text == '{"h":12.3456789012345678901,"p":2.50,"w":5}'
    assert types == {"h": "N", "p": "N", "w": "N"}


@pytest.mark.parametrize(
    "typed",
    [
        {"N": "abc"},
        {"N": 5},
        {"N": "NaN"},
        {"B": "***"},
        {"BOOL": "yes"},
        {"NULL": False},
        {"SS": "a"},
        {"X": "?"},
        {"S": "a", "N": "1"},
        "plain",
    ],
)
def test_invalid_typed_values_raise(typed):
    with pytest.raises(DynamoJsonError):
        unmarshal(typed)


def test_full_export_line_row():
    line = json.dumps(
        {"Item": {"PK": {"S": "USER#u-1"}, "SK": {"S": "TASK#t-9"}, "tags": {"SS": ["a"]}, "priority": {"S": "3"}}}
    )
    row = parse_full_export_line(line, 4)
    assert row["pk"] == "USER#u-1" and row["sk"] == "TASK#t-9" and row["parse_error"] is None
    assert json.loads(row["item_json"]) == {"PK": "USER#u-1", "SK": "TASK#t-9", "tags": ["a"], "priority": "3"}
    assert row["attribute_types"] == {"PK": "S", "SK": "S", "priority": "S", "tags": "SS"}
    assert row["raw_item"] == line and row["line_number"] == 4


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "invalid_json"),
        ('{"Keys": {}}', "missing_item"),
        ('{"Item": {"PK": {"S": "USER#1"}, "x": {"Q": "1"}}}', "invalid_dynamodb_json"),
    ],
)
def test_bad_lines_get_reasons(line, reason):
    row = parse_full_export_line(line, 1)
    assert row["parse_error"].startswith(reason) and row["raw_item"] == line
