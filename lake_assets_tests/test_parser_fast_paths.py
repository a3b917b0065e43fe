"""The parsers' fast paths give exactly what the general paths give (issue #12).

Two shortcuts keep per-record Python cheap: a flat record of known names skips `flatten` and the
alias choice (`_variables`), and rows of a line that cannot hold a lone surrogate skip `_clean`.
Each is checked against the general path on generated input, including the cases that must
*not* take the shortcut (aliases, nested groups, unknown names, escaped surrogates).
"""

from __future__ import annotations

import gzip
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from lake_assets.parsing import api_logs, dynamodb_json
from lake_assets.parsing.access_log_formats import COLUMN_OF
from lake_assets.parsing.access_log_values import _mapped_variables, _variables, access_log_fields

NAMES = [*COLUMN_OF, "identity", "response", "extra", "integration.status", "sourceIp"]
VALUES = st.one_of(
    st.sampled_from(["-", "", "200", "1795143588437", "20/Nov/2026:02:59:48 +0000", "u-1", "--5", "²"]),
    st.text(max_size=8),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
)
RECORDS = st.recursive(
    st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=12),
    lambda inner: st.dictionaries(st.sampled_from(NAMES), st.one_of(VALUES, inner), max_size=6),
    max_leaves=20,
)


@settings(max_examples=600, deadline=None)
@given(RECORDS)
def test_variables_fast_path_equals_the_general_mapping(record: dict) -> None:
    assert _variables(record) == _mapped_variables(record)


def test_the_contract_template_takes_the_fast_path_and_aliases_do_not() -> None:
    contract = {name: "1" for name in ("requestId", "ip", "integrationLatency", "userId", "status")}
    assert _variables(contract) == _mapped_variables(contract)
    # `ip` unavailable, `sourceIp` given: the general path must pick the available alias.
    aliased = {"ip": "-", "sourceIp": "10.0.0.1", "status": "200"}
    assert access_log_fields(aliased)["ip"] == "10.0.0.1"
    nested = {"identity": {"sourceIp": "10.0.0.2"}, "status": "200"}
    assert access_log_fields(nested)["ip"] == "10.0.0.2"


def _object(messages: list[str]) -> bytes:
    envelope = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/apigateway/x",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": str(i), "timestamp": 1795143589783, "message": m} for i, m in enumerate(messages)],
    }
    return gzip.compress(json.dumps(envelope).encode() + b"\n" + "\n".join(messages).encode("utf-8", "surrogatepass"))


TEXT = st.text(
    alphabet=st.sampled_from(["a", "\\", "u", "d", "c", "8", "0", '"', "é", "\udc80", "{", "}"]), max_size=30
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=4))
def test_rows_skipping_clean_are_exactly_clean(messages: list[str]) -> None:
    """Whatever the line, every row that came out is Arrow-safe: `_clean` would change nothing."""
    templated = [json.dumps({"requestId": m, "ip": "1.2.3.4", "status": "200"}) for m in messages]
    data = _object([*templated, *messages])
    for row in api_logs.parse_api_log_object(data, "api_logs/2026/11/20/00/x.gz"):
        assert row == api_logs.clean(dict(row)), row


def test_escaped_surrogates_are_still_flagged() -> None:
    message = json.dumps({"requestId": "\udc80abc", "status": "200"})  # json.dumps writes \\udc80
    assert "\\udc80" in message
    rows = list(api_logs.parse_api_log_object(_object([message]), "k.gz"))
    access = [r for r in rows if r["record_type"] == "access_log"]
    assert access and all(r["parse_error"] == "invalid_utf8: requestId" for r in access)
    assert [r["request_id"] for r in access] == ["\\x80abc", "\\x80abc"]  # the envelope event and the NDJSON line


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_dynamodb_string_encoder_is_json_dumps_without_ascii_escaping(text: str) -> None:
    assert dynamodb_json._TEXT(text) == json.dumps(text, ensure_ascii=False)


NUMBER_TEXT = st.one_of(
    st.text(
        alphabet=st.sampled_from([*"0123456789", "-", "+", ".", "e", "E", " ", "_", "\u0663", "\u2028"]), max_size=14
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["1E+9999999999", "1e999999999", " 12.50 ", "00", "-.5", ".5", "-0", "NaN", "Infinity"]),
)


def _outcome(convert, value):
    try:
        return convert(value)
    except dynamodb_json.DynamoJsonError as exc:
        return ("error", str(exc))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(NUMBER_TEXT, st.integers(), st.none()))
def test_number_literal_fast_path_equals_the_checked_path(text) -> None:
    assert _outcome(dynamodb_json._number_literal, text) == _outcome(dynamodb_json._checked_number_literal, text)


def _general_item_json(item: dict) -> tuple[str, dict[str, str]]:
    """item_to_json without its inline S/N path: every attribute through `_typed_to_json`."""
    converted = {name: dynamodb_json._typed_to_json(typed) for name, typed in item.items()}
    text = ",".join(f"{dynamodb_json._TEXT(name)}:{pair[1]}" for name, pair in converted.items())
    return "{" + text + "}", {name: pair[0] for name, pair in converted.items()}


TYPED_VALUES = st.one_of(
    st.builds(lambda v: {"S": v}, st.one_of(st.text(max_size=6), st.integers())),
    st.builds(lambda v: {"N": v}, st.one_of(NUMBER_TEXT, st.integers())),
    st.builds(lambda v: {"L": [{"S": v}]}, st.text(max_size=4)),
    st.builds(lambda v: {"S": v, "N": v}, st.text(max_size=4)),
    st.just({"BOOL": True}),
)


@settings(max_examples=800, deadline=None)
@given(st.dictionaries(st.text(max_size=5), TYPED_VALUES, max_size=5))
def test_item_to_json_inline_path_equals_the_general_path(item: dict) -> None:
    assert _outcome(dynamodb_json.item_to_json, item) == _outcome(_general_item_json, item)
