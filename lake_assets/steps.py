"""Every lake table, declared once: the step (build function) that writes it, its contract, what it
reads (with the days it reads) and its extra checks. `CATALOG` derives tables, the build registry and
the check catalog from these declarations; the asset factory derives assets and checks from them.

Adding a table = a transform with its pandera contract (`transforms/`), a build function (`builds/`),
and one `Step(...)` here.
"""

from __future__ import annotations

from lake_assets.builds.bronze import bronze_api_requests, bronze_tasks_changes, bronze_tasks_export
from lake_assets.builds.gold import gold_route_latency_daily, gold_tasks_per_user_daily, gold_user_activity_daily
from lake_assets.builds.silver import SNAPSHOT_LOOKBACK_DAYS, check_unknown_users, silver_api_requests, silver_entities
from lake_assets.declare import Catalog, Check, Output, Reads, StandaloneCheck, Step
from lake_assets.transforms import bronze, gold
from lake_assets.transforms import silver_entities as entities
from lake_assets.transforms import silver_requests as requests

API_LOGS, TASKS_EXPORTS = "landing/api_logs", "landing/dynamodb_tasks_exports"


def reconciliation(text: str) -> Check:
    return Check("silver_reconciliation", text, "ERROR", blocking=True)


BRONZE = (
    Step(
        bronze_api_requests,
        reads=(Reads(API_LOGS),),
        skippable=True,
        outputs=(
            Output(
                "bronze/api_requests",
                bronze.BronzeApiRequests,
                checks=(
                    Check(
                        "schema_drift",
                        "Access-log fields that appear, disappear or stop typing against the stage's log "
                        "template (raw values are kept).",
                        "WARN",
                    ),
                    Check(
                        "no_data",
                        "Landing objects arrived for the day. An expected day (on or after the first landing day) "
                        "without any is empty, not healthy: ERROR and nothing published by default; "
                        "LAKE_EMPTY_DAY_SEVERITY=WARN publishes it with this warning. Days before the first "
                        "landing are skipped.",
                        "ERROR",
                        blocking=True,
                    ),
                ),
            ),
        ),
        description="API access-log records of the objects that *arrived* on day D (UTC folders), both Firehose "
        "variants, one row per record, control message or unparseable fragment, with the raw line, "
        "source object key and landing time (`ingested_at`).",
    ),
    Step(
        bronze_tasks_export,
        reads=(Reads(TASKS_EXPORTS),),
        skippable=True,
        outputs=(
            Output(
                "bronze/tasks_export",
                bronze.BronzeTasksExport,
                checks=(
                    Check(
                        "manifest_reconciliation",
                        "Rows read equal the export manifests' itemCount.",
                        "ERROR",
                        blocking=True,
                    ),
                    Check(
                        "schema_drift",
                        "Item attributes that appear, change DynamoDB type or go missing against the "
                        "single-table design.",
                        "WARN",
                    ),
                ),
            ),
        ),
        description="The `tasks` table as of the end of day D: every item of the latest completed full export "
        "with exportTime in (D 00:00, D+1 00:00] UTC, unmarshalled from DynamoDB JSON with exact "
        "numbers, plus the raw item and the export id. Fails when no such export exists (skipped "
        "instead when incremental exports cover the day: Silver then builds on an earlier snapshot).",
    ),
    Step(
        bronze_tasks_changes,
        reads=(Reads(TASKS_EXPORTS),),
        skippable=True,  # days before the first export
        outputs=(
            Output(
                "bronze/tasks_changes",
                bronze.BronzeTasksChanges,
                checks=(
                    Check(
                        "manifest_reconciliation",
                        "Change rows read equal the incremental exports' manifest itemCount.",
                        "ERROR",
                        blocking=True,
                    ),
                ),
            ),
        ),
        description="Item changes (CDC) of the incremental exports of the `tasks` table whose window ends in "
        "(D 00:00, D+1 00:00] UTC, files taken from each export's manifest-files.json: write "
        "timestamp, operation (UPSERT/MODIFY/REMOVE), keys, new and old images, raw line. Empty when "
        "no incremental export ended that day.",
    ),
)

