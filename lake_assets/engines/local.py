"""The embedded default: jobs run in this process on the shared local Spark session."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from lake_assets.core.settings import LakeSettings
from lake_assets.declare import Catalog
from lake_assets.engines.base import StepContext, StepResult
from lake_assets.execute import build_job_context, run_job
from lake_assets.jobs.base import JobInputError
from lake_assets.jobs.report import JobReport
from lake_assets.steps import CATALOG


@dataclass(frozen=True)
class LocalSparkEngine:
    """Runs jobs on a local Spark (`local[*]`), reading and writing a local lake."""

    settings: LakeSettings
    catalog: Catalog = CATALOG

    def run_job(self, context: StepContext, job: str) -> StepResult:
        partition = context.partition_key
        context.log.info(f"running {job} for {partition} on local Spark")
        started = time.perf_counter()
        try:
            ctx = build_job_context(self.settings, date.fromisoformat(partition), catalog=self.catalog)
        except JobInputError as exc:
            return StepResult(JobReport(job, partition, input_error=str(exc)))
        report = run_job(job, ctx)
        return StepResult(report, {"engine": "local", "job_seconds": round(time.perf_counter() - started, 3)})
