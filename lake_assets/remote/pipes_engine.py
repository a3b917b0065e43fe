"""What every remote engine (Glue, EMR Serverless, EMR on EC2) shares, so they all behave alike.

- The Pipes context goes up through S3; messages come back under a prefix derived from the
  idempotency key, so the messages of a run we reattach to are still read. Before a *new* run is
  submitted under that key, what an earlier (failed) attempt left there is removed, so every
  attempt reads only its own messages.
- The job script sends one structured `BuildReport` (a Pipes custom message); the engine returns it
  unchanged, and `assets/outcome.step_events` records it exactly as for a local run.
- One idempotency key per (root run, build, partition): a retried step first looks for a remote run
  with that key that is still going or already succeeded and reattaches instead of paying twice.
- Submission errors are classified per service: transient ones are retried with exponential
  backoff and jitter (looking again for a landed run after each), permanent ones fail at once with
  what to fix.
- A cancelled Dagster run stops the remote run. A run that ends in anything but success is an
  infrastructure failure naming its state and message, retried by the step's retry policy (the
  job script exits 0 whenever it reached an outcome, data failures included). A run that
  succeeded but sent no report is a failure too, never a silent success.
- Each step's metadata says what the run cost, in the service's own units.
An engine only says how to find, submit, wait for, stop, link to and price a run of its service.
"""

from __future__ import annotations

import hashlib
import random
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar

import dagster as dg
from dagster_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader

from lake_assets.builds.report import BuildReport
from lake_assets.core.aws_errors import error_code
from lake_assets.core.settings import LakeSettings, RemoteSettings
from lake_assets.engines.base import StepContext, StepResult

T = TypeVar("T")
MAX_ATTEMPTS = 6
# The AWS services an engine calls (a literal set, so boto3-stubs can type each client).
EngineService = Literal["s3", "glue", "emr", "emr-serverless"]


def idempotency_key(root_run_id: str, build: str, partition: str) -> str:
    return hashlib.sha256(f"{root_run_id}|{build}|{partition}".encode()).hexdigest()[:32]


class RemoteSubmitError(RuntimeError):
    """A submission that cannot succeed by retrying; the message says what to fix."""


class RemoteJobSilentError(dg.Failure):
    """The remote job finished but never reported its outcome through Pipes."""


class RemoteRunFailed(dg.Failure):
    """The service ended the run in a failed state: infrastructure, so the step may be retried."""


@dataclass(frozen=True)
class ErrorPolicy:
    """Which error codes of a service are worth retrying, and the fix for those that are not."""

    retryable: frozenset[str]
    fix_hints: dict[str, str] = field(default_factory=dict)
    error: type[RemoteSubmitError] = RemoteSubmitError


def submit_with_retry(
    start: Callable[[], str],
    find: Callable[[], tuple[str, str] | None],
    *,
    what: str,
    policy: ErrorPolicy,
    log: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 2.0,
    max_attempts: int = MAX_ATTEMPTS,
) -> tuple[str, bool]:
    """(run id, reattached): a reusable run `find()` returns as (id, state), else a new one from `start()`.

    A request that failed transiently may still have started a run, so `find()` runs again after
    every backoff before resubmitting.
    """
    existing = find()
    if existing:
        log(f"reattaching to {what} run {existing[0]} ({existing[1]})")
        return existing[0], True
    for attempt in range(1, max_attempts + 1):
        try:
            return start(), False
        except Exception as exc:
            code = error_code(exc)
            if code in policy.fix_hints:
                raise policy.error(f"{what}: {code}: {policy.fix_hints[code]}") from None
            if code not in policy.retryable or attempt == max_attempts:
                raise
            delay = base_delay * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
            log(f"{what} said {code}; retrying in {delay:.1f}s (attempt {attempt}/{max_attempts})")
            sleep(delay)
            existing = find()
            if existing:
                log(f"an earlier attempt landed: reattaching to {what} run {existing[0]} ({existing[1]})")
                return existing[0], True
    raise AssertionError("unreachable")


