"""Parse a Firehose access-log object straight into Arrow columns: the contract's records in bulk.

`api_logs.parse_api_log_object` types one record at a time in Python, about 30 µs per request
(dict per row, `access_log_fields`, then `RecordBatch.from_pylist`). Nearly every record of a real
day is the contract's template exactly: a flat JSON object of its 14 names, every value a string,
a usable `requestTimeEpoch`. Such records need no per-record choices, so here they are only
collected (the envelopes are still decoded in Python), decoded together by Arrow's JSON reader
against the template (14 string fields; anything else makes it refuse the block, which is then
halved), and typed a column at a time (`api_log_typing`): about 14 µs per request in all.

Every other row (control messages, CLF/CSV/XML lines, nested or partial templates, a `"-"` epoch,
malformed fragments, lines that may hold undecodable bytes) comes from the row parser's own
functions, unchanged, and is put back at its place (`record_index`). So the output equals
`parse_api_log_object`'s row for row: `api_log_builders.parse` checks that on every object the
parser tests build, and `test_api_log_columns.py` on edge values and a generated day.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from operator import itemgetter
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from lake_assets.parsing import api_logs as rows
from lake_assets.parsing.access_log_formats import TEMPLATE_FIELDS
from lake_assets.parsing.api_log_typing import contract_columns, usable_rows
from lake_assets.parsing.gzip_members import unwrap

__all__ = ["parse_api_log_table"]

_TEMPLATE = frozenset(TEMPLATE_FIELDS)
_VALUES = itemgetter(*TEMPLATE_FIELDS)
_WS = " \t\r\n"
_PARSE = pj.ParseOptions(
    explicit_schema=pa.schema([(name, pa.string()) for name in TEMPLATE_FIELDS]), unexpected_field_behavior="error"
)
_READ = pj.ReadOptions(use_threads=False, block_size=16 << 20)
_SMALLEST_BLOCK = 64
_NO_VALUES: tuple[None, ...] = (None,) * len(TEMPLATE_FIELDS)
# Provenance columns, the same for every record of an envelope (or of an NDJSON chunk).
_META = ("source_key", "source_format", "compression", "log_group", "log_stream", "log_owner",
         "log_subscription_filters", "log_policy_level")  # fmt: skip


class _Pending(NamedTuple):
    """A record that may be the contract's: decided in bulk (`_decode`), else `fallback()` gives its rows."""

    text: str  # the record's JSON text, which is also its `raw`
    meta: int  # index into the builder's list of distinct provenance tuples
    event_id: str | None
    event_time: int | None
    fallback: Callable[[], list[dict[str, Any]]]


def _contract_values(record: Any) -> tuple[str | None, ...] | None:
    """The record's values when it is exactly the contract's template, flat and all strings
    (`access_log_fields` then reduces to typing each value on its own), else None."""
    if type(record) is not dict or record.keys() != _TEMPLATE:
        return None
    values: tuple[str, ...] = _VALUES(record)
    return values if set(map(type, values)) == {str} else None


def _screened(text: str) -> bool:
    """Worth a bulk decode: one JSON object on one line (Arrow's reader splits at newlines)."""
    return text[:1] == "{" and text[-1:] == "}" and "\n" not in text


