"""Silver `tasks` and `users`: typed entities from one day's table snapshot (single-table design).

Keys are parsed from PK/SK (`USER#<id>` / `PROFILE` | `TASK#<id>`). Attributes are typed exactly
(`entity_values`): a number stored as a string still types, but a value its column cannot hold
exactly (`priority` "high", an estimate of `1E-36`) is never rounded or nulled: the item becomes a
quarantine row with the reason, like an item that breaks a row-level rule of its Silver contract.
`email` never leaves this module in clear: it is replaced by an HMAC-SHA256 keyed hash in Silver
and redacted from quarantine rows (raw item and reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypedDict

import pandera.pyspark as pandera
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from lake_assets.quality.fields import optional, required
from lake_assets.quality.row_rules import first_violation, reason_key
from lake_assets.transforms.cdc import merge_counts, with_fate
from lake_assets.transforms.entity_values import (
    ESTIMATE_TYPE,
    NUMERIC_ATTRIBUTES,
    attr,
    exact_decimal,
    exact_int,
    is_number,
    number_column,
    number_text,
    timestamp,
    with_attributes,
    with_numbers,
)
from lake_assets.transforms.pii import keyed_hash, redact_pii

# Column types of the pandera contracts below. pandera takes a Spark type class as a column
# annotation (and `Annotated[cls, *args]` for a parameterised one); unlike an instance such as
# `T.StringType()`, that is also a valid static type.
S = T.StringType
TS = T.TimestampType
TASK_STATUSES = ("OPEN", "IN_PROGRESS", "DONE", "ARCHIVED")
ESTIMATE = Annotated[T.DecimalType, ESTIMATE_TYPE.precision, ESTIMATE_TYPE.scale]
STRING_LIST = Annotated[T.ArrayType, T.StringType(), True]  # elementType, containsNull


class SilverTasks(pandera.DataFrameModel):
    """Tasks (SK = TASK#<id>) in D's snapshot, typed."""

    user_id: S = required("Owner of the task (from PK USER#<id>); exists in silver/users for the same day.")
    task_id: S = required("Task id (from SK TASK#<id>); unique per user.")
    title: S = optional("Task title.")
    status: S = required("OPEN, IN_PROGRESS, DONE or ARCHIVED.", isin=list(TASK_STATUSES))
    priority: T.IntegerType = optional("Priority, 1 (highest) to 5.", in_range={"min_value": 1, "max_value": 5})
    created_at: TS = required("When the task was created (UTC).")
    updated_at: TS = optional("When the task last changed (UTC).")
    due_date: T.DateType = optional("Due date, when set.")
    completed_at: TS = optional("When the task was completed (UTC); null while not done.")
    tags: STRING_LIST = optional("The task's tags (DynamoDB string set).")
    estimate_hours: ESTIMATE = optional("Estimated effort in hours, exact decimal (never rounded).", ge=0)
    checklist_items: T.IntegerType = optional("Number of checklist entries.", ge=0)
    export_id: S = required("DynamoDB export the row's snapshot comes from (provenance).")

    class Config:
        name = "silver/tasks"
        unique = ["user_id", "task_id"]


class SilverUsers(pandera.DataFrameModel):
    """Users (SK = PROFILE) in D's snapshot; `email_hash` is HMAC-SHA256(email), never the email."""

    user_id: S = required("User id (from PK USER#<id>).")
    email_hash: S = optional(
        "HMAC-SHA256 keyed hash of the e-mail (64 hex digits): joinable, never the e-mail itself.",
        str_matches=r"^[0-9a-f]{64}$",
    )
    display_name: S = optional("Name shown in the app.")
    plan: S = optional("Subscription plan.")
    created_at: TS = optional("When the user signed up (UTC).")
    export_id: S = required("DynamoDB export the row's snapshot comes from (provenance).")

    class Config:
        name = "silver/users"
        unique = ["user_id"]


class SilverTasksQuarantine(pandera.DataFrameModel):
    """Snapshot items of day D that could not be typed, with the reason."""

    reason: S = required("Why the item could not be typed (e.g. a priority that is not a number, a rule it breaks).")
    entity: S = required("Kind of item, from its keys: user, task or other.", isin=["user", "task", "other"])
    pk: S = optional("Partition key (PK) of the item.")
    sk: S = optional("Sort key (SK) of the item.")
    source_key: S = required("Data file of the export the item was read from.")
    line_number: T.IntegerType = required("1-based line within the data file.", ge=1)
    raw_item: S = required("The export line, with e-mail addresses redacted.")
    export_id: S = required("DynamoDB export the item comes from.")

    class Config:
        name = "silver/tasks_quarantine"
        unique = ["source_key", "line_number"]


TASKS_SCHEMA = SilverTasks.to_structtype()
USERS_SCHEMA = SilverUsers.to_structtype()
QUARANTINE_SCHEMA = SilverTasksQuarantine.to_structtype()


# Bronze columns only typing reads: dropped from `items` before its dedupe window (and `raw_item`,
# which only a quarantine row shows: `Entities.quarantine` looks it up afterwards).
_TYPED_AWAY = ("item_json", "item_dynamodb_json", "attribute_types")


# A quarantine of at most this many rows is broadcast to find its raw lines (`Entities.quarantine`).
BROADCAST_QUARANTINE_ROWS = 100_000


@dataclass
class Entities:
    """Outputs of typing one snapshot (lazy DataFrames) plus the annotated items for counting."""

    items: DataFrame  # every row with `_fate` (cdc.with_fate), `entity`, `reason`, typed, sans item texts
    tasks: DataFrame
    users: DataFrame
    quarantined: DataFrame  # the quarantine rows without their raw line
    lines: DataFrame  # (source_key, line_number, raw_item) of every row

    def quarantine(self, rows: int | None = None) -> DataFrame:
        """The quarantine rows with their raw line (e-mail addresses redacted), in contract order.

        Why a lookup: the raw line is the widest column and only a quarantined row shows it, but a
        row is known to be quarantined only after the ranking window (`duplicate_key_in_export`).
        So no raw line travels through the window's shuffle and sort nor sits in the cache of
        `items`; the lines of the quarantined rows are found afterwards. With their number known
        (`rows`, from `item_counts`) and small, the quarantined rows are broadcast and the lines
        are found in one scan, without a shuffle. (source_key, line_number) is unique per line:
        the contract checks it, and the reconciliation counts every row that lands here.
        """
        small = rows is not None and rows <= BROADCAST_QUARANTINE_ROWS
        keys = ["source_key", "line_number"]
        joined = (F.broadcast(self.quarantined) if small else self.quarantined).join(self.lines, keys)
        return joined.withColumn("raw_item", redact_pii(F.col("raw_item"))).select(*QUARANTINE_SCHEMA.fieldNames())


def _first(problems: list[tuple[Column, str]]) -> Column:
    """The reason of the first condition that holds, else null."""
    return F.coalesce(*[F.when(condition, F.lit(reason)) for condition, reason in problems])


def _typed_columns(pii_key: bytes) -> dict[str, Column]:
    """Every Silver column computed from an item's attributes (tasks' and users' together)."""
    return {
        "title": attr("title"),
        "status": F.upper(F.trim(attr("status"))),
        "priority": exact_int(number_text("priority"), F.col(number_column("priority"))),
        "created_at": timestamp("created_at"),
        "updated_at": timestamp("updated_at"),
        "due_date": F.to_date(timestamp("due_date")),
        "completed_at": timestamp("completed_at"),
        "tags": F.from_json(attr("tags"), T.ArrayType(T.StringType())),
        "estimate_hours": exact_decimal(
            number_text("estimate_hours"), F.col(number_column("estimate_hours")), ESTIMATE_TYPE
        ),
        "checklist_items": F.json_array_length(attr("checklist")),
        "email_hash": keyed_hash(F.lower(F.trim(attr("email"))), pii_key),
        "display_name": attr("display_name"),
        "plan": attr("plan"),
    }


def _wrong_type(name: str) -> tuple[Column, str]:
    """Present (neither absent nor NULL) but did not convert to its Silver column's type."""
    return attr(name).isNotNull() & F.col(name).isNull(), f"{name}_wrong_type"


def _type_problems() -> tuple[Column, Column]:
    """(task, user) reason of the first attribute whose value does not type exactly, else null."""
    estimate = F.col(number_column("estimate_hours"))  # its number_parts
    task = _first(
        [
            (attr("priority").isNotNull() & F.col("priority").isNull(), "priority_wrong_type"),
            (attr("estimate_hours").isNotNull() & ~is_number(estimate), "estimate_hours_wrong_type"),
            (is_number(estimate) & F.col("estimate_hours").isNull(), "estimate_hours_not_representable"),
            _wrong_type("updated_at"),
            (attr("due_date").isNotNull() & F.col("due_date").isNull(), "due_date_wrong_type"),
            _wrong_type("completed_at"),
            (attr("tags").isNotNull() & F.col("tags").isNull(), "tags_wrong_type"),
            (attr("checklist").isNotNull() & F.col("checklist_items").isNull(), "checklist_wrong_type"),
        ]
    )
    return task, _first([_wrong_type("created_at")])


def type_entities(rows: DataFrame, pii_key: bytes) -> Entities:
    """Type the items at the end of a day: `rows` from `cdc.item_rows` (a snapshot, plus changes).

    Each item gets at most one reason, the first that applies: a Bronze parse error, a key
    problem, a duplicate key in the export, the entity's own checks (status, created_at), a value
    that does not type exactly (`priority_wrong_type`, `estimate_hours_not_representable`, …),
    then the first row-level rule of its Silver contract it breaks (`rule:priority_in[1,5]`).
    Items with a reason are quarantined (PII redacted); the rest are Silver rows that pass the
    contract's row-level rules by construction.
    """
    task_id = F.regexp_extract("sk", r"^TASK#(.+)$", 1)
    entity = (
        F.when(F.col("sk") == "PROFILE", F.lit("user")).when(task_id != "", F.lit("task")).otherwise(F.lit("other"))
    )
    is_task, is_user = F.col("entity") == "task", F.col("entity") == "user"
    checks = (
        F.when(F.col("parse_error").isNotNull(), F.col("parse_error"))
        .when(F.col("pk").isNull() | F.col("sk").isNull(), F.lit("missing_key"))
        .when(F.col("_duplicate"), F.lit("duplicate_key_in_export"))
        .when(F.col("entity") == "other", F.lit(None))
        .when(F.col("user_id") == "", F.lit("unparseable_pk"))
        .when(is_task & ~F.col("status").isin(*TASK_STATUSES), F.lit("invalid_status"))
        .when(is_task & F.col("created_at").isNull(), F.lit("missing_or_invalid_created_at"))
    )
    task_problem, user_problem = _type_problems()
    typed = F.when(is_task, task_problem).when(is_user, user_problem)
    broken = F.when(is_task, first_violation(SilverTasks)).when(is_user, first_violation(SilverUsers))
    # Every row is typed before the one ranking window (the CDC merge and the duplicate check
    # together), so the item texts (the widest columns, not needed after typing) never travel
    # through its shuffle and sort nor sit in the cache of `items`. Typing a row a later change
    # supersedes is cheap next to carrying every item's texts through the sort.
    typed_rows = (
        with_numbers(with_attributes(rows))
        .withColumn("entity", entity)
        .withColumn("user_id", F.regexp_extract("pk", r"^USER#(.+)$", 1))
        .withColumn("task_id", task_id)
        .withColumns(_typed_columns(pii_key))
        .withColumn("_typing_reason", F.coalesce(typed, broken))
        .drop("_attrs", "_typed", *map(number_column, NUMERIC_ATTRIBUTES), *_TYPED_AWAY, "raw_item")
    )
    items = (
        with_fate(typed_rows)
        .withColumn("reason", F.coalesce(checks, F.col("_typing_reason")))
        .drop("_duplicate", "_typing_reason", "_ts", "_op")
    )
    good = items.where((F.col("_fate") == "kept") & F.col("reason").isNull())
    tasks = good.where(is_task).select(*TASKS_SCHEMA.fieldNames())
    users = good.where(is_user).select(*USERS_SCHEMA.fieldNames())
    quarantined = items.where((F.col("_fate") == "kept") & F.col("reason").isNotNull()).select(
        redact_pii(F.col("reason")).alias("reason"),
        "entity",
        redact_pii(F.col("pk")).alias("pk"),
        redact_pii(F.col("sk")).alias("sk"),
        "source_key",
        "line_number",
        "export_id",
    )
    lines = rows.select("source_key", "line_number", "raw_item")
    return Entities(items, tasks, users, quarantined, lines)


class EntityCounts(TypedDict):
    """What the Bronze items became."""

    bronze_items: int
    users: int
    tasks: int
    other_entities: int
    quarantined: int
    quarantine_reasons: dict[str, int]


def item_counts(items: DataFrame) -> tuple[EntityCounts, dict[str, int]]:
    """Every row accounted for, in one aggregation over `Entities.items`: what the current items
    became (typed user, typed task, other entity, or quarantined) and the merge's counts
    (`cdc.merge_counts`: snapshot rows and changes kept, superseded or removed)."""
    groups = items.groupBy("_rank_source", "_fate", "entity", "reason").count().collect()
    counts = {"users": 0, "tasks": 0, "other_entities": 0, "quarantined": 0}
    reasons: dict[str, int] = {}
    for row in groups:
        if row["_fate"] != "kept":
            continue
        if row["reason"] is not None:
            counts["quarantined"] += row["count"]
            key = reason_key(row["reason"])
            reasons[key] = reasons.get(key, 0) + row["count"]
        else:
            counts[{"user": "users", "task": "tasks", "other": "other_entities"}[row["entity"]]] += row["count"]
    entity_counts = EntityCounts(
        bronze_items=sum(counts.values()),
        users=counts["users"],
        tasks=counts["tasks"],
        other_entities=counts["other_entities"],
        quarantined=counts["quarantined"],
        quarantine_reasons=dict(sorted(reasons.items())),
    )
    return entity_counts, merge_counts(groups)
