"""Shared fixtures: one small local Spark session for the whole test run."""

import warnings

import pytest

from lake_assets.core.settings import LakeSettings


@pytest.fixture(scope="session")
def spark():
    from lake_assets.core.spark import get_spark

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = get_spark(LakeSettings(spark_master="local[2]", shuffle_partitions=2,
                                         spark_driver_memory="2g"))
    yield session
