"""The freshness report on a controlled instance and clock: fresh, warning, stale, upstream cause."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from lake_assets.cli.freshness import render
from lake_assets.freshness.policies import POLICIES
from lake_assets.freshness.report import as_dicts, build_report, evaluate_policy

DAILY = dg.DailyPartitionsDefinition(start_date="2026-11-01", timezone="UTC", end_offset=1)
SILVER_OK = {"ok": True}


@dg.asset(key=["bronze", "t"], partitions_def=DAILY, freshness_policy=POLICIES["bronze"])
def bronze_t():
    return dg.MaterializeResult()


@dg.asset(
    key=["silver", "t"],
    partitions_def=DAILY,
    deps=[bronze_t],
    freshness_policy=POLICIES["silver"],
    check_specs=[dg.AssetCheckSpec("quality", asset=["silver", "t"], blocking=True)],
)
def silver_t():
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(check_name="quality", passed=SILVER_OK["ok"], metadata={"rows": 1})


@dg.asset(key=["gold", "t"], partitions_def=DAILY, deps=[silver_t], freshness_policy=POLICIES["gold"])
def gold_t():
    return dg.MaterializeResult()


DEFS = dg.Definitions(assets=[bronze_t, silver_t, gold_t])


def by_asset(report):
    return {s.asset: s for s in report}


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def test_policies_follow_the_documented_rules():
    now = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    window = POLICIES["silver"]
    assert evaluate_policy(window, now - timedelta(hours=1), now) == "PASS"
    assert evaluate_policy(window, now - timedelta(hours=26), now) == "WARN"
    assert evaluate_policy(window, now - timedelta(hours=29), now) == "FAIL"
    assert evaluate_policy(window, None, now) == "UNKNOWN"
    gold = POLICIES["gold"]  # refreshed between 02:00 and the 06:00 deadline
    assert evaluate_policy(gold, datetime(2026, 11, 22, 2, 30, tzinfo=UTC), now) == "PASS"
    assert evaluate_policy(gold, datetime(2026, 11, 22, 1, 30, tzinfo=UTC), now) == "FAIL"
    assert (
        evaluate_policy(gold, datetime(2026, 11, 21, 23, 0, tzinfo=UTC), datetime(2026, 11, 22, 5, 0, tzinfo=UTC))
        == "PASS"
    )  # before today's deadline


def test_fresh_warning_and_stale_with_partition_lag(instance):
    assert dg.materialize([bronze_t, silver_t, gold_t], partition_key="2026-11-20", instance=instance).success
    done = datetime.now(UTC)
    fresh = by_asset(build_report(DEFS, instance, done + timedelta(hours=1)))
    assert fresh["silver/t"].freshness == "PASS" and fresh["silver/t"].latest_partition == "2026-11-20"
    lag = (done + timedelta(hours=1) - timedelta(days=1)).date() - datetime(2026, 11, 20).date()
    assert fresh["silver/t"].partition_lag_days == max(lag.days, 0)
    later = by_asset(build_report(DEFS, instance, done + timedelta(hours=26)))
    assert later["bronze/t"].freshness == "WARN" and later["silver/t"].freshness == "WARN"
    stale = by_asset(build_report(DEFS, instance, done + timedelta(hours=30)))
    assert stale["bronze/t"].freshness == "FAIL"
    assert stale["gold/t"].cause == "bronze/t"  # the root of the chain, not its direct parent


def test_failing_blocking_check_is_named_as_the_upstream_cause(instance):
    assert dg.materialize([bronze_t, silver_t, gold_t], partition_key="2026-11-21", instance=instance).success
    SILVER_OK["ok"] = False
    try:
        result = dg.materialize(
            [bronze_t, silver_t, gold_t], partition_key="2026-11-22", instance=instance, raise_on_error=False
        )
    finally:
        SILVER_OK["ok"] = True
    assert not result.success
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    report = by_asset(build_report(DEFS, instance, now))
    assert report["silver/t"].failing_checks == ["quality [-]"]
    assert report["gold/t"].latest_partition == "2026-11-21" and report["gold/t"].partition_lag_days == 1
    assert report["gold/t"].cause == "silver/t"
    assert "failing checks: quality" in report["gold/t"].reason
    text = render(list(report.values()))
    assert "gold/t: cause is upstream silver/t — failing checks: quality [-]" in text
    assert json.loads(json.dumps(as_dicts(list(report.values()))))[1]["healthy"] is False


def test_cli_requires_an_instance(monkeypatch, capsys):
    from lake_assets.cli import freshness

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert freshness.main([]) == 2
    assert "DAGSTER_HOME" in capsys.readouterr().err


def test_cli_on_a_fresh_instance_reports_never_materialized(monkeypatch, tmp_path, capsys):
    from lake_assets.cli import freshness

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("LAKE_ROOT_URI", str(tmp_path / "lake"))
    assert freshness.main(["--json", "--now", "2026-11-22T07:00:00"]) == 1
    rows = {r["asset"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["gold/route_latency_daily"]["freshness"] == "UNKNOWN"
    assert rows["gold/route_latency_daily"]["cause"] == "bronze/api_requests"
    assert rows["bronze/api_requests"]["reason"] == "never materialized"
