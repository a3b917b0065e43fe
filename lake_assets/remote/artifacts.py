"""`lake-deploy`: publish the job code for the remote engines and define the Glue job.

Artifacts are content-addressed: the key contains a hash of the job wheel's files, so an
unchanged build is neither rebuilt nor re-uploaded, and a running job never sees its code change
under it. The Glue job definition is created or updated to the same state every time
(idempotent): Glue version, worker type and count, bookmarks disabled (partitions are explicit
arguments, not bookmarks), concurrency, no Glue retries (Dagster owns retries), metrics,
continuous logs and the Spark UI's event logs, and `--additional-python-modules`: the job modules
`lake_assets.remote.runtime` declares plus the package's wheel by S3 URI, which Glue pip-installs
(the way AWS documents shipping a wheel). The wheel holds only the modules the job script imports
(`job_package`) and declares only the job modules as its requirements: the Dagster side's
(dagster, pyspark 4, ...) would be installed over Glue's runtime.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lake_assets.core.aws_errors import error_code
from lake_assets.remote import runtime
from lake_assets.remote.job_package import PACKAGE_ROOT, job_files, job_source_hash

JOB_WHEEL_VERSION = "0.1.0"
ENTRYPOINT = Path(__file__).with_name("entrypoint.py")


@dataclass(frozen=True)
class GlueJobSpec:
    name: str
    role_arn: str
    glue_version: str = runtime.GLUE_VERSION  # the runtime the job modules are declared for
    worker_type: str = "G.1X"
    workers: int = 2
    max_concurrent_runs: int = 3
    timeout_minutes: int = 120


def source_hash() -> str:
    """The artifact version: a hash of the job wheel's files and requirements (not build time)."""
    return job_source_hash(extra="\n".join(runtime.JOB_MODULES))


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except Exception as exc:  # botocore ClientError 404
        if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def job_pyproject() -> str:
    """The job wheel's build file: its modules (`job_package.job_files`) and the job's
    requirements only — the code location's (dagster, pyspark 4, …) would replace Glue's runtime."""
    requirements = ", ".join(f'"{r}"' for r in runtime.JOB_MODULES)
    return (
        '[build-system]\nrequires = ["setuptools>=69", "wheel"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "lake_assets"\nversion = "{JOB_WHEEL_VERSION}"\n'
        f'requires-python = ">=3.11"\ndependencies = [{requirements}]\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["lake_assets", "lake_assets.*"]\n\n'
        '[tool.setuptools.package-data]\n"lake_assets.core" = ["log4j2.properties"]\n'
    )


def build_wheel(out_dir: Path) -> Path:
    """The job wheel: the entrypoint's import closure and the job's requirements, nothing else.

    Built from a fresh copy of exactly those files: setuptools reuses an in-tree `build/` folder
    and would ship modules deleted since the last build.
    """
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "src")
        for relative in job_files():
            (source / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PACKAGE_ROOT.parent / relative, source / relative)
        (source / "pyproject.toml").write_text(job_pyproject())
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out_dir), str(source)], check=True
        )
    (wheel,) = out_dir.glob("lake_assets-*.whl")
    return wheel


def publish(s3: Any, bucket: str, prefix: str = "lake-artifacts") -> dict[str, Any]:
    """Upload wheel + entrypoint under `<prefix>/<hash>/` unless already there."""
    version = source_hash()
    base = f"{prefix.strip('/')}/{version}"
    script_key, marker_key = f"{base}/entrypoint.py", f"{base}/_complete"
    if _exists(s3, bucket, marker_key):
        wheel_key = s3.get_object(Bucket=bucket, Key=marker_key)["Body"].read().decode()
        return {
            "version": version,
            "uploaded": False,
            "script": f"s3://{bucket}/{script_key}",
            "wheel": f"s3://{bucket}/{wheel_key}",
        }
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp))
        wheel_key = f"{base}/{wheel.name}"
        s3.upload_file(str(wheel), bucket, wheel_key)
    s3.upload_file(str(ENTRYPOINT), bucket, script_key)
    s3.put_object(Bucket=bucket, Key=marker_key, Body=wheel_key.encode())  # written last: the set is complete
    return {
        "version": version,
        "uploaded": True,
        "script": f"s3://{bucket}/{script_key}",
        "wheel": f"s3://{bucket}/{wheel_key}",
    }


