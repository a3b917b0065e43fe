"""Silver and Gold for the DuckDB contender: the lake's Spark transforms as DuckDB SQL.

Each query mirrors one Spark transform in `lake_assets/transforms/` (named next to it), with the
same routing, first-seen dedupe, quarantine reasons (in the same order), exact decimals, keyed
e-mail hash and Gold arithmetic, so its Parquet output can be compared with the Spark lake's row
for row (`compare.py`). The session runs in UTC, as the Spark session does.

Where the two engines' primitives differ, the DuckDB side agrees on every value the sample data
holds (the comparison proves it), but not necessarily on odd inputs the sample never produces:
- text → timestamp: Spark's `try_cast` also takes partial forms (`2026`, `2026-11`) and a few
  zone spellings DuckDB's `TRY_CAST(… AS TIMESTAMPTZ)` rejects (or the reverse);
- regexes run on RE2, not java.util.regex: `$` does not match before a final newline, `\\s` has
  no vertical tab, `.` does match U+0085/U+2028 (the e-mail redaction, the key patterns);
- `lower()` of the e-mail before hashing is DuckDB's Unicode lowercasing, not Java's;
- a text attribute holding a JSON number or object is rendered by DuckDB's JSON writer, not
  Jackson's (the typed numeric attributes never go through text, as in Spark).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
from duckdb_sql import _q, partitions, redact, source, write

REQUEST_STATUSES = "('requestTimeEpoch', 'requestTime', 'cloudwatch_event_timestamp')"
TASK_STATUSES = "('OPEN', 'IN_PROGRESS', 'DONE', 'ARCHIVED')"
NUMBER = r"^ *[+-]?([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))? *$"  # transforms/entity_values.py
SNAPSHOT_LOOKBACK_DAYS = 31


def silver_api_requests(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> dict[str, int]:
    """transforms/silver_requests.route_requests over Bronze D and D+1 (arrival partitions)."""
    d = f"DATE {_q(day.isoformat())}"
    bronze = source(lake, "bronze", "api_requests", [day.isoformat(), (day + timedelta(days=1)).isoformat()])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE routed AS
        WITH b AS (SELECT *, CAST(event_time AS DATE) AS event_date FROM {bronze}),
        owned AS (
            SELECT *, dt AS arrival_date,
                CASE WHEN record_type = 'control_message' THEN 'control_message' ELSE coalesce(
                    CASE WHEN parse_error IS NOT NULL THEN parse_error
                         WHEN request_id IS NULL THEN 'missing_request_id'
                         WHEN event_time IS NULL THEN 'no_usable_time'
                         WHEN event_date <> {d} THEN 'event_date_outside_window:' || CAST(event_date AS VARCHAR)
                         WHEN status IS NULL THEN 'missing_or_invalid_status' END,
                    CASE WHEN request_id IS NULL THEN 'rule:request_id_not_null'
                         WHEN event_time IS NULL THEN 'rule:event_time_not_null'
                         WHEN time_source IS NULL THEN 'rule:time_source_not_null'
                         WHEN time_source NOT IN {REQUEST_STATUSES} THEN 'rule:time_source_in_accepted_values'
                         WHEN status IS NULL THEN 'rule:status_not_null'
                         WHEN NOT (status BETWEEN 100 AND 599) THEN 'rule:status_in[100,599]'
                         WHEN response_length < 0 THEN 'rule:response_length>=0'
                         WHEN response_latency_ms < 0 THEN 'rule:response_latency_ms>=0'
                         WHEN integration_latency_ms < 0 THEN 'rule:integration_latency_ms>=0'
                         WHEN dt IS NULL THEN 'rule:arrival_date_not_null'
                         WHEN source_key IS NULL THEN 'rule:source_key_not_null'
                         WHEN ingested_at IS NULL THEN 'rule:ingested_at_not_null' END) END AS reason
            FROM b
            WHERE CASE WHEN event_date IS NOT NULL AND (event_date = dt OR event_date = dt - 1)
                       THEN event_date ELSE dt END = {d})
        SELECT *,
            CASE WHEN record_type = 'control_message' THEN 'skipped'
                 WHEN reason IS NOT NULL THEN 'quarantine'
                 WHEN row_number() OVER (PARTITION BY request_id
                                         ORDER BY ingested_at, source_key, record_index) = 1 THEN 'silver'
                 ELSE 'duplicate' END AS disposition
        FROM owned""")
    requests = """
        SELECT request_id, event_time, time_source, ip, http_method, route_key, path, status, protocol,
               response_length, response_latency_ms, integration_latency_ms, user_agent, user_id,
               arrival_date, arrival_date > event_date AS is_late_arrival, source_key, ingested_at
        FROM routed WHERE disposition = 'silver'"""
    quarantine = f"""
        SELECT {redact("reason")} AS reason, arrival_date, source_key, record_index, record_type, request_id,
               event_time, {redact("raw")} AS raw, ingested_at
        FROM routed WHERE disposition = 'quarantine'"""
    rows = {
        "silver/api_requests": write(con, requests, lake, "silver/api_requests", day),
        "silver/api_requests_quarantine": write(con, quarantine, lake, "silver/api_requests_quarantine", day),
    }
    con.execute("DROP TABLE routed")
    return rows


