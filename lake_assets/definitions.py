"""The code location: the one place that assembles `Definitions` and applies cross-cutting policy.

Definitions are built lazily (`@dg.definitions`), so importing this module reads no environment
variable, starts no Spark and creates no AWS client.
"""

from __future__ import annotations

import dagster as dg

from lake_assets.core.settings import LakeSettings

ALL_LAKE_ASSETS = dg.AssetSelection.groups("bronze", "silver", "gold")


def layer_policy(layer: str) -> dict:
    """Cross-cutting policy per layer, applied to every asset of the layer."""
    from lake_assets.freshness.policies import POLICIES

    return {"freshness_policy": POLICIES[layer]}


def build_definitions(settings: LakeSettings) -> dg.Definitions:
    """Everything Dagster needs, for these settings."""
    from lake_assets.assets.bronze import BRONZE
    from lake_assets.assets.factory import build_lake_asset, build_standalone_check
    from lake_assets.assets.gold import GOLD
    from lake_assets.assets.landing import LANDING_SPECS
    from lake_assets.assets.silver import SILVER
    from lake_assets.core.engine import engine_for
    from lake_assets.partitions import daily_partitions
    from lake_assets.quality.catalog import UNKNOWN_USERS

    partitions = daily_partitions(settings.partition_start)
    lake_assets = [build_lake_asset(decl, partitions, layer_policy) for decl in (*BRONZE, *SILVER, *GOLD)]
    checks = [build_standalone_check(UNKNOWN_USERS, "check_unknown_users", ["silver/users"], partitions)]
    daily_job = dg.define_asset_job(
        "lake_daily", selection=ALL_LAKE_ASSETS,
        description="Every Bronze, Silver and Gold table for one day, in dependency order.")
    return dg.Definitions(
        assets=[*LANDING_SPECS, *lake_assets],
        asset_checks=checks,
        jobs=[daily_job],
        resources={"engine": engine_for(settings)},
        # One process per run: all assets share one Spark session (no JVM start per asset).
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """Entry point for `dagster dev`, `dagster asset materialize -m lake_assets.definitions`."""
    return build_definitions(LakeSettings.from_env())