class _Builder:
    """Rows of one object in order: possible contract records as `_Pending`, the rest as row dicts."""

    def __init__(self) -> None:
        self.entries: list[_Pending | dict[str, Any]] = []
        self.metas: list[tuple[Any, ...]] = []
        self._meta_ids: dict[int, int] = {}
        self._keep: list[dict[str, Any]] = []  # keeps each keyed dict alive, so its id is never reused

    def meta_id(self, meta: dict[str, Any]) -> int:
        """Provenance shared by many rows is stored once (keyed by the dict's identity)."""
        found = self._meta_ids.get(id(meta))
        if found is None:
            found = self._meta_ids[id(meta)] = len(self.metas)
            self._keep.append(meta)
            self.metas.append(tuple(meta.get(k) for k in _META))
        return found

    def line(self, line: bytes, meta: dict[str, Any], dirty_key: bool) -> None:
        """One line of a decompressed chunk; anything unusual is left to `api_logs.line_rows`."""
        text = "" if dirty_key or len(line) > rows.MAX_LINE_BYTES else line.decode("utf-8", "surrogateescape")
        if not text or rows.may_hold_surrogate(text):
            self.entries.extend(rows.line_rows(line, meta, dirty_key))
            return
        record = text.strip(_WS)
        if _screened(record) and '"messageType"' not in record:  # an NDJSON access-log record
            fallback = functools.partial(rows.line_rows, line, meta, dirty_key)
            self.entries.append(_Pending(record, self.meta_id(meta), None, None, fallback))
            return
        start = len(self.entries)
        try:
            self._documents(text, meta)
        except Exception:  # whatever went wrong, the row parser decides what this line yields
            del self.entries[start:]
            self.entries.extend(rows.line_rows(line, meta, dirty_key))

    def _documents(self, text: str, meta: dict[str, Any]) -> None:
        """`api_logs.document_rows`, with the envelopes' events left for bulk decoding."""
        for value, raw in rows.split_documents(text):
            if value is None or value is rows.TOO_DEEP:  # the row parser's way with the rest of the line
                self.entries.extend(rows.document_rows(raw, meta))
            elif "messageType" in value:
                self._envelope(value, raw, meta)
            else:
                self.entries.append(rows.access_row(value, "json", raw, meta))

    def _envelope(self, doc: dict[str, Any], raw: str, meta: dict[str, Any]) -> None:
        events = doc.get("logEvents")
        if doc.get("messageType") != "DATA_MESSAGE" or not isinstance(events, list):
            self.entries.extend(rows.envelope_records(doc, raw, meta))
            return
        env_id = self.meta_id(rows.envelope_meta(doc, meta))
        for event in events:
            if type(event) is not dict:
                self.entries.extend(_event_rows(doc, raw, meta, event))
                continue
            message, event_id, stamp = event.get("message"), event.get("id"), event.get("timestamp")
            if (
                type(message) is not str
                or not _screened(message)
                or "extractedFields" in event
                or (event_id is not None and type(event_id) is not str)
            ):
                self.entries.extend(_event_rows(doc, raw, meta, event))
                continue
            event_time = stamp * 1000 if type(stamp) is int and 0 <= stamp < rows.MAX_EPOCH_MS else None
            text_id = None if event_id in (None, "-", "") else event_id
            single = functools.partial(_event_rows, doc, raw, meta, event)
            self.entries.append(_Pending(message, env_id, text_id, event_time, single))


def _event_rows(doc: dict[str, Any], raw: str, meta: dict[str, Any], event: Any) -> list[dict[str, Any]]:
    """The rows the row parser makes of one event of an envelope."""
    return rows.envelope_records({**doc, "logEvents": [event]}, raw, meta)


def _read(texts: list[str]) -> pa.Table | None:
    """The 14 template variables of each text, or None when Arrow refuses the block (a value
    that is not a string, an unknown or repeated name, broken JSON) or splits it differently."""
    try:
        table = pj.read_json(io.BytesIO("\n".join(texts).encode()), read_options=_READ, parse_options=_PARSE)
    except pa.ArrowInvalid:
        return None
    return table if table.num_rows == len(texts) else None


def _decode(texts: list[str]) -> pa.Table:
    """`_read`, halving a refused block so one odd record costs a few re-reads, not the object;
    small remainders are decoded one by one in Python (all-null rows: not the contract's)."""
    table = _read(texts)
    if table is not None:
        return table
    if len(texts) > _SMALLEST_BLOCK:
        half = len(texts) // 2
        return pa.concat_tables([_decode(texts[:half]), _decode(texts[half:])])
    decoded = []
    for text in texts:
        try:
            decoded.append(_contract_values(json.loads(text)) or _NO_VALUES)
        except (ValueError, RecursionError):
            decoded.append(_NO_VALUES)
    columns = list(zip(*decoded, strict=True))
    return pa.Table.from_arrays([pa.array(c, pa.string()) for c in columns], schema=_PARSE.explicit_schema)


