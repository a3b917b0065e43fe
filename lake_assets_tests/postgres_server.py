"""A throw-away PostgreSQL cluster for the deployment test and `make deploy-local`.

Why not a container: CI machines here have no Docker engine, only Debian packages. So this module
installs the Debian `postgresql` package when no server binaries exist (we are root on CI), runs
`initdb` into a fresh directory, and starts the server on 127.0.0.1 and a free port. PostgreSQL
refuses to run as root, so as root every server command runs as the `postgres` system user the
package creates (`runuser`); the data directory lives under /tmp (not pytest's 0700 temp root) so
that user can reach it. Dagster connects as its own role with a generated password, which is kept
in memory and handed to services through the environment only (never printed, never in a file
except the 0600 env file `main()` writes for a human to `source`).

    with LocalPostgres.start_new() as pg:
        env = {**os.environ, **pg.dagster_env()}

CLI (deploy/local_postgres.sh): `python -m lake_assets_tests.postgres_server start|stop DIR`.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from lake_assets_tests.dagster_services import LOCALHOST, free_port

DB = "dagster"
ROLE = "dagster"
SYSTEM_USER = "postgres"  # created by the Debian package; the server never runs as root


def server_bin_dir() -> Path | None:
    """The newest Debian server install (/usr/lib/postgresql/<v>/bin with initdb), or whatever
    `initdb`/`pg_ctl` is on PATH (another distribution)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def ensure_installed() -> Path:
    """Server binaries, installing the Debian `postgresql` package first if there are none. Its
    post-install starts no cluster we use (ours has its own directory and port)."""
    found = server_bin_dir()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError("PostgreSQL server not installed: run `sudo apt-get install -y postgresql`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=env)
    found = server_bin_dir()
    if not found:
        raise RuntimeError("apt-get installed postgresql but no initdb was found")
    return found


class LocalPostgres:
    """One cluster in `data_dir`, listening on 127.0.0.1:`port` (and a socket inside `data_dir`)."""

    def __init__(self, data_dir: Path, port: int, password: str, bin_dir: Path):
        self.data_dir = data_dir
        self.port = port
        self.password = password
        self.bin_dir = bin_dir
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    # -- process plumbing -------------------------------------------------------------------

    def _as_owner(self, args: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a server command as the cluster owner (`postgres` when we are root)."""
        prefix = ["runuser", "-u", SYSTEM_USER, "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *args], input=stdin, capture_output=True, text=True, check=False, timeout=120)

    def _checked(self, args: Sequence[str], stdin: str | None = None) -> str:
        done = self._as_owner(args, stdin)
        if done.returncode != 0:  # output of server tools never contains the role's password
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout

    @classmethod
    def start_new(cls, data_dir: Path | None = None, port: int | None = None) -> LocalPostgres:
        """initdb a new cluster, start it and create the Dagster role and database."""
        bin_dir = ensure_installed()
        if data_dir is None:
            data_dir = Path(tempfile.mkdtemp(prefix="lake-pg-", dir="/tmp")) / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data_dir.parent, SYSTEM_USER)  # the server writes its log next to the data
            shutil.chown(data_dir, SYSTEM_USER)
        data_dir.chmod(0o700)
        pg = cls(data_dir, port or free_port(), secrets.token_urlsafe(24), bin_dir)
        # Local socket connections (only the owner can reach the 0700 directory) need no password;
        # TCP connections, which is all Dagster uses, need the role's password (SCRAM).
        initdb = [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", SYSTEM_USER, "-E", "UTF8"]
        pg._checked([*initdb, "--auth-local=trust", "--auth-host=scram-sha-256"])
        pg.start()
        sql = f"CREATE ROLE {ROLE} LOGIN PASSWORD '{pg.password}';\nCREATE DATABASE {DB} OWNER {ROLE};\n"
        pg._checked(pg._psql_args(), stdin=sql)  # via stdin: the password is never in a process list
        return pg

    def _psql_args(self) -> list[str]:
        psql = self.bin_dir / "psql"
        client = [str(psql) if psql.exists() else "psql", "-v", "ON_ERROR_STOP=1", "-q"]
        return [*client, "-h", str(self.data_dir), "-p", str(self.port), "-U", SYSTEM_USER, "-d", "postgres"]

    def start(self) -> None:
        """Start (or start again) and wait until it accepts connections."""
        options = f"-c listen_addresses={LOCALHOST} -p {self.port} -c unix_socket_directories={self.data_dir}"
        pg_ctl = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options, "-l", str(self.log_path)]
        self._checked([*pg_ctl, "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: disconnect clients, clean shutdown)."""
        self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "stop"])

    def restart(self) -> None:
        self.stop()
        self.start()

    def query(self, sql: str) -> str:
        """Run SQL as the superuser over the local socket; unaligned, tuples only."""
        return self._checked([*self._psql_args(), "-A", "-t", "-c", sql])

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def dagster_env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads (`storage.postgres.postgres_db`)."""
        return {
            "DAGSTER_PG_HOST": LOCALHOST,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": ROLE,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": DB,
        }

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()


def main(argv: Sequence[str] | None = None) -> int:
    """`start DIR`: a new cluster under DIR (or the one an earlier `start` made there, started
    again), its variables in DIR/dagster-pg.env (mode 0600) for `set -a; . DIR/dagster-pg.env`.
    `stop DIR`: stop it (the data stays; delete DIR to drop it)."""
    parser = argparse.ArgumentParser(prog="python -m lake_assets_tests.postgres_server")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    root = args.dir.resolve()
    env_file = root / "dagster-pg.env"
    if args.action == "stop":
        LocalPostgres(root / "data", 0, "", ensure_installed()).stop()
        print(f"stopped the cluster in {root / 'data'}")
        return 0
    if (root / "data" / "PG_VERSION").exists():  # a cluster from an earlier `start`: start it again
        saved = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        pg = LocalPostgres(
            root / "data", int(saved["DAGSTER_PG_PORT"]), saved["DAGSTER_PG_PASSWORD"], ensure_installed()
        )
        if pg._as_owner([str(pg.bin_dir / "pg_ctl"), "-D", str(pg.data_dir), "status"]).returncode != 0:
            pg.start()
        print(f"PostgreSQL on {LOCALHOST}:{pg.port}, data in {pg.data_dir}; variables in {env_file}")
        return 0
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)  # the `postgres` user must reach data/ inside it
    if os.geteuid() == 0:
        blocked = [p for p in root.parents if not p.stat().st_mode & 0o001]
        if blocked:
            raise SystemExit(
                f"the `{SYSTEM_USER}` user cannot enter {blocked[0]} (mode 0o{blocked[0].stat().st_mode & 0o777:o})"
            )
    pg = LocalPostgres.start_new(root / "data", args.port)
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.writelines(f"{k}={v}\n" for k, v in pg.dagster_env().items())
    print(f"PostgreSQL on {LOCALHOST}:{pg.port}, data in {pg.data_dir}; variables (password included) in {env_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