ITEM_COLUMNS = "pk, sk, item_json, item_dynamodb_json, attribute_types, raw_item, parse_error, source_key, line_number"


def current_items(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> str:
    """builds/silver.current_items + transforms/cdc.with_fate: the items at the end of D, with the
    ranking columns (`_ts`, `_src`) that order a key's duplicates in `silver_entities`."""
    earliest = (day - timedelta(days=SNAPSHOT_LOOKBACK_DAYS)).isoformat()
    snapshots = [d for d in partitions(lake, "bronze", "tasks_export") if earliest <= d <= day.isoformat()]
    if not snapshots:
        raise FileNotFoundError(f"no bronze/tasks_export snapshot between {earliest} and {day}")
    base_dt = snapshots[-1]
    snapshot = source(lake, "bronze", "tasks_export", [base_dt])
    change_days = [d for d in partitions(lake, "bronze", "tasks_changes") if base_dt <= d <= day.isoformat()]
    if not change_days:
        return f"SELECT {ITEM_COLUMNS}, export_id, 0::BIGINT AS _ts, 0 AS _src FROM {snapshot}"
    snap_us = con.execute(f"SELECT epoch_us(max(export_time)) FROM {snapshot}").fetchone()[0]
    until_us = int(datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC).timestamp() * 1_000_000)
    changes = source(lake, "bronze", "tasks_changes", change_days)
    order = "_ts DESC NULLS LAST, _src DESC, source_key DESC, line_number DESC"
    return f"""
        WITH rows AS (
            SELECT {ITEM_COLUMNS}, export_id, {snap_us}::BIGINT AS _ts, 'SNAPSHOT' AS _op, 0 AS _src FROM {snapshot}
            UNION ALL
            SELECT {ITEM_COLUMNS}, export_id, write_timestamp_micros, operation, 1 FROM {changes}
            WHERE (write_timestamp_micros > {snap_us} AND write_timestamp_micros <= {until_us})
               OR write_timestamp_micros IS NULL),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY pk, sk ORDER BY {order}) AS _n,
                   lag(_src) OVER (PARTITION BY pk, sk ORDER BY {order}) AS _prev
            FROM rows WHERE pk IS NOT NULL AND sk IS NOT NULL AND parse_error IS NULL)
        SELECT {ITEM_COLUMNS}, export_id, _ts, _src FROM ranked
        WHERE (_n = 1 AND _op <> 'REMOVE') OR (_n > 1 AND _src = 0 AND _prev = 0)
        UNION ALL
        SELECT {ITEM_COLUMNS}, export_id, _ts, _src FROM rows
        WHERE NOT coalesce(pk IS NOT NULL AND sk IS NOT NULL AND parse_error IS NULL, false)"""


