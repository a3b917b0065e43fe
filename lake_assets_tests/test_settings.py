"""Settings resolve from the environment once, with clear errors."""

from datetime import date

import pytest

from lake_assets.core.settings import DEFAULT_LAKE_DIR, LakeSettings, SettingsError


def test_defaults_are_local():
    s = LakeSettings.from_env({})
    assert s.engine == "local" and s.lake_root_uri == str(DEFAULT_LAKE_DIR / "lake")
    assert s.landing_uri == str(DEFAULT_LAKE_DIR / "landing") and s.pii_hash_key is None


def test_values_from_env(tmp_path):
    s = LakeSettings.from_env({"LAKE_ROOT_URI": "s3://bucket/lake/", "LAKE_LANDING_URI": str(tmp_path),
                               "LAKE_ENGINE": "Glue", "LAKE_PARTITION_START": "2026-01-31",
                               "LAKE_SHUFFLE_PARTITIONS": "8"})
    assert (s.lake_root_uri, s.landing_uri, s.engine) == ("s3://bucket/lake", str(tmp_path), "glue")
    assert s.partition_start == date(2026, 1, 31) and s.shuffle_partitions == 8


@pytest.mark.parametrize(("env", "message"), [
    ({"LAKE_ENGINE": "databricks"}, "LAKE_ENGINE"),
    ({"LAKE_PARTITION_START": "31/01/2026"}, "LAKE_PARTITION_START"),
    ({"LAKE_ROOT_URI": "gs://x"}, "unsupported URI scheme"),
    ({"LAKE_SHUFFLE_PARTITIONS": "many"}, "LAKE_SHUFFLE_PARTITIONS"),
])
def test_bad_values_are_explained(env, message):
    with pytest.raises(SettingsError, match=message):
        LakeSettings.from_env(env)


def test_secret_is_not_in_repr():
    assert "hunter2" not in repr(LakeSettings(pii_hash_key="hunter2"))
