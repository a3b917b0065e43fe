"""The one contract every engine keeps: run a job for one partition (day), return a `StepResult`.

The local engine runs the job in this process; remote engines submit the same job code to an AWS
service through Dagster Pipes and get the job's `BuildReport` back as a Pipes message. Either way
the asset gets a report of the job's outcome plus metadata about where it ran, and one function
(`assets/outcome.step_events`) turns that into Dagster events — so skip, input error, blocking
failure and success mean the same on every engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import dagster as dg

from lake_assets.builds.report import BuildReport
from lake_assets.core.settings import LakeSettings

StepContext = dg.AssetExecutionContext | dg.AssetCheckExecutionContext


@dataclass(frozen=True)
class StepResult:
    """A job's report and what the engine knows about the run itself (run id, link, cost)."""

    report: BuildReport
    run_metadata: dict[str, Any] = field(default_factory=dict)


class LakeEngine(Protocol):
    """What the assets require of the `engine` resource."""

    @property
    def settings(self) -> LakeSettings:
        """The settings the engine runs with (read-only: engines are frozen dataclasses)."""
        ...

    def run_build(self, context: StepContext, build: str, partition: str) -> StepResult:
        """Run `build` for the day `partition` (one of the run's partitions: a ranged backfill run
        calls this once per day). Infrastructure failures raise (and are retried); data outcomes —
        including input errors and failed blocking checks — come back in the report."""
        ...
