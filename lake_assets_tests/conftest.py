"""Shared fixtures: one small local Spark session for the whole test run, and a moto "AWS" per module.

Everything AWS-related (moto, boto3, the S3 landing) is imported inside the fixtures: this file
also loads in the Glue-shaped venv (`glue_runtime.py`), which has no moto and only the job modules.
"""

import logging
import urllib.request
import uuid
import warnings

import pytest

from lake_assets.core.settings import LakeSettings
from lake_assets_tests.aws_env import AWS_ENV


@pytest.fixture(scope="session")
def spark():
    from lake_assets.core.spark import get_spark

    # Spark's Python workers keep the environment the JVM started with: give it the dummy AWS
    # credentials the moto tests use, so jobs reading a moto landing zone work in any test order.
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        for name, value in AWS_ENV.items():
            mp.setenv(name, value)
        warnings.simplefilter("ignore")
        session = get_spark(LakeSettings(spark_master="local[2]", shuffle_partitions=2, spark_driver_memory="2g"))
    yield session


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """A moto server (S3, Glue, Secrets Manager, SNS, … over real HTTP) on a free localhost port,
    with the tests' dummy credentials and no developer AWS configuration; yields its endpoint URL.

    Module-scoped, and every module starts from an empty "AWS": moto keeps its state per process,
    not per server, so the fixture resets it when it starts."""
    from moto.server import ThreadedMotoServer

    from lake_assets.core import s3_landing

    with pytest.MonkeyPatch.context() as mp:
        for name, value in AWS_ENV.items():
            mp.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            mp.delenv(name, raising=False)
        empty = tmp_path_factory.mktemp("aws")
        mp.setenv("AWS_CONFIG_FILE", str(empty / "config"))  # ignore the developer's ~/.aws
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
        mp.setattr(logging.getLogger("werkzeug"), "level", logging.ERROR)  # no per-request access log
        s3_landing._reset_clients()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        urllib.request.urlopen(
            urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST"), timeout=10
        ).read()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()
            s3_landing._reset_clients()


@pytest.fixture(scope="module")
def s3(endpoint):
    """A boto3 S3 client on the moto server, for seeding buckets (checksums off: a third faster per
    put against moto)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        config=Config(request_checksum_calculation="when_required", response_checksum_validation="when_required"),
    )


@pytest.fixture
def make_bucket(s3):
    """`make_bucket(objects=None) -> name`: a new, uniquely named bucket holding `objects` (key → bytes)."""

    def make(objects: dict[str, bytes] | None = None) -> str:
        bucket = f"landing-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
        for key, body in (objects or {}).items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        return bucket

    return make
