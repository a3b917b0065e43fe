"""Bronze transforms: landing objects → typed rows that keep the raw record and its provenance.

Parsing happens inside Spark tasks (`mapInArrow`, the functions in `bronze_tasks`) so objects are
read and decoded in parallel and rows travel to the JVM as Arrow, not pickled Python rows.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated

import pandera.pyspark as pandera
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lake_assets.core.landing import Landing
from lake_assets.parsing.access_log_values import TIME_SOURCES
from lake_assets.parsing.dynamodb_json import parse_full_export_line, parse_incremental_line
from lake_assets.quality.fields import optional, required
from lake_assets.transforms.arrow_rows import arrow_schema
from lake_assets.transforms.bronze_tasks import api_log_batches, data_file_batches

# Column types of the pandera contracts below. pandera takes a Spark type class as a column
# annotation (and `Annotated[cls, *args]` for a parameterised one); unlike an instance such as
# `T.StringType()`, that is also a valid static type.
S = T.StringType
L = T.LongType
INT = T.IntegerType
TS = T.TimestampType
STRING_MAP = Annotated[T.MapType, T.StringType(), T.StringType(), True]  # key, value, valueContainsNull
RECORD_TYPES = ["access_log", "control_message", "malformed"]
STRING_LIST = Annotated[T.ArrayType, T.StringType(), True]  # elementType, containsNull


class BronzeApiRequests(pandera.DataFrameModel):
    """One row per access-log record, control message or unparseable fragment of a landing object."""

    record_type: S = required(
        "What the row is: an access-log record, a CloudWatch control message, or an unparseable fragment.",
        isin=RECORD_TYPES,
    )
    parse_error: S = optional("Why the record could not be parsed (e.g. invalid_json); null when it parsed.")
    request_id: S = optional("API Gateway requestId, as logged.")
    ip: S = optional("Client IP address, as logged.")
    request_time: S = optional("requestTime as logged (CLF text, e.g. 21/Nov/2026:12:00:00 +0000).")
    request_time_epoch_ms: L = optional("requestTimeEpoch: request time in epoch milliseconds.")
    event_time: TS = optional("When the request happened (UTC), from the best usable time field (see time_source).")
    time_source: S = optional(
        "Which field event_time comes from: requestTimeEpoch, requestTime or the CloudWatch event timestamp.",
        isin=list(TIME_SOURCES),
    )
    http_method: S = optional("HTTP method (GET, POST…).")
    route_key: S = optional("API route, e.g. 'GET /tasks' (null when the stage logs none).")
    path: S = optional("Request path as called, with its ids.")
    status: INT = optional("HTTP status code returned to the client.")
    protocol: S = optional("HTTP protocol version, e.g. HTTP/1.1.")
    response_length: L = optional("Response body size in bytes.")
    response_latency_ms: L = optional("responseLatency: time from request to response, in milliseconds.")
    integration_latency_ms: L = optional("integrationLatency: time spent in the backend integration, in milliseconds.")
    user_agent: S = optional("Client User-Agent header.")
    user_id: S = optional("Authenticated user's id (authorizer claim); null for anonymous calls.")
    invalid_fields: S = optional(
        "Comma-separated fields whose value does not type against the log template (raw kept in raw)."
    )
    missing_fields: S = optional("Comma-separated template fields absent from the record.")
    extra_fields: S = optional("Fields not in the log template, as a JSON object of name to raw value.")
    log_group: S = optional("CloudWatch Logs group of the envelope (CloudWatch-subscription objects only).")
    log_stream: S = optional("CloudWatch Logs stream of the envelope.")
    log_event_id: S = optional("CloudWatch log event id.")
    log_event_time: TS = optional("CloudWatch log event timestamp (UTC).")
    log_owner: S = optional("The envelope's owner (AWS account id; 'CloudwatchLogs' on control messages).")
    log_region: S = optional("The event's @aws.region extracted field, when sent.")
    log_subscription_filters: STRING_LIST = optional(
        "Names of the CloudWatch subscription filters that delivered the event."
    )
    log_policy_level: S = optional("The envelope's policyLevel (account or log-group subscription).")
    log_extracted_fields: STRING_MAP = optional("The event's extractedFields, name to value, as sent.")
    source_key: S = required("Landing object key the record was read from (provenance).")
    source_format: S = optional(
        "Envelope of the landing object: CloudWatch envelope, NDJSON or plain lines.",
        isin=["cloudwatch_envelope", "ndjson", "plain"],
    )
    compression: S = optional(
        "Gzip layers found around the object's content (none, gzip, gzip+gzip…).",
        isin=["none", "gzip", "gzip+gzip", "gzip+gzip+gzip"],
    )
    log_format: S = optional(
        "Access-log template kind of the line: json, clf, csv or xml.", isin=["json", "clf", "csv", "xml"]
    )
    record_index: INT = required(
        "0-based position of the record within its landing object; with source_key, the row's key.", ge=0
    )
    raw: S = optional("The record exactly as landed, for replay and debugging.")
    ingested_at: TS = required("When the landing object arrived (UTC): its landing time, not the run time.")

    class Config:
        name = "bronze/api_requests"
        unique = ["source_key", "record_index"]


class BronzeTasksExport(pandera.DataFrameModel):
    """One row per line of the day's full export, unmarshalled, with the raw item."""

    export_id: S = required("DynamoDB export id (the last part of the export ARN).")
    export_time: TS = required("exportTime of the full export (UTC): the table state this row shows.")
    source_key: S = required("Data file of the export the line was read from.")
    line_number: INT = required("1-based line within the data file; with source_key, the row's key.", ge=1)
    pk: S = optional("Partition key (PK) of the item, e.g. USER#<id>.")
    sk: S = optional("Sort key (SK) of the item: PROFILE for a user, TASK#<id> for a task.")
    item_json: S = optional("The item as plain JSON: what Silver types (lossy inside nested L/M).")
    item_dynamodb_json: S = optional("The item's DynamoDB JSON, canonical and exact.")
    attribute_types: STRING_MAP = optional(
        "DynamoDB type per top-level attribute (S, N, SS, L…), for schema-drift checks."
    )
    raw_item: S = required("The export line exactly as landed.")
    parse_error: S = optional("Why the line could not be unmarshalled; null when it was.")

    class Config:
        name = "bronze/tasks_export"
        unique = ["source_key", "line_number"]


