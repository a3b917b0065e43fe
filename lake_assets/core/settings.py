"""Typed settings, resolved once from the environment.

Everything that depends on where the lake lives or which engine runs Spark is read here, at
definitions-load time (never at import time), so a test can build a `LakeSettings` by hand and a
deployment changes behaviour with environment variables only.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

ENGINES = ("local", "glue", "emr-serverless", "emr")
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_LAKE_DIR = REPO_ROOT / ".lake"
DEFAULT_MAX_QUARANTINE_RATE = 0.05  # the one default of `LAKE_MAX_QUARANTINE_RATE` ("*")


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message says which variable and why."""


def _as_uri(value: str) -> str:
    """Accept a plain path or a URI; plain paths become absolute `file://`-less paths."""
    if "://" in value:
        if not value.startswith(("s3://", "file://")):
            raise SettingsError(f"unsupported URI scheme in {value!r}: use a local path or s3://bucket/prefix")
        return value.rstrip("/")
    return str(Path(value).expanduser().resolve())


ALLOW_OLDER_EXPORT_TAG = "lake/allow_older_export"


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
        remote: where a remote engine (glue | emr-serverless | emr) submits to; see `RemoteSettings`.
        empty_day_severity: `LAKE_EMPTY_DAY_SEVERITY`, ERROR (default) or WARN: how the `no_data`
            check judges an expected day without landing data. ERROR publishes nothing for it (the
            step fails, downstream waits, an alert goes out); WARN publishes the empty day with a
            failing warning, and Silver and Gold build empty tables from it.
        allow_older_export: let Bronze replace a partition with an export older than the one it
            holds; set for one run only, by the run tag `lake/allow_older_export=true` (`for_run`).
    """

    lake_root_uri: str = str(DEFAULT_LAKE_DIR / "lake")
    landing_uri: str = str(DEFAULT_LAKE_DIR / "landing")
    engine: str = "local"
    partition_start: date = date(2026, 11, 1)
    pii_hash_key: str | None = field(default=None, repr=False)
    spark_master: str = "local[*]"
    shuffle_partitions: int = 4
    # The heap grows into what it is given (with 4g, a 4.2 GB process tree already at 200k
    # requests). On the 1M benchmark day, 1600m kept the whole tree at 3.07 GB (JVM 2.16 GB)
    # against 3.41 GB with 2g, at 1-2% more run time (Silver's caches spill a little earlier).
    spark_driver_memory: str = "1600m"
    max_quarantine_rate: dict[str, float] = field(default_factory=lambda: {"*": DEFAULT_MAX_QUARANTINE_RATE})
    s3_endpoint_url: str | None = None
    landing_lookback_days: int = 3
    export_lookback_days: int = 7
    alerts_file: str = str(DEFAULT_LAKE_DIR / "alerts.jsonl")
    webserver_url: str = "http://127.0.0.1:3000"
    remote: RemoteSettings = field(default_factory=lambda: RemoteSettings())
    empty_day_severity: str = "ERROR"
    allow_older_export: bool = False

    def for_run(self, tags: Mapping[str, str]) -> LakeSettings:
        """These settings with what one run may override: the run tag `lake/allow_older_export`.

        Why a tag and not an environment variable: replacing newer data with older is a decision
        about one partition, taken when launching that run (UI "Launch with tags", `dg launch`),
        never a standing setting of the deployment.
        """
        allow = tags.get(ALLOW_OLDER_EXPORT_TAG, "").strip().lower() in ("1", "true", "yes")
        return self if allow == self.allow_older_export else replace(self, allow_older_export=allow)

    @property
    def pool(self) -> str:
        """The Dagster pool of the Spark work: one per engine, sized like the engine's own limit."""
        return POOLS[self.engine]

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise SettingsError(f"LAKE_ENGINE={self.engine!r} is not one of {', '.join(ENGINES)}")
        if self.shuffle_partitions < 1:
            raise SettingsError("LAKE_SHUFFLE_PARTITIONS must be a positive integer")
        if self.empty_day_severity not in ("ERROR", "WARN"):
            raise SettingsError(f"LAKE_EMPTY_DAY_SEVERITY={self.empty_day_severity!r} is not ERROR or WARN")

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
            max_quarantine_rate=parse_rates(env.get("LAKE_MAX_QUARANTINE_RATE", "")),
            s3_endpoint_url=env.get("LAKE_S3_ENDPOINT_URL") or env.get("AWS_ENDPOINT_URL") or None,
            landing_lookback_days=_positive_int(env, "LAKE_LANDING_LOOKBACK_DAYS", defaults.landing_lookback_days),
            export_lookback_days=_positive_int(env, "LAKE_EXPORT_LOOKBACK_DAYS", defaults.export_lookback_days),
            alerts_file=env.get("LAKE_ALERTS_FILE", defaults.alerts_file),
            webserver_url=env.get("DAGSTER_WEBSERVER_URL", defaults.webserver_url).rstrip("/"),
            remote=RemoteSettings.from_env(env),
            empty_day_severity=env.get("LAKE_EMPTY_DAY_SEVERITY", defaults.empty_day_severity).strip().upper(),
        ).validated()

    def to_param(self) -> str:
        """The whole settings object as one job-script parameter (URL-safe base64 of compact JSON).

        Remote job scripts get *every* field this way, so nothing that changes what a job writes
        or checks can be lost on the way; the secret key is the one field that never travels (the
        job script reads it from Secrets Manager by `remote.pii_key_secret_id`).
        """
        fields = asdict(replace(self, pii_hash_key=None))
        text = json.dumps(fields, default=str, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(text.encode()).decode()

    @classmethod
    def from_param(cls, param: str) -> LakeSettings:
        """The settings `to_param` encoded, exactly (the inverse of `to_param`)."""
        fields: dict[str, Any] = json.loads(base64.urlsafe_b64decode(param.encode()))
        return cls(
            **{
                **fields,
                "partition_start": date.fromisoformat(fields["partition_start"]),
                "remote": RemoteSettings(**fields["remote"]),
            }
        )

    def validated(self) -> LakeSettings:
        """Fail at load time, naming the variable, when the engine cannot work with these settings."""
        if self.engine == "local":
            if self.lake_root_uri.startswith("s3://"):
                raise SettingsError(
                    "LAKE_ENGINE=local writes a local lake folder (this Spark has no S3 "
                    "connector): set LAKE_ROOT_URI to a path, or choose a remote LAKE_ENGINE"
                )
            return self
        for name, value in (("LAKE_ROOT_URI", self.lake_root_uri), ("LAKE_LANDING_URI", self.landing_uri)):
            if not value.startswith("s3://"):
                raise SettingsError(
                    f"LAKE_ENGINE={self.engine} runs Spark on AWS, which cannot reach "
                    f"{value!r}: set {name} to an s3://bucket/prefix URI"
                )
        missing = [name for name, value in self.remote.required(self.engine) if not value]
        if missing:
            raise SettingsError(f"LAKE_ENGINE={self.engine} needs {', '.join(missing)} (see README: Deploying on AWS)")
        return self


POOLS = {"local": "spark_local", "glue": "glue", "emr-serverless": "emr_serverless", "emr": "emr"}


@dataclass(frozen=True)
class RemoteSettings:
    """Where remote engines submit the job script (`lake-deploy` prints most of these).

    The PII hash key never passes through Dagster for remote runs: the job reads it from AWS
    Secrets Manager by `pii_key_secret_id`, so only the secret's name appears in arguments.
    """

    region_name: str | None = None  # AWS_REGION / AWS_DEFAULT_REGION
    pipes_bucket: str = ""  # LAKE_PIPES_BUCKET: Pipes context and messages
    glue_job_name: str = "lake-assets"  # LAKE_GLUE_JOB_NAME
    glue_database: str | None = None  # LAKE_GLUE_DATABASE: catalog database for Athena (Gold tables)
    emr_serverless_application_id: str = ""  # LAKE_EMR_SERVERLESS_APPLICATION_ID
    emr_execution_role_arn: str = ""  # LAKE_EMR_EXECUTION_ROLE_ARN
    emr_cluster_id: str = ""  # LAKE_EMR_CLUSTER_ID
    entrypoint_uri: str = ""  # LAKE_JOB_ENTRYPOINT_URI: s3:// URI of entrypoint.py (EMR engines)
    package_uri: str = ""  # LAKE_JOB_PACKAGE_URI: s3:// URI of the lake_assets wheel (EMR engines)
    pii_key_secret_id: str = ""  # LAKE_PII_KEY_SECRET_ID
    python_env_uri: str = ""  # LAKE_JOB_PYTHON_ENV_URI: packed virtualenv (tar.gz) for EMR Serverless
    max_concurrent_jobs: int = 3  # LAKE_REMOTE_MAX_CONCURRENT_JOBS: Glue MaxConcurrentRuns = the pool's limit
    poll_seconds: float = 5.0  # LAKE_REMOTE_POLL_SECONDS: how often a step asks for its run's state

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RemoteSettings:
        return cls(
            region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            pipes_bucket=env.get("LAKE_PIPES_BUCKET", ""),
            glue_job_name=env.get("LAKE_GLUE_JOB_NAME", cls.glue_job_name),
            glue_database=env.get("LAKE_GLUE_DATABASE") or None,
            emr_serverless_application_id=env.get("LAKE_EMR_SERVERLESS_APPLICATION_ID", ""),
            emr_execution_role_arn=env.get("LAKE_EMR_EXECUTION_ROLE_ARN", ""),
            emr_cluster_id=env.get("LAKE_EMR_CLUSTER_ID", ""),
            entrypoint_uri=env.get("LAKE_JOB_ENTRYPOINT_URI", ""),
            package_uri=env.get("LAKE_JOB_PACKAGE_URI", ""),
            pii_key_secret_id=env.get("LAKE_PII_KEY_SECRET_ID", ""),
            python_env_uri=env.get("LAKE_JOB_PYTHON_ENV_URI", ""),
            max_concurrent_jobs=_positive_int(env, "LAKE_REMOTE_MAX_CONCURRENT_JOBS", cls.max_concurrent_jobs),
            poll_seconds=_positive_int(env, "LAKE_REMOTE_POLL_SECONDS", int(cls.poll_seconds)),
        )

    def required(self, engine: str) -> list[tuple[str, str]]:
        """(variable, value) pairs the engine cannot run without."""
        common = [("LAKE_PIPES_BUCKET", self.pipes_bucket), ("LAKE_PII_KEY_SECRET_ID", self.pii_key_secret_id)]
        artifacts = [("LAKE_JOB_ENTRYPOINT_URI", self.entrypoint_uri), ("LAKE_JOB_PACKAGE_URI", self.package_uri)]
        return common + {
            "glue": [("LAKE_GLUE_JOB_NAME", self.glue_job_name)],
            "emr-serverless": [
                ("LAKE_EMR_SERVERLESS_APPLICATION_ID", self.emr_serverless_application_id),
                ("LAKE_EMR_EXECUTION_ROLE_ARN", self.emr_execution_role_arn),
                *artifacts,
            ],
            "emr": [("LAKE_EMR_CLUSTER_ID", self.emr_cluster_id), *artifacts],
        }.get(engine, [])


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, str(default))
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{name}={text!r} is not a positive integer")
    return int(text)


def parse_rates(text: str) -> dict[str, float]:
    """`0.05` (every table) or `0.05,silver/api_requests=0.02` (a default plus per-table limits)."""
    rates: dict[str, float] = {"*": DEFAULT_MAX_QUARANTINE_RATE}
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
