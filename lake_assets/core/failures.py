"""Which failures a retry can fix: infrastructure ones, and nothing else.

A step retry costs minutes locally and a paid run on AWS, and it only helps when the cause was
outside the job: a network blip, throttling, a lost executor, a full node. A parse error, a bug,
a missing permission or a JVM that cannot start fails the same way every time, so it is reported
at once, with what the job was reading, and never retried. The classification is an allow-list
of infrastructure failures: anything not known to be transient is permanent.

Engine-neutral and Dagster-free: the job script on Glue/EMR classifies with the same function.
"""

from __future__ import annotations

from collections.abc import Iterator

from lake_assets.core.aws_errors import error_code
from lake_assets.core.spark import INSTALL_JAVA

MESSAGE_MAX_CHARS = 1500
# Python exceptions (by class name, as a Spark task's traceback names them) that come from the
# machine or the network, not from the data or the code.
TRANSIENT_PYTHON = frozenset(
    {
        "OSError",
        "IOError",
        "ConnectionError",
        "ConnectionResetError",
        "ConnectionRefusedError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        "TimeoutError",
        "MemoryError",
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)
# OSErrors that are configuration, not weather.
PERMANENT_OS = (PermissionError, IsADirectoryError, NotADirectoryError)
# AWS error codes a retry with backoff gets past.
TRANSIENT_AWS_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ProvisionedThroughputExceededException",
        "500",
        "503",
    }
)
# Spark's JVM-side failures that are about the data or the query, not the machine.
PERMANENT_SPARK = frozenset({"AnalysisException", "ParseException", "IllegalArgumentException", "ArithmeticException"})


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        # `raise ... from None` (PySpark raises its converted exceptions so) hides the context.
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)


def worker_exception(exc: BaseException) -> tuple[str, str] | None:
    """(class name, message) of the Python exception a Spark task raised, from the traceback text
    a `PythonException` carries; None for any other exception."""
    if type(exc).__name__ != "PythonException":
        return None
    lines = [line for line in str(exc).splitlines() if line.strip()]
    for line in reversed(lines):
        head, sep, message = line.partition(": ")
        name = head.rsplit(".", 1)[-1]
        if sep and name.isidentifier() and not line.startswith((" ", "\t")):
            return name, message.strip()
    return ("PythonException", lines[-1].strip()) if lines else None


def _transient(exc: BaseException) -> bool:
    worker = worker_exception(exc)
    if worker is not None:
        return worker[0] in TRANSIENT_PYTHON
    name, module = type(exc).__name__, type(exc).__module__
    if name == "PySparkRuntimeError":  # raised before any work ran, e.g. JAVA_GATEWAY_EXITED
        return False
    if isinstance(exc, (ValueError, TypeError, LookupError, AttributeError, ArithmeticError, AssertionError)):
        return False  # the data or the code (PySparkValueError and friends included)
    if name == "Py4JNetworkError" or name in TRANSIENT_PYTHON:
        return True
    if isinstance(exc, OSError):
        return not isinstance(exc, PERMANENT_OS)
    if module.startswith("botocore"):
        return error_code(exc) in TRANSIENT_AWS_CODES
    if module.startswith(("pyspark", "py4j")):  # JVM side: lost executors, I/O, memory
        return name not in PERMANENT_SPARK
    return False


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the step could succeed: an infrastructure failure anywhere in the cause chain."""
    return any(_transient(item) for item in _chain(exc))


def describe(exc: BaseException) -> str:
    """One readable line for a permanent failure: the exception a task or the driver raised, not a
    JVM stack trace (`LandingInputError` messages already name the object, line and excerpt)."""
    worker = worker_exception(exc)
    if worker is not None:
        name, message = worker
    elif type(exc).__name__ == "PySparkRuntimeError" and "JAVA_GATEWAY_EXITED" in str(exc):
        name, message = (
            "JavaNotStarted",
            f"the Java gateway exited before Spark started: no usable Java 17 or 21. Install one: {INSTALL_JAVA}",
        )
    else:
        name, message = type(exc).__name__, " ".join(str(exc).split())
    text = f"{name}: {message}" if message else name
    text = text if len(text) <= MESSAGE_MAX_CHARS else text[: MESSAGE_MAX_CHARS - 1] + "…"
    return f"{text} (not retried: the same job on the same input fails the same way)"


class LandingInputError(ValueError):
    """A landing object the parser could not turn into rows: names the object, line and text.

    Parsers are total (bad data becomes a row with a reason), so this wraps an unexpected error in
    a parser with where it happened, so the failure can be found without reading a stack trace.
    """

    def __init__(self, key: str, position: str | None, excerpt: str, cause: BaseException) -> None:
        where = f"{key} {position}" if position else key
        shown = excerpt if len(excerpt) <= 120 else excerpt[:119] + "…"
        super().__init__(f"{where}: {type(cause).__name__}: {cause} (near {shown!r})")
