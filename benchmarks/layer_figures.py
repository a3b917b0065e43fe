"""Per-layer CPU seconds and peak memory of a run, and the medians over alternating rounds.

A run reports the epoch-second span of its startup and of each job (`step_spans`); the parent's
sampler (`proctree.run_measured`) records the process tree's cumulative CPU seconds and summed RSS
every 0.2 s. A layer's CPU is the tree's CPU consumed during its jobs' spans (interpolated between
samples, the Spark/JVM startup inside Dagster's first step taken out as its wall time is), and its
peak RSS the largest summed RSS sampled while one of its jobs ran. Figures are medians over the
rounds, per metric and layer (so a slow round in one layer does not pick another layer's figure).
"""

from __future__ import annotations

import bisect
from statistics import median
from typing import Any

LAYERS = ("bronze", "silver", "gold")
Timeline = list[tuple[float, float, int]]  # (epoch s, tree CPU s so far, summed RSS kB)


def _cpu_at(timeline: Timeline, moment: float) -> float:
    times = [t for t, _, _ in timeline]
    i = bisect.bisect_left(times, moment)
    if i == 0:
        return timeline[0][1] if timeline else 0.0
    if i == len(timeline):
        return timeline[-1][1]
    (t0, c0, _), (t1, c1, _) = timeline[i - 1], timeline[i]
    return c0 + (c1 - c0) * (moment - t0) / (t1 - t0) if t1 > t0 else c1


def _cpu(timeline: Timeline, span: list[float]) -> float:
    return max(0.0, _cpu_at(timeline, span[1]) - _cpu_at(timeline, span[0]))


def _peak_mb(timeline: Timeline, spans: list[list[float]]) -> float | None:
    inside = [kb for t, _, kb in timeline if any(a <= t <= b for a, b in spans)]
    if not inside and spans and timeline:  # a job shorter than the sampling interval
        middle = (spans[0][0] + spans[-1][1]) / 2
        inside = [min(timeline, key=lambda s: abs(s[0] - middle))[2]]
    return round(max(inside) / 1024, 1) if inside else None


def layer_figures(run: dict[str, Any], timeline: Timeline) -> dict[str, dict[str, float | None]]:
    """{layer: {wall, cpu, peak_rss_mb}} plus `startup`, for one run with `step_spans`."""
    from plain_pyspark import layer_of

    spans: dict[str, list[float]] = run.get("step_spans") or {}
    startup = run.get("startup_span") or []
    startup_cpu = _cpu(timeline, startup) if startup else 0.0
    result: dict[str, dict[str, float | None]] = {
        "startup": {"wall": run.get("startup_seconds"), "cpu": round(startup_cpu, 2), "peak_rss_mb": None}
    }
    for layer in LAYERS:
        mine = [s for job, s in spans.items() if layer_of(job) == layer or job.split("_", 1)[0] == layer]
        cpu = sum(_cpu(timeline, s) for s in mine)
        if startup and any(a <= startup[0] and startup[1] <= b for a, b in mine):
            cpu -= startup_cpu  # Dagster starts Spark inside its first (bronze) step
        result[layer] = {
            "wall": (run.get("layer_seconds") or {}).get(layer),
            "cpu": round(cpu, 2) if mine else None,
            "peak_rss_mb": _peak_mb(timeline, mine),
        }
    return result


def _med(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return median(present) if present else None


def medians(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Median per metric over one contender's rounds: per layer, and the run's totals."""
    out: dict[str, Any] = {"rounds": len(rounds), "failed_rounds": sum(r.get("exit_code") != 0 for r in rounds)}
    for layer in ("startup", *LAYERS):
        out[layer] = {
            metric: _med([(r.get("layers") or {}).get(layer, {}).get(metric) for r in rounds])
            for metric in ("wall", "cpu", "peak_rss_mb")
        }
    for total in ("total_seconds", "process_seconds", "cpu_seconds", "peak_rss_mb"):
        out[total] = _med([r.get(total) for r in rounds])
    return out


def ratios(meds: dict[str, dict[str, Any]], top: str, bottom: str) -> dict[str, Any]:
    """`top` / `bottom` for every median figure both have."""

    def div(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a is not None and b else None

    a, b = meds[top], meds[bottom]
    result: dict[str, Any] = {
        layer: {m: div(a[layer][m], b[layer][m]) for m in ("wall", "cpu", "peak_rss_mb")} for layer in LAYERS
    }
    for total in ("total_seconds", "process_seconds", "cpu_seconds", "peak_rss_mb"):
        result[total] = div(a[total], b[total])
    return result
