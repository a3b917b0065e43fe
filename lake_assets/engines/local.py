"""The embedded default: jobs run in this process on the shared local Spark session."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from lake_assets.core.settings import LakeSettings
from lake_assets.declare import Catalog
from lake_assets.engines.base import StepContext, StepResult
from lake_assets.engines.progress import spark_progress
from lake_assets.execute import build_context, failure_report, run_build
from lake_assets.steps import CATALOG


@dataclass(frozen=True)
class LocalSparkEngine:
    """Runs jobs on a local Spark (`local[*]`), reading and writing a local lake."""

    settings: LakeSettings
    catalog: Catalog = CATALOG

    def run_build(self, context: StepContext, build: str, partition: str) -> StepResult:
        context.log.info(f"running {build} for {partition} on local Spark")
        started = time.perf_counter()
        try:
            settings = self.settings.for_run(context.run.tags)
            ctx = build_context(settings, date.fromisoformat(partition), catalog=self.catalog)
        except Exception as exc:
            return StepResult(failure_report(build, partition, exc))
        # Long steps report Spark's stage progress in the run log (see `engines/progress.py`).
        with spark_progress(context, ctx.spark.sparkContext.statusTracker, f"{build} {partition}"):
            report = run_build(build, ctx)
        return StepResult(report, {"engine": "local", "build_seconds": round(time.perf_counter() - started, 3)})
