"""A build's outcome as plain data: what every engine returns and what a job script sends home.

A `BuildResult` lives in the process that ran the build (tables, declarations, Spark paths). A
`BuildReport` is its complete account in JSON-able form — outputs, every check with its declared
severity and blocking flag, and whether the build skipped its day or could not run on its input —
so the local engine and the remote job scripts hand Dagster the *same* thing, and one function
(`assets/outcome.py`) turns it into Dagster events for every engine. Remote job scripts send it
as one Pipes custom message, not as a reconstruction from materializations and check events.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from lake_assets.quality.outcome import jsonable

if TYPE_CHECKING:
    from lake_assets.builds.base import BuildResult

MESSAGE_KIND = "lake_assets.job_report"
MESSAGE_VERSION = 1


@dataclass(frozen=True)
class OutputReport:
    """One partition the build wrote, and whether readers can see it (published) or not (rejected)."""

    table: str
    path: str
    rows: int
    files: int
    bytes: int
    published: bool
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckReport:
    """One evaluated check, with the severity and blocking flag its declaration gives it."""

    table: str
    name: str
    passed: bool
    severity: str  # ERROR | WARN
    blocking: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None


@dataclass(frozen=True)
class BuildReport:
    """Everything Dagster needs to record one build run for one partition."""

    build: str
    partition: str
    outputs: list[OutputReport] = field(default_factory=list)
    checks: list[CheckReport] = field(default_factory=list)
    skipped: str | None = None  # why nothing was written (a legitimate no-op, not a failure)
    input_error: str | None = None  # why the build could not run on what exists (retrying will not help)

    @property
    def blocking_failures(self) -> list[CheckReport]:
        return [c for c in self.checks if c.blocking and not c.passed and c.severity == "ERROR"]

    def to_message(self) -> dict[str, Any]:
        """The Pipes custom message payload (plain JSON)."""
        return {"kind": MESSAGE_KIND, "version": MESSAGE_VERSION, "report": jsonable(asdict(self))}

    @classmethod
    def from_message(cls, payload: Any) -> BuildReport | None:
        """The report in a custom message, or None when the message is something else."""
        if not isinstance(payload, dict) or payload.get("kind") != MESSAGE_KIND:
            return None
        if payload.get("version") != MESSAGE_VERSION:
            raise ValueError(
                f"build report version {payload.get('version')!r}: this Dagster side reads version "
                f"{MESSAGE_VERSION}; deploy the same lake_assets version to both sides (lake-deploy)"
            )
        fields = dict(payload["report"])
        return cls(
            **{
                **fields,
                "outputs": [OutputReport(**o) for o in fields["outputs"]],
                "checks": [CheckReport(**c) for c in fields["checks"]],
            }
        )


def report_of(build: str, partition: str, result: BuildResult) -> BuildReport:
    """The report of a finished build: outputs as written, checks with their declared severity.

    A check the build evaluated but did not declare (none should exist) is reported as a
    non-blocking warning rather than dropped.
    """
    outputs = [
        OutputReport(o.table.key, o.path, o.rows, o.files, o.bytes, o.published, dict(o.extra)) for o in result.outputs
    ]
    checks = []
    for c in result.checks:
        decl = result.declared.get((c.table, c.name))
        checks.append(
            CheckReport(
                c.table,
                c.name,
                c.passed,
                c.severity or (decl.severity if decl else "WARN"),
                bool(decl and decl.blocking),
                dict(c.metadata),
                c.description,
            )
        )
    return BuildReport(build, partition, outputs, checks, skipped=result.skipped)