class BronzeTasksChanges(pandera.DataFrameModel):
    """One row per changed item in the incremental exports whose window ends on day D."""

    export_id: S = required("Incremental export id (the last part of the export ARN).")
    export_to_time: TS = required("End of the incremental export's window (UTC).")
    source_key: S = required("Data file of the export the line was read from.")
    line_number: INT = required("1-based line within the data file; with source_key, the row's key.", ge=1)
    write_timestamp_micros: L = optional("When the change was written to the table, epoch microseconds.", ge=0)
    operation: S = optional(
        "Change kind: UPSERT (put), MODIFY (update) or REMOVE (delete).", isin=["UPSERT", "MODIFY", "REMOVE"]
    )
    pk: S = optional("Partition key (PK) of the changed item.")
    sk: S = optional("Sort key (SK) of the changed item.")
    item_json: S = optional("New image of the item as plain JSON (null for REMOVE).")
    item_dynamodb_json: S = optional("New image as DynamoDB JSON, exact.")
    attribute_types: STRING_MAP = optional("DynamoDB type per top-level attribute of the new image.")
    old_item_json: S = optional("Old image of the item as plain JSON, when the export carries it.")
    old_item_dynamodb_json: S = optional("Old image as DynamoDB JSON, exact.")
    raw_item: S = required("The export line exactly as landed.")
    parse_error: S = optional("Why the line could not be unmarshalled; null when it was.")

    class Config:
        name = "bronze/tasks_changes"
        unique = ["source_key", "line_number"]


API_REQUESTS_SCHEMA = BronzeApiRequests.to_structtype()
TASKS_CHANGES_SCHEMA = BronzeTasksChanges.to_structtype()
TASKS_EXPORT_SCHEMA = BronzeTasksExport.to_structtype()

OBJECTS_SCHEMA = "key string, landed_at timestamp"


def parse_api_log_objects(objects: DataFrame, landing: Landing) -> DataFrame:
    """Bronze `api_requests` rows of the landing objects listed in `objects` (key, landed_at).

    `ingested_at` is the object's landing time, so re-running a partition yields identical rows.
    """
    parse = functools.partial(api_log_batches, landing, arrow_schema(API_REQUESTS_SCHEMA))
    return objects.mapInArrow(parse, API_REQUESTS_SCHEMA)


def parse_export_files(files: DataFrame, landing: Landing, export_id: str, export_time: datetime) -> DataFrame:
    """Bronze `tasks_export` rows of one export's data files (a DataFrame of `key`, `md5_checksum`)."""
    listed = files.select(
        "key",
        "md5_checksum",
        F.lit(export_id).alias("export_id"),
        F.lit(export_time).cast("timestamp").alias("export_time"),
    )
    parse = functools.partial(data_file_batches, landing, parse_full_export_line, arrow_schema(TASKS_EXPORT_SCHEMA))
    return listed.mapInArrow(parse, TASKS_EXPORT_SCHEMA)


def parse_change_files(files: DataFrame, landing: Landing) -> DataFrame:
    """Bronze `tasks_changes` rows of incremental-export data files (key, md5_checksum, export_id,
    export_to_time)."""
    parse = functools.partial(data_file_batches, landing, parse_incremental_line, arrow_schema(TASKS_CHANGES_SCHEMA))
    return files.mapInArrow(parse, TASKS_CHANGES_SCHEMA)
