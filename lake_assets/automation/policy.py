"""Cross-cutting run policy: automation conditions and retries (applied by `definitions.py`).

Silver and Gold follow their upstreams: a partition is requested when an upstream partition it
reads was updated. Because a failed blocking check means nothing was published (write-audit-
publish), a bad upstream never counts as "updated", so automation respects blocking checks across
runs too. Partitions of the last `LOOKBACK` are considered (not only today's), so late data that
re-materializes yesterday's Bronze flows on to yesterday's Silver and Gold.
"""

from collections.abc import Sequence
from datetime import timedelta

import dagster as dg

LOOKBACK = timedelta(days=2)

# Upstreams whose absence must not hold a table back: a day without a full export is built from
# an earlier snapshot plus incremental changes (see `jobs/silver.py`).
OPTIONAL_UPSTREAMS = {"bronze/tasks_export", "bronze/tasks_changes"}

# Transient failures (a lost executor, a filesystem hiccup) are retried with exponential backoff
# and jitter; data-quality and input failures raise `Failure(allow_retries=False)` and are not.
RETRY_POLICY = dg.RetryPolicy(max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def follow_upstreams(upstreams: Sequence[str]) -> dg.AutomationCondition:
    """Like `eager()`, over a look-back window, tolerating optional upstreams that are missing."""
    missing = dg.AutomationCondition.any_deps_missing()
    optional = [dg.AssetKey(k.split("/")) for k in upstreams if k in OPTIONAL_UPSTREAMS]
    if optional:
        missing = missing.ignore(dg.AssetSelection.assets(*optional))
    return (
        dg.AutomationCondition.in_latest_time_window(lookback_delta=LOOKBACK)
        & (dg.AutomationCondition.newly_missing() | dg.AutomationCondition.any_deps_updated()).since_last_handled()
        & ~missing
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
    ).with_label("follow upstreams")
