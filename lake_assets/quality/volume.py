"""Volume anomaly: a partition's row count against the trailing partitions, robustly.

Median and MAD (median absolute deviation) instead of mean and standard deviation, so one bad
day in the history does not widen the band enough to hide the next one.
"""

from __future__ import annotations

from statistics import median

MIN_HISTORY = 3
Z_LIMIT = 3.5  # robust z-score beyond which a count is anomalous
MIN_RELATIVE_SPREAD = 0.05  # ±5% of the median is always normal (tiny, very stable tables)


def volume_band(history: list[int]) -> tuple[float, float, float]:
    """(median, low, high) of the expected row count, from trailing counts."""
    mid = median(history)
    mad = median(abs(n - mid) for n in history)
    scale = max(1.4826 * mad, MIN_RELATIVE_SPREAD * mid / Z_LIMIT, 1.0)
    return mid, max(0.0, mid - Z_LIMIT * scale), mid + Z_LIMIT * scale


def volume_verdict(rows: int, history: list[int]) -> tuple[bool, dict[str, object]]:
    """(passed, metadata); too little history passes and says so."""
    if len(history) < MIN_HISTORY:
        return True, {
            "observed_rows": rows,
            "history": history,
            "note": f"needs {MIN_HISTORY} earlier partitions, has {len(history)}",
        }
    mid, low, high = volume_band(history)
    return low <= rows <= high, {
        "observed_rows": rows,
        "history": history,
        "median": mid,
        "expected_low": round(low, 1),
        "expected_high": round(high, 1),
    }
