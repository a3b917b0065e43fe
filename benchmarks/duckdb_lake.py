"""The DuckDB contender: one day of the lake (Bronze, Silver, Gold) on one machine, without Spark.

Bronze parses the landing zone with the project's parser library in a process pool
(`duckdb_bronze`); Silver and Gold are DuckDB SQL mirroring the Spark transforms
(`duckdb_silver`, `duckdb_gold`). Output: Parquet in the lake's layout,
`<lake>/<layer>/<table>/dt=<day>/`, so `compare.py` can hold it against the Spark lake.
No data-quality checks run (the Spark jobs' reconciliations, drift and freshness checks): that is
part of what the lake pays for and a bare single-machine script does not do.

    python benchmarks/duckdb_lake.py --landing DIR --lake DIR --day YYYY-MM-DD [--json FILE]
                                     [--threads N]
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from duckdb_bronze import BronzeWriter
from duckdb_gold import build_gold
from duckdb_silver import silver_api_requests, silver_entities
from duckdb_sql import connect
from plain_pyspark import BENCH_PII_KEY, LAYERS, parse_run_args

import lake_assets

STARTUP = "startup"


@dataclass
class DuckRun:
    """Timings (wall seconds) and outputs of one DuckDB run, in the plain run's shape."""

    startup_seconds: float = 0.0  # the process pool and the DuckDB connection
    job_seconds: dict[str, float] = field(default_factory=dict)
    layer_seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    code_path: str = field(default_factory=lambda: str(Path(lake_assets.__file__).parent))
    table_rows: dict[str, int] = field(default_factory=dict)
    startup_span: list[float] = field(default_factory=list)  # epoch seconds, as in plain_pyspark
    step_spans: dict[str, list[float]] = field(default_factory=dict)


def run_duckdb(landing: Path, lake: Path, day: date, pii_key: bytes = BENCH_PII_KEY.encode()) -> DuckRun:
    """Bronze, Silver and Gold of `day` into `lake`, each job timed."""
    run = DuckRun()
    began, epoch = time.perf_counter(), time.time()
    bronze = BronzeWriter(landing, lake, day)
    con = connect(pii_key)
    run.startup_seconds = time.perf_counter() - began
    run.startup_span = [epoch, time.time()]

    def timed(job: str, work: object) -> None:
        started, epoch = time.perf_counter(), time.time()
        rows = work()  # type: ignore[operator]
        run.job_seconds[job] = time.perf_counter() - started
        run.step_spans[job] = [epoch, time.time()]
        if isinstance(rows, dict):
            run.table_rows.update(rows)
        elif rows is not None:
            run.table_rows["bronze/" + job.removeprefix("bronze_")] = rows

    try:
        timed("bronze_api_requests", bronze.api_requests)
        timed("bronze_tasks_export", bronze.tasks_export)
        timed("bronze_tasks_changes", bronze.tasks_changes)
    finally:
        bronze.close()
    timed("silver_api_requests", lambda: silver_api_requests(con, lake, day))
    timed("silver_entities", lambda: silver_entities(con, lake, day))
    timed("gold", lambda: build_gold(con, lake, day))
    con.close()
    run.total_seconds = time.perf_counter() - began
    run.layer_seconds = {
        layer: sum(s for j, s in run.job_seconds.items() if j.split("_", 1)[0] == layer) for layer in LAYERS
    }
    return run


def main(argv: list[str] | None = None) -> int:
    args = parse_run_args(argv, __doc__.splitlines()[0])
    run = run_duckdb(args.landing, args.lake, args.day)
    print(f"{'startup (pool, connection)':<28}{run.startup_seconds:8.1f} s")
    for job, seconds in run.job_seconds.items():
        print(f"  {job:<26}{seconds:8.1f} s")
    print(f"{'total (incl. startup)':<28}{run.total_seconds:8.1f} s")
    for key, rows in run.table_rows.items():
        print(f"  {key:<34}{rows:>12,} rows")
    if args.json:
        args.json.write_text(json.dumps(asdict(run), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