def _fits(text: str, precision: int, scale: int) -> str:
    """entity_values.decimal_fits: `text` is exactly a DECIMAL(precision, scale), decided on its digits."""
    part = lambda i: f"regexp_extract({text}, {_q(NUMBER)}, {i})"  # noqa: E731
    exp_text = part(3)
    exponent = (
        f"(CASE WHEN {exp_text} = '' THEN 0 "
        f"WHEN length(regexp_replace({exp_text}, '[+-]', '', 'g')) <= 9 THEN TRY_CAST({exp_text} AS INTEGER) END)"
    )
    digits = f"({part(1)} || {part(2)})"
    unpadded = f"regexp_replace({digits}, '^0+', '')"
    point = f"(length({part(1)}) + {exponent} - (length({digits}) - length({unpadded})))"
    significant = f"regexp_replace({unpadded}, '0+$', '')"
    fits = (
        f"(length({significant}) = 0 OR (greatest({point}, 0) <= {precision - scale} "
        f"AND greatest(length({significant}) - {point}, 0) <= {scale}))"
    )
    return f"({_is_number(text)} AND coalesce({exponent} IS NOT NULL AND {fits}, false))"


def _is_number(text: str) -> str:
    mantissa = f"regexp_extract({text}, {_q(NUMBER)}, 1) || regexp_extract({text}, {_q(NUMBER)}, 2)"
    return f"coalesce(regexp_matches({text}, {_q(NUMBER)}) AND regexp_matches({mantissa}, '[0-9]'), false)"


def _exact_decimal(text: str, precision: int, scale: int) -> str:
    return f"(CASE WHEN {_fits(text, precision, scale)} THEN CAST(trim({text}) AS DECIMAL({precision}, {scale})) END)"


def _number_text(name: str) -> str:
    """entity_values.number_text: the exact literal of `N`, or of a number stored as `S`."""
    typed = f"json_extract(item_dynamodb_json, '$.{name}')"
    return (
        f"coalesce(json_extract_string({typed}, '$.N'), json_extract_string({typed}, '$.S'), "
        f"CASE WHEN {typed} IS NULL THEN a_{name} END)"
    )


TEXT_ATTRIBUTES = (
    *("title", "status", "created_at", "updated_at", "due_date", "completed_at", "tags", "checklist", "email"),
    *("display_name", "plan", "priority", "estimate_hours"),
)


def _json_list(text: str, then: str) -> str:
    """`then` when the attribute text is a JSON array (Spark's from_json / json_array_length give
    NULL for anything else)."""
    return f"(CASE WHEN json_valid({text}) THEN CASE WHEN json_type({text}) = 'ARRAY' THEN {then} END END)"


def _wrong(name: str, column: str | None = None) -> str:
    return f"WHEN a_{name} IS NOT NULL AND {column or name} IS NULL THEN '{name}_wrong_type'"


