"""Silver `tasks` and `users`: typed entities from one day's table snapshot (single-table design).

Keys are parsed from PK/SK (`USER#<id>` / `PROFILE` | `TASK#<id>`). Attributes are read from the
unmarshalled item JSON and cast leniently, so an attribute stored with an unusual type (a number
as a string) still types; an item that cannot be used becomes a quarantine row with a reason.
`email` never leaves this module in clear: it is replaced by an HMAC-SHA256 keyed hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Annotated, TypedDict

import pandera.pyspark as pandera
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lake_assets.quality.fields import optional, required

# Column types of the pandera contracts below. pandera takes a Spark type class as a column
# annotation (and `Annotated[cls, *args]` for a parameterised one); unlike an instance such as
# `T.StringType()`, that is also a valid static type.
S = T.StringType
TS = T.TimestampType
TASK_STATUSES = ("OPEN", "IN_PROGRESS", "DONE", "ARCHIVED")
ESTIMATE_TYPE = T.DecimalType(38, 18)
ESTIMATE = Annotated[T.DecimalType, ESTIMATE_TYPE.precision, ESTIMATE_TYPE.scale]
STRING_LIST = Annotated[T.ArrayType, T.StringType(), True]  # elementType, containsNull


class SilverTasks(pandera.DataFrameModel):
    """Tasks (SK = TASK#<id>) in D's snapshot, typed."""

    user_id: S = required()
    task_id: S = required()
    title: S = optional()
    status: S = required(isin=list(TASK_STATUSES))
    priority: T.IntegerType = optional(in_range={"min_value": 1, "max_value": 5})
    created_at: TS = required()
    updated_at: TS = optional()
    due_date: T.DateType = optional()
    completed_at: TS = optional()
    tags: STRING_LIST = optional()
    estimate_hours: ESTIMATE = optional(ge=0)
    checklist_items: T.IntegerType = optional(ge=0)
    export_id: S = required()

    class Config:
        name = "silver/tasks"
        unique = ["user_id", "task_id"]


class SilverUsers(pandera.DataFrameModel):
    """Users (SK = PROFILE) in D's snapshot; `email_hash` is HMAC-SHA256(email), never the email."""

    user_id: S = required()
    email_hash: S = optional(str_matches=r"^[0-9a-f]{64}$")
    display_name: S = optional()
    plan: S = optional()
    created_at: TS = optional()
    export_id: S = required()

    class Config:
        name = "silver/users"
        unique = ["user_id"]


class SilverTasksQuarantine(pandera.DataFrameModel):
    """Snapshot items of day D that could not be typed, with the reason."""

    reason: S = required()
    entity: S = required(isin=["user", "task", "other"])
    pk: S = optional()
    sk: S = optional()
    source_key: S = required()
    line_number: T.IntegerType = required(ge=1)
    raw_item: S = required()
    export_id: S = required()

    class Config:
        name = "silver/tasks_quarantine"
        unique = ["source_key", "line_number"]


TASKS_SCHEMA = SilverTasks.to_structtype()
USERS_SCHEMA = SilverUsers.to_structtype()
QUARANTINE_SCHEMA = SilverTasksQuarantine.to_structtype()


@dataclass
class Entities:
    """Outputs of typing one snapshot (lazy DataFrames) plus the annotated items for counting."""

    items: DataFrame  # every Bronze row with `entity` (user|task|other) and `reason`
    tasks: DataFrame
    users: DataFrame
    quarantine: DataFrame


def keyed_hash(column: Column, key: bytes) -> Column:
    """HMAC-SHA256 (RFC 2104) of a string column, hex encoded, computed natively in Spark."""
    block = 64
    key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in key)
    outer_pad = bytes(b ^ 0x5C for b in key)
    message = F.encode(column, "UTF-8")
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), message), 256))
    return F.when(column.isNotNull(), F.sha2(F.concat(F.lit(outer_pad), inner), 256))


# Attributes Silver reads. Text fields take any JSON value as its text; `estimate_hours` is read
# as a decimal by the JSON reader itself, which keeps every digit (a string-then-cast would round
# the number through a double first) and also accepts a number stored as a string.
_ATTRIBUTES = (
    "title",
    "status",
    "priority",
    "created_at",
    "updated_at",
    "due_date",
    "completed_at",
    "tags",
    "checklist",
    "email",
    "display_name",
    "plan",
)
_ATTRS_SCHEMA = T.StructType(
    [*(T.StructField(name, T.StringType()) for name in _ATTRIBUTES), T.StructField("estimate_hours", ESTIMATE_TYPE)]
)


def _attr(name: str) -> Column:
    """An attribute of the item as text (parsed once per row into the `_attrs` struct)."""
    return F.col("_attrs")[name]