def job_definition(spec: GlueJobSpec, artifacts: dict[str, Any]) -> dict[str, Any]:
    bucket = artifacts["script"].removeprefix("s3://").split("/", 1)[0]
    return {
        "Role": spec.role_arn,
        "GlueVersion": spec.glue_version,
        "WorkerType": spec.worker_type,
        "NumberOfWorkers": spec.workers,
        "Timeout": spec.timeout_minutes,
        "MaxRetries": 0,  # Dagster retries the step (and reattaches to a run that is still going)
        "ExecutionProperty": {"MaxConcurrentRuns": spec.max_concurrent_runs},
        "Command": {"Name": "glueetl", "ScriptLocation": artifacts["script"], "PythonVersion": "3"},
        "DefaultArguments": {
            "--additional-python-modules": runtime.additional_python_modules(artifacts["wheel"]),
            "--job-bookmark-option": "job-bookmark-disable",
            "--enable-metrics": "true",
            "--enable-continuous-cloudwatch-log": "true",
            "--enable-spark-ui": "true",
            "--spark-event-logs-path": f"s3://{bucket}/spark-events/{spec.name}/",
            "--lake-artifacts-version": artifacts["version"],
        },
    }


def upsert_glue_job(glue: Any, spec: GlueJobSpec, artifacts: dict[str, Any]) -> str:
    """Create the job, or update it to exactly this definition. Returns 'created' or 'updated'."""
    definition = job_definition(spec, artifacts)
    try:
        glue.get_job(JobName=spec.name)
    except Exception as exc:
        if error_code(exc) != "EntityNotFoundException":
            raise
        glue.create_job(Name=spec.name, **definition)
        return "created"
    glue.update_job(JobName=spec.name, JobUpdate=definition)
    return "updated"


def size_pool(instance: Any, pool: str, limit: int) -> str:
    """Give the engine's Dagster pool as many slots as the engine runs at once, so steps queue in
    Dagster instead of failing in Glue with ConcurrentRunsExceeded."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return (
            f"pool {pool}: this Dagster instance's storage has no pool limits; "
            f"run `dagster instance concurrency set {pool} {limit}` on one that has"
        )
    storage.set_concurrency_slots(pool, limit)
    return f"pool {pool}: {limit} slots"


def main(argv: list[str] | None = None) -> int:
    from lake_assets.core.settings import RemoteSettings

    parser = argparse.ArgumentParser(prog="lake-deploy", description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", required=True, help="artifacts bucket")
    parser.add_argument("--glue-job", help="Glue job name to create or update")
    parser.add_argument("--role-arn", help="IAM role the Glue job runs as")
    parser.add_argument("--workers", type=int, default=2)
    concurrency = RemoteSettings.from_env(os.environ).max_concurrent_jobs
    parser.add_argument(
        "--max-concurrent-runs",
        type=int,
        default=concurrency,
        help="Glue MaxConcurrentRuns (default: LAKE_REMOTE_MAX_CONCURRENT_JOBS or 3); also the "
        "`glue` Dagster pool size if DAGSTER_HOME is set",
    )
    parser.add_argument("--endpoint-url", default=None)
    args = parser.parse_args(argv)
    if args.glue_job and not args.role_arn:
        parser.error("--glue-job needs --role-arn")
    import boto3

    artifacts = publish(boto3.client("s3", endpoint_url=args.endpoint_url), args.bucket)
    print(f"artifacts {artifacts['version']}: {'uploaded' if artifacts['uploaded'] else 'unchanged'}")
    print(f"LAKE_JOB_ENTRYPOINT_URI={artifacts['script']}")  # what the EMR engines submit
    print(f"LAKE_JOB_PACKAGE_URI={artifacts['wheel']}")
    if args.glue_job:
        spec = GlueJobSpec(
            args.glue_job, args.role_arn, workers=args.workers, max_concurrent_runs=args.max_concurrent_runs
        )
        action = upsert_glue_job(boto3.client("glue", endpoint_url=args.endpoint_url), spec, artifacts)
        print(f"Glue job {spec.name}: {action}")
        if os.environ.get("DAGSTER_HOME"):
            import dagster as dg

            with dg.DagsterInstance.get() as instance:
                print(size_pool(instance, "glue", spec.max_concurrent_runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
