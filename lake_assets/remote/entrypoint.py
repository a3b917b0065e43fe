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
# Optional: the catalog database to re-point at each published Gold partition (Athena), and the
# Secrets Manager id of the PII hash key (the key itself never travels in arguments).
OPTIONAL = ("lake-glue-database", "lake-pii-key-secret-id")


def parse_params(argv: list[str], env: dict[str, str]) -> dict[str, str]:
    """`--lake-job` etc. from argv, falling back to LAKE_JOB / PARTITION_KEY / … in `env`."""
    parser = argparse.ArgumentParser(add_help=False)
    for name in PARAMS + OPTIONAL:
        parser.add_argument(f"--{name}")
    known, _ = parser.parse_known_args(argv)
    values = {}
    for name in PARAMS + OPTIONAL:
        value = getattr(known, name.replace("-", "_")) or env.get(name.upper().replace("-", "_"))
        if not value and name in PARAMS:
            raise SystemExit(f"lake job: missing --{name} (or {name.upper().replace('-', '_')} in the environment)")
        if value:
            values[name] = value
    return values


def job_settings(params: dict[str, str], env: dict[str, str], pii_key: str | None) -> Any:
    """Settings of the job script: the cluster's Spark unless LAKE_SPARK_MASTER says otherwise."""
    from lake_assets.core.settings import LakeSettings

    return LakeSettings(lake_root_uri=params["lake-root-uri"], landing_uri=params["landing-uri"],
                        spark_master=env.get("LAKE_SPARK_MASTER", ""), pii_hash_key=pii_key,
                        s3_endpoint_url=env.get("LAKE_S3_ENDPOINT_URL") or None)


def pii_key(params: dict[str, str], env: dict[str, str], client: Any) -> str | None:
    """The PII hash key from Secrets Manager (`--lake-pii-key-secret-id`), else LAKE_PII_HASH_KEY."""
    secret_id = params.get("lake-pii-key-secret-id")
    if not secret_id:
        return env.get("LAKE_PII_HASH_KEY") or None
    try:
        return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    except Exception as exc:
        from lake_assets.core.aws_errors import error_code

        code = error_code(exc) or type(exc).__name__
        raise SystemExit(f"lake job: cannot read the PII hash key secret {secret_id!r} ({code}): "
                         "check the secret exists and the job role may call secretsmanager:GetSecretValue") from None


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

    from lake_assets.core.engine import build_job_context
    from lake_assets.jobs.registry import JOBS
    from lake_assets.remote.catalog import catalog_publisher

    argv = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    params = parse_params(argv, env)

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=env.get("LAKE_S3_ENDPOINT_URL") or None)

    s3 = client("s3")
    loader = PipesCliArgsParamsLoader() if "--dagster-pipes-context" in argv else PipesEnvVarParamsLoader()
    with open_dagster_pipes(params_loader=loader, context_loader=PipesS3ContextLoader(client=s3),
                            message_writer=PipesS3MessageWriter(client=s3, interval=1)) as pipes:
        settings = job_settings(params, env, pii_key(params, env, client))
        database = params.get("lake-glue-database")
        hook = catalog_publisher(client("glue"), database, settings.lake_root_uri) if database else None
        pipes.log.info(f"running {params['lake-job']} for {params['partition-key']}")
        day = date.fromisoformat(params["partition-key"])
        result = JOBS[params["lake-job"]](build_job_context(settings, day, hook))
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
