"""Row-for-row comparison of two lakes' Silver and Gold partitions (e.g. Spark vs DuckDB).

Each table's partition is read from both lakes with DuckDB, every column normalised to one
representation (timestamps → epoch microseconds UTC, whatever their Parquet encoding: Spark's
INT96/TIMESTAMP_MICROS or DuckDB's TIMESTAMPTZ; decimals → their exact text at the reference
scale; integers → BIGINT; dates → ISO text; lists and strings as they are; doubles exactly), and
the two are compared as multisets of whole rows (`EXCEPT ALL` both ways, NULLs equal), which is
what sorting both and comparing row by row decides. Column names and order must match too.

    python benchmarks/compare.py LAKE_A LAKE_B YYYY-MM-DD
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

SILVER_GOLD = (
    "silver/api_requests",
    "silver/api_requests_quarantine",
    "silver/tasks",
    "silver/users",
    "silver/tasks_quarantine",
    "gold/tasks_per_user_daily",
    "gold/route_latency_daily",
    "gold/user_activity_daily",
)
SHOWN = 3  # differing rows shown per side
# Columns that cannot be equal across engines, with the reason (none so far: every column of every
# Silver and Gold table is compared exactly).
NOT_COMPARED: dict[str, dict[str, str]] = {}


@dataclass
class TableDiff:
    key: str
    rows: tuple[int, int]
    only_in_a: int = 0
    only_in_b: int = 0
    problems: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (self.only_in_a or self.only_in_b or self.problems)

    def describe(self) -> str:
        if self.identical:
            return f"{self.key}: identical ({self.rows[0]:,} rows)"
        head = f"{self.key}: DIFFERENT (rows {self.rows[0]:,} vs {self.rows[1]:,}, "
        head += f"{self.only_in_a:,} only in A, {self.only_in_b:,} only in B)"
        return "\n  ".join([head, *self.problems, *self.samples])


def _normalised(column: str, type_: str) -> str:
    """SQL for one column in the representation both lakes share."""
    c, t = f'"{column}"', type_.upper()
    if t.startswith("TIMESTAMP"):
        return f"epoch_us({c}) AS {c}"
    if t.startswith("DECIMAL"):
        return f"CAST({c} AS VARCHAR) AS {c}"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"):
        return f"CAST({c} AS BIGINT) AS {c}"
    if t == "DATE":
        return f"CAST({c} AS VARCHAR) AS {c}"
    return c


def _schema(con: duckdb.DuckDBPyConnection, files: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({files}, hive_partitioning = false)").fetchall()
    ]


def compare_table(con: duckdb.DuckDBPyConnection, lake_a: Path, lake_b: Path, key: str, day: date) -> TableDiff:
    paths = [lake / key / f"dt={day.isoformat()}" for lake in (lake_a, lake_b)]
    missing = [str(p) for p in paths if not any(p.glob("*.parquet"))]
    if missing:
        return TableDiff(key, (0, 0), problems=[f"no partition at {', '.join(missing)}"])
    files = [f"'{p}/*.parquet'" for p in paths]
    schema_a, schema_b = _schema(con, files[0]), _schema(con, files[1])
    skipped = NOT_COMPARED.get(key, {})
    names_a, names_b = [n for n, _ in schema_a], [n for n, _ in schema_b]
    rows = tuple(con.execute(f"SELECT count(*) FROM read_parquet({f})").fetchone()[0] for f in files)
    diff = TableDiff(key, rows)  # type: ignore[arg-type]
    if names_a != names_b:
        diff.problems.append(f"columns differ: {names_a} vs {names_b}")
        return diff
    types_b = dict(schema_b)
    for name, type_ in schema_a:  # a decimal's text depends on its scale: compare at A's type
        if type_.upper().startswith("DECIMAL") and types_b[name] != type_:
            types_b[name] = type_
    select_a = ", ".join(_normalised(n, t) for n, t in schema_a if n not in skipped)
    select_b = ", ".join(
        _normalised(n, t) if not t.upper().startswith("DECIMAL") else f'CAST(CAST("{n}" AS {t}) AS VARCHAR) AS "{n}"'
        for n, t in ((n, types_b[n]) for n in names_b)
        if n not in skipped
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW a AS SELECT {select_a} FROM read_parquet({files[0]}, hive_partitioning = false)"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW b AS SELECT {select_b} FROM read_parquet({files[1]}, hive_partitioning = false)"
    )
    for side, query in (
        ("A", "SELECT * FROM a EXCEPT ALL SELECT * FROM b"),
        ("B", "SELECT * FROM b EXCEPT ALL SELECT * FROM a"),
    ):
        count = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
        setattr(diff, f"only_in_{side.lower()}", count)
        if count:
            sample = con.execute(f"SELECT * FROM ({query}) ORDER BY ALL LIMIT {SHOWN}").fetchall()
            diff.samples += [f"only in {side}: {dict(zip(names_a, row, strict=False))}" for row in sample]
    return diff


def compare_lakes(lake_a: Path, lake_b: Path, day: date, tables: tuple[str, ...] = SILVER_GOLD) -> list[TableDiff]:
    """One `TableDiff` per Silver and Gold table; all identical when every `.identical` holds."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    try:
        return [compare_table(con, lake_a, lake_b, key, day) for key in tables]
    finally:
        con.close()


def main(argv: list[str]) -> int:
    diffs = compare_lakes(Path(argv[0]), Path(argv[1]), date.fromisoformat(argv[2]))
    for diff in diffs:
        print(diff.describe())
    return 0 if all(d.identical for d in diffs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
