"""Progress lines: one per step as it starts and ends, plus Spark's stage progress during long steps.

Why: a Spark step can run for minutes, and without these the run log shows nothing between
STEP_START and the materializations (and `lake-demo`'s terminal nothing at all). Every line goes to
the run's event log (the UI) through `context.log`, and to the Python logger `lake_assets.progress`.
That logger does not propagate and has no handler of its own, so the daemon and the tests never
print the lines twice; `lake-demo` attaches a handler to show them on the terminal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from lake_assets.builds.report import BuildReport
from lake_assets.engines.base import LakeEngine, StepContext, StepResult

if TYPE_CHECKING:
    from pyspark import StatusTracker

PROGRESS_LOGGER = logging.getLogger("lake_assets.progress")
PROGRESS_LOGGER.propagate = False
SPARK_POLL_SECONDS = 10.0


def progress(context: StepContext, message: str) -> None:
    """The one way to write a progress line: to the run's logs and to `lake_assets.progress`."""
    context.log.info(message)
    PROGRESS_LOGGER.info(message)


def outcome(report: BuildReport) -> str:
    """What a finished step did, in words: rows written per table, a skip, or why it could not run."""
    if report.input_error:
        return f"could not run: {report.input_error}"
    if report.skipped:
        return f"skipped: {report.skipped}"
    written = ", ".join(
        f"{o.table} {o.rows:,} rows" + ("" if o.published else " (not published)") for o in report.outputs
    )
    failed = len(report.blocking_failures)
    return f"wrote {written or 'nothing'}" + (f"; {failed} blocking check(s) failed" if failed else "")


def run_step(
    context: StepContext, engine: LakeEngine, build: str, partition: str, reads: Sequence[str], writes: Sequence[str]
) -> StepResult:
    """`engine.run_build` between a start line (what it reads and writes) and an end line (rows, time)."""
    head = f"{build} {partition}"
    progress(context, f"{head}: started; reads {', '.join(reads) or 'nothing'} → writes {', '.join(writes)}")
    started = time.perf_counter()
    try:
        result = engine.run_build(context, build, partition)
    except Exception as exc:
        progress(context, f"{head}: failed after {time.perf_counter() - started:.1f}s ({type(exc).__name__})")
        raise
    progress(context, f"{head}: {outcome(result.report)} in {time.perf_counter() - started:.1f}s")
    return result


def stage_lines(tracker: StatusTracker) -> list[str]:
    """`stage N: done/total tasks` for every active Spark stage (what `StatusTracker` knows now)."""
    lines = []
    for stage_id in sorted(tracker.getActiveStageIds()):
        info: Any = tracker.getStageInfo(stage_id)
        if info is not None:
            lines.append(f"stage {stage_id}: {info.numCompletedTasks}/{info.numTasks} tasks")
    return lines


@contextmanager
def spark_progress(
    context: StepContext,
    tracker: Callable[[], StatusTracker],
    head: str,
    every: float = SPARK_POLL_SECONDS,
) -> Iterator[None]:
    """While the body runs, a line every `every` seconds with Spark's active stages (none when idle).

    Why a poller and not Spark's console progress bar: the bar writes to the process's terminal
    (not the run log) and mixes with Dagster's lines; it stays off (`spark.ui.showConsoleProgress`).
    """
    stop = threading.Event()
    started = time.perf_counter()

    def poll() -> None:
        while not stop.wait(every):
            try:
                lines = stage_lines(tracker())
            except Exception:  # the session stopping under us must not fail the step
                return
            if lines:
                progress(context, f"{head}: {'; '.join(lines)} ({time.perf_counter() - started:.0f}s)")

    thread = threading.Thread(target=poll, name=f"spark-progress-{head}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=every + 1)
