"""`lake-recover`: fail runs whose process was killed and free their pool slots ($DAGSTER_HOME).

The daemon does this every minute (`lake_dead_run_recovery`); without it — only CLI runs — a run
killed mid-step would otherwise block every later run on the `spark_local` pool.
"""

from __future__ import annotations

import argparse

import dagster as dg

from lake_assets.automation.dead_runs import dead_runs, recover_dead_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lake-recover", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="list dead runs without changing anything")
    args = parser.parse_args(argv)
    with dg.DagsterInstance.get() as instance:
        found = dead_runs(instance) if args.dry_run else recover_dead_runs(instance)
    verb = "dead (dry run, unchanged)" if args.dry_run else "marked failed, pool slots freed"
    for dead in found:
        print(f"{dead.run_id}  {dead.job_name}  process {dead.pid} is gone: {verb}")
    print(f"{len(found)} dead run(s)" if found else "no dead runs: every unfinished run's process is alive")
    return 0
