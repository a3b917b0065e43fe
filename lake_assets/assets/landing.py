"""External landing-zone assets: where lineage starts (written by AWS, not by Dagster)."""

import dagster as dg

API_LOGS = dg.AssetSpec(
    dg.AssetKey(["landing", "api_logs"]), group_name="landing", kinds={"s3"},
    owners=["team:data-platform"],
    description="API Gateway access logs delivered by CloudWatch Logs → Firehose as gzip objects under "
                "`api_logs/YYYY/MM/DD/HH/` (UTC arrival hour).")
TASKS_EXPORTS = dg.AssetSpec(
    dg.AssetKey(["landing", "dynamodb_tasks_exports"]), group_name="landing", kinds={"s3", "dynamodb"},
    owners=["team:data-platform"],
    description="DynamoDB Export-to-S3 of the `tasks` table under `dynamodb/tasks/AWSDynamoDB/<ExportId>/`; "
                "complete once `manifest-summary.json` exists.")

LANDING_SPECS = [API_LOGS, TASKS_EXPORTS]
