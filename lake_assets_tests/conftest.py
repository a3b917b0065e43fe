"""Shared fixtures: one small local Spark session for the whole test run."""

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
