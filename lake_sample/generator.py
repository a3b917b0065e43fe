"""Entry point: write a deterministic landing sample and return its ground truth.

``generate_sample`` runs the table simulation first (it decides which users and tasks exist
each day, and writes the DynamoDB exports as it passes their export times), then the access
logs, whose users come from the simulated table. Independent seeded RNG streams per part mean
a change in one part does not reshuffle the other, and the same arguments always give
byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import shutil
from pathlib import Path

from lake_sample.access_log import LineFactory
from lake_sample.api_logs import ApiLogWriter
from lake_sample.common import DAY_MS, HOUR_MS, date_to_ms
from lake_sample.dynamodb import ExportCache, new_table_id, snapshot_stats, write_export
from lake_sample.table import TableSim
from lake_sample.truth import SampleTruth, TableTruth

__all__ = ["OWNED_ENTRIES", "TRUTH_FILE", "SampleTruth", "clear_output", "generate_sample"]

TRUTH_FILE = "_truth.json"
OWNED_ENTRIES = ("api_logs", "dynamodb", TRUTH_FILE)
LATENCY_SAMPLE_MAX_RPD = 5000
ADHOC_EXPORT_OFFSET = 14 * HOUR_MS + 30 * 60_000  # first day 14:30Z
IN_PROGRESS_OFFSET = 21 * HOUR_MS  # last day 21:00Z


def generate_sample(
    out_dir: Path,
    start: dt.date,
    days: int,
    requests_per_day: int,
    seed: int,
    users: int = 50,
    tasks_per_user: int = 6,
) -> SampleTruth:
    """Write ``api_logs/``, ``dynamodb/`` and ``_truth.json`` under the landing root ``out_dir``.

    Raises ValueError on bad arguments and FileExistsError if ``out_dir`` already holds a
    sample (mixing two runs would make the truth wrong; see :func:`clear_output`).
    """
    _validate(start, days, requests_per_day, users, tasks_per_user)
    out_dir = Path(out_dir)
    _check_empty(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The model is millions of small acyclic dicts and strings: reference counting frees them,
    # and the cyclic collector would only rescan them over and over (it doubled the run time).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(out_dir, start, days, requests_per_day, seed, users, tasks_per_user)
    finally:
        if gc_was_enabled:
            gc.enable()


def _generate(
    out_dir: Path, start: dt.date, days: int, requests_per_day: int, seed: int, users: int, tasks_per_user: int
) -> SampleTruth:
    start_ms = date_to_ms(start)
    date_keys = [(start + dt.timedelta(days=i)).isoformat() for i in range(days + 2)]

    sim = TableSim(random.Random(f"{seed}:table"), users, tasks_per_user)
    sim.seed_initial(start_ms)
    table_truth, populations = _run_table(sim, out_dir, random.Random(f"{seed}:exports"), start_ms, days, date_keys)
    base = max(9000, len(sim.user_ids) + 1000)
    unknown = [f"u-{base + 7 * i + 1:04d}" for i in range(3)]

    factory = LineFactory(
        random.Random(f"{seed}:lines"),
        start_ms,
        date_keys,
        unknown,
        keep_latency=requests_per_day <= LATENCY_SAMPLE_MAX_RPD,
    )
    for day_users, day_tasks in populations:
        factory.add_population(day_users, day_tasks)
    writer = ApiLogWriter(
        out_dir, random.Random(f"{seed}:firehose"), start_ms, days, requests_per_day, factory, date_keys
    )
    log_truth = writer.write_all()

    params = {
        "start": start.isoformat(),
        "days": days,
        "requests_per_day": requests_per_day,
        "seed": seed,
        "users": users,
        "tasks_per_user": tasks_per_user,
    }
    truth = SampleTruth.combine(log_truth, table_truth, params)
    (out_dir / TRUTH_FILE).write_text(truth.to_json(), encoding="utf-8")
    return truth


def _run_table(
    sim: TableSim,
    root: Path,
    rng: random.Random,
    start_ms: int,
    days: int,
    date_keys: list[str],
) -> tuple[TableTruth, list[tuple[list[str], list[str]]]]:
    """Simulate each day, exporting at 14:30Z (day 1, ad hoc), 21:00Z (last day, left in
    progress) and every midnight (the daily export = table as of the end of the day)."""
    truth = TableTruth()
    table_id = new_table_id(rng)
    cache = ExportCache(sim.lines)
    populations: list[tuple[list[str], list[str]]] = []
    for d in range(days):
        day_ms = start_ms + d * DAY_MS
        populations.append((list(sim.user_ids), sim.task_ids()))
        stops: list[tuple[int, str]] = []
        if d == 0:
            stops.append((day_ms + ADHOC_EXPORT_OFFSET, "adhoc"))
        if d == days - 1:
            stops.append((day_ms + IN_PROGRESS_OFFSET, "in_progress"))
        stops.append((day_ms + DAY_MS, "daily"))
        for at, op in sim.plan_day(day_ms):
            while stops and stops[0][0] <= at:
                _export(sim, cache, root, rng, table_id, *stops.pop(0), truth, date_keys[d])
            sim.apply(at, op)
        while stops:
            _export(sim, cache, root, rng, table_id, *stops.pop(0), truth, date_keys[d])
    return truth, populations


def _export(
    sim: TableSim,
    cache: ExportCache,
    root: Path,
    rng: random.Random,
    table_id: str,
    at_ms: int,
    kind: str,
    truth: TableTruth,
    day: str,
) -> None:
    """Write one export of the current table state and record it in the truth."""
    cache.sync(sim.items, sim.created, sim.changed)
    sim.changed.clear()
    sim.created.clear()
    info = write_export(root, rng, table_id, at_ms, sim.items, kind, complete=kind != "in_progress", cache=cache)
    truth.exports.append(info.to_dict())
    if kind != "daily":
        return
    stats = snapshot_stats(sim.items, day)
    truth.users[day] = stats["users"]
    truth.tasks[day] = stats["tasks"]
    truth.tasks_by_status[day] = stats["tasks_by_status"]
    truth.tasks_created[day] = stats["tasks_created"]
    truth.tasks_completed[day] = stats["tasks_completed"]
    truth.open_tasks[day] = stats["open_tasks"]
    truth.attribute_types[day] = stats["attribute_types"]
    truth.export_id[day] = info.export_id
    truth.export_items[day] = info.item_count


def _validate(start: dt.date, days: int, rpd: int, users: int, tasks_per_user: int) -> None:
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise ValueError(f"start must be a datetime.date, got {start!r}")
    checks = (
        ("days", days, 1),
        ("requests_per_day", rpd, 0),
        ("users", users, 1),
        ("tasks_per_user", tasks_per_user, 0),
    )
    for name, value, low in checks:
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def _check_empty(out_dir: Path) -> None:
    for name in OWNED_ENTRIES:
        path = out_dir / name
        if path.is_file() or (path.is_dir() and any(path.iterdir())):
            raise FileExistsError(
                f"{path} already exists: generate into an empty landing root "
                "(or remove the previous sample first, e.g. lake-sample --force)"
            )


def clear_output(out_dir: Path) -> None:
    """Remove a previous sample (only the entries this generator writes) from ``out_dir``."""
    for name in OWNED_ENTRIES:
        path = Path(out_dir) / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
