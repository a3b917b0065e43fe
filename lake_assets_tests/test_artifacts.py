"""`lake-deploy` against a moto server: content-addressed upload, idempotent Glue job definition."""

import boto3

from lake_assets.remote.artifacts import GlueJobSpec, main, publish, source_hash, upsert_glue_job
from lake_assets_tests.test_s3_landing import endpoint  # noqa: F401 (fixture)


def test_source_hash_changes_with_content(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    first = source_hash(tmp_path)
    assert source_hash(tmp_path) == first
    (tmp_path / "a.py").write_text("x = 2\n")
    assert source_hash(tmp_path) != first


def test_publish_once_then_reuse_and_define_the_job_idempotently(endpoint, capsys):
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
    assert job["DefaultArguments"]["--job-bookmark-option"] == "job-bookmark-disable"
    assert job["DefaultArguments"]["--extra-py-files"] == first["wheel"]
    assert job["NumberOfWorkers"] == 4 and job["ExecutionProperty"]["MaxConcurrentRuns"] == 3
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
    assert first["DefaultArguments"]["--extra-py-files"] == "s3://b/x/lake.whl"


def test_the_engine_pool_gets_the_engines_concurrency(tmp_path):
    import dagster as dg

    from lake_assets.remote.artifacts import size_pool

    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert size_pool(instance, "glue", 4) == "pool glue: 4 slots"
        assert instance.event_log_storage.get_concurrency_info("glue").slot_count == 4
    with dg.DagsterInstance.ephemeral() as instance:  # in-memory storage has no pool limits
        assert "run `dagster instance concurrency set glue 4`" in size_pool(instance, "glue", 4)
