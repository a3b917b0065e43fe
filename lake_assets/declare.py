"""The vocabulary of the one declaration per step (`lake_assets/steps.py`), and the catalog derived
from it: tables, builds, checks. Imports neither Dagster nor Spark, so the remote job script and the
code location read the same declarations.

Three things are called "job" elsewhere; here each has its own name:
- a **build** is the Spark unit of work of one step for one day — a plain function in
  `lake_assets/builds/` that reads upstream tables and writes the step's tables (run by every
  engine with `execute.run_build`);
- a **Dagster job** is a selection of assets run together (`lake_daily`);
- a **Glue job** is the job definition `lake-deploy` creates on AWS Glue, whose runs execute builds
  (as do EMR Serverless job runs and EMR steps).
A *step* is the declaration tying a build to the tables it writes, what it reads and its checks;
it becomes one Dagster multi-asset (one Dagster step per run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lake_assets.quality.catalog import CheckDecl, generated_checks
from lake_assets.tables import Table

if TYPE_CHECKING:
    from pandera.pyspark import DataFrameModel

    from lake_assets.builds.base import BuildContext, BuildResult

Build = Callable[["BuildContext"], "BuildResult"]


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
    contract: type[DataFrameModel]  # a pandera.pyspark model class
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
    build: Build
    outputs: tuple[Output, ...]
    reads: tuple[Reads, ...]
    description: str
    skippable: bool = False  # the job may legitimately write nothing for a day

    @property
    def name(self) -> str:
        return self.build.__name__


@dataclass(frozen=True)
class StandaloneCheck:
    """A check that needs more than its own table (other tables of the same day), in a step of its own."""

    build: Build
    table: str
    check: Check
    reads: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.build.__name__


@dataclass(frozen=True)
class Catalog:
    """Everything derived from the declarations; wrong references fail when it is built."""

    steps: tuple[Step, ...]
    standalone: tuple[StandaloneCheck, ...] = ()
    external: tuple[str, ...] = ()  # assets outside the lake (the landing zone)
    tables: dict[str, Table] = field(init=False, repr=False)
    checks: dict[str, list[CheckDecl]] = field(init=False, repr=False)
    builds: dict[str, Build] = field(init=False, repr=False)

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
                    CheckDecl(out.key, c.name, c.description, c.severity, c.blocking) for c in out.checks
                ]
        for standalone in self.standalone:
            if standalone.table not in tables:
                raise DeclarationError(f"check {standalone.check.name} is on {standalone.table}, which no step writes")
        known = set(tables) | set(self.external)
        for name, reads in [(s.name, [r.key for r in s.reads]) for s in self.steps] + [
            (c.name, list(c.reads)) for c in self.standalone
        ]:
            unknown = [key for key in reads if key not in known]
            if unknown:
                raise DeclarationError(
                    f"{name} reads {', '.join(unknown)}, which is neither a lake table nor "
                    f"external ({', '.join(sorted(self.external))})"
                )
        builds = [s.build for s in self.steps] + [c.build for c in self.standalone]
        names = [b.__name__ for b in builds]
        if len(set(names)) != len(names):
            raise DeclarationError(f"two steps share a build name: {sorted(n for n in names if names.count(n) > 1)}")
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "checks", checks)
        object.__setattr__(self, "builds", dict(zip(names, builds, strict=True)))

    def table(self, key: str) -> Table:
        return self.tables[key]

    def checks_for(self, table_key: str) -> list[CheckDecl]:
        """Checks evaluated inside the step that writes `table_key`."""
        return self.checks[table_key]

    def standalone_check(self, build: Build) -> CheckDecl:
        """The declaration of the standalone check `build` evaluates."""
        (item,) = [c for c in self.standalone if c.build.__name__ == build.__name__]
        c = item.check
        return CheckDecl(item.table, c.name, c.description, c.severity, c.blocking)

    def with_steps(self, steps: Iterable[Step]) -> Catalog:
        """This catalog plus more steps (e.g. a team's own tables)."""
        return Catalog((*self.steps, *steps), self.standalone, self.external)