def _fast_columns(
    variables: pa.Table, fast: list[_Pending], metas: list[tuple[Any, ...]], schema: pa.Schema
) -> dict[str, Any]:
    """The Bronze columns of contract records: their variables typed (`contract_columns`), then
    their raw text and provenance."""
    out = contract_columns(variables, schema)
    out["raw"] = pa.array([f.text for f in fast], pa.string())
    out["log_event_id"] = pa.array([f.event_id for f in fast], pa.string())
    event_time = pa.array([f.event_time for f in fast], pa.int64())
    out["log_event_time"] = event_time.cast(schema.field("log_event_time").type)
    meta_ids = pa.array([f.meta for f in fast], pa.int32())
    for i, col in enumerate(_META):
        out[col] = pa.array([m[i] for m in metas], schema.field(col).type).take(meta_ids)
    return out


def _builder(data: bytes, source_key: str) -> _Builder:
    builder = _Builder()
    dirty_key = rows.has_surrogate(source_key)
    for chunk in unwrap(data):
        meta = rows.chunk_meta(chunk, source_key)
        unreadable = rows.unreadable_row(chunk, meta)
        if unreadable is not None:
            builder.entries.append(unreadable)
            continue
        for line in rows.split_lines(chunk.data):
            builder.line(line, meta, dirty_key)
    return builder


def parse_api_log_table(data: bytes, source_key: str, schema: pa.Schema, constants: dict[str, Any]) -> pa.Table:
    """Every row `parse_api_log_object(data, source_key)` yields, as one table of `schema`, with
    `constants` (column → value) on every row.

    Should anything fail on the way (a parser bug), the row parser parses the whole object: its
    per-line safety net then decides exactly as it always does, or its error propagates.
    """
    try:
        return _bulk_table(data, source_key, schema, constants)
    except Exception:
        rows_out = [{**row, **constants} for row in rows.parse_api_log_object(data, source_key)]
        return pa.Table.from_pylist(rows_out, schema)


def _bulk_table(data: bytes, source_key: str, schema: pa.Schema, constants: dict[str, Any]) -> pa.Table:
    builder = _builder(data, source_key)
    pending = [e for e in builder.entries if type(e) is _Pending]
    decoded = _decode([p.text for p in pending]) if pending else None
    usable = usable_rows(decoded) if decoded is not None else pa.array([], pa.bool_())
    usable_at = iter(usable.to_pylist())
    slow: list[dict[str, Any]] = []
    fast: list[_Pending] = []
    fast_index: list[int] = []
    for entry in builder.entries:
        if type(entry) is _Pending:
            if next(usable_at):
                fast_index.append(len(slow) + len(fast))
                fast.append(entry)
                continue
            produced = entry.fallback()
        else:
            produced = [entry]  # type: ignore[list-item]
        for row in produced:
            row["record_index"] = len(slow) + len(fast)
            row.update(constants)
            slow.append(row)
    tables = [pa.Table.from_pylist(slow, schema)] if slow else []
    if fast and decoded is not None:
        columns = _fast_columns(decoded.filter(usable), fast, builder.metas, schema)
        columns["record_index"] = pa.array(fast_index, pa.int32())
        n = len(fast)
        for field in schema:
            if field.name not in columns:
                value = constants.get(field.name)
                columns[field.name] = (
                    pa.nulls(n, field.type) if value is None else pa.repeat(pa.scalar(value, field.type), n)
                )
        tables.append(pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema))
    if not tables:
        return schema.empty_table()
    table = pa.concat_tables(tables)
    return table.take(pc.sort_indices(table["record_index"])) if slow and fast else table
