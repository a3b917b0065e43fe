"""Exactness of the DynamoDB JSON parsers (issue #11): both WriteTimestampMicros shapes, nested types
kept in `item_dynamodb_json`, and values that have no row form flagged instead of failing a task."""

import json

import pytest

from lake_assets.parsing.dynamodb_json import parse_full_export_line, parse_incremental_line

KEYS = {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}}


def change(stamp, **images) -> str:
    return json.dumps({"Metadata": {"WriteTimestampMicros": stamp}, "Keys": KEYS, **images})


@pytest.mark.parametrize(
    "stamp",
    [{"N": "1763690712345678"}, 1763690712345678, "1763690712345678", {"N": "1763690712345678.000"}],
)
def test_write_timestamp_in_every_shape(stamp):
    row = parse_incremental_line(change(stamp, NewImage=KEYS), 1)
    assert (row["parse_error"], row["write_timestamp_micros"], row["operation"]) == (None, 1763690712345678, "UPSERT")


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"N": "1.5"}, "invalid_write_timestamp: WriteTimestampMicros 1.5 is not an integer in [0, 2^63)"),
        (-1, "invalid_write_timestamp: WriteTimestampMicros -1 is not an integer in [0, 2^63)"),
        (2**63, f"invalid_write_timestamp: WriteTimestampMicros {2**63} is not an integer in [0, 2^63)"),
        ("soon", "invalid_write_timestamp: N value 'soon' is not a number"),
        ({"S": "1"}, "invalid_write_timestamp: WriteTimestampMicros must be a number"),
        (None, "invalid_write_timestamp: Metadata.WriteTimestampMicros is missing"),
    ],
)
def test_unusable_timestamps_are_reasons(metadata, reason):
    row = parse_incremental_line(change(metadata, NewImage=KEYS), 1)
    assert (row["parse_error"], row["write_timestamp_micros"], row["operation"]) == (reason, None, None)
    assert row["pk"] == "USER#u1"  # the keys still say which item the broken change was for


NESTED = {
    "PK": {"S": "USER#u1"},
    "SK": {"S": "TASK#t1"},
    "blob_or_text": {"L": [{"B": "aGk="}, {"S": "aGk="}]},
    "set_or_list": {"M": {"set": {"SS": ["a", "b"]}, "list": {"L": [{"S": "a"}, {"S": "b"}]}}},
    "numbers": {"L": [{"N": "1E-36"}, {"N": "12.50"}, {"NS": ["1" * 38, "1E+130"]}]},
}


def test_nested_types_survive_in_the_typed_form():
    row = parse_full_export_line(json.dumps({"Item": NESTED}), 1)
    plain = json.loads(row["item_json"])
    assert plain["blob_or_text"] == ["aGk=", "aGk="]  # the plain form cannot tell B from S...
    assert plain["set_or_list"]["set"] == plain["set_or_list"]["list"]  # ...nor a set from a list
    assert json.loads(row["item_dynamodb_json"]) == NESTED  # the typed form can: exactly the export
    assert row["item_dynamodb_json"] == json.dumps(NESTED, sort_keys=True, separators=(",", ":"))
    assert '"numbers":[1E-36,12.50,[' + "1" * 38 + ",1E+130]]" in row["item_json"]  # literals kept


def test_change_images_are_kept_typed_too():
    old = {**KEYS, "tags": {"L": [{"S": "a"}]}}
    new = {**KEYS, "tags": {"SS": ["a"]}}
    row = parse_incremental_line(change({"N": "5"}, NewImage=new, OldImage=old), 1)
    assert row["item_json"] == row["old_item_json"]  # indistinguishable in plain JSON
    assert (json.loads(row["item_dynamodb_json"]), json.loads(row["old_item_dynamodb_json"])) == (new, old)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (change({"N": "5"}, NewImage=[1]), "invalid_dynamodb_json: NewImage must be an object"),
        (change({"N": "5"}, NewImage=KEYS, OldImage="x"), "invalid_dynamodb_json: OldImage must be an object"),
        (
            change({"N": "5"}, NewImage={**KEYS, "t": {"S": "\ud800"}}),
            "invalid_unicode: a value holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)",
        ),
    ],
)
def test_images_without_a_row_form_are_reasons(line, reason):
    row = parse_incremental_line(line, 1)
    assert row["parse_error"] == reason
    assert row["item_json"] is row["item_dynamodb_json"] is row["operation"] is None
