"""The engine for the configured `LAKE_ENGINE`: same jobs, different place to run them."""

from __future__ import annotations

from lake_assets.core.settings import LakeSettings
from lake_assets.engines.base import LakeEngine
from lake_assets.engines.local import LocalSparkEngine


def engine_for(settings: LakeSettings) -> LakeEngine:
    """Remote engines are imported only when chosen, so the embedded default never loads boto3."""
    if settings.engine == "local":
        return LocalSparkEngine(settings)
    if settings.engine == "glue":
        from lake_assets.remote.glue import GlueEngine

        return GlueEngine(settings)
    if settings.engine == "emr-serverless":
        from lake_assets.remote.emr_serverless import EMRServerlessEngine

        return EMRServerlessEngine(settings)
    from lake_assets.remote.emr import EMREngine

    return EMREngine(settings)
