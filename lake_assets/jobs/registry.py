"""Job names → job functions: the contract between assets and any engine (local or remote)."""

from __future__ import annotations

from lake_assets.jobs.base import Job
from lake_assets.jobs.bronze import bronze_api_requests, bronze_tasks_changes, bronze_tasks_export
from lake_assets.jobs.gold import gold_route_latency_daily, gold_tasks_per_user_daily, gold_user_activity_daily
from lake_assets.jobs.silver import check_unknown_users, silver_api_requests, silver_entities

JOBS: dict[str, Job] = {
    job.__name__: job
    for job in (bronze_api_requests, bronze_tasks_export, bronze_tasks_changes, silver_api_requests, silver_entities,
                gold_tasks_per_user_daily, gold_route_latency_daily, gold_user_activity_daily,
                check_unknown_users)
}
