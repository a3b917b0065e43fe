"""`lake-deploy` against a moto server: content-addressed upload, idempotent Glue job definition."""

import base64
import hashlib
import io
import zipfile

import boto3

from lake_assets.remote import runtime
from lake_assets.remote.artifacts import GlueJobSpec, main, publish, upsert_glue_job
from lake_assets.remote.job_package import job_files, job_source_hash


def write_package(root, files: dict[str, str]):
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root / "lake_assets"


def test_the_job_files_are_the_entrypoints_import_closure(tmp_path):
    package = write_package(
        tmp_path,
        {
            "lake_assets/__init__.py": "",
            "lake_assets/remote/__init__.py": "",
            "lake_assets/remote/entrypoint.py": "def main():\n    from lake_assets.core.spark import get\n",
            "lake_assets/core/__init__.py": "",
            "lake_assets/core/spark.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from lake_assets.assets import x\nget = 1\n",
            "lake_assets/assets/__init__.py": "import dagster\n",
            "lake_assets/definitions.py": "from lake_assets.core.spark import get\n",
        },
    )
    # Function-level imports count (they run on the cluster); TYPE_CHECKING imports do not.
    assert [p.as_posix() for p in job_files(package)] == [
        "lake_assets/__init__.py",
        "lake_assets/core/__init__.py",
        "lake_assets/core/spark.py",
        "lake_assets/remote/__init__.py",
        "lake_assets/remote/entrypoint.py",
    ]
    first = job_source_hash(package)
    (package / "definitions.py").write_text("changed = True\n")  # Dagster side: same artifact
    assert job_source_hash(package) == first
    (package / "core/spark.py").write_text("get = 2\n")  # job code: a new artifact
    assert job_source_hash(package) != first
    assert job_source_hash(package, extra="pandera==9") != job_source_hash(package)


def wheel_metadata(data: bytes) -> tuple[list[str], bool]:
    """The wheel's Requires-Dist lines, and whether RECORD's hash of METADATA is still right."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = zf.read(name)
        record = zf.read(name.replace("METADATA", "RECORD")).decode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(metadata).digest()).rstrip(b"=").decode()
    requires = [line.split(": ", 1)[1] for line in metadata.decode().splitlines() if line.startswith("Requires-Dist:")]
    return requires, f"{name},sha256={digest},{len(metadata)}" in record.splitlines()


def test_publish_once_then_reuse_and_create_the_glue_job(endpoint, capsys):
    s3, glue = boto3.client("s3", endpoint_url=endpoint), boto3.client("glue", endpoint_url=endpoint)
    s3.create_bucket(Bucket="lake-artifacts")
    first = publish(s3, "lake-artifacts")
    assert first["uploaded"] and first["wheel"].endswith(".whl")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="lake-artifacts")["Contents"])
    assert [k.rsplit("/", 1)[1] for k in keys] == ["_complete", "entrypoint.py", first["wheel"].rsplit("/", 1)[1]]
    second = publish(s3, "lake-artifacts")
    assert not second["uploaded"] and second["wheel"] == first["wheel"]
    spec = GlueJobSpec("lake-job", "arn:aws:iam::123456789012:role/glue", workers=4)
    assert upsert_glue_job(glue, spec, first) == "created"
    job = glue.get_job(JobName="lake-job")["Job"]
    args = job["DefaultArguments"]
    assert args["--job-bookmark-option"] == "job-bookmark-disable"
    # Glue pip-installs the job modules and the wheel (by S3 URI); no pyspark extra, no second copy.
    assert args["--additional-python-modules"] == f"dagster-pipes==1.13.27,pandera==0.35.0,{first['wheel']}"
    assert "--extra-py-files" not in args
    assert (args["--enable-metrics"], args["--enable-continuous-cloudwatch-log"], args["--enable-spark-ui"]) == (
        "true",
        "true",
        "true",
    )
    assert args["--spark-event-logs-path"] == "s3://lake-artifacts/spark-events/lake-job/"
    assert job["NumberOfWorkers"] == 4 and job["ExecutionProperty"]["MaxConcurrentRuns"] == 3
    assert job["MaxRetries"] == 0 and job["GlueVersion"] == "5.0"
    # What Glue's pip resolves from the wheel: the job modules only, never dagster or pyspark 4.
    bucket, key = first["wheel"].removeprefix("s3://").split("/", 1)
    wheel = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    requires, record_ok = wheel_metadata(wheel)
    assert requires == list(runtime.JOB_MODULES) and record_ok
    # Only the job's modules: no Dagster-side code, no sample generator.
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        shipped = {n for n in zf.namelist() if not n.startswith("lake_assets-")}
    assert shipped == {p.as_posix() for p in job_files()}
    assert "lake_assets/remote/entrypoint.py" in shipped and "lake_assets/core/log4j2.properties" in shipped
    assert not any(n.startswith(("lake_assets/assets/", "lake_assets/definitions", "lake_sample")) for n in shipped)
    assert main(["--bucket", "lake-artifacts", "--endpoint-url", endpoint]) == 0
    out = capsys.readouterr().out
    assert "unchanged" in out and f"LAKE_JOB_PACKAGE_URI={first['wheel']}\n" in out
    assert f"LAKE_JOB_ENTRYPOINT_URI={first['script']}\n" in out


def test_an_existing_job_is_updated_to_the_same_definition():
    class ExistingJob:  # moto has no UpdateJob; this records what would be sent
        updates = []

        def get_job(self, JobName):
            return {"Job": {"Name": JobName}}

        def update_job(self, JobName, JobUpdate):
            self.updates.append((JobName, JobUpdate))

    glue, spec = ExistingJob(), GlueJobSpec("lake-job", "arn:aws:iam::123456789012:role/glue")
    artifacts = {"version": "abc", "script": "s3://b/x/entrypoint.py", "wheel": "s3://b/x/lake.whl"}
    assert upsert_glue_job(glue, spec, artifacts) == "updated"
    assert upsert_glue_job(glue, spec, artifacts) == "updated"
    (name, first), (_, second) = glue.updates
    assert name == "lake-job" and first == second  # the same state every time
    assert first["DefaultArguments"]["--additional-python-modules"].split(",") == [
        *runtime.JOB_MODULES,
        "s3://b/x/lake.whl",
    ]
    assert first["MaxRetries"] == 0  # explicit: Dagster owns retries, a Glue retry would run twice
    assert first["DefaultArguments"]["--spark-event-logs-path"] == "s3://b/spark-events/lake-job/"


def test_the_engine_pool_gets_the_engines_concurrency(tmp_path):
    import dagster as dg

    from lake_assets.remote.artifacts import size_pool

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert size_pool(instance, "glue", 4) == "pool glue: 4 slots"
        assert instance.event_log_storage.get_concurrency_info("glue").slot_count == 4
    with dg.DagsterInstance.ephemeral() as instance:  # in-memory storage has no pool limits
        assert "run `dagster instance concurrency set glue 4`" in size_pool(instance, "glue", 4)