def _try_cast(name: str, *types: str) -> Column:
    """`try_cast` of an attribute through `types` in turn: NULL when the text does not convert.

    SQL `try_cast` (Spark ≥ 3.2) rather than `Column.try_cast` (PySpark ≥ 4.0 only), so the job
    runs on Glue 5.0's Spark 3.5; and never a plain `cast`, whose failures depend on ANSI mode
    (NULL on 3.5 by default, an error on 4.x), so a bad value types the same on both.
    """
    sql = f"_attrs.`{name}`"
    for type_ in types:
        sql = f"try_cast({sql} AS {type_})"
    return F.expr(sql)


def _timestamp(name: str) -> Column:
    return _try_cast(name, "TIMESTAMP")


def type_entities(bronze: DataFrame, pii_key: bytes) -> Entities:
    """Type the items of one Bronze `tasks_export` partition."""
    latest = Window.partitionBy("pk", "sk").orderBy(F.col("source_key").desc(), F.col("line_number").desc())
    user_id = F.regexp_extract("pk", r"^USER#(.+)$", 1)
    task_id = F.regexp_extract("sk", r"^TASK#(.+)$", 1)
    entity = (
        F.when(F.col("sk") == "PROFILE", F.lit("user")).when(task_id != "", F.lit("task")).otherwise(F.lit("other"))
    )
    status = F.upper(F.trim(_attr("status")))
    reason = (
        F.when(F.col("parse_error").isNotNull(), F.col("parse_error"))
        .when(F.col("pk").isNull() | F.col("sk").isNull(), F.lit("missing_key"))
        .when(F.col("_dup") > 1, F.lit("duplicate_key_in_export"))
        .when(F.col("entity") == "other", F.lit(None))
        .when(F.col("user_id") == "", F.lit("unparseable_pk"))
        .when((F.col("entity") == "task") & ~status.isin(*TASK_STATUSES), F.lit("invalid_status"))
        .when((F.col("entity") == "task") & _timestamp("created_at").isNull(), F.lit("missing_or_invalid_created_at"))
    )
    items = (
        bronze.withColumn("_attrs", F.from_json("item_json", _ATTRS_SCHEMA))
        .withColumn("_dup", F.row_number().over(latest))
        .withColumn("entity", entity)
        .withColumn("user_id", user_id)
        .withColumn("task_id", task_id)
        .withColumn("reason", reason)
        .drop("_dup")
    )
    good = items.where(F.col("reason").isNull())
    tasks = good.where(F.col("entity") == "task").select(
        "user_id",
        "task_id",
        _attr("title").alias("title"),
        status.alias("status"),
        _try_cast("priority", "DOUBLE", "INT").alias("priority"),
        _timestamp("created_at").alias("created_at"),
        _timestamp("updated_at").alias("updated_at"),
        F.to_date(_timestamp("due_date")).alias("due_date"),
        _timestamp("completed_at").alias("completed_at"),
        F.from_json(_attr("tags"), T.ArrayType(T.StringType())).alias("tags"),
        _attr("estimate_hours").alias("estimate_hours"),
        F.json_array_length(_attr("checklist")).alias("checklist_items"),
        "export_id",
    )
    users = good.where(F.col("entity") == "user").select(
        "user_id",
        keyed_hash(F.lower(F.trim(_attr("email"))), pii_key).alias("email_hash"),
        _attr("display_name").alias("display_name"),
        _attr("plan").alias("plan"),
        _timestamp("created_at").alias("created_at"),
        "export_id",
    )
    quarantine = items.where(F.col("reason").isNotNull()).select(
        "reason", "entity", "pk", "sk", "source_key", "line_number", "raw_item", "export_id"
    )
    return Entities(items, tasks, users, quarantine)


class EntityCounts(TypedDict):
    """What the Bronze items became."""

    bronze_items: int
    users: int
    tasks: int
    other_entities: int
    quarantined: int
    quarantine_reasons: dict[str, int]


def entity_counts(items: DataFrame) -> EntityCounts:
    """Every Bronze item accounted for: typed user, typed task, other entity, or quarantined."""
    counts = {"users": 0, "tasks": 0, "other_entities": 0, "quarantined": 0}
    reasons: dict[str, int] = {}
    for row in items.groupBy("entity", "reason").count().collect():
        if row["reason"] is not None:
            counts["quarantined"] += row["count"]
            key = row["reason"].split(":", 1)[0]
            reasons[key] = reasons.get(key, 0) + row["count"]
        else:
            counts[{"user": "users", "task": "tasks", "other": "other_entities"}[row["entity"]]] += row["count"]
    return EntityCounts(
        bronze_items=sum(counts.values()),
        users=counts["users"],
        tasks=counts["tasks"],
        other_entities=counts["other_entities"],
        quarantined=counts["quarantined"],
        quarantine_reasons=dict(sorted(reasons.items())),
    )
