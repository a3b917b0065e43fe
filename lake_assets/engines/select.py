"""The engine for the configured `LAKE_ENGINE`: same jobs, different place to run them."""

from __future__ import annotations

from lake_assets.core.settings import LakeSettings
from lake_assets.declare import Catalog
from lake_assets.engines.base import LakeEngine
from lake_assets.engines.local import LocalSparkEngine
from lake_assets.steps import CATALOG


def engine_for(settings: LakeSettings, catalog: Catalog = CATALOG) -> LakeEngine:
    """Remote engines are imported only when chosen, so the embedded default never loads boto3.

    Remote job scripts run the steps `lake_assets.steps` declares in the deployed package, so a
    catalog with extra steps runs on the local engine only (deploy the package to run them remotely).
    """
    if settings.engine == "local":
        return LocalSparkEngine(settings, catalog)
    if settings.engine == "glue":
        from lake_assets.remote.glue import GlueEngine

        return GlueEngine(settings)
    if settings.engine == "emr-serverless":
        from lake_assets.remote.emr_serverless import EMRServerlessEngine

        return EMRServerlessEngine(settings)
    from lake_assets.remote.emr import EMREngine

    return EMREngine(settings)
