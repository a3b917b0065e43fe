"""Run one registered job for one day and return its report — the same call on every engine."""

from __future__ import annotations

from lake_assets.jobs.base import JobContext, JobInputError
from lake_assets.jobs.registry import JOBS
from lake_assets.jobs.report import JobReport, report_of


def run_job(job: str, ctx: JobContext) -> JobReport:
    """The job's report; an input the job cannot work with becomes `input_error`, not an exception,
    so every engine fails it the same way (clearly, and never retried)."""
    try:
        result = JOBS[job](ctx)
    except JobInputError as exc:
        return JobReport(job, ctx.dt, input_error=str(exc))
    return report_of(job, ctx.dt, result)
