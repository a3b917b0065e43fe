"""The vocabulary of the one declaration per step (`lake_assets/steps.py`), and the catalog derived
from it: tables, jobs, checks. Imports neither Dagster nor Spark, so the remote job script and the
code location read the same declarations.

A *step* is one unit of Spark work for one day (a "job" function in `lake_assets/jobs/`): it reads
upstream tables over a window of days and writes one or more tables, each with its contract and
its checks. Dagster jobs (`lake_daily`) and Glue jobs (the deployed job definition) are different
things and are always named so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake_assets.quality.catalog import CheckDecl, generated_checks
from lake_assets.tables import Table

if TYPE_CHECKING:
    from lake_assets.jobs.base import JobContext, JobResult

Job = Callable[["JobContext"], "JobResult"]


class DeclarationError(ValueError):
    """A declaration that cannot work (unknown upstream, table declared twice, …), found at load."""


@dataclass(frozen=True)
class Check:
    """A check beyond those the contract generates, evaluated by the step that writes the table."""

    name: str
    description: str
    severity: str = "ERROR"  # ERROR | WARN
    blocking: bool = False


@dataclass(frozen=True)
class Output:
    """A table a step writes: its key, its pandera contract and its extra checks."""

    key: str  # "<layer>/<name>"
    contract: Any  # a pandera.pyspark DataFrameModel
    description: str | None = None  # default: the step's description
    checks: tuple[Check, ...] = ()
    volume_check: bool = True  # off for quarantine tables, whose size is not a health signal


@dataclass(frozen=True)
class Reads:
    """An upstream asset and the days of it that day D reads: D - days_before … D + days_after."""

    key: str
    days_before: int = 0
    days_after: int = 0


@dataclass(frozen=True)
class Step:
    job: Job
    outputs: tuple[Output, ...]
    reads: tuple[Reads, ...]
    description: str
    skippable: bool = False  # the job may legitimately write nothing for a day

    @property
    def name(self) -> str:
        return self.job.__name__


@dataclass(frozen=True)
class StandaloneCheck:
    """A check that needs more than its own table (other tables of the same day), in a step of its own."""

    job: Job
    table: str
    check: Check
    reads: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.job.__name__


@dataclass(frozen=True)
class Catalog:
    """Everything derived from the declarations; wrong references fail when it is built."""

    steps: tuple[Step, ...]
    standalone: tuple[StandaloneCheck, ...] = ()
    external: tuple[str, ...] = ()  # assets outside the lake (the landing zone)
    tables: dict[str, Table] = field(init=False, repr=False)
    checks: dict[str, list[CheckDecl]] = field(init=False, repr=False)
    jobs: dict[str, Job] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        tables: dict[str, Table] = {}
        checks: dict[str, list[CheckDecl]] = {}
        for step in self.steps:
            for out in step.outputs:
                if out.key in tables:
                    raise DeclarationError(f"table {out.key} is declared by two steps")
                layer, _, name = out.key.partition("/")
                table = tables[out.key] = Table(layer, name, out.contract)
                checks[out.key] = generated_checks(table, out.volume_check) + [
                    CheckDecl(out.key, c.name, c.description, c.severity, c.blocking) for c in out.checks]
        for standalone in self.standalone:
            if standalone.table not in tables:
                raise DeclarationError(f"check {standalone.check.name} is on {standalone.table}, which no step writes")
        known = set(tables) | set(self.external)
        for name, reads in [(s.name, [r.key for r in s.reads]) for s in self.steps] + \
                [(c.name, list(c.reads)) for c in self.standalone]:
            unknown = [key for key in reads if key not in known]
            if unknown:
                raise DeclarationError(f"{name} reads {', '.join(unknown)}, which is neither a lake table nor "
                                       f"external ({', '.join(sorted(self.external))})")
        jobs = [s.job for s in self.steps] + [c.job for c in self.standalone]
        names = [j.__name__ for j in jobs]
        if len(set(names)) != len(names):
            raise DeclarationError(f"two steps share a job name: {sorted(n for n in names if names.count(n) > 1)}")
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "checks", checks)
        object.__setattr__(self, "jobs", dict(zip(names, jobs, strict=True)))

    def table(self, key: str) -> Table:
        return self.tables[key]

    def checks_for(self, table_key: str) -> list[CheckDecl]:
        """Checks evaluated inside the step that writes `table_key`."""
        return self.checks[table_key]

    def standalone_check(self, job: Job) -> CheckDecl:
        """The declaration of the standalone check `job` evaluates."""
        (item,) = [c for c in self.standalone if c.job.__name__ == job.__name__]
        c = item.check
        return CheckDecl(item.table, c.name, c.description, c.severity, c.blocking)

    def with_steps(self, steps: Iterable[Step]) -> Catalog:
        """This catalog plus more steps (e.g. a team's own tables)."""
        return Catalog((*self.steps, *steps), self.standalone, self.external)
