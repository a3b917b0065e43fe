"""Typed settings, resolved once from the environment.

Everything that depends on where the lake lives or which engine runs Spark is read here, at
definitions-load time (never at import time), so a test can build a `LakeSettings` by hand and a
deployment changes behaviour with environment variables only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ENGINES = ("local", "glue", "emr-serverless", "emr")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LAKE_DIR = REPO_ROOT / ".lake"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message says which variable and why."""


def _as_uri(value: str) -> str:
    """Accept a plain path or a URI; plain paths become absolute `file://`-less paths."""
    if "://" in value:
        if not value.startswith(("s3://", "file://")):
            raise SettingsError(f"unsupported URI scheme in {value!r}: use a local path or s3://bucket/prefix")
        return value.rstrip("/")
    return str(Path(value).expanduser().resolve())


@dataclass(frozen=True)
class LakeSettings:
    """Where the lake lives and how its Spark work runs.

    Attributes:
        lake_root_uri: root of Bronze/Silver/Gold (`LAKE_ROOT_URI`), local path or s3:// URI.
        landing_uri: root of the landing zone (`LAKE_LANDING_URI`).
        engine: `LAKE_ENGINE`, one of local | glue | emr-serverless | emr.
        partition_start: first daily partition (`LAKE_PARTITION_START`, YYYY-MM-DD).
        pii_hash_key: key for the keyed hash of personal data (`LAKE_PII_HASH_KEY`); when unset
            on the local engine a random key is created once under the lake root.
        spark_master: Spark master for the local engine (`LAKE_SPARK_MASTER`).
        shuffle_partitions: `spark.sql.shuffle.partitions` for the local engine.
        spark_driver_memory: driver heap for the local engine (`LAKE_SPARK_DRIVER_MEMORY`).
        s3_endpoint_url: S3 endpoint for the landing zone (`LAKE_S3_ENDPOINT_URL`, else `AWS_ENDPOINT_URL`).
        landing_lookback_days / export_lookback_days: how far back the sensors look for late objects
            and exports (`LAKE_LANDING_LOOKBACK_DAYS`, `LAKE_EXPORT_LOOKBACK_DAYS`).
        alerts_file: the local alert target, JSON lines (`LAKE_ALERTS_FILE`).
        webserver_url: base URL of the Dagster UI for links in alerts (`DAGSTER_WEBSERVER_URL`).
        max_quarantine_rate: largest share of a Silver table's input that may be quarantined before
            its `quarantine_rate` check fails (`LAKE_MAX_QUARANTINE_RATE`; "*" is the default).
    """

    lake_root_uri: str = str(DEFAULT_LAKE_DIR / "lake")
    landing_uri: str = str(DEFAULT_LAKE_DIR / "landing")
    engine: str = "local"
    partition_start: date = date(2026, 11, 1)
    pii_hash_key: str | None = field(default=None, repr=False)
    spark_master: str = "local[*]"
    shuffle_partitions: int = 4
    spark_driver_memory: str = "4g"
    max_quarantine_rate: dict[str, float] = field(default_factory=lambda: {"*": 0.05})
    s3_endpoint_url: str | None = None
    landing_lookback_days: int = 3
    export_lookback_days: int = 7
    alerts_file: str = str(DEFAULT_LAKE_DIR / "alerts.jsonl")
    webserver_url: str = "http://127.0.0.1:3000"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(f"LAKE_ENGINE={self.engine!r} is not one of {', '.join(ENGINES)}")
        if self.shuffle_partitions < 1:
            raise SettingsError("LAKE_SHUFFLE_PARTITIONS must be a positive integer")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LakeSettings:
        """Resolve settings from `env` (default: the process environment)."""
        env = os.environ if env is None else env
        defaults = cls()
        start_text = env.get("LAKE_PARTITION_START", defaults.partition_start.isoformat())
        try:
            start = date.fromisoformat(start_text)
        except ValueError:
            raise SettingsError(f"LAKE_PARTITION_START={start_text!r} is not a date (YYYY-MM-DD)") from None
        shuffle_text = env.get("LAKE_SHUFFLE_PARTITIONS", str(defaults.shuffle_partitions))
        if not shuffle_text.isdigit():
            raise SettingsError(f"LAKE_SHUFFLE_PARTITIONS={shuffle_text!r} is not a positive integer")
        return cls(
            lake_root_uri=_as_uri(env.get("LAKE_ROOT_URI", defaults.lake_root_uri)),
            landing_uri=_as_uri(env.get("LAKE_LANDING_URI", defaults.landing_uri)),
            engine=env.get("LAKE_ENGINE", defaults.engine).strip().lower(),
            partition_start=start,
            pii_hash_key=env.get("LAKE_PII_HASH_KEY") or None,
            spark_master=env.get("LAKE_SPARK_MASTER", defaults.spark_master),
            shuffle_partitions=int(shuffle_text),
            spark_driver_memory=env.get("LAKE_SPARK_DRIVER_MEMORY", defaults.spark_driver_memory),
            max_quarantine_rate=parse_rates(env.get("LAKE_MAX_QUARANTINE_RATE", "0.05")),
            s3_endpoint_url=env.get("LAKE_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL") or None,
            landing_lookback_days=_positive_int(env, "LAKE_LANDING_LOOKBACK_DAYS", defaults.landing_lookback_days),
            export_lookback_days=_positive_int(env, "LAKE_EXPORT_LOOKBACK_DAYS", defaults.export_lookback_days),
            alerts_file=env.get("LAKE_ALERTS_FILE", defaults.alerts_file),
            webserver_url=env.get("DAGSTER_WEBSERVER_URL", defaults.webserver_url).rstrip("/"),
        )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, str(default))
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name}={text!r} is not a positive integer")
    return int(text)


def parse_rates(text: str) -> dict[str, float]:
    """`0.05` (every table) or `0.05,silver/api_requests=0.02` (a default plus per-table limits)."""
    rates: dict[str, float] = {"*": 0.05}
    for part in filter(None, (p.strip() for p in text.split(","))):
        table, _, value = part.rpartition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not 0.0 <= rate <= 1.0:
            raise SettingsError(f"LAKE_MAX_QUARANTINE_RATE: {part!r} is not a rate between 0 and 1")
        rates[table.strip() or "*"] = rate
    return rates
