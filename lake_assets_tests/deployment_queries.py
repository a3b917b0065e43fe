"""What the deployment test asks the webserver, over its GraphQL API only.

Why GraphQL and not `DagsterInstance`: the test proves the *deployed* services, so it looks at the
lake's state the way an operator (or the UI) does, through the webserver in front of PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lake_assets_tests.dagster_services import DagsterService

LOCATION = "lake_assets"
REPOSITORY = "__repository__"
PID_MESSAGE = re.compile(r"Started process for run \(pid: (\d+)\)")
IN_FLIGHT = ["QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"]

RUNS = """query Runs($filter: RunsFilter) { runsOrError(filter: $filter, limit: 500) {
  __typename ... on Runs { results { runId status tags { key value } } } } }"""

MATERIALIZATIONS = """query M($key: AssetKeyInput!, $partitions: [String!]) { assetOrError(assetKey: $key) {
  __typename ... on Asset { assetMaterializations(partitions: $partitions) { runId partition timestamp } } } }"""

ASSET_NODES = """{ assetNodes { assetKey { path } isMaterializable isPartitioned
  assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"""

CHECK_EXECUTIONS = """query C($key: AssetKeyInput!, $name: String!, $partition: String) {
  assetCheckExecutions(assetKey: $key, checkName: $name, partition: $partition, limit: 5) {
    runId status partition timestamp } }"""

TICKS = """query T($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) {
  __typename ... on Sensor { sensorState { status ticks(limit: 200) { tickId status timestamp runIds runKeys
  error { message } } } } } }"""

RUN_EVENTS = """query L($runId: ID!) { logsForRun(runId: $runId, limit: 1000) { __typename
  ... on EventConnection { events { __typename ... on MessageEvent { message stepKey } } } } }"""


def runs(web: DagsterService, statuses: Iterable[str] | None = None, tags: dict[str, str] | None = None) -> list[dict]:
    """Runs (newest first) with their tags as a dict."""
    run_filter: dict[str, Any] = {}
    if statuses is not None:
        run_filter["statuses"] = list(statuses)
    if tags:
        run_filter["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    results = web.graphql(RUNS, {"filter": run_filter})["runsOrError"]["results"]
    return [{**r, "tags": {t["key"]: t["value"] for t in r["tags"]}} for r in results]


def run_status(web: DagsterService, run_id: str) -> str:
    (run,) = [r for r in runs(web) if r["runId"] == run_id]
    return str(run["status"])


def materializations(web: DagsterService, key: str, partition: str) -> list[dict]:
    """The asset's materializations of `partition`, newest first (`timestamp`: epoch ms, a float)."""
    data = web.graphql(MATERIALIZATIONS, {"key": {"path": key.split("/")}, "partitions": [partition]})
    asset = data["assetOrError"]
    found = list(asset.get("assetMaterializations") or []) if asset["__typename"] == "Asset" else []
    return sorted(({**m, "timestamp": float(m["timestamp"])} for m in found), key=lambda m: -m["timestamp"])


def lake_assets(web: DagsterService) -> dict[str, list[dict]]:
    """Every materializable, partitioned asset of the lake -> its checks ({name, blocking})."""
    nodes = web.graphql(ASSET_NODES)["assetNodes"]
    return {
        "/".join(n["assetKey"]["path"]): list((n.get("assetChecksOrError") or {}).get("checks") or [])
        for n in nodes
        if n["isMaterializable"] and n["isPartitioned"]
    }


def latest_check_status(web: DagsterService, key: str, check: str, partition: str) -> str | None:
    variables = {"key": {"path": key.split("/")}, "name": check, "partition": partition}
    executions = web.graphql(CHECK_EXECUTIONS, variables)["assetCheckExecutions"]
    return str(executions[0]["status"]) if executions else None


def unfinished_partition(web: DagsterService, partition: str, skip: frozenset[str] = frozenset()) -> list[str]:
    """What is still missing for `partition` (assets in `skip` aside): assets never materialized,
    blocking checks not SUCCEEDED, non-blocking (WARN) checks never evaluated."""
    missing = []
    for key, checks in lake_assets(web).items():
        if key in skip:
            continue
        if not materializations(web, key, partition):
            missing.append(key)
            continue
        for check in checks:
            status = latest_check_status(web, key, check["name"], partition)
            if status != "SUCCEEDED" and (check["blocking"] or status != "FAILED"):
                missing.append(f"{key}:{check['name']}={status}")
    return missing


def warnings(web: DagsterService, partition: str) -> set[str]:
    """The non-blocking checks whose latest evaluation for `partition` FAILED (published anyway)."""
    return {
        f"{key}:{check['name']}"
        for key, checks in lake_assets(web).items()
        for check in checks
        if not check["blocking"] and latest_check_status(web, key, check["name"], partition) == "FAILED"
    }


def sensor_ticks(web: DagsterService, sensor: str) -> list[dict]:
    """The sensor's ticks, newest first."""
    selector = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": sensor}
    data = web.graphql(TICKS, {"selector": selector})["sensorOrError"]
    assert data["__typename"] == "Sensor", data
    return list(data["sensorState"]["ticks"])


def run_events(web: DagsterService, run_id: str) -> list[dict]:
    return list(web.graphql(RUN_EVENTS, {"runId": run_id})["logsForRun"].get("events") or [])


def worker_pid_once_a_step_runs(web: DagsterService, run_id: str) -> int | None:
    """The run worker's pid (from the code server's engine event) once a step has started."""
    events = run_events(web, run_id)
    if not any(e["__typename"] == "ExecutionStepStartEvent" for e in events):
        return None
    for event in events:
        match = PID_MESSAGE.search(event.get("message") or "")
        if event["__typename"] == "EngineEvent" and match:
            return int(match.group(1))
    return None


LAUNCH = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def launch_assets(web: DagsterService, job: str, assets: list[str], partition: str, tags: dict[str, str]) -> str:
    """Submit a run of `assets` for `partition` (what "Materialize" in the UI does); its run id."""
    params = {
        "selector": {
            "repositoryLocationName": LOCATION,
            "repositoryName": REPOSITORY,
            "jobName": job,
            "assetSelection": [{"path": a.split("/")} for a in assets],
        },
        "executionMetadata": {
            "tags": [{"key": k, "value": v} for k, v in {**tags, "dagster/partition": partition}.items()]
        },
    }
    result = web.graphql(LAUNCH, {"params": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return str(result["run"]["runId"])


STATES = """{ repositoryOrError(
  repositorySelector: {repositoryLocationName: "lake_assets", repositoryName: "__repository__"}) {
  ... on Repository { sensors { name sensorState { status } } schedules { name scheduleState { status } } } } }"""


def instigator_states(web: DagsterService) -> list[dict]:
    """Every sensor's and schedule's name and status (RUNNING/STOPPED)."""
    repo = web.graphql(STATES)["repositoryOrError"]
    return [{"name": s["name"], "status": s["sensorState"]["status"]} for s in repo["sensors"]] + [
        {"name": s["name"], "status": s["scheduleState"]["status"]} for s in repo["schedules"]
    ]
