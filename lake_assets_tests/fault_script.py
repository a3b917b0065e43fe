"""A job script that dies after reporting: it sends a *wrong* outcome through Pipes, then exits 1.

Played by the service doubles as a run that failed late (the driver reported, then the run was
lost). Dagster must treat the run as failed and retry it, and the retry must never read this
attempt's messages: its report says every check failed.
"""

import os
import sys

from dagster_pipes import (
    PipesCliArgsParamsLoader,
    PipesEnvVarParamsLoader,
    PipesS3ContextLoader,
    PipesS3MessageWriter,
    open_dagster_pipes,
)

from lake_assets.builds.report import BuildReport, CheckReport
from lake_assets.core.settings import LakeSettings
from lake_assets.remote.entrypoint import parse_params


def main() -> int:
    import boto3

    argv = sys.argv[1:]
    params = parse_params(argv, dict(os.environ))
    settings = LakeSettings.from_param(params["lake-settings"])
    s3 = boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.remote.region_name)
    loader = PipesCliArgsParamsLoader() if "--dagster-pipes-context" in argv else PipesEnvVarParamsLoader()
    with open_dagster_pipes(
        params_loader=loader,
        context_loader=PipesS3ContextLoader(client=s3),
        message_writer=PipesS3MessageWriter(client=s3, interval=1),
    ) as pipes:
        bogus = BuildReport(
            params["lake-build"],
            params["partition-key"],
            checks=[
                CheckReport(
                    "silver/api_requests", "quarantine_rate", False, "ERROR", True, {"stale": "from a run that died"}
                )
            ],
        )
        pipes.report_custom_message(bogus.to_message())
        pipes.log.error("the driver is about to be lost")
    os._exit(1)  # dies without a clean shutdown, as a lost driver does


if __name__ == "__main__":
    sys.exit(main())
