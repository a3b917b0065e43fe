"""DuckDB plumbing shared by the DuckDB contender's Silver and Gold: the session, Parquet partitions
in the lake's layout, and the PII redaction of quarantine text (transforms/pii.py in RE2)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

# transforms/pii.py: the e-mail attribute's value, then anything shaped like an address.
_CHAR = r"(?:[\p{L}\p{N}_%+-]|\\u[0-9a-fA-F]{4})"
EMAIL_ATTRIBUTE = r'(?i)("[^"\\]*e-?mail[^"\\]*"\s*:\s*)(\{[^{}]*\}|\{[^{}]*$|"(?:[^"\\]|\\.)*"|"(?:[^"\\]|\\.)*$)'
EMAIL_ADDRESS = rf"(?:{_CHAR}|\.)+(?:@|\\u0040){_CHAR}+(?:\.{_CHAR}+)*"


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def redact(sql: str) -> str:
    """pii.redact_pii: e-mail values replaced by `<redacted>` (Java `$1` is RE2 `\\1`)."""
    dropped = f"regexp_replace({sql}, {_q(EMAIL_ATTRIBUTE)}, '\\1\"<redacted>\"', 'g')"
    return f"regexp_replace({dropped}, {_q(EMAIL_ADDRESS)}, '<redacted>', 'g')"


def connect(pii_key: bytes, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {threads}")

    def keyed_hash(values: pa.Array) -> pa.Array:  # pii.keyed_hash: HMAC-SHA256, hex
        return pa.array(
            [
                None if v is None else hmac.new(pii_key, v.encode(), hashlib.sha256).hexdigest()
                for v in values.to_pylist()
            ],
            pa.string(),
        )

    con.create_function("keyed_hash", keyed_hash, ["VARCHAR"], "VARCHAR", type="arrow")
    return con


def partitions(lake: Path, layer: str, table: str) -> list[str]:
    folder = lake / layer / table
    return sorted(p.name[3:] for p in folder.glob("dt=*")) if folder.is_dir() else []


def source(lake: Path, layer: str, table: str, dts: list[str]) -> str:
    """read_parquet of the published partitions among `dts`, with their `dt` as a DATE column."""
    present = [d for d in dts if (lake / layer / table / f"dt={d}").is_dir()]
    if not present:
        raise FileNotFoundError(f"{layer}/{table} has none of the partitions {dts}")
    files = ", ".join(_q(str(lake / layer / table / f"dt={d}" / "*.parquet")) for d in present)
    return f"read_parquet([{files}], hive_partitioning = true, hive_types = {{'dt': DATE}}, union_by_name = true)"


def write(con: duckdb.DuckDBPyConnection, query: str, lake: Path, key: str, day: date) -> int:
    """COPY the query's rows to `<lake>/<key>/dt=<day>/part-0.parquet`; returns the rows."""
    folder = lake / key / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    con.execute(f"COPY ({query}) TO {_q(str(folder / 'part-0.parquet'))} (FORMAT parquet, COMPRESSION snappy)")
    return con.execute(f"SELECT count(*) FROM read_parquet({_q(str(folder / '*.parquet'))})").fetchone()[0]
