"""The Pipes-speaking job script: runs one build (a step's Spark work) for one partition where Spark is (Glue, EMR).

It imports no Dagster (only `dagster-pipes`): it runs on the cluster's own runtime, which has
exactly what `lake-deploy` declares (see `remote/runtime.py`). Parameters come as CLI arguments
(Glue and EMR steps pass `--key value`) or, when absent, from the environment (EMR Serverless
passes `spark.emr-serverless.driverEnv.*`): the build, the partition and the whole `LakeSettings`
(`--lake-settings`, encoded by `LakeSettings.to_param`).

The job's outcome — outputs, checks, skip, input error — travels home as one `BuildReport` (a Pipes
custom message), and the script then exits 0: it did its work, and Dagster decides what the
outcome means exactly as for a local run. A non-zero exit (an exception, a lost executor) means
the run itself failed, which Dagster treats as an infrastructure failure and retries.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any, Literal

from lake_assets.builds.base import BuildInputError
from lake_assets.builds.report import BuildReport
from lake_assets.core.aws_errors import error_code
from lake_assets.core.settings import LakeSettings

PARAMS = ("lake-build", "partition-key", "lake-settings")
# Secrets Manager answers that retrying cannot change: the deployment must be fixed.
CONFIG_ERRORS = {"ResourceNotFoundException", "AccessDeniedException", "AccessDenied", "DecryptionFailure"}
# The AWS services the job script calls (a literal set, so boto3-stubs can type each client).
JobService = Literal["s3", "glue", "secretsmanager"]
ClientFactory = Callable[[JobService], Any]


def parse_params(argv: list[str], env: dict[str, str]) -> dict[str, str]:
    """`--lake-build` etc. from argv, falling back to LAKE_BUILD / PARTITION_KEY / LAKE_SETTINGS in `env`."""
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


def job_settings(param: str, env: dict[str, str]) -> LakeSettings:
    """The Dagster side's settings, on the cluster's Spark unless LAKE_SPARK_MASTER says otherwise."""
    return replace(LakeSettings.from_param(param), spark_master=env.get("LAKE_SPARK_MASTER", ""))


def pii_key(settings: LakeSettings, client: ClientFactory) -> str | None:
    """The PII hash key from Secrets Manager (`remote.pii_key_secret_id`); never from arguments."""
    secret_id = settings.remote.pii_key_secret_id
    if not secret_id:
        return None
    try:
        return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    except Exception as exc:
        code = error_code(exc)
        if code not in CONFIG_ERRORS:
            raise  # throttling, a network error: the run fails and Dagster retries it
        raise BuildInputError(
            f"cannot read the PII hash key secret {secret_id!r} ({code}): check the secret exists "
            "and the job role may call secretsmanager:GetSecretValue"
        ) from None


def run(build: str, partition: str, settings: LakeSettings, client: ClientFactory) -> BuildReport:
    """The job's report; a deployment or input problem becomes the report's `input_error`."""
    from lake_assets.execute import build_context, failure_report, run_build
    from lake_assets.remote.catalog import catalog_publisher

    try:
        settings = replace(settings, pii_hash_key=pii_key(settings, client))
        database = settings.remote.glue_database
        hook = catalog_publisher(client("glue"), database, settings.lake_root_uri) if database else None
        ctx = build_context(settings, date.fromisoformat(partition), hook)
    except Exception as exc:
        return failure_report(build, partition, exc)
    return run_build(build, ctx)


def main(argv: list[str] | None = None) -> int:
    import boto3
    from dagster_pipes import (
        PipesCliArgsParamsLoader,
        PipesEnvVarParamsLoader,
        PipesS3ContextLoader,
        PipesS3MessageWriter,
        open_dagster_pipes,
    )

    argv = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    params = parse_params(argv, env)
    settings = job_settings(params["lake-settings"], env)

    def client(service: JobService) -> Any:
        return boto3.client(service, region_name=settings.remote.region_name, endpoint_url=settings.s3_endpoint_url)

    s3 = client("s3")
    loader = PipesCliArgsParamsLoader() if "--dagster-pipes-context" in argv else PipesEnvVarParamsLoader()
    with open_dagster_pipes(
        params_loader=loader,
        context_loader=PipesS3ContextLoader(client=s3),
        message_writer=PipesS3MessageWriter(client=s3, interval=1),
    ) as pipes:
        build, partition = params["lake-build"], params["partition-key"]
        pipes.log.info(f"running {build} for {partition}")
        report = run(build, partition, settings, client)
        pipes.report_custom_message(report.to_message())
        if report.input_error:
            pipes.log.error(f"cannot run: {report.input_error}")
        elif report.skipped:
            pipes.log.info(f"nothing to write: {report.skipped}")
        elif report.blocking_failures:
            pipes.log.error(
                "blocking checks failed (nothing published): "
                + ", ".join(f"{c.table}:{c.name}" for c in report.blocking_failures)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
