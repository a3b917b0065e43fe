"""Silver assets: validated, de-duplicated, typed tables by event date."""

import dagster as dg

from lake_assets.assets.factory import LakeAsset, Upstream
from lake_assets.transforms import silver_entities, silver_requests

# Silver D reads Bronze D and D+1 (late arrivals); a D+1 that does not exist yet is skipped.
ARRIVAL_D_AND_NEXT = dg.TimeWindowPartitionMapping(start_offset=0, end_offset=1)

SILVER = [
    LakeAsset(
        job="silver_api_requests",
        outputs=["silver/api_requests", "silver/api_requests_quarantine"],
        upstreams=[Upstream("bronze/api_requests", ARRIVAL_D_AND_NEXT)],
        description=silver_requests.__doc__ or "",
        output_descriptions={
            "silver/api_requests_quarantine": "Bronze API records of day D that could not be used, "
                                              "each with the reason (parse error, missing requestId, no "
                                              "usable time, event date outside the arrival window, bad status).",
        },
    ),
    LakeAsset(
        job="silver_entities", outputs=["silver/tasks", "silver/users", "silver/tasks_quarantine"],
        upstreams=[Upstream("bronze/tasks_export"), Upstream("bronze/tasks_changes")],
        description=silver_entities.__doc__ or "",
        output_descriptions={
            "silver/users": "Users (SK = PROFILE) in D's snapshot; `email` replaced by an HMAC-SHA256 keyed hash.",
            "silver/tasks_quarantine": "Snapshot items of day D that could not be typed, with the reason.",
        },
    ),
]