# Silver D reads Bronze D and D+1 (late arrivals); a D+1 that does not exist yet is skipped.
# silver/tasks reads the latest snapshot within the look-back and the changes since.
SILVER = (
    Step(
        silver_api_requests,
        reads=(Reads("bronze/api_requests", days_after=1),),
        outputs=(
            Output(
                "silver/api_requests",
                requests.SilverApiRequests,
                checks=(
                    Check(
                        "bronze_reconciliation",
                        "Bronze rows owned by D = Silver + quarantined + duplicates + skipped "
                        "control messages, recounted from the written files.",
                        "ERROR",
                        blocking=True,
                    ),
                    Check(
                        "quarantine_rate",
                        "Quarantined share of the day's records stays below the configured maximum.",
                        "ERROR",
                        blocking=True,
                    ),
                ),
            ),
            Output(
                "silver/api_requests_quarantine",
                requests.SilverApiRequestsQuarantine,
                volume_check=False,
                description="Bronze API records of day D that could not be used, each with the reason (parse error, "
                "missing requestId, no usable time, event date outside the arrival window, bad status).",
            ),
        ),
        description=requests.__doc__ or "",
    ),
    Step(
        silver_entities,
        skippable=True,  # days before the first snapshot
        reads=(
            Reads("bronze/tasks_export", days_before=SNAPSHOT_LOOKBACK_DAYS),
            Reads("bronze/tasks_changes", days_before=SNAPSHOT_LOOKBACK_DAYS),
        ),
        outputs=(
            Output(
                "silver/tasks",
                entities.SilverTasks,
                checks=(
                    Check(
                        "bronze_reconciliation",
                        "Snapshot items = users + tasks + other entities + quarantined, "
                        "recounted from the written files.",
                        "ERROR",
                        blocking=True,
                    ),
                    Check(
                        "quarantine_rate",
                        "Quarantined share of the snapshot stays below the configured maximum.",
                        "ERROR",
                        blocking=True,
                    ),
                    Check(
                        "users_exist",
                        "Every task's user exists in silver/users for the same day.",
                        "ERROR",
                        blocking=True,
                    ),
                ),
            ),
            Output(
                "silver/users",
                entities.SilverUsers,
                description="Users (SK = PROFILE) in D's snapshot; `email` replaced by an HMAC-SHA256 keyed hash.",
            ),
            Output(
                "silver/tasks_quarantine",
                entities.SilverTasksQuarantine,
                volume_check=False,
                description="Snapshot items of day D that could not be typed, with the reason.",
            ),
        ),
        description=entities.__doc__ or "",
    ),
)

GOLD = (
    Step(
        gold_tasks_per_user_daily,
        reads=(Reads("silver/tasks"),),
        outputs=(
            Output(
                "gold/tasks_per_user_daily",
                gold.GoldTasksPerUserDaily,
                checks=(reconciliation("Open, created and completed tasks equal Silver's counts for the day."),),
            ),
        ),
        description="Per (D, user): tasks created on D, completed on D, and open (OPEN or IN_PROGRESS) in D's "
        "snapshot; one row per user with at least one task.",
    ),
    Step(
        gold_route_latency_daily,
        reads=(Reads("silver/api_requests"),),
        outputs=(
            Output(
                "gold/route_latency_daily",
                gold.GoldRouteLatencyDaily,
                checks=(reconciliation("Total requests equal Silver's rows for the day."),),
            ),
        ),
        description="Per (D, route): requests, 4xx and 5xx errors, exact p50/p95/p99 of responseLatency (ms).",
    ),
    Step(
        gold_user_activity_daily,
        reads=(Reads("silver/api_requests"), Reads("silver/tasks")),
        outputs=(
            Output(
                "gold/user_activity_daily",
                gold.GoldUserActivityDaily,
                checks=(
                    reconciliation(
                        "API requests equal Silver's non-anonymous requests; "
                        "task events equal gold/tasks_per_user_daily's."
                    ),
                ),
            ),
        ),
        description="Per (D, user) active on D: API requests (anonymous calls excluded), tasks created and "
        "completed on D.",
    ),
)

UNKNOWN_USERS = StandaloneCheck(
    check_unknown_users,
    "silver/api_requests",
    Check(
        "unknown_users",
        "API requests whose userId is not in silver/users for the day (reported, not blocking).",
        "WARN",
    ),
    reads=("silver/users",),
)

CATALOG = Catalog((*BRONZE, *SILVER, *GOLD), (UNKNOWN_USERS,), external=(API_LOGS, TASKS_EXPORTS))
TABLES = CATALOG.tables
