"""Freshness policies per layer (applied to every asset of the layer by `definitions.py`).

The daily batch runs at 02:00 UTC for the previous day, so Gold must be refreshed between 02:00
and the 06:00 UTC deadline analysts rely on; Bronze and Silver get time windows a little over a
day, so a missed batch warns before Gold's deadline fails.
"""

from datetime import timedelta

import dagster as dg

GOLD_DEADLINE_CRON = "0 6 * * *"

POLICIES: dict[str, dg.FreshnessPolicy] = {
    "bronze": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=28), warn_window=timedelta(hours=25)),
    "silver": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=28), warn_window=timedelta(hours=25)),
    "gold": dg.FreshnessPolicy.cron(
        deadline_cron=GOLD_DEADLINE_CRON, lower_bound_delta=timedelta(hours=4), timezone="UTC"
    ),
}
