"""What remote-engine tests share: a seeded moto "AWS" and the interpreter that runs job scripts.

Job scripts run in the Glue-5.0-shaped virtualenv (`glue_runtime.glue_python()`: PySpark 3.5 and
only the modules `lake-deploy` declares), so a test passes only if the job code really runs on
the runtime AWS provides. `LAKE_TEST_JOB_PYTHON` points elsewhere for a quick local loop.
"""

from __future__ import annotations

import os
from pathlib import Path

import boto3


def seed_aws(endpoint_url: str, landing_dir: Path, pii_key: str) -> None:
    """What a deployment has before the first run: bucket `landing` holding the files under
    `landing_dir`, bucket `pipes`, and the PII hash key as the secret `lake/pii`."""
    s3 = boto3.client("s3", endpoint_url=endpoint_url)
    for bucket in ("landing", "pipes"):
        s3.create_bucket(Bucket=bucket)
    for path in sorted(landing_dir.rglob("*")):
        if path.is_file():
            s3.upload_file(str(path), "landing", path.relative_to(landing_dir).as_posix())
    boto3.client("secretsmanager", endpoint_url=endpoint_url).create_secret(Name="lake/pii", SecretString=pii_key)


def job_python() -> str:
    """The interpreter remote job scripts run in: the Glue-shaped venv unless overridden."""
    if os.environ.get("LAKE_TEST_JOB_PYTHON"):
        return os.environ["LAKE_TEST_JOB_PYTHON"]
    from lake_assets_tests.glue_runtime import glue_python

    return str(glue_python())
