"""Silver jobs: validated, de-duplicated, typed tables (quarantine keeps what could not be used)."""

from __future__ import annotations

from lake_assets.jobs.base import JobContext, TableOutput
from lake_assets.tables import TABLES
from lake_assets.transforms.silver_entities import entity_counts, type_entities
from lake_assets.transforms.silver_requests import accounting, route_requests


def silver_api_requests(ctx: JobContext) -> list[TableOutput]:
    """Reads Bronze D and D+1 (late arrivals); a missing D+1 is fine and picked up on re-run."""
    arrival_days = [ctx.dt, ctx.next_dt()]
    present = [d for d in arrival_days if ctx.lake.has_partition("bronze", "api_requests", d)]
    bronze = ctx.read(TABLES["bronze/api_requests"], arrival_days)
    routed = route_requests(bronze, ctx.day)
    routed.routed.persist()
    try:
        counts = accounting(routed.routed)
        requests = ctx.write(TABLES["silver/api_requests"], routed.requests, **counts,
                             bronze_partitions_read=present)
        quarantine = ctx.write(TABLES["silver/api_requests_quarantine"], routed.quarantine,
                               quarantine_reasons=counts["quarantine_reasons"])
    finally:
        routed.routed.unpersist()
    return [requests, quarantine]


def silver_entities(ctx: JobContext) -> list[TableOutput]:
    """Latest state of users and tasks from the day's snapshot; email replaced by a keyed hash."""
    entities = type_entities(ctx.read(TABLES["bronze/tasks_export"]), ctx.pii_key)
    entities.items.persist()
    try:
        counts = entity_counts(entities.items)
        tasks = ctx.write(TABLES["silver/tasks"], entities.tasks, **counts)
        users = ctx.write(TABLES["silver/users"], entities.users, users=counts["users"])
        quarantine = ctx.write(TABLES["silver/tasks_quarantine"], entities.quarantine,
                               quarantine_reasons=counts["quarantine_reasons"])
    finally:
        entities.items.unpersist()
    return [tasks, users, quarantine]
