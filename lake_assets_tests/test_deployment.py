"""The production deployment, end to end: deploy/dagster.yaml on a real PostgreSQL, and the code
server, daemon and webserver as separate processes (what deploy/docker-compose.yaml runs).

One set of services (module-scoped) serves every test, in order: the sensors and automation alone
build a day of sample landing data Bronze -> Silver -> Gold; the UI shows it in headless Chromium;
docs/runbook.md's diagnosis and pause/resume commands run against it as written;
a run worker killed with SIGKILL is failed and retried once while the daemon and the webserver are
restarted mid-flight; PostgreSQL restarted while idle is reconnected to. Everything is asserted
through the webserver's GraphQL API and the lake's files. About 11 minutes on 2 cores: ~10 small Spark
runs, one at a time (the instance allows one run), each mostly JVM start-up.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from lake_assets_tests import deployment_queries as q
from lake_assets_tests.browser import check_ui
from lake_assets_tests.dagster_services import (
    BIN,
    LOCALHOST,
    REPO_ROOT,
    DagsterService,
    ServiceError,
    small_lake_instance,
    wait_until,
)
from lake_assets_tests.postgres_server import LocalPostgres
from lake_assets_tests.test_runbook import runbook_commands
from lake_sample.generator import generate_sample

pytestmark = pytest.mark.deploy

DEPLOY = REPO_ROOT / "deploy"
DAEMONS = ["SENSOR", "ASSET", "QUEUED_RUN_COORDINATOR", "MONITORING", "SCHEDULER"]
BUILD_TIMEOUT = 720  # sensors + automation: ~10 small runs (today's Silver/Gold too), one at a time
# The sample has full exports only (no incremental ones), so nothing ever requests this table.
NOT_FED = frozenset({"bronze/tasks_changes"})
RUN_TIMEOUT = 240  # one small run, JVM start included, on a loaded 2-core machine


@dataclass
class Deployment:
    root: Path
    day: str
    truth: dict[str, Any]
    postgres: LocalPostgres
    code: DagsterService
    daemon: DagsterService
    web: DagsterService

    def alive(self) -> None:
        for service in (self.code, self.daemon, self.web):
            service.check_alive()

    def logs(self) -> str:
        return "\n".join(s.log_tail(3000) for s in (self.code, self.daemon, self.web))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    root = tmp_path_factory.mktemp("deploy")
    # Yesterday: its late records land in today's folder, which Silver's request table also reads,
    # and both days are inside the automation's look-back (2 days back from today's partition).
    # (A run that straddles midnight UTC would see the window move; CI does not run then.)
    day = datetime.now(UTC).date() - timedelta(days=1)
    truth = generate_sample(root / "landing", day, 1, 2000, seed=13, users=20, tasks_per_user=3).to_dict()
    with LocalPostgres.start_new() as postgres:
        home, env = deployed_lake_instance(
            root,
            day.isoformat(),
            postgres.dagster_env(),
            LAKE_ALERTS_FILE=str(root / "alerts.jsonl"),
            LAKE_LANDING_LOOKBACK_DAYS="3",
        )
        logs = root / "logs"
        with DagsterService.code_server(env, logs, cwd=REPO_ROOT) as code:
            health = [str(BIN / "dagster"), "api", "grpc-health-check", "-h", LOCALHOST, "-p", str(code.port)]
            wait_until(
                lambda: subprocess.run(health, capture_output=True, env=env, timeout=30).returncode == 0,
                180,
                "the code server",
                interval=2,
                alive=code.check_alive,
            )
            env = {**env, "LAKE_CODE_SERVER_HOST": LOCALHOST, "LAKE_CODE_SERVER_PORT": str(code.port)}
            workspace = DEPLOY / "workspace.yaml"
            with (
                DagsterService.daemon(env, logs, workspace, cwd=home) as daemon,
                DagsterService.webserver(env, logs, workspace, cwd=home) as web,
            ):
                web.wait_ready(timeout=240)
                web.wait_daemons_healthy(DAEMONS, timeout=180)
                yield Deployment(root, day.isoformat(), truth, postgres, code, daemon, web)


def deployed_lake_instance(
    root: Path, partition_start: str, postgres_env: Mapping[str, str], **extra: str
) -> tuple[Path, dict[str, str]]:
    """Like `small_lake_instance`, but the home holds deploy/dagster.yaml (PostgreSQL storage, the
    production instance): `postgres_env` gives its DAGSTER_PG_* variables (password included, in
    the environment only) and compute logs go to `root/compute_logs`."""
    home, env = small_lake_instance(root, partition_start, **extra)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    env.update(postgres_env)
    env["DAGSTER_COMPUTE_LOGS_DIR"] = str(root / "compute_logs")
    return home, env


def wait_idle(d: Deployment, timeout: float = RUN_TIMEOUT) -> None:
    """No run queued or in progress (the automation has nothing more to do for now)."""
    wait_until(lambda: not q.runs(d.web, q.IN_FLIGHT), timeout, "no run in flight", interval=3, alive=d.alive)


def wait_run(d: Deployment, run_id: str, statuses: set[str], timeout: float = RUN_TIMEOUT) -> str:
    def reached() -> str | None:
        status = q.run_status(d.web, run_id)
        return status if status in statuses else None

    try:
        return wait_until(reached, timeout, f"run {run_id}", 2, d.alive)
    except ServiceError as error:
        raise AssertionError(f"{error}: {q.run_status(d.web, run_id)}\n{d.logs()}") from error


def bronze_rows(d: Deployment) -> int:
    return int(pq.read_table(d.root / "lake/bronze/api_requests" / f"dt={d.day}").num_rows)


def test_sensors_and_automation_alone_build_every_layer(deployment):
    d = deployment
    assets = q.lake_assets(d.web)
    assert {k.split("/")[0] for k in assets} == {"bronze", "silver", "gold"} and len(assets) >= 10, assets
    try:
        wait_until(lambda: not q.unfinished_partition(d.web, d.day, NOT_FED), BUILD_TIMEOUT, "the day", 5, d.alive)
    except ServiceError as error:
        raise AssertionError(f"{error}: {q.unfinished_partition(d.web, d.day, NOT_FED)}\n{d.logs()}") from error
    assert all(not q.materializations(d.web, key, d.day) for key in NOT_FED)
    # The sample's deliberate defects raise warnings (non-blocking checks), never block publishing.
    warned = q.warnings(d.web, d.day)
    assert "silver/api_requests:unknown_users" in warned and d.truth["unknown_user_ids"], warned
    wait_idle(d)
    runs = q.runs(d.web)
    assert runs and all(r["status"] == "SUCCESS" for r in runs), [(r["runId"], r["status"]) for r in runs]
    # Nothing was launched by hand: every run comes from a sensor or the automation (which submits
    # multi-partition requests as backfills, tagged with the automation sensor too).
    assert all(r["tags"].get("dagster/sensor_name") or r["tags"].get("dagster/backfill") for r in runs), runs
    sensors = {r["tags"].get("dagster/sensor_name") for r in runs}
    assert sensors >= {"api_logs_landing_sensor", "dynamodb_export_sensor", "lake_automation"}, sensors
    assert bronze_rows(d) == d.truth["lines_total"][d.day] + d.truth["control_messages"][d.day]


def test_ui_renders_lineage_partitions_and_checks(deployment):
    artifacts = REPO_ROOT / "lake_assets_tests" / "artifacts"
    check_ui(deployment.web.url, deployment.day, artifacts)


RUNBOOK_HERE = re.compile(
    r"^\.venv/bin/(dagster (sensor|schedule|instance|run) |dagster-daemon |lake-(query|freshness|recover))|^find "
)


def test_runbook_commands_run_against_the_deployment(deployment):
    """docs/runbook.md's diagnosis and pause/resume commands, as written, against these services
    (backfills, re-runs and key rotation launch work or need AWS: test_runbook.py covers them)."""
    d = deployment
    env = {**d.daemon.env, "DAY": d.day}
    commands = [c for c in runbook_commands() if RUNBOOK_HERE.match(c)]
    assert len(commands) >= 15, commands
    for line in commands:
        done = subprocess.run(["bash", "-c", line], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
        stale_is_news = line.startswith(".venv/bin/lake-freshness") and done.returncode == 1  # 1 = something stale
        assert done.returncode == 0 or stale_is_news, (line, done.stdout[-1500:], done.stderr[-1500:])
        assert d.postgres.password not in done.stdout + done.stderr, line  # never printed
    states = {s["name"]: s["status"] for s in q.instigator_states(d.web)}
    assert all(states[n] == "RUNNING" for n in ("api_logs_landing_sensor", "lake_automation", "lake_daily_schedule"))


def test_killed_worker_is_retried_once_across_a_daemon_and_webserver_restart(deployment):
    d = deployment
    wait_idle(d)
    killed = q.launch_assets(d.web, "lake_daily", ["bronze/api_requests"], d.day, {"test": "kill-9"})
    pid = wait_until(lambda: q.worker_pid_once_a_step_runs(d.web, killed), RUN_TIMEOUT, "the step", 1, d.alive)
    os.kill(pid, signal.SIGKILL)  # (a) the run worker dies mid-step
    wait_run(d, killed, {"FAILURE"}, 60)

    def retry_id() -> str | None:
        retries = q.runs(d.web, tags={"dagster/parent_run_id": killed})
        return retries[0]["runId"] if retries else None

    retry = wait_until(retry_id, 120, "the crash retry", 2, d.alive)
    # (b) restart the daemon and the webserver while the retry is queued or running
    restarted_at = time.time()
    d.daemon.restart()
    d.web.restart()
    d.web.wait_ready(timeout=240)
    d.web.wait_daemons_healthy(DAEMONS, timeout=180)
    assert wait_run(d, retry, {"SUCCESS", "FAILURE", "CANCELED"}) == "SUCCESS", d.logs()

    # The automation rebuilds what depends on the re-published Bronze partition, then goes quiet.
    bronze_at = q.materializations(d.web, "bronze/api_requests", d.day)[0]["timestamp"]

    def downstream_rebuilt() -> bool:
        newest = q.materializations(d.web, "gold/route_latency_daily", d.day)
        return bool(newest) and newest[0]["timestamp"] > bronze_at

    wait_until(downstream_rebuilt, RUN_TIMEOUT * 2, "Silver and Gold to follow the retry", 5, d.alive)
    wait_idle(d)

    # (a) the partition is published once: by the retry only, with every landed record once.
    assert [r["runId"] for r in q.runs(d.web, tags={"dagster/parent_run_id": killed})] == [retry]
    by_run = Counter(m["runId"] for m in q.materializations(d.web, "bronze/api_requests", d.day))
    assert by_run[killed] == 0 and by_run[retry] == 1, by_run
    assert bronze_rows(d) == d.truth["lines_total"][d.day] + d.truth["control_messages"][d.day]
    assert not q.unfinished_partition(d.web, d.day, NOT_FED)

    # (b) no run launched twice, no tick lost or left half-done, sensors resumed after the restart.
    runs = q.runs(d.web)
    run_keys = Counter(r["tags"]["dagster/run_key"] for r in runs if "dagster/run_key" in r["tags"])
    assert run_keys and max(run_keys.values()) == 1, run_keys
    for sensor in ("api_logs_landing_sensor", "lake_automation"):
        ticks = q.sensor_ticks(d.web, sensor)
        assert len({t["tickId"] for t in ticks}) == len(ticks)
        launched = Counter(run_id for t in ticks for run_id in t["runIds"])
        assert not launched or max(launched.values()) == 1, (sensor, launched)
        assert all(t["status"] != "FAILURE" for t in ticks), (sensor, [t["error"] for t in ticks])
        assert all(t["status"] != "STARTED" for t in ticks[1:]), sensor  # only the newest may be running
        assert any(t["timestamp"] > restarted_at for t in ticks), f"{sensor} did not tick after the restart"
    after = [t for t in q.sensor_ticks(d.web, "api_logs_landing_sensor") if t["timestamp"] > restarted_at]
    assert all(not t["runKeys"] for t in after), after  # nothing new landed: nothing requested again


def test_services_reconnect_after_a_postgres_restart(deployment):
    d = deployment
    wait_idle(d)
    d.postgres.restart()  # (c) fast shutdown: every open connection of the services is dropped
    restarted_at = time.time()
    errors: list[str] = []  # requests that hit a connection dropped by the restart (pooled ones)

    def ticked() -> bool:
        ticks = q.sensor_ticks(d.web, "lake_automation")
        return any(t["timestamp"] > restarted_at and t["status"] in ("SUCCESS", "SKIPPED") for t in ticks)

    wait_until(lambda: _tolerant(lambda: bool(q.runs(d.web)), errors), 60, "GraphQL after the restart", 2, d.alive)
    d.web.wait_daemons_healthy(DAEMONS, timeout=120)
    wait_until(lambda: _tolerant(ticked, errors), 120, "a sensor tick after the PostgreSQL restart", 3, d.alive)

    def every_storage_answers() -> bool:  # runs, schedule/ticks and event-log storage, in one round
        return (
            bool(q.runs(d.web))
            and bool(q.instigator_states(d.web))
            and not q.unfinished_partition(d.web, d.day, NOT_FED)
        )

    wait_until(lambda: _tolerant(every_storage_answers, errors), 60, "every storage to answer", 2, d.alive)
    # Reconnected. The webserver keeps one pooled connection per storage without a liveness ping
    # (dagster-postgres), so the first request on each stale connection fails once; never more.
    assert len(errors) <= 6, errors
    print(f"\n{len(errors)} request(s) failed right after the PostgreSQL restart: {errors[:2]}")
    run = q.launch_assets(d.web, "lake_daily", ["gold/route_latency_daily"], d.day, {"test": "after-pg-restart"})
    assert wait_run(d, run, {"SUCCESS", "FAILURE", "CANCELED"}) == "SUCCESS", d.logs()
    assert q.materializations(d.web, "gold/route_latency_daily", d.day)[0]["runId"] == run
    d.alive()  # reconnected, not restarted


def _tolerant(condition: Callable[[], bool], errors: list[str]) -> bool:
    """`condition()`, with an HTTP/GraphQL error recorded in `errors` and taken as "not yet"."""
    try:
        return condition()
    except urllib.error.HTTPError as error:
        errors.append(f"HTTP {error.code}: {error.read()[:300]!r}")
    except (urllib.error.URLError, ServiceError, ConnectionError, TimeoutError) as error:
        errors.append(repr(error)[:300])
    return False
