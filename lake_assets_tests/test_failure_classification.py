"""Failures classified where they arise (issue #15): input, parse and code errors fail once with
what the job was reading; only infrastructure errors are retried."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from py4j.protocol import Py4JNetworkError

from lake_assets.assets.factory import build_lake_asset
from lake_assets.automation.policy import RETRY_POLICY
from lake_assets.core.failures import LandingInputError, describe, is_transient
from lake_assets.core.settings import LakeSettings
from lake_assets.core.spark import INSTALL_JAVA
from lake_assets.engines.local import LocalSparkEngine
from lake_assets.partitions import daily_partitions
from lake_assets.steps import BRONZE, CATALOG
from lake_assets.transforms.arrow_rows import arrow_schema
from lake_assets.transforms.bronze import TASKS_EXPORT_SCHEMA
from lake_assets.transforms.bronze_tasks import data_file_batches
from lake_assets_tests.landing_builders import EXPORTS_PREFIX, write_export

DAY = date(2026, 11, 21)
EXPORT_STEP = next(s for s in BRONZE if s.name == "bronze_tasks_export")


def aws_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetObject")


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (ValueError("invalid literal"), False),
        (KeyError("dataFileS3Key"), False),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), False),
        (PermissionError(13, "Permission denied"), False),
        (aws_error("AccessDenied"), False),
        (RuntimeError("something unexpected"), False),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (TimeoutError("timed out"), True),
        (OSError(5, "Input/output error"), True),
        (aws_error("SlowDown"), True),
        (aws_error("ThrottlingException"), True),
        (EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), True),
        (Py4JNetworkError("Answer from Java side is empty"), True),
    ],
)
def test_only_infrastructure_failures_are_transient(exc, transient):
    assert is_transient(exc) is transient


def test_a_transient_cause_makes_the_failure_transient():
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError as inner:
            raise ValueError("while reading api_logs/x.gz") from inner
    except ValueError as outer:
        assert is_transient(outer)


def test_errors_raised_inside_spark_tasks_are_classified_by_the_task_exception(spark):
    frame = spark.range(1)

    def failing_with(exc: BaseException):
        def run(batches):
            for _ in batches:
                raise exc
            yield from ()

        with pytest.raises(Exception) as caught:
            frame.mapInArrow(run, frame.schema).collect()
        return caught.value

    data_error = failing_with(ValueError("could not convert 'x'"))
    assert type(data_error).__name__ == "PythonException"
    assert not is_transient(data_error)
    assert describe(data_error) == (
        "ValueError: could not convert 'x' (not retried: the same job on the same input fails the same way)"
    )
    assert is_transient(failing_with(ConnectionResetError(104, "Connection reset by peer")))


def test_a_parser_bug_in_a_spark_task_fails_once_naming_the_object_line_and_text(tmp_path, spark, monkeypatch):
    """The production retry policy is attached: a second attempt would show as STEP_UP_FOR_RETRY."""
    landing_root = tmp_path / "landing"
    write_export(landing_root, "e1", "2026-11-22T00:00:00.000Z", items=3)
    key = f"{EXPORTS_PREFIX}/AWSDynamoDB/e1/data/part1.json.gz"
    calls: list[str] = []

    def parser_with_a_bug(line: str, number: int) -> dict:
        if number == 2:
            raise IndexError("list index out of range")
        return {"line_number": number, "raw_item": line}

    def build(ctx):
        calls.append(ctx.dt)
        files = ctx.spark.createDataFrame([(key, None)], "key string, md5_checksum string")
        schema = TASKS_EXPORT_SCHEMA
        landing = ctx.landing
        arrow = arrow_schema(schema)
        files.mapInArrow(lambda it: data_file_batches(landing, parser_with_a_bug, arrow, it), schema).collect()
        raise AssertionError("the task should have failed")

    monkeypatch.setitem(CATALOG.builds, EXPORT_STEP.name, build)
    settings = LakeSettings(lake_root_uri=str(tmp_path / "lake"), landing_uri=str(landing_root), pii_hash_key="k" * 64)
    asset = build_lake_asset(
        EXPORT_STEP, CATALOG, daily_partitions(settings.partition_start), retry_policy=RETRY_POLICY
    )
    result = dg.materialize(
        [asset], resources={"engine": LocalSparkEngine(settings)}, partition_key=DAY.isoformat(), raise_on_error=False
    )
    assert not result.success
    assert calls == [DAY.isoformat()]
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    line2 = '{"Item": {"PK": {"S": "USER#u1"}, "SK": {"S": "PROFILE"}}}'
    assert failure.event_specific_data.error.message.strip() == (
        f"dagster._core.definitions.events.Failure: bronze_tasks_export cannot run for 2026-11-21: "
        f"LandingInputError: {key} line 2: IndexError: list index out of range (near {line2!r}) "
        "(not retried: the same job on the same input fails the same way)"
    )


def test_landing_input_error_keeps_excerpts_short():
    error = LandingInputError("api_logs/x.gz", "line 7", "y" * 500, ValueError("bad"))
    assert str(error) == f"api_logs/x.gz line 7: ValueError: bad (near {'y' * 119 + '…'!r})"


def test_a_jvm_that_cannot_start_is_reported_once_with_what_to_install(tmp_path):
    """A JDK that cannot start (here a `java` that exits at once, as a cut-down runtime missing a
    module does) is not weather: the step fails once with the install command, never retried."""
    import os
    import subprocess
    import sys

    java = tmp_path / "jdk/bin/java"
    java.parent.mkdir(parents=True)
    java.write_text('#!/bin/sh\necho "Error: Could not create the Java Virtual Machine." >&2\nexit 1\n')
    java.chmod(0o755)
    script = (
        "from lake_assets.core.settings import LakeSettings\n"
        "from lake_assets.core.spark import get_spark\n"
        "from lake_assets.execute import failure_report\n"
        "try:\n"
        "    get_spark(LakeSettings())\n"
        "except Exception as exc:\n"
        "    print(failure_report('bronze_api_requests', '2026-11-21', exc).input_error)\n"
    )
    env = {**os.environ, "JAVA_HOME": str(java.parent.parent)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == (
        "JavaNotStarted: the Java gateway exited before Spark started: no usable Java 17 or 21. Install one: "
        f"{INSTALL_JAVA} (not retried: the same job on the same input fails the same way)"
    ), done.stderr[-2000:]
