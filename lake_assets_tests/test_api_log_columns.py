"""The bulk (Arrow) access-log parser equals the row parser, row for row, on anything.

`api_log_builders.parse` already holds the two equal on every object the parser tests build; here
the contract's own records are varied value by value (where bulk typing could differ from
`access_log_values`), mixed with every other kind of line, and a whole generated day is compared.
"""

import datetime as dt
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake_assets.core.failures import LandingInputError
from lake_assets.core.landing import LocalLanding
from lake_assets.parsing import api_logs
from lake_assets.parsing.access_log_formats import TEMPLATE_FIELDS
from lake_assets.parsing.api_log_columns import parse_api_log_table
from lake_assets.parsing.api_logs import parse_api_log_object
from lake_assets.transforms.bronze_tasks import api_log_batches
from lake_assets_tests.api_log_builders import ARROW, CONTRACT_RECORD, INGESTED_AT, assert_same_table, envelope
from lake_sample.generator import generate_sample

CASES = settings(max_examples=200, deadline=None, derandomize=True)
CONTRACT = CONTRACT_RECORD
# Values where typing in bulk could part from `access_log_values`: ranges, signs, zeros, digits
# that are not ASCII, whitespace and newlines around numbers, unavailable markers.
TRICKY = st.sampled_from(
    ["-", "", "0", "-0", "007", "+7", "2147483647", "2147483648", "-2147483647", "-2147483648",
     "999999999999999999", "1000000000000000000", "-999999999999999999", "1e3", "1.0", "²", "٣",
     " 1", "1 ", "200\n", "\n200", "abc", "null", "é", "\u0000", "x\\y", "1763769598123", "17637695981230000"]
)  # fmt: skip
VALUE = st.one_of(TRICKY, st.text(max_size=12))
ODD = st.sampled_from(
    [
        '{"requestId": 1}',  # not the contract: the row parser types it
        "not json at all",
        '203.0.113.7 - - [21/Nov/2026:23:59:58 +0000] "GET /x HTTP/1.1" 200 5 r-9',
        "[1, 2]",
        '{"requestId": "r", "status": 200}',
        '{"truncated": "',
        "",
    ]
)


def _record(changes: dict[str, str], drop: str | None, number: str | None) -> str:
    record = {**CONTRACT, **changes}
    if drop:
        record.pop(drop)
    if number:
        record[number] = 5  # an unquoted number: Arrow refuses the block, which is then halved
    return json.dumps(record)


RECORD = st.builds(
    _record,
    st.dictionaries(st.sampled_from(TEMPLATE_FIELDS), VALUE, max_size=4),
    st.one_of(st.none(), st.none(), st.sampled_from(TEMPLATE_FIELDS)),
    st.one_of(st.none(), st.none(), st.none(), st.sampled_from(TEMPLATE_FIELDS)),
)


def _objects(lines: list[str], variant: int) -> bytes:
    if variant == 0:  # extracted messages: gzip of NDJSON
        return gzip.compress("\n".join(lines).encode(), mtime=0)
    members = [envelope(*lines[i : i + 3]) for i in range(0, len(lines), 3)] or [envelope()]
    return b"".join(gzip.compress(json.dumps(m).encode(), mtime=0) for m in members)


@CASES
@given(st.lists(st.one_of(RECORD, RECORD, RECORD, ODD), min_size=1, max_size=80), st.integers(0, 1))
def test_bulk_typing_equals_the_row_parser(lines: list[str], variant: int) -> None:
    data = _objects(lines, variant)
    key = "api_logs/2026/11/21/23/x.gz"
    assert_same_table(data, key, list(parse_api_log_object(data, key)))


def test_contract_records_never_reach_the_row_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk path is really taken: with the row parser's typing broken, contract records still
    come out right (and a record that is not the contract's shows the breakage)."""
    lines = [json.dumps({**CONTRACT, "requestId": f"r-{i}"}) for i in range(300)]
    data = _objects(lines, 1)
    key = "api_logs/2026/11/21/23/x.gz"
    expected = list(parse_api_log_object(data, key))

    def broken(*args: object) -> None:
        raise AssertionError("row parser used")

    monkeypatch.setattr(api_logs, "access_log_fields", broken)
    table = parse_api_log_table(data, key, ARROW, {"ingested_at": INGESTED_AT})
    assert table.num_rows == 300
    assert table.equals(pa.Table.from_pylist([{**r, "ingested_at": INGESTED_AT} for r in expected], ARROW))
    odd = parse_api_log_table(_objects(['{"requestId": "r"}'], 1), key, ARROW, {"ingested_at": INGESTED_AT})
    assert odd["parse_error"].to_pylist() == ["parser_error: AssertionError"]


def test_a_generated_day_is_identical(tmp_path: Path) -> None:
    generate_sample(tmp_path, dt.date(2026, 11, 20), 1, 3000, 7)
    objects = sorted(p for p in (tmp_path / "api_logs").rglob("*") if p.is_file())
    assert len(objects) > 3
    for path in objects:
        key = str(path.relative_to(tmp_path))
        data = path.read_bytes()
        assert_same_table(data, key, list(parse_api_log_object(data, key)))


def test_a_parser_failure_is_named_with_the_last_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug outside the per-line safety net fails both parsers; the row parser then names where."""
    key = "api_logs/2026/11/21/23/x.gz"
    (tmp_path / key).parent.mkdir(parents=True)
    members = [gzip.compress(json.dumps(envelope(json.dumps(CONTRACT))).encode(), mtime=0) for _ in range(2)]
    (tmp_path / key).write_bytes(b"".join(members))
    real, calls = api_logs.chunk_meta, []

    def fails_on_the_second_chunk(chunk: object, source_key: str) -> dict:
        calls.append(source_key)
        if len(calls) % 2 == 0:
            raise KeyError("bug")
        return real(chunk, source_key)  # type: ignore[arg-type]

    monkeypatch.setattr(api_logs, "chunk_meta", fails_on_the_second_chunk)
    listing = pa.RecordBatch.from_pylist(
        [{"key": key, "landed_at": INGESTED_AT}],
        pa.schema([("key", pa.string()), ("landed_at", ARROW.field("ingested_at").type)]),
    )
    with pytest.raises(LandingInputError) as failure:
        list(api_log_batches(LocalLanding(str(tmp_path)), ARROW, iter([listing])))
    assert str(failure.value).startswith(f"{key} after record 0: KeyError: 'bug' (near ")