def silver_entities(con: duckdb.DuckDBPyConnection, lake: Path, day: date) -> dict[str, int]:
    """transforms/silver_entities.type_entities over the items at the end of D."""
    attrs = ", ".join(f"json_extract_string(item_json, '$.{n}') AS a_{n}" for n in TEXT_ATTRIBUTES)
    estimate = "estimate_text"
    whole = _exact_decimal("priority_text", 10, 0)
    tags = _json_list("a_tags", """from_json(a_tags, '["VARCHAR"]')""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE items AS
        WITH a AS (
            SELECT *, {attrs},
                row_number() OVER (PARTITION BY pk, sk ORDER BY parse_error IS NULL DESC, _ts DESC NULLS LAST,
                                   _src DESC, source_key DESC, line_number DESC) AS _dup,
                CASE WHEN sk = 'PROFILE' THEN 'user' WHEN regexp_extract(sk, '^TASK#(.+)$', 1) <> '' THEN 'task'
                     ELSE 'other' END AS entity,
                regexp_extract(pk, '^USER#(.+)$', 1) AS user_id,
                regexp_extract(sk, '^TASK#(.+)$', 1) AS task_id
            FROM ({current_items(con, lake, day)})),
        n AS (SELECT *, {_number_text("priority")} AS priority_text, {_number_text("estimate_hours")} AS {estimate}
              FROM a),
        t AS (
            SELECT *, a_title AS title, upper(trim(a_status)) AS status,
                CASE WHEN abs({whole}) <= 2147483647 THEN CAST({whole} AS INTEGER) END AS priority,
                TRY_CAST(a_created_at AS TIMESTAMPTZ) AS created_at,
                TRY_CAST(a_updated_at AS TIMESTAMPTZ) AS updated_at,
                CAST(TRY_CAST(a_due_date AS TIMESTAMPTZ) AS DATE) AS due_date,
                TRY_CAST(a_completed_at AS TIMESTAMPTZ) AS completed_at,
                {tags} AS tags,
                {_exact_decimal(estimate, 38, 20)} AS estimate_hours,
                {_json_list("a_checklist", "CAST(json_array_length(a_checklist) AS INTEGER)")} AS checklist_items,
                keyed_hash(lower(trim(a_email))) AS email_hash,
                a_display_name AS display_name, a_plan AS plan
            FROM n)
        SELECT *, coalesce(
            CASE WHEN parse_error IS NOT NULL THEN parse_error
                 WHEN pk IS NULL OR sk IS NULL THEN 'missing_key'
                 WHEN _dup > 1 THEN 'duplicate_key_in_export'
                 WHEN entity = 'other' THEN NULL
                 WHEN user_id = '' THEN 'unparseable_pk'
                 WHEN entity = 'task' AND NOT status IN {TASK_STATUSES} THEN 'invalid_status'
                 WHEN entity = 'task' AND created_at IS NULL THEN 'missing_or_invalid_created_at' END,
            CASE WHEN entity = 'task' THEN CASE
                 WHEN a_priority IS NOT NULL AND priority IS NULL THEN 'priority_wrong_type'
                 WHEN a_estimate_hours IS NOT NULL AND NOT {_is_number(estimate)} THEN 'estimate_hours_wrong_type'
                 WHEN {_is_number(estimate)} AND estimate_hours IS NULL THEN 'estimate_hours_not_representable'
                 {_wrong("updated_at")} {_wrong("due_date")} {_wrong("completed_at")} {_wrong("tags")}
                 {_wrong("checklist", "checklist_items")} END
                 WHEN entity = 'user' THEN CASE {_wrong("created_at")} END END,
            CASE WHEN entity = 'task' THEN CASE
                 WHEN user_id IS NULL THEN 'rule:user_id_not_null'
                 WHEN task_id IS NULL THEN 'rule:task_id_not_null'
                 WHEN status IS NULL THEN 'rule:status_not_null'
                 WHEN status NOT IN {TASK_STATUSES} THEN 'rule:status_in_accepted_values'
                 WHEN NOT (priority BETWEEN 1 AND 5) THEN 'rule:priority_in[1,5]'
                 WHEN created_at IS NULL THEN 'rule:created_at_not_null'
                 WHEN estimate_hours < 0 THEN 'rule:estimate_hours>=0'
                 WHEN checklist_items < 0 THEN 'rule:checklist_items>=0'
                 WHEN export_id IS NULL THEN 'rule:export_id_not_null' END
                 WHEN entity = 'user' THEN CASE
                 WHEN user_id IS NULL THEN 'rule:user_id_not_null'
                 WHEN NOT regexp_matches(email_hash, '^[0-9a-f]{{64}}$') THEN 'rule:email_hash_matches_pattern'
                 WHEN export_id IS NULL THEN 'rule:export_id_not_null' END END) AS reason
        FROM t""")
    tasks = """
        SELECT user_id, task_id, title, status, priority, created_at, updated_at, due_date, completed_at, tags,
               estimate_hours, checklist_items, export_id
        FROM items WHERE reason IS NULL AND entity = 'task'"""
    users = """SELECT user_id, email_hash, display_name, plan, created_at, export_id
               FROM items WHERE reason IS NULL AND entity = 'user'"""
    quarantine = f"""
        SELECT {redact("reason")} AS reason, entity, {redact("pk")} AS pk, {redact("sk")} AS sk, source_key,
               line_number, {redact("raw_item")} AS raw_item, export_id
        FROM items WHERE reason IS NOT NULL"""
    rows = {
        "silver/tasks": write(con, tasks, lake, "silver/tasks", day),
        "silver/users": write(con, users, lake, "silver/users", day),
        "silver/tasks_quarantine": write(con, quarantine, lake, "silver/tasks_quarantine", day),
    }
    con.execute("DROP TABLE items")
    return rows
