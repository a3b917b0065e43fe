"""Silver `api_requests`: Bronze rows routed by *event* date, validated and de-duplicated.

Ownership rule (so every Bronze row lands in exactly one Silver partition): a row that arrived on
day A with event date E belongs to partition E when E is A or A-1 (late arrivals cross midnight),
and to partition A otherwise (no usable time, or a clock too far off: quarantined there). Silver D
therefore reads Bronze D and D+1. Each owned row gets one disposition: `silver`, `quarantine`
(with a reason), `duplicate` (a repeated requestId) or `skipped` (a control message, by contract).
A row that breaks a row-level rule of the `SilverApiRequests` contract (a negative latency, a status
outside 100–599) is quarantined with the rule as its reason (`rule:response_latency_ms>=0`), so the
blocking contract checks judge only what a partition as a whole can get wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TypedDict

import pandera.pyspark as pandera
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lake_assets.quality.fields import optional, required
from lake_assets.quality.row_rules import first_violation, reason_key
from lake_assets.transforms.pii import redact_pii

# Column types of the pandera contracts below. pandera takes a Spark type class as a column
# annotation (and `Annotated[cls, *args]` for a parameterised one); unlike an instance such as
# `T.StringType()`, that is also a valid static type.
S = T.StringType
L = T.LongType
INT = T.IntegerType
TS = T.TimestampType


class SilverApiRequests(pandera.DataFrameModel):
    """One row per unique, usable API request whose event time (UTC) is on day D."""

    request_id: S = required("API Gateway requestId; unique per partition (re-deliveries are dropped as duplicates).")
    event_time: TS = required("When the request happened (UTC); its date is the partition.")
    time_source: S = required(
        "Which field event_time comes from: requestTimeEpoch, requestTime or the CloudWatch event timestamp.",
        isin=["requestTimeEpoch", "requestTime", "cloudwatch_event_timestamp"],
    )
    ip: S = optional("Client IP address.")
    http_method: S = optional("HTTP method (GET, POST…).")
    route_key: S = optional("API route, e.g. 'GET /tasks'; null when the stage logs none.")
    path: S = optional("Request path as called, with its ids.")
    status: INT = required("HTTP status code (100–599).", in_range={"min_value": 100, "max_value": 599})
    protocol: S = optional("HTTP protocol version, e.g. HTTP/1.1.")
    response_length: L = optional("Response body size in bytes.", ge=0)
    response_latency_ms: L = optional("Time from request to response, in milliseconds.", ge=0)
    integration_latency_ms: L = optional("Time spent in the backend integration, in milliseconds.", ge=0)
    user_agent: S = optional("Client User-Agent header.")
    user_id: S = optional("Authenticated user's id; null for anonymous calls.")
    arrival_date: T.DateType = required("UTC date the record landed (its Bronze partition).")
    is_late_arrival: T.BooleanType = required(
        "True when the record landed after its event date (arrived after midnight)."
    )
    source_key: S = required("Landing object the record was read from (provenance).")
    ingested_at: TS = required("When the landing object arrived (UTC).")

    class Config:
        name = "silver/api_requests"
        unique = ["request_id"]


class SilverApiRequestsQuarantine(pandera.DataFrameModel):
    """Bronze API records owned by day D that could not be used, each with the reason."""

    reason: S = required("Why the record could not be used (parse error, missing_request_id, no_usable_time, rule:…).")
    arrival_date: T.DateType = required("UTC date the record landed (its Bronze partition).")
    source_key: S = required("Landing object the record was read from.")
    record_index: INT = required("0-based position of the record within its landing object.", ge=0)
    record_type: S = required(
        "access_log (parsed but unusable) or malformed (not parseable).", isin=["access_log", "malformed"]
    )
    request_id: S = optional("API Gateway requestId, when the record has one.")
    event_time: TS = optional("When the request happened (UTC), when the record has a usable time.")
    raw: S = optional("The record as landed, with e-mail addresses redacted.")
    ingested_at: TS = required("When the landing object arrived (UTC).")

    class Config:
        name = "silver/api_requests_quarantine"
        unique = ["source_key", "record_index"]


REQUESTS_SCHEMA = SilverApiRequests.to_structtype()
QUARANTINE_SCHEMA = SilverApiRequestsQuarantine.to_structtype()

DISPOSITIONS = ("silver", "quarantine", "duplicate", "skipped")
_ROUTED_COLUMNS = {*REQUESTS_SCHEMA.fieldNames(), *QUARANTINE_SCHEMA.fieldNames(), "reason"}


@dataclass
class RoutedRequests:
    """The three outputs of routing one Silver partition (all lazy DataFrames)."""

    routed: DataFrame  # every owned Bronze row (the columns the outputs use) with `disposition` and `reason`
    requests: DataFrame
    quarantine: DataFrame


def _reason(day_col: F.Column) -> F.Column:
    """Why an owned row cannot be used, or null when it can."""
    event_date = F.to_date("event_time")
    return (
        F.when(F.col("parse_error").isNotNull(), F.col("parse_error"))
        .when(F.col("request_id").isNull(), F.lit("missing_request_id"))
        .when(F.col("event_time").isNull(), F.lit("no_usable_time"))
        .when(event_date != day_col, F.concat(F.lit("event_date_outside_window:"), event_date.cast("string")))
        .when(F.col("status").isNull(), F.lit("missing_or_invalid_status"))
    )


def owned_by(day: date) -> F.Column:
    """True for Bronze rows (with their arrival date as `dt`) that belong to Silver partition `day`."""
    arrival = F.col("dt")
    event_date = F.to_date("event_time")
    owner = F.when(
        event_date.isNotNull() & ((event_date == arrival) | (event_date == F.date_sub(arrival, 1))),
        event_date,
    ).otherwise(arrival)
    return owner == F.lit(day)


def route_requests(bronze: DataFrame, day: date) -> RoutedRequests:
    """Route Bronze rows (arrival partitions D and D+1, with an arrival `dt` column) for day D."""
    day_lit = F.lit(day)
    owned = bronze.where(owned_by(day)).withColumn("arrival_date", F.col("dt"))
    broken_rule = first_violation(SilverApiRequests, owned.columns)  # is_late_arrival is derived: never null
    owned = owned.withColumn(
        "reason",
        F.when(F.col("record_type") == "control_message", F.lit("control_message")).otherwise(
            F.coalesce(_reason(day_lit), broken_rule)
        ),
    )
    # Only the columns the outputs and the accounting read go on: the rest of the Bronze row (log
    # metadata, field lists) would otherwise travel through the dedupe window and sit in the cache.
    owned = owned.select(*[c for c in owned.columns if c in _ROUTED_COLUMNS])
    # Only a quarantine row shows its raw line, and a row with a reason never becomes a Silver row:
    # the other rows' raw texts (the widest column) are dropped here, not carried through the window.
    owned = owned.withColumn("raw", F.when(F.col("reason").isNotNull(), F.col("raw")))
    first_seen = Window.partitionBy("request_id").orderBy("ingested_at", "source_key", "record_index")
    usable = F.col("reason").isNull()
    rank = F.when(usable, F.row_number().over(first_seen))
    routed = (
        owned.withColumn("_rank", rank)
        .withColumn(
            "disposition",
            F.when(F.col("record_type") == "control_message", F.lit("skipped"))
            .when(~usable, F.lit("quarantine"))
            .when(F.col("_rank") == 1, F.lit("silver"))
            .otherwise(F.lit("duplicate")),
        )
        .drop("_rank")
    )
    requests = (
        routed.where(F.col("disposition") == "silver")
        .select(
            *[c for c in REQUESTS_SCHEMA.fieldNames() if c not in ("arrival_date", "is_late_arrival")],
            "arrival_date",
            (F.col("arrival_date") > F.to_date("event_time")).alias("is_late_arrival"),
        )
        .select(*REQUESTS_SCHEMA.fieldNames())
    )
    # The raw line and the reason may quote e-mail addresses (a query string, a user id): redacted as
    # in every quarantine table (`transforms.pii`); Bronze keeps the raw text, access-controlled.
    redacted = {"raw": redact_pii(F.col("raw")), "reason": redact_pii(F.col("reason"))}
    quarantine = (
        routed.where(F.col("disposition") == "quarantine").withColumns(redacted).select(*QUARANTINE_SCHEMA.fieldNames())
    )
    return RoutedRequests(routed, requests, quarantine)


class RequestCounts(TypedDict):
    """Where the owned Bronze rows went (`<disposition>_rows` for each of `DISPOSITIONS`)."""

    bronze_rows_owned: int
    bronze_rows_by_arrival_date: dict[str, int]
    silver_rows: int
    quarantine_rows: int
    duplicate_rows: int
    skipped_rows: int
    quarantine_reasons: dict[str, int]


def accounting(routed: DataFrame) -> RequestCounts:
    """Counts that prove every owned Bronze row ended in exactly one place."""
    rows = routed.groupBy("disposition", "reason", "arrival_date").count().collect()
    by_disposition = dict.fromkeys(DISPOSITIONS, 0)
    reasons: dict[str, int] = {}
    by_arrival: dict[str, int] = {}
    for row in rows:
        by_disposition[row["disposition"]] += row["count"]
        by_arrival[str(row["arrival_date"])] = by_arrival.get(str(row["arrival_date"]), 0) + row["count"]
        if row["disposition"] == "quarantine":
            key = reason_key(row["reason"])
            reasons[key] = reasons.get(key, 0) + row["count"]
    return RequestCounts(
        bronze_rows_owned=sum(by_disposition.values()),
        bronze_rows_by_arrival_date=dict(sorted(by_arrival.items())),
        silver_rows=by_disposition["silver"],
        quarantine_rows=by_disposition["quarantine"],
        duplicate_rows=by_disposition["duplicate"],
        skipped_rows=by_disposition["skipped"],
        quarantine_reasons=dict(sorted(reasons.items())),
    )