def wait_until(
    fetch: Callable[[], T],
    is_final: Callable[[T], bool],
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Poll `fetch()` until its answer is final; return that answer."""
    while True:
        value = fetch()
        if is_final(value):
            return value
        sleep(poll_seconds)


@dataclass(frozen=True)
class RunEnd:
    """How a remote run ended, in the service's own words, and what it cost.

    `cost` is metadata in the service's units; `billed` is (unit, amount) of the one figure rows
    are divided by to give throughput per unit of money (e.g. ("dpu_second", 480.0)).
    """

    state: str
    succeeded: bool
    message: str | None = None
    cost: dict[str, Any] = field(default_factory=dict)
    billed: tuple[str, float] | None = None


class StablePrefixS3MessageReader(PipesS3MessageReader):
    """Pipes messages under a fixed prefix, so a reattached run's messages are found."""

    def __init__(self, *, prefix: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.prefix = prefix

    @contextmanager
    def get_params(self) -> Iterator[dict[str, Any]]:
        with super().get_params() as params:
            yield {**params, "key_prefix": self.prefix}


@contextmanager
def open_session(
    context: StepContext, injector: dg.PipesContextInjector, reader: dg.PipesMessageReader
) -> Iterator[dg.PipesSession]:
    """A Pipes session for a lake step: `dg.open_pipes_session` without its typed-event-stream guard.

    That guard makes every output of the step mandatory once Pipes is opened, because it assumes
    the step yields what the external process reported. A lake step yields what its `BuildReport`
    says instead (`assets/outcome.step_events`), and a skipped day must yield nothing — exactly as
    on the local engine. The session is otherwise built as Dagster builds it. Two warnings
    Dagster 1.13 raises from its own internals while building it (its use of the deprecated
    `context.run_id`, the preview `expected_writer_count`) are silenced.
    """
    from dagster._core.pipes.context import build_external_execution_context_data  # not re-exported by dg

    # A standalone check: Pipes wants its op's context.
    pipes_context: dg.OpExecutionContext | dg.AssetExecutionContext = (
        context.op_execution_context if isinstance(context, dg.AssetCheckExecutionContext) else context
    )
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r".*AssetExecutionContext\.run_id is deprecated", category=DeprecationWarning
        )
        warnings.filterwarnings("ignore", message=r".*expected_writer_count", category=dg.PreviewWarning)
        data = build_external_execution_context_data(pipes_context, None)
        handler = dg.PipesMessageHandler(pipes_context, reader)
    with injector.inject_context(data) as injector_params, handler.handle_messages() as reader_params:
        yield dg.PipesSession(
            context_data=data,
            message_handler=handler,
            context_injector_params=injector_params,
            message_reader_params=reader_params,
            context=pipes_context,
        )


def clear_messages(s3: Any, bucket: str, prefix: str) -> int:
    """Delete what an earlier attempt left under `prefix` (its Pipes message chunks)."""
    removed = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            removed += len(keys)
    return removed


def throughput(report: BuildReport, billed: tuple[str, float] | None) -> dict[str, Any]:
    """Rows published per billed unit (e.g. `rows_per_dpu_second`), when the service says what it billed."""
    if not billed or billed[1] <= 0:
        return {}
    rows = sum(o.rows for o in report.outputs if o.published)
    return {f"rows_per_{billed[0]}": round(rows / billed[1], 3)}


@dataclass(frozen=True)
class PipesRemoteEngine(ABC):
    """Runs one build for one partition on a remote Spark service through Dagster Pipes.

    Holds the whole `LakeSettings`; the job script receives them whole too (`--lake-settings`).
    Subclasses set the class variables and implement the hooks; `run_build` is the one flow they
    all share.
    """

    settings: LakeSettings

    service: ClassVar[str] = "remote"  # in messages: "Glue run …"
    boto_service: ClassVar[EngineService]  # every engine sets its own
    metadata_keys: ClassVar[tuple[str, str, str]] = ("remote_run_id", "remote_run_url", "remote_reattached")

    @property
    def remote(self) -> RemoteSettings:
        return self.settings.remote

    def client(self, service: EngineService) -> Any:
        import boto3

        return boto3.client(service, region_name=self.remote.region_name, endpoint_url=self.settings.s3_endpoint_url)

    @abstractmethod
    def _target(self) -> str:
        """What the runs belong to (job name, application, cluster), for messages."""

    @abstractmethod
    def _find(self, client: Any, key: str) -> tuple[str, str] | None:
        """(run id, state) of a run with this key that is still active or succeeded."""

    @abstractmethod
    def _submit(
        self, client: Any, key: str, params: dict[str, str], session: Any, log: Callable[[str], None]
    ) -> tuple[str, bool]:
        """(run id, reattached); `params` are the job script's (`lake-build`, `partition-key`, `lake-settings`)."""

    @abstractmethod
    def _wait(self, client: Any, run_id: str) -> RunEnd: ...

    @abstractmethod
    def _cancel(self, client: Any, run_id: str) -> None: ...

    @abstractmethod
    def _console_url(self, run_id: str) -> str: ...

    def run_build(self, context: StepContext, build: str, partition: str) -> StepResult:
        client, s3 = self.client(self.boto_service), self.client("s3")
        key = idempotency_key(context.run.root_run_id or context.run.run_id, build, partition)
        prefix, bucket = f"pipes/messages/{key}", self.remote.pipes_bucket
        if self._find(client, key) is None:
            removed = clear_messages(s3, bucket, prefix)
            if removed:
                context.log.info(f"removed {removed} Pipes message chunks of an earlier attempt of {build} {partition}")
        reader = StablePrefixS3MessageReader(prefix=prefix, bucket=bucket, client=s3, interval=1)
        injector = PipesS3ContextInjector(bucket=bucket, client=s3, key_prefix="pipes/context")
        settings = self.settings.for_run(context.run.tags)
        params = {"lake-build": build, "partition-key": partition, "lake-settings": settings.to_param()}
        with open_session(context, injector, reader) as session:
            try:
                run_id, reattached = self._submit(client, key, params, session, context.log.info)
            except RemoteSubmitError as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            link = self._console_url(run_id)
            context.log.info(f"{self.service} run {run_id} ({'reattached' if reattached else 'submitted'}): {link}")
            try:
                end = self._wait(client, run_id)
            except dg.DagsterExecutionInterruptedError:
                self._stop(context, client, run_id, link)
                raise
        id_key, url_key, reattached_key = self.metadata_keys
        metadata = {
            id_key: run_id,
            url_key: dg.MetadataValue.url(link),
            reattached_key: reattached,
            f"{self.boto_service.replace('-', '_')}_final_state": end.state,
            **end.cost,
        }
        if not end.succeeded:
            raise RemoteRunFailed(
                description=f"{self.service} run {run_id} of {self._target()} ended {end.state}: "
                f"{end.message or 'no error message'} ({link})",
                metadata=metadata,
            )
        reports = [r for r in map(BuildReport.from_message, session.get_custom_messages()) if r is not None]
        if not reports:
            raise RemoteJobSilentError(
                description=f"{self.service} run {run_id} of {self._target()} succeeded for {build} {partition} but "
                "reported no outcome through Pipes: check that the job script is lake_assets' "
                "entrypoint and can reach the Pipes bucket.",
                metadata=metadata,
                allow_retries=False,
            )
        report = reports[-1]
        return StepResult(report, {**metadata, **throughput(report, end.billed)})

    def _stop(self, context: StepContext, client: Any, run_id: str, link: str) -> None:
        """Forward a Dagster termination to the service; a cancel that fails is logged, not raised."""
        try:
            self._cancel(client, run_id)
            context.log.warning(f"Dagster run cancelled: stopped {self.service} run {run_id}")
        except Exception as exc:
            context.log.error(
                f"Dagster run cancelled but stopping {self.service} run {run_id} failed ({exc}): "
                f"stop it by hand at {link}"
            )
