"""`lake-query "SELECT …"`: query the local lake's tables with DuckDB.

Views are named `<layer>_<table>` (e.g. `gold_route_latency_daily`); `lake-query --tables` lists them.
"""

from __future__ import annotations

import argparse
import sys

from lake_assets.core.settings import LakeSettings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lake-query", description=__doc__.splitlines()[0])
    parser.add_argument("sql", nargs="?", help="a SQL statement")
    parser.add_argument("--tables", action="store_true", help="list the queryable tables")
    parser.add_argument(
        "--value",
        action="store_true",
        help="print only the single value of a one-row, one-column result (for shell variables)",
    )
    args = parser.parse_args(argv)
    if not args.sql and not args.tables:
        parser.error("give a SQL statement or --tables")
    try:
        settings = LakeSettings.from_env()
    except SettingsError as exc:
        print(f"lake-query: {exc}", file=sys.stderr)
        return 2
    import duckdb

    from lake_assets.query import connect

    con = connect(settings.lake_root_uri)
    try:
        if args.tables:
            for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall():
                print(name)
            return 0
        result = con.sql(args.sql)
        if args.value:
            rows = result.fetchall() if result is not None else []
            if len(rows) != 1 or len(rows[0]) != 1 or rows[0][0] is None:
                print(
                    f"lake-query: --value needs exactly one non-null value, the query gave {rows[:3]!r}",
                    file=sys.stderr,
                )
                return 1
            print(rows[0][0])
        elif result is not None:
            result.show(max_rows=200, max_width=200)
    except duckdb.Error as exc:
        print(f"lake-query: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
