"""Schema drift at Bronze: fields and attributes that appear, disappear or change type.

Bronze keeps every raw value whatever happens, so drift is a warning with the difference,
never a failure: the people who own the producer need to know, the pipeline does not stop.
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

# Declared attribute types of the `tasks` single-table design, per entity (format doc).
DECLARED_ATTRIBUTES: dict[str, dict[str, set[str]]] = {
    "user": {"PK": {"S"}, "SK": {"S"}, "email": {"S"}, "display_name": {"S"}, "plan": {"S"}, "created_at": {"S"}},
    "task": {
        "PK": {"S"},
        "SK": {"S"},
        "title": {"S"},
        "status": {"S"},
        "priority": {"N"},
        "created_at": {"S"},
        "updated_at": {"S"},
        "due_date": {"S", "NULL"},
        "completed_at": {"S", "NULL"},
        "tags": {"SS"},
        "estimate_hours": {"N"},
        "checklist": {"L"},
    },
}
REQUIRED_ATTRIBUTES = {"user": {"PK", "SK", "email"}, "task": {"PK", "SK", "status", "created_at"}}


# Each row also yields one finding of this kind (with a null name): grouped together with the real
# findings, these count the rows themselves, so a caller's row counts and the drift come from one job.
ROW = "row"


def _tagged(kind: str, names: Column) -> Column:
    """(kind, name) for each name of an array column; none when the array is null."""
    return F.transform(
        F.coalesce(names, F.array().cast("array<string>")),
        lambda name: F.struct(F.lit(kind).alias("kind"), name.alias("name")),
    )


def api_log_findings() -> Column:
    """Per Bronze api row: one (ROW, null), then (kind, name) for each field of an access-log record
    that is new (not in the template), missing, or whose value no longer types."""
    extra_names = F.map_keys(F.from_json("extra_fields", T.MapType(T.StringType(), T.StringType())))
    fields = F.concat(
        _tagged("new", extra_names),
        _tagged("missing", F.split("missing_fields", ",")),
        _tagged("retyped", F.split("invalid_fields", ",")),
    )
    row = F.array(F.struct(F.lit(ROW).alias("kind"), F.lit(None).cast("string").alias("name")))
    # Nearly every row has none of the three fields: it gets its constant one-finding array without
    # evaluating the concatenation (interpreted, and ~half the group-by's time on a 1M day).
    drifted = (F.col("record_type") == "access_log") & (
        F.col("extra_fields").isNotNull() | F.col("missing_fields").isNotNull() | F.col("invalid_fields").isNotNull()
    )
    return F.when(drifted, F.concat(row, fields)).otherwise(row)


def api_log_verdict(counts: Iterable[tuple[str, str | None, int]]) -> tuple[bool, dict[str, dict[str, int]]]:
    """The schema-drift outcome from (kind, name, rows) counts of `api_log_findings` (ROW ignored)."""
    found: dict[str, dict[str, int]] = {"new": {}, "missing": {}, "retyped": {}}
    for kind, name, count in counts:
        if kind in found and name is not None:
            found[kind][name] = found[kind].get(name, 0) + count
    new, missing, retyped = (dict(sorted(found[k].items())) for k in ("new", "missing", "retyped"))
    metadata = {"new_fields": new, "missing_fields": missing, "fields_with_untypable_values": retyped}
    return not (new or missing or retyped), metadata


def export_drift(bronze: DataFrame) -> tuple[bool, dict[str, dict[str, int]]]:
    """Attributes per entity against `DECLARED_ATTRIBUTES`: new, changed type, or required and absent.

    One Spark job: each item yields its (attribute, type) entries plus one entry without an
    attribute, so the same group-by counts the items of each entity."""
    entity = F.when(F.col("sk") == "PROFILE", "user").when(F.col("sk").startswith("TASK#"), "task").otherwise("other")
    item = F.array(F.struct(F.lit(None).cast("string").alias("key"), F.lit(None).cast("string").alias("value")))
    entries = F.explode(F.concat(item, F.map_entries("attribute_types"))).alias("a")
    grouped = (
        bronze.where(F.col("attribute_types").isNotNull())
        .select(entity.alias("entity"), entries)
        .groupBy("entity", F.col("a.key").alias("attribute"), F.col("a.value").alias("type"))
        .count()
        .collect()
    )
    entity_rows = {r["entity"]: r["count"] for r in grouped if r["attribute"] is None}
    counts = [r for r in grouped if r["attribute"] is not None]
    new: dict[str, int] = {}
    retyped: dict[str, int] = {}
    seen: dict[str, int] = {}
    for row in counts:
        declared = DECLARED_ATTRIBUTES.get(row["entity"])
        if declared is None:
            continue
        name = f"{row['entity']}.{row['attribute']}"
        seen[name] = seen.get(name, 0) + row["count"]
        if row["attribute"] not in declared:
            new[name] = new.get(name, 0) + row["count"]
        elif row["type"] not in declared[row["attribute"]]:
            retyped[f"{name}:{row['type']}"] = row["count"]
    absent = {
        f"{e}.{a}": entity_rows[e] - seen.get(f"{e}.{a}", 0)
        for e, attrs in REQUIRED_ATTRIBUTES.items()
        if entity_rows.get(e)
        for a in sorted(attrs)
        if seen.get(f"{e}.{a}", 0) < entity_rows[e]
    }
    metadata = {"new_attributes": new, "type_changes": retyped, "required_attributes_absent": absent}
    return not (new or retyped or absent), metadata
