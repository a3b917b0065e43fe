"""Sensor cursors for work done outside the daemon: after `lake-demo`, the sensors start from what it built.

Why: the landing and export sensors remember what they have requested in their cursors. Runs that
`lake-demo` executes in-process never pass through a sensor, so without this the first `make dev`
tick would find "new" landing objects and exports for every day the demo already built, and queue
those Bronze runs again (and Silver/Gold after them). The cursors are computed by the sensors' own
evaluation functions over the same landing zone (one source of truth), and only for partitions that
really were materialized: a day whose Bronze run failed stays "new", so `make dev` retries it.

How it is stored: the same instigator state the daemon writes for a sensor that runs by default
(`DECLARED_IN_CODE`). Dagster finds that state by the sensor's selector (code location, repository
and sensor name), not by the full origin: `dg dev` serves the location from a temporary gRPC socket,
so its origin id changes on every start. `dagster sensor cursor --set` is not used because it
creates the state as STOPPED, which would switch off a sensor that is running by default.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime

import dagster as dg
from dagster._core.definitions.repository_definition.valid_definitions import SINGLETON_REPOSITORY_NAME
from dagster._core.definitions.sensor_definition import SensorType
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    SensorInstigatorData,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from lake_assets.automation.export_sensor import evaluate_exports
from lake_assets.automation.landing_sensor import evaluate_landing
from lake_assets.core.settings import REPO_ROOT, LakeSettings
from lake_assets.core.stores import landing_for

# `[tool.dg.project] code_location_name` and workspace.yaml's `location_name` (test_definitions.py
# keeps those two in agreement; test_demo_cursors.py this one with them).
LOCATION_NAME = "lake_assets"
CODE_LOCATION_MODULE = "lake_assets.definitions"
LANDING_SENSOR, EXPORT_SENSOR = "api_logs_landing_sensor", "dynamodb_export_sensor"


def built(instance: dg.DagsterInstance, request: dg.RunRequest) -> bool:
    """Whether every asset the request targets has a materialization for its partition."""
    keys: Sequence[dg.AssetKey] = request.asset_selection or []
    return bool(keys) and all(
        instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[str(request.partition_key)]), limit=1
        ).records
        for key in keys
    )


def caught_up_cursors(instance: dg.DagsterInstance, settings: LakeSettings, now: datetime) -> dict[str, str]:
    """Sensor name → the cursor of a sensor that has already requested every built partition.

    Each sensor is evaluated as if it had never run (cursor None) at `now`; an entry whose run
    request is not built yet is left out of the cursor, so the sensor still requests it.
    """
    landing = landing_for(settings.landing_uri, settings.s3_endpoint_url)
    first = settings.partition_start
    requests, cursor, _ = evaluate_landing(landing, None, now.date(), settings.landing_lookback_days, first)
    days: dict[str, str] = json.loads(cursor)
    for request in requests:
        if not built(instance, request):
            days.pop(str(request.partition_key), None)
    requests, cursor, _ = evaluate_exports(landing, None, now, settings.export_lookback_days, first)
    state = json.loads(cursor)
    for request in requests:
        if not built(instance, request):
            for export_id in request.tags["lake/export_ids"].split(","):
                state["done"].pop(export_id, None)
    return {LANDING_SENSOR: json.dumps(days, sort_keys=True), EXPORT_SENSOR: json.dumps(state, sort_keys=True)}


def sensor_origin(sensor_name: str) -> RemoteInstigatorOrigin:
    """The sensor's origin in this project's code location, as workspace.yaml declares it."""
    target = LoadableTargetOrigin(
        executable_path=sys.executable, module_name=CODE_LOCATION_MODULE, working_directory=str(REPO_ROOT)
    )
    location = ManagedGrpcPythonEnvCodeLocationOrigin(target, LOCATION_NAME)
    return RemoteInstigatorOrigin(RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), sensor_name)


def store_cursor(instance: dg.DagsterInstance, sensor: dg.SensorDefinition, cursor: str) -> None:
    """Set `sensor`'s cursor the way the daemon stores it, keeping a state (running/stopped) set in the UI."""
    origin = sensor_origin(sensor.name)
    state = instance.get_instigator_state(origin.get_id(), origin.get_selector().get_id())
    if state is None:
        data = SensorInstigatorData(
            min_interval=sensor.minimum_interval_seconds, cursor=cursor, sensor_type=SensorType.STANDARD
        )
        instance.add_instigator_state(
            InstigatorState(origin, InstigatorType.SENSOR, InstigatorStatus.DECLARED_IN_CODE, data)
        )
    else:
        assert isinstance(state.instigator_data, SensorInstigatorData)
        instance.update_instigator_state(state.with_data(state.instigator_data._replace(cursor=cursor)))


def stored_cursor(instance: dg.DagsterInstance, sensor_name: str) -> str | None:
    """The cursor the daemon will start `sensor_name` from (None: no state yet)."""
    origin = sensor_origin(sensor_name)
    state = instance.get_instigator_state(origin.get_id(), origin.get_selector().get_id())
    data = state.instigator_data if state else None
    return data.cursor if isinstance(data, SensorInstigatorData) else None


def record_sensor_cursors(
    instance: dg.DagsterInstance, defs: dg.Definitions, settings: LakeSettings, now: datetime
) -> dict[str, str]:
    """Store `caught_up_cursors` for the landing and export sensors; returns them."""
    cursors = caught_up_cursors(instance, settings, now)
    for name, cursor in cursors.items():
        store_cursor(instance, defs.resolve_sensor_def(name), cursor)
    return cursors
