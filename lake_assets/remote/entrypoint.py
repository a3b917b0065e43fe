"""The Pipes-speaking job script: runs one lake job for one partition where Spark is (Glue, EMR).

Parameters come as CLI arguments (Glue passes `--key value` job arguments) or, when absent, from
the environment (EMR Serverless passes `spark.emr-serverless.driverEnv.*`). The job is the same
function the local engine calls; its outputs and checks are reported to Dagster through Pipes.
A blocking check failure reports the checks and then exits non-zero, so the remote run fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from typing import Any

PARAMS = ("lake-job", "partition-key", "lake-root-uri", "landing-uri")


def parse_params(argv: list[str], env: dict[str, str]) -> dict[str, str]:
    """`--lake-job` etc. from argv, falling back to LAKE_JOB / PARTITION_KEY / … in `env`."""
    parser = argparse.ArgumentParser(add_help=False)
    for name in PARAMS:
        parser.add_argument(f"--{name}")
    known, _ = parser.parse_known_args(argv)
    values = {}
    for name in PARAMS:
        value = getattr(known, name.replace("-", "_")) or env.get(name.upper().replace("-", "_"))
        if not value:
            raise SystemExit(f"lake job: missing --{name} (or {name.upper().replace('-', '_')} in the environment)")
        values[name] = value
    return values


def pipes_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """Pipes accepts raw scalars; dicts and lists travel as explicit JSON metadata."""
    return {k: {"raw_value": v, "type": "json"} if isinstance(v, (dict, list)) else v for k, v in values.items()}


def report(pipes: Any, result: Any) -> None:
    """Materializations of published outputs, then every check, through Pipes."""
    for out in result.outputs:
        if out.published:
            pipes.report_asset_materialization(asset_key=out.table.key, metadata=pipes_metadata({
                "dagster/row_count": out.rows, "location": out.path, "size_bytes": out.bytes,
                "parquet_files": out.files, **out.extra}))
    for check in result.checks:
        decl = result.declared.get((check.table, check.name))
        pipes.report_asset_check(asset_key=check.table, check_name=check.name, passed=check.passed,
                                 severity=decl.severity if decl else "WARN", metadata=pipes_metadata(check.metadata))


def main(argv: list[str] | None = None) -> int:
    import boto3
    from dagster_pipes import (
        PipesCliArgsParamsLoader,
        PipesEnvVarParamsLoader,
        PipesS3ContextLoader,
        PipesS3MessageWriter,
        open_dagster_pipes,
    )

    from lake_assets.core.engine import LocalSparkEngine
    from lake_assets.jobs.registry import JOBS

    argv = sys.argv[1:] if argv is None else argv
    params = parse_params(argv, dict(os.environ))
    s3 = boto3.client("s3", endpoint_url=os.environ.get("LAKE_S3_ENDPOINT_URL") or None)
    loader = PipesCliArgsParamsLoader() if "--dagster-pipes-context" in argv else PipesEnvVarParamsLoader()
    with open_dagster_pipes(params_loader=loader, context_loader=PipesS3ContextLoader(client=s3),
                            message_writer=PipesS3MessageWriter(client=s3, interval=1)) as pipes:
        engine = LocalSparkEngine(lake_root_uri=params["lake-root-uri"], landing_uri=params["landing-uri"],
                                  pii_hash_key=os.environ.get("LAKE_PII_HASH_KEY") or None)
        pipes.log.info(f"running {params['lake-job']} for {params['partition-key']}")
        result = JOBS[params["lake-job"]](engine.job_context(date.fromisoformat(params["partition-key"])))
        if result.skipped:
            pipes.log.info(f"nothing to write: {result.skipped}")
            return 0
        report(pipes, result)
        failures = result.blocking_failures
        if failures:
            pipes.log.error("blocking checks failed: " + ", ".join(f"{c.table}:{c.name}" for c in failures))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
