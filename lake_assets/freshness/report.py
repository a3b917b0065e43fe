"""Evaluate freshness, partitions and checks of every asset from a Dagster instance.

Dagster's freshness states are written by the daemon and are not partition-aware; this report
evaluates the same policies itself at a given time (so it works without a daemon and can be
tested with a fixed clock), adds the latest materialized partition and its lag, the failing
checks, and for anything unhealthy the upstream asset that is the root cause.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import dagster as dg

# Dagster exports only the `FreshnessPolicy` base; its two kinds are told apart by class.
from dagster._core.definitions.freshness import CronFreshnessPolicy, TimeWindowFreshnessPolicy
from dagster._utils.schedules import cron_string_iterator

if TYPE_CHECKING:
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

PASS, WARN, FAIL, UNKNOWN = "PASS", "WARN", "FAIL", "UNKNOWN"


@dataclass
class AssetStatus:
    asset: str
    freshness: str
    last_materialized: str | None
    latest_partition: str | None
    partition_lag_days: int | None
    failing_checks: list[str] = field(default_factory=list)  # ERROR severity: the asset is unhealthy
    warning_checks: list[str] = field(default_factory=list)  # WARN severity: worth a look, not a failure
    cause: str | None = None
    reason: str | None = None

    @property
    def healthy(self) -> bool:
        return self.freshness in (PASS, "NOT_APPLICABLE") and not self.failing_checks and not self.partition_lag_days


def evaluate_policy(policy: dg.FreshnessPolicy | None, last: datetime | None, now: datetime) -> str:
    """PASS/WARN/FAIL/UNKNOWN for one policy, like Dagster's freshness daemon."""
    if policy is None:
        return "NOT_APPLICABLE"
    if last is None:
        return UNKNOWN
    if isinstance(policy, TimeWindowFreshnessPolicy):
        age = now - last
        warn_window = policy.warn_window
        if age >= policy.fail_window.to_timedelta():
            return FAIL
        return WARN if warn_window and age >= warn_window.to_timedelta() else PASS
    if not isinstance(policy, CronFreshnessPolicy):
        raise TypeError(f"unsupported freshness policy {type(policy).__name__}")
    ticks = cron_string_iterator(now.timestamp(), policy.deadline_cron, policy.timezone, ascending=False)
    tick = next(t for t in ticks if t.timestamp() <= now.timestamp())
    return PASS if last >= tick - policy.lower_bound_delta else FAIL


def _failing_checks(instance: dg.DagsterInstance, graph: AssetGraph, key: dg.AssetKey) -> tuple[list[str], list[str]]:
    """(ERROR, WARN) checks whose latest evaluation did not pass, as `name [partition]`."""
    check_keys = list(graph.get_check_keys_for_assets({key}))
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
    errors: list[str] = []
    warnings: list[str] = []
    for check_key, record in sorted(latest.items(), key=lambda kv: kv[0].name):
        event = record.event.dagster_event if record.event else None
        evaluation = event.event_specific_data if event else None
        # The latest record of a check still running is its planned event, which has no verdict yet.
        if isinstance(evaluation, dg.AssetCheckEvaluation) and not evaluation.passed:
            target = errors if evaluation.severity == dg.AssetCheckSeverity.ERROR else warnings
            target.append(f"{check_key.name} [{evaluation.partition or '-'}]")
    return errors, warnings


def asset_status(instance: dg.DagsterInstance, graph: AssetGraph, key: dg.AssetKey, now: datetime) -> AssetStatus:
    """Status of one asset at `now`, without root cause."""
    node = graph.get(key)
    event = instance.get_latest_materialization_event(key)
    last = datetime.fromtimestamp(event.timestamp, tz=UTC) if event else None
    latest_partition, lag = None, None
    if node.partitions_def is not None:
        done = instance.get_materialized_partitions(key)
        latest_partition = max(done) if done else None
        expected = (now - timedelta(days=1)).date()  # the batch covers yesterday
        lag = (expected - date.fromisoformat(latest_partition)).days if latest_partition else None
        lag = max(lag, 0) if lag is not None else None
    errors, warnings = _failing_checks(instance, graph, key)
    return AssetStatus(
        asset=key.to_user_string(),
        freshness=evaluate_policy(node.freshness_policy, last, now),
        last_materialized=last.isoformat(timespec="seconds") if last else None,
        latest_partition=latest_partition,
        partition_lag_days=lag,
        failing_checks=errors,
        warning_checks=warnings,
    )


def _root_cause(graph: AssetGraph, key: dg.AssetKey, statuses: dict[dg.AssetKey, AssetStatus]) -> dg.AssetKey | None:
    """The most upstream unhealthy ancestor of `key` (None when all upstreams are healthy)."""
    for parent in sorted(graph.get(key).parent_keys, key=lambda k: k.to_user_string()):
        if parent in statuses and not statuses[parent].healthy:
            return _root_cause(graph, parent, statuses) or parent
    return None


def _reason(status: AssetStatus) -> str:
    if status.failing_checks:
        return f"failing checks: {', '.join(status.failing_checks)}"
    if status.last_materialized is None:
        return "never materialized"
    if status.partition_lag_days:
        return f"latest partition {status.latest_partition} is {status.partition_lag_days} day(s) behind"
    return f"freshness {status.freshness}: last materialized {status.last_materialized}"


def build_report(defs: dg.Definitions, instance: dg.DagsterInstance, now: datetime | None = None) -> list[AssetStatus]:
    """Every materializable asset's status, with a root cause for the unhealthy ones."""
    now = now or datetime.now(UTC)
    graph = defs.resolve_asset_graph()
    keys = sorted(
        (k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable), key=lambda k: k.to_user_string()
    )
    statuses = {k: asset_status(instance, graph, k, now) for k in keys}
    for key, status in statuses.items():
        if status.healthy:
            continue
        cause = _root_cause(graph, key, statuses)
        status.cause = cause.to_user_string() if cause else status.asset
        status.reason = _reason(statuses[cause] if cause else status)
    return list(statuses.values())


def as_dicts(report: list[AssetStatus]) -> list[dict[str, Any]]:
    return [{**asdict(s), "healthy": s.healthy} for s in report]
