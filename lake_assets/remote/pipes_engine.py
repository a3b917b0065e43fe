"""What every remote engine (Glue, EMR Serverless, EMR on EC2) shares, so they all behave alike.

- The Pipes context goes up through S3; messages come back under a prefix derived from the
  idempotency key, so the messages of a run we reattach to are still read.
- One idempotency key per (root run, job, partition): a retried step first looks for a remote run
  with that key that is still going or already succeeded and reattaches instead of paying twice.
- Submission errors are classified per service: transient ones are retried with exponential
  backoff and jitter (looking again for a landed run after each), permanent ones fail at once with
  what to fix.
- A cancelled Dagster run stops the remote run; a run that ends in anything but success is a
  failure naming its state and message; one that never reported through Pipes is a failure too,
  never a silent success.
An engine only says how to submit, wait for, stop and link to a run of its service.
"""

from __future__ import annotations

import hashlib
import random
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import dagster as dg
from dagster_aws.pipes import PipesS3ContextInjector, PipesS3MessageReader

from lake_assets.core.aws_errors import error_code

T = TypeVar("T")
MAX_ATTEMPTS = 6


def idempotency_key(root_run_id: str, job_name: str, partition: str) -> str:
    return hashlib.sha256(f"{root_run_id}|{job_name}|{partition}".encode()).hexdigest()[:32]


class RemoteSubmitError(RuntimeError):
    """A submission that cannot succeed by retrying; the message says what to fix."""


class RemoteJobSilentError(dg.Failure):
    """The remote job finished but never reported through Pipes."""


@dataclass(frozen=True)
class ErrorPolicy:
    """Which error codes of a service are worth retrying, and the fix for those that are not."""

    retryable: frozenset[str]
    fix_hints: dict[str, str] = field(default_factory=dict)
    error: type[RemoteSubmitError] = RemoteSubmitError


def submit_with_retry(start: Callable[[], str], find: Callable[[], tuple[str, str] | None], *, what: str,
                      policy: ErrorPolicy, log: Callable[[str], None], sleep: Callable[[float], None] = time.sleep,
                      base_delay: float = 2.0, max_attempts: int = MAX_ATTEMPTS) -> tuple[str, bool]:
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


def wait_until(fetch: Callable[[], T], is_final: Callable[[T], bool], poll_seconds: float,
               sleep: Callable[[float], None] = time.sleep) -> T:
    """Poll `fetch()` until its answer is final; return that answer."""
    while True:
        value = fetch()
        if is_final(value):
            return value
        sleep(poll_seconds)


@dataclass(frozen=True)
class RunEnd:
    """How a remote run ended, in the service's own words."""

    state: str
    succeeded: bool
    message: str | None = None


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
def open_session(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, injector: Any,
                 reader: Any) -> Iterator[Any]:
    """`dg.open_pipes_session`, minus two warnings Dagster 1.13 raises from its own internals while
    opening (its use of the deprecated `context.run_id`, the preview `expected_writer_count`)."""
    with ExitStack() as stack:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*AssetExecutionContext\.run_id is deprecated",
                                    category=DeprecationWarning)
            warnings.filterwarnings("ignore", message=r".*expected_writer_count", category=dg.PreviewWarning)
            if isinstance(context, dg.AssetCheckExecutionContext):  # a standalone check: Pipes wants its op
                context = context.op_execution_context
            session = stack.enter_context(dg.open_pipes_session(context=context, context_injector=injector,
                                                                message_reader=reader))
        yield session


def with_run_metadata(results: list[Any], extra: dict[str, Any]) -> list[Any]:
    """Each materialization also says which remote run produced it and where to look at it."""
    return [dg.MaterializeResult(asset_key=r.asset_key, metadata={**(r.metadata or {}), **extra},
                                 check_results=r.check_results, data_version=r.data_version)
            if isinstance(r, dg.MaterializeResult) else r for r in results]


class PipesRemoteEngine(dg.ConfigurableResource):
    """Runs one lake job for one partition on a remote Spark service through Dagster Pipes.

    Subclasses set the class variables and implement the `_submit`, `_wait`, `_cancel`,
    `_console_url` and `_target` hooks; `run_job` is the one flow they all share.
    """

    pipes_bucket: str
    lake_root_uri: str
    landing_uri: str
    region_name: str | None = None
    endpoint_url: str | None = None  # an AWS-compatible endpoint (tests: a moto server)
    poll_seconds: float = 5.0
    glue_database: str | None = None  # the job re-points this catalog database at what it publishes
    pii_key_secret_id: str | None = None  # Secrets Manager id of the PII hash key (never the key itself)

    service: ClassVar[str] = "remote"  # in messages: "Glue run …"
    boto_service: ClassVar[str] = ""
    metadata_keys: ClassVar[tuple[str, str, str]] = ("remote_run_id", "remote_run_url", "remote_reattached")

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region_name, endpoint_url=self.endpoint_url)

    def _target(self) -> str:
        """What the runs belong to (job name, application, cluster), for messages."""
        raise NotImplementedError

    def _submit(self, client: Any, key: str, params: dict[str, str], session: Any,
                log: Callable[[str], None]) -> tuple[str, bool]:
        """(run id, reattached); `params` are the job script's (`lake-job`, `partition-key`, …)."""
        raise NotImplementedError

    def _wait(self, client: Any, run_id: str) -> RunEnd:
        raise NotImplementedError

    def _cancel(self, client: Any, run_id: str) -> None:
        raise NotImplementedError

    def _console_url(self, run_id: str) -> str:
        raise NotImplementedError

    def run_job(self, context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
                job_name: str) -> list[Any]:
        client, s3 = self._client(self.boto_service), self._client("s3")
        key = idempotency_key(context.run.root_run_id or context.run.run_id, job_name, context.partition_key)
        reader = StablePrefixS3MessageReader(prefix=f"pipes/messages/{key}", bucket=self.pipes_bucket,
                                             client=s3, interval=1)
        injector = PipesS3ContextInjector(bucket=self.pipes_bucket, client=s3, key_prefix="pipes/context")
        params = {"lake-job": job_name, "partition-key": context.partition_key,
                  "lake-root-uri": self.lake_root_uri, "landing-uri": self.landing_uri,
                  **{name: value for name, value in (("lake-glue-database", self.glue_database),
                                                     ("lake-pii-key-secret-id", self.pii_key_secret_id)) if value}}
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
                try:
                    self._cancel(client, run_id)
                    context.log.warning(f"Dagster run cancelled: stopped {self.service} run {run_id}")
                except Exception as exc:
                    context.log.error(f"Dagster run cancelled but stopping {self.service} run {run_id} "
                                      f"failed ({exc}): stop it by hand at {link}")
                raise
            if not end.succeeded:
                raise dg.Failure(description=f"{self.service} run {run_id} of {self._target()} ended {end.state}: "
                                             f"{end.message or 'no error message'} ({link})")
        results = list(session.get_results())
        if not session.message_handler.received_opened_message or not results:
            raise RemoteJobSilentError(
                description=f"{self.service} run {run_id} of {self._target()} succeeded for {job_name} "
                            f"{context.partition_key} but reported nothing through Pipes: check that the job "
                            "script opens Dagster Pipes and can reach the Pipes bucket.", allow_retries=False)
        id_key, url_key, reattached_key = self.metadata_keys
        return with_run_metadata(results, {id_key: run_id, url_key: dg.MetadataValue.url(link),
                                           reattached_key: reattached})
