"""Progress lines: each step says what it reads and writes when it starts, and rows and time when it ends,
in the run's logs (what the UI shows) and on `lake-demo`'s terminal; long Spark steps report stages."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field, replace
from datetime import date
from types import SimpleNamespace

import dagster as dg
import pytest

from lake_assets.assets.factory import build_lake_asset, reads_label
from lake_assets.builds.report import BuildReport, CheckReport, OutputReport
from lake_assets.cli.demo import announcement, plan
from lake_assets.core.settings import LakeSettings
from lake_assets.declare import Reads
from lake_assets.engines.base import StepResult
from lake_assets.engines.progress import PROGRESS_LOGGER, outcome, progress, spark_progress, stage_lines
from lake_assets.partitions import daily_partitions
from lake_assets.steps import CATALOG

DAY = "2026-11-28"
WROTE = OutputReport("bronze/api_requests", "/lake/bronze/api_requests/dt=2026-11-28", 1234, 1, 99, True)


@dataclass(frozen=True)
class FixedEngine:
    """An engine whose every build returns `report` (no Spark)."""

    report: BuildReport
    settings: LakeSettings = field(default_factory=LakeSettings)

    def run_build(self, context, build: str, partition: str) -> StepResult:
        return StepResult(self.report)


def test_outcome_says_rows_written_skips_and_input_errors():
    blocked = CheckReport("bronze/api_requests", "no_data", False, "ERROR", True)
    assert outcome(BuildReport("b", DAY, outputs=[WROTE])) == "wrote bronze/api_requests 1,234 rows"
    rejected = BuildReport("b", DAY, outputs=[replace(WROTE, published=False)], checks=[blocked])
    assert outcome(rejected) == "wrote bronze/api_requests 1,234 rows (not published); 1 blocking check(s) failed"
    assert outcome(BuildReport("b", DAY)) == "wrote nothing"
    assert outcome(BuildReport("b", DAY, skipped="no export")) == "skipped: no export"
    assert outcome(BuildReport("b", DAY, input_error="no manifest")) == "could not run: no manifest"


def test_reads_label_shows_the_days_read():
    assert [reads_label(r) for r in (Reads("a/b"), Reads("a/b", days_after=1), Reads("a/b", 31))] == [
        "a/b",
        "a/b D…D+1",
        "a/b D-31…D",
    ]


def test_run_logs_hold_a_start_and_an_end_line_per_step():
    step = next(s for s in CATALOG.steps if s.name == "bronze_api_requests")
    asset = build_lake_asset(step, CATALOG, daily_partitions(date(2026, 11, 1)))
    engine = FixedEngine(BuildReport("bronze_api_requests", DAY, outputs=[WROTE]))
    with dg.instance_for_test() as instance:
        result = dg.materialize([asset], partition_key=DAY, resources={"engine": engine}, instance=instance)
        assert result.success
        messages = [e.user_message for e in instance.all_logs(result.run_id) if e.user_message.startswith("bronze_")]
    assert messages[0] == f"bronze_api_requests {DAY}: started; reads landing/api_logs → writes bronze/api_requests"
    assert re.fullmatch(rf"bronze_api_requests {DAY}: wrote bronze/api_requests 1,234 rows in \d+\.\ds", messages[1])
    assert len(messages) == 2


def test_a_progress_line_goes_to_the_run_log_and_to_a_handler_of_the_progress_logger():
    assert PROGRESS_LOGGER.propagate is False  # the daemon's own logging never prints them twice
    run_log: list[str] = []
    printed: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: printed.append(record.getMessage())  # type: ignore[method-assign]
    PROGRESS_LOGGER.addHandler(handler)
    PROGRESS_LOGGER.setLevel(logging.INFO)
    try:
        progress(SimpleNamespace(log=SimpleNamespace(info=run_log.append)), "gold_x 2026-11-28: started")
    finally:
        PROGRESS_LOGGER.removeHandler(handler)
        PROGRESS_LOGGER.setLevel(logging.NOTSET)
    assert run_log == printed == ["gold_x 2026-11-28: started"]


class FakeTracker:
    def __init__(self, stages):
        self.stages = stages

    def getActiveStageIds(self):
        return list(self.stages)

    def getStageInfo(self, stage_id):
        done, total = self.stages[stage_id]
        return SimpleNamespace(numCompletedTasks=done, numTasks=total)


def test_stage_lines_list_every_active_stage_in_order():
    assert stage_lines(FakeTracker({7: (3, 8), 2: (1, 1)})) == ["stage 2: 1/1 tasks", "stage 7: 3/8 tasks"]
    assert stage_lines(FakeTracker({})) == []


def test_spark_progress_logs_active_stages_while_the_step_runs():
    seen: list[str] = []
    context = SimpleNamespace(log=SimpleNamespace(info=seen.append))
    tracker = FakeTracker({4: (2, 5)})
    with spark_progress(context, lambda: tracker, f"silver_tasks {DAY}", every=0.01):
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
    assert re.fullmatch(rf"silver_tasks {DAY}: stage 4: 2/5 tasks \(\d+s\)", seen[0])
    count = len(seen)
    time.sleep(0.05)
    assert len(seen) == count  # the poller stopped with the step


@pytest.mark.parametrize(("today", "runs"), [(date(2026, 11, 30), 5), (date(2026, 11, 28), 4)])
def test_plan_and_announcement_say_what_will_run(today, runs):
    days = [date(2026, 11, 27), date(2026, 11, 28)]
    steps = plan(days, today)
    assert len(steps) == runs and steps[-1] == ("silver+gold", date(2026, 11, 28))
    text = announcement(days, steps, LakeSettings(lake_root_uri="/l", landing_uri="/in"), "/h", 2000)
    bronze = runs - 2
    assert text.startswith(
        f"lake-demo: 2 day(s), 2026-11-27 … 2026-11-28: sample landing data (2,000 API requests/day) → /in; "
        f"then {runs} runs on local Spark (bronze ×{bronze}, then silver+gold ×2) → /l; runs recorded in /h."
    )
