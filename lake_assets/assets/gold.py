"""Gold assets: daily aggregates for analysts (DuckDB locally, Athena on AWS)."""

from lake_assets.assets.factory import LakeAsset, Upstream

GOLD = [
    LakeAsset(
        job="gold_tasks_per_user_daily", outputs=["gold/tasks_per_user_daily"],
        upstreams=[Upstream("silver/tasks")],
        description="Per (D, user): tasks created on D, completed on D, and open (OPEN or IN_PROGRESS) in "
                    "D's snapshot; one row per user with at least one task.",
    ),
    LakeAsset(
        job="gold_route_latency_daily", outputs=["gold/route_latency_daily"],
        upstreams=[Upstream("silver/api_requests")],
        description="Per (D, route): requests, 4xx and 5xx errors, exact p50/p95/p99 of responseLatency (ms).",
    ),
    LakeAsset(
        job="gold_user_activity_daily", outputs=["gold/user_activity_daily"],
        upstreams=[Upstream("silver/api_requests"), Upstream("silver/tasks")],
        description="Per (D, user) active on D: API requests (anonymous calls excluded), tasks created "
                    "and completed on D.",
    ),
]
