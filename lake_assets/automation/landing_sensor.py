"""Sensor: new or replaced API-log objects → Bronze runs for their arrival days.

Bounded: each tick lists only the day folders of the look-back window (`api_logs/YYYY/MM/DD/`),
never the whole history. The cursor holds one fingerprint per day of the window: a hash of every
(key, ETag) in that day's folders. So objects written in the same second as the last tick, an
object arriving late into an old hour folder (within the window), and a key re-delivered with
new content (new ETag) all change the fingerprint and request a run; an unchanged day requests
nothing. Run keys contain the fingerprint: re-evaluating a tick never duplicates a run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

from lake_assets.core.landing import skip_reason

if TYPE_CHECKING:
    from lake_assets.core.landing import Landing, LandingObject

API_LOGS = "api_logs"
BRONZE_API_REQUESTS = dg.AssetKey(["bronze", "api_requests"])


def day_fingerprint(objects: list[LandingObject]) -> str:
    digest = hashlib.sha256()
    for obj in sorted(objects, key=lambda o: o.key):
        digest.update(f"{obj.key}\0{obj.etag}\n".encode())
    return digest.hexdigest()


def evaluate_landing(
    landing: Landing, cursor: str | None, today: date, lookback_days: int, first_day: date
) -> tuple[list[dg.RunRequest], str, dict[str, int]]:
    """(run requests, new cursor, objects listed per day) for one tick."""
    seen: dict[str, str] = json.loads(cursor) if cursor else {}
    window = [today - timedelta(days=n) for n in range(lookback_days - 1, -1, -1)]
    requests, new_cursor, listed = [], {}, {}
    for day in window:
        if day < first_day:
            continue
        # Objects the job would skip (temporary files) neither start a run nor change the fingerprint.
        objects = [o for o in landing.list(f"{API_LOGS}/{day:%Y/%m/%d}") if skip_reason(o.key) is None]
        listed[day.isoformat()] = len(objects)
        if not objects:
            continue
        fingerprint = day_fingerprint(objects)
        new_cursor[day.isoformat()] = fingerprint
        if seen.get(day.isoformat()) != fingerprint:
            requests.append(
                dg.RunRequest(
                    run_key=f"api_logs:{day}:{fingerprint[:16]}",
                    partition_key=day.isoformat(),
                    asset_selection=[BRONZE_API_REQUESTS],
                    tags={"lake/trigger": "landing_sensor", "lake/landing_objects": str(len(objects))},
                )
            )
    return requests, json.dumps(new_cursor, sort_keys=True), listed


def build_landing_sensor(
    landing_factory: Callable[[], Landing],
    lookback_days: int,
    first_day: date,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> dg.SensorDefinition:
    @dg.sensor(
        name="api_logs_landing_sensor",
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=[BRONZE_API_REQUESTS],
        description=__doc__.splitlines()[0],
    )
    def api_logs_landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        requests, cursor, listed = evaluate_landing(
            landing_factory(), context.cursor, now().date(), lookback_days, first_day
        )
        context.log.info(
            f"listed {sum(listed.values())} objects in {len(listed)} day folders; {len(requests)} day(s) changed"
        )
        return dg.SensorResult(
            run_requests=requests, cursor=cursor, skip_reason=None if requests else "no new or replaced landing objects"
        )

    return api_logs_landing_sensor
