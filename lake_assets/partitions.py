"""The one daily (UTC) partitioning every lake table shares."""

from datetime import date

import dagster as dg


def daily_partitions(start: date) -> dg.DailyPartitionsDefinition:
    """Daily partitions from `start`; the current day is included so late data can be re-run."""
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC", end_offset=1)
