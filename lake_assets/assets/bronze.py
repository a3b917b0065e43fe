"""Bronze assets: landing data parsed to typed columns, raw record and provenance kept."""

from lake_assets.assets.factory import LakeAsset, Upstream

BRONZE = [
    LakeAsset(
        job="bronze_api_requests", outputs=["bronze/api_requests"],
        upstreams=[Upstream("landing/api_logs")],
        description="API access-log records of the objects that *arrived* on day D (UTC folders), both "
                    "Firehose variants, one row per record, control message or unparseable fragment, with "
                    "the raw line, source object key and landing time (`ingested_at`).",
    ),
    LakeAsset(
        job="bronze_tasks_export", outputs=["bronze/tasks_export"],
        upstreams=[Upstream("landing/dynamodb_tasks_exports")],
        description="The `tasks` table as of the end of day D: every item of the latest completed full "
                    "export with exportTime in (D 00:00, D+1 00:00] UTC, unmarshalled from DynamoDB JSON "
                    "with exact numbers, plus the raw item and the export id. Fails when no such export exists "
                    "(skipped instead when incremental exports cover the day: Silver then builds on an earlier "
                    "snapshot).",
        skippable=True,
    ),
    LakeAsset(
        job="bronze_tasks_changes", outputs=["bronze/tasks_changes"],
        upstreams=[Upstream("landing/dynamodb_tasks_exports")],
        description="Item changes (CDC) of the incremental exports of the `tasks` table whose window ends in "
                    "(D 00:00, D+1 00:00] UTC, files taken from each export's manifest-files.json: write "
                    "timestamp, operation (UPSERT/MODIFY/REMOVE), keys, new and old images, raw line. Empty "
                    "when no incremental export ended that day.",
    ),
]
