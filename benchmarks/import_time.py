"""How long a code server waits for this code location: importing `lake_assets.definitions`, then
building the `Definitions` (`defs()` and the repository, as Dagster's loader does), each timed in a
fresh interpreter, over several runs; prints the median (and the spread) of each.

The tests check what importing and loading *load* (`test_definitions.py`: no Spark, AWS SDK,
DuckDB or pandera at import, no JVM at load), never how long it takes: a wall-clock limit fails on
a busy machine. This is where the figure is kept. `dagster` alone is timed too, as the floor:
the code location cannot import faster than the library it defines things for.

    .venv/bin/python benchmarks/import_time.py [--runs 7] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Runs in each fresh interpreter; prints one JSON line of seconds.
CHILD = """
import json, sys, time
began = time.perf_counter()
import dagster
dagster_s = time.perf_counter() - began
import lake_assets.definitions as definitions
imported = time.perf_counter()
definitions.defs().get_repository_def()
built = time.perf_counter()
print(json.dumps({"import_dagster": dagster_s, "import_definitions": imported - began,
                  "build_definitions": built - imported}))
"""
FIGURES = {
    "import_dagster": "import dagster (the floor)",
    "import_definitions": "import lake_assets.definitions (dagster included)",
    "build_definitions": "build the Definitions (defs() + repository)",
}


def measure_once() -> dict[str, float]:
    """One fresh interpreter, default (local-engine) settings: the developer's LAKE_* are dropped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKE_")}
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"the child interpreter failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7, help="fresh interpreters to time (default %(default)s)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    measure_once()  # warm the OS file cache and the .pyc files; not counted
    runs = [measure_once() for _ in range(max(1, args.runs))]
    summary = {
        name: {
            "median_s": round(statistics.median(r[name] for r in runs), 3),
            "min_s": round(min(r[name] for r in runs), 3),
            "max_s": round(max(r[name] for r in runs), 3),
        }
        for name in FIGURES
    }
    print(f"{len(runs)} fresh interpreters ({sys.executable}), seconds:")
    print(f"  {'':52} {'median':>7} {'min':>7} {'max':>7}")
    for name, label in FIGURES.items():
        f = summary[name]
        print(f"  {label:52} {f['median_s']:7.2f} {f['min_s']:7.2f} {f['max_s']:7.2f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "summary": summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
