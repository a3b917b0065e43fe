"""External landing-zone assets: where lineage starts (written by AWS, not by Dagster)."""

import dagster as dg

from lake_assets.assets.outcome import asset_key
from lake_assets.steps import API_LOGS as API_LOGS_KEY
from lake_assets.steps import TASKS_EXPORTS as TASKS_EXPORTS_KEY

API_LOGS = dg.AssetSpec(
    asset_key(API_LOGS_KEY),
    group_name="landing",
    kinds={"s3"},
    owners=["team:data-platform"],
    description="API Gateway access logs delivered by CloudWatch Logs → Firehose as gzip objects under "
    "`api_logs/YYYY/MM/DD/HH/` (UTC arrival hour).",
)
TASKS_EXPORTS = dg.AssetSpec(
    asset_key(TASKS_EXPORTS_KEY),
    group_name="landing",
    kinds={"s3", "dynamodb"},
    owners=["team:data-platform"],
    description="DynamoDB Export-to-S3 of the `tasks` table under `dynamodb/tasks/AWSDynamoDB/<ExportId>/`; "
    "complete once `manifest-summary.json` exists.",
)

LANDING_SPECS = [API_LOGS, TASKS_EXPORTS]
