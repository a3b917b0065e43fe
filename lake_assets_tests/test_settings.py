"""Settings resolve from the environment once, with clear errors."""

from datetime import date

import pytest

from lake_assets.core.settings import DEFAULT_LAKE_DIR, LakeSettings, SettingsError


def test_defaults_are_local():
    s = LakeSettings.from_env({})
    assert s.engine == "local" and s.lake_root_uri == str(DEFAULT_LAKE_DIR / "lake")
    assert s.landing_uri == str(DEFAULT_LAKE_DIR / "landing") and s.pii_hash_key is None


GLUE_ENV = {
    "LAKE_ROOT_URI": "s3://bucket/lake/",
    "LAKE_LANDING_URI": "s3://landing",
    "LAKE_ENGINE": "Glue",
    "LAKE_PIPES_BUCKET": "pipes",
    "LAKE_PII_KEY_SECRET_ID": "lake/pii",
    "AWS_REGION": "eu-west-1",
}


def test_values_from_env():
    s = LakeSettings.from_env({**GLUE_ENV, "LAKE_PARTITION_START": "2026-01-31", "LAKE_SHUFFLE_PARTITIONS": "8"})
    assert (s.lake_root_uri, s.landing_uri, s.engine, s.pool) == ("s3://bucket/lake", "s3://landing", "glue", "glue")
    assert s.partition_start == date(2026, 1, 31) and s.shuffle_partitions == 8
    remote = s.remote
    assert (remote.pipes_bucket, remote.region_name, remote.glue_job_name) == ("pipes", "eu-west-1", "lake-assets")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LAKE_ROOT_URI": "s3://bucket/lake"}, "LAKE_ENGINE=local writes a local lake folder"),
        ({**GLUE_ENV, "LAKE_LANDING_URI": "/data/landing"}, "set LAKE_LANDING_URI to an s3://"),
        ({**GLUE_ENV, "LAKE_PIPES_BUCKET": ""}, "LAKE_ENGINE=glue needs LAKE_PIPES_BUCKET"),
        (
            {**GLUE_ENV, "LAKE_ENGINE": "emr-serverless"},
            "needs LAKE_EMR_SERVERLESS_APPLICATION_ID, LAKE_EMR_EXECUTION_ROLE_ARN, LAKE_JOB_ENTRYPOINT_URI",
        ),
        (
            {**GLUE_ENV, "LAKE_ENGINE": "emr"},
            "needs LAKE_EMR_CLUSTER_ID, LAKE_JOB_ENTRYPOINT_URI, LAKE_JOB_PACKAGE_URI",
        ),
    ],
)
def test_an_engine_without_what_it_needs_is_explained(env, message):
    with pytest.raises(SettingsError, match=message):
        LakeSettings.from_env(env)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LAKE_ENGINE": "databricks"}, "LAKE_ENGINE"),
        ({"LAKE_PARTITION_START": "31/01/2026"}, "LAKE_PARTITION_START"),
        ({"LAKE_ROOT_URI": "gs://x"}, "unsupported URI scheme"),
        ({"LAKE_SHUFFLE_PARTITIONS": "many"}, "LAKE_SHUFFLE_PARTITIONS"),
    ],
)
def test_bad_values_are_explained(env, message):
    with pytest.raises(SettingsError, match=message):
        LakeSettings.from_env(env)


def test_secret_is_not_in_repr():
    assert "hunter2" not in repr(LakeSettings(pii_hash_key="hunter2"))


def test_settings_travel_whole_to_the_job_script():
    """Every field — today's and any added later — survives the trip to a remote job script,
    except the PII key, which never travels (the script reads it from Secrets Manager)."""
    import dataclasses

    from lake_assets.core.settings import RemoteSettings
    from lake_assets.remote.entrypoint import job_settings

    def changed(value):
        if isinstance(value, bool):
            return not value
        if isinstance(value, (int, float)):
            return value + 7
        if isinstance(value, dict):
            return {**value, "silver/api_requests": 0.125}
        if isinstance(value, date):
            return date(2025, 1, 2)
        return f"{value}-changed"

    remote = RemoteSettings(
        **{f.name: changed(getattr(RemoteSettings(), f.name) or "x") for f in dataclasses.fields(RemoteSettings)}
    )
    fields = {f.name: changed(getattr(LakeSettings(), f.name) or "x") for f in dataclasses.fields(LakeSettings)}
    settings = LakeSettings(
        **{
            **fields,
            "engine": "glue",
            "remote": remote,
            "shuffle_partitions": 9,
            "pii_hash_key": "s3cr3t-pii-key",
            "empty_day_severity": "WARN",  # one of two values: "changed" is WARN
        }
    )
    received = job_settings(settings.to_param(), {"LAKE_SPARK_MASTER": "local[2]"})
    assert received == dataclasses.replace(settings, pii_hash_key=None, spark_master="local[2]")
    assert received.max_quarantine_rate["silver/api_requests"] == 0.125
    assert "s3cr3t-pii-key" not in base64_text(settings.to_param())  # the PII key stays home


def base64_text(param):
    import base64

    return base64.urlsafe_b64decode(param.encode()).decode()
