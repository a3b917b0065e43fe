"""Bounded fuzzing of the DynamoDB JSON line parsers: any input gives a row with the declared columns
and never an exception; a valid item round-trips exactly; a mutated item is parsed or flagged."""

import contextlib
import json
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lake_assets.parsing.dynamodb_json import (
    CHANGE_COLUMNS,
    EXPORT_COLUMNS,
    DynamoJsonError,
    item_to_json,
    parse_full_export_line,
    parse_incremental_line,
    unmarshal,
)

FUZZ = settings(max_examples=150, deadline=None, derandomize=True)

names = st.text(min_size=1, max_size=8)
numbers = st.one_of(
    st.integers(-(10**40), 10**40).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.sampled_from(["1E-36", "1E+130", "12.50", "-0.0", "9" * 38]),
)
binaries = st.binary(max_size=12).map(lambda b: __import__("base64").b64encode(b).decode())
scalars = st.one_of(
    st.builds(lambda v: {"S": v}, st.text(max_size=10)),
    st.builds(lambda v: {"N": v}, numbers),
    st.builds(lambda v: {"B": v}, binaries),
    st.builds(lambda v: {"BOOL": v}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda v: {"SS": v}, st.lists(st.text(max_size=5), min_size=1, max_size=3, unique=True)),
    st.builds(lambda v: {"NS": v}, st.lists(numbers, min_size=1, max_size=3)),
    st.builds(lambda v: {"BS": v}, st.lists(binaries, min_size=1, max_size=3)),
)
typed = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3)),
        st.builds(lambda v: {"M": v}, st.dictionaries(names, inner, max_size=3)),
    ),
    max_leaves=12,
)
items = st.dictionaries(names, typed, min_size=1, max_size=5)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


def assert_row(row, columns, line, number):
    assert tuple(row) == columns and row["raw_item"] == line and row["line_number"] == number
    if row["parse_error"] is None:
        return
    assert isinstance(row["parse_error"], str) and row["parse_error"]
    derived = [c for c in columns if c not in ("raw_item", "parse_error", "line_number", "pk", "sk")]
    assert all(row[c] is None for c in derived)  # an error row carries no half-parsed values


@FUZZ
@given(st.text(max_size=200), st.integers(1, 10**6))
@example('{"Item": {"PK": {"S": "\\ud800"}}}', 1)  # an unpaired surrogate: no UTF-8 form for Arrow
@example('{"Keys": {"PK": {"S": "a"}}, "Metadata": {"WriteTimestampMicros": 1e400}}', 2)
@example("[" * 50_000, 3)  # nesting beyond Python's recursion limit
def test_any_string_gives_a_row(line, number):
    assert_row(parse_full_export_line(line, number), EXPORT_COLUMNS, line, number)
    assert_row(parse_incremental_line(line, number), CHANGE_COLUMNS, line, number)


@FUZZ
@given(items)
def test_a_valid_item_round_trips_exactly(item):
    line = json.dumps({"Item": item})
    row = parse_full_export_line(line, 1)
    assert row["parse_error"] is None
    assert json.loads(row["item_dynamodb_json"]) == item  # every type, nested ones included, kept
    assert row["attribute_types"] == {name: next(iter(v)) for name, v in sorted(item.items())}
    plain = json.loads(row["item_json"], parse_float=Decimal, parse_int=Decimal)
    assert plain == {name: unmarshal(v) for name, v in item.items()}  # numbers exact (Decimal)


@FUZZ
@given(items, st.data())
def test_a_mutated_item_is_parsed_or_flagged(item, data):
    name = data.draw(st.sampled_from(sorted(item)))
    mutated = {**item, name: data.draw(json_values)}
    line = json.dumps({"Item": mutated})
    row = parse_full_export_line(line, 7)
    assert_row(row, EXPORT_COLUMNS, line, 7)
    try:
        item_to_json(mutated)
    except DynamoJsonError:
        assert row["parse_error"].startswith("invalid_dynamodb_json: ")
    else:
        assert row["parse_error"] is None and json.loads(row["item_dynamodb_json"]) == mutated


@FUZZ
@given(items, items, st.integers(0, 2**63 - 1), st.sampled_from(["typed", "bare", "text"]))
def test_changes_in_every_timestamp_shape(new, old, micros, shape):
    stamp = {"typed": {"N": str(micros)}, "bare": micros, "text": str(micros)}[shape]
    keys = {"PK": {"S": "USER#u"}, "SK": {"S": "PROFILE"}}
    line = json.dumps({"Metadata": {"WriteTimestampMicros": stamp}, "Keys": keys, "NewImage": new, "OldImage": old})
    row = parse_incremental_line(line, 3)
    assert_row(row, CHANGE_COLUMNS, line, 3)
    assert (row["parse_error"], row["write_timestamp_micros"], row["operation"]) == (None, micros, "MODIFY")
    assert json.loads(row["item_dynamodb_json"]) == new and json.loads(row["old_item_dynamodb_json"]) == old


@FUZZ
@given(json_values)
def test_helpers_raise_only_their_own_error(value):
    with contextlib.suppress(DynamoJsonError):  # any other exception fails the test
        unmarshal(value)
    metadata = {"Metadata": {"WriteTimestampMicros": value}, "Keys": {}}
    line = json.dumps(metadata)
    assert_row(parse_incremental_line(line, 1), CHANGE_COLUMNS, line, 1)
