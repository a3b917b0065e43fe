"""Start and stop real Dagster processes (`dagster dev`, `dagster-webserver`, `dagster-daemon`,
`dagster code-server start`) from tests.

Every service runs in its own process group (`start_new_session=True`), so stopping it also stops
whatever it spawned: the daemon, the code server, run workers and their Spark JVMs. Services bind
to 127.0.0.1 on a free port; output goes to a log file whose tail is included in any failure.

    with DagsterService.dagster_dev(env, log_dir) as dagster:
        dagster.wait_ready(timeout=180)
        client = dagster.graphql_client()
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

BIN = Path(sys.executable).parent  # the venv's bin: dagster, dagster-daemon, dagster-webserver
LOCALHOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[1]


def small_lake_instance(root: Path, partition_start: str, **extra: str) -> tuple[Path, dict[str, str]]:
    """(DAGSTER_HOME, environment) for real Dagster processes on a small local lake under `root`.

    The home holds the repo's own dagster.yaml (the instance under test); the lake and landing are
    `root/lake` and `root/landing`; Spark is sized for a test (one core, 1 GB). `extra` adds or
    overrides variables (e.g. sensor look-backs)."""
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "LAKE_ROOT_URI": str(root / "lake"),
        "LAKE_LANDING_URI": str(root / "landing"),
        "LAKE_PARTITION_START": partition_start,
        "LAKE_PII_HASH_KEY": "test-secret-key-for-the-pii-hmac",
        "LAKE_SPARK_MASTER": "local[1]",
        "LAKE_SHUFFLE_PARTITIONS": "1",
        "LAKE_SPARK_DRIVER_MEMORY": "1g",
        **extra,
    }
    return home, env


T = TypeVar("T")


class ServiceError(RuntimeError):
    """A service did not start, died, or a condition was not met in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 0.5,
    alive: Callable[[], None] | None = None,
) -> T:
    """Poll `condition` until it returns something truthy and return it; `ServiceError` after
    `timeout` seconds. `alive` is called each round and should raise if a process died, so a
    crash fails fast instead of waiting out the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None:
            alive()
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise ServiceError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


class DagsterService:
    """One process (and its process group) started with an environment; a context manager that
    always kills the whole group on exit."""

    def __init__(self, name: str, args: Sequence[str], env: Mapping[str, str], log_dir: Path, cwd: Path | None = None):
        self.name = name
        self.args = list(args)
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = Path(log_dir) / f"{name}.log"
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # -- constructors for the usual services -------------------------------------------------

    @classmethod
    def dagster_dev(
        cls,
        env: Mapping[str, str],
        log_dir: Path,
        module: str = "lake_assets.definitions",
        cwd: Path | None = None,
        log_level: str = "info",
    ) -> DagsterService:
        """`dagster dev -m module`: webserver, daemon and one shared code server on 127.0.0.1."""
        port = free_port()
        args = [str(BIN / "dagster"), "dev", "-m", module, "--host", LOCALHOST, "--port", str(port)]
        service = cls("dagster-dev", [*args, "--log-level", log_level], env, log_dir, cwd)
        service.port = port
        return service

    @classmethod
    def webserver(
        cls, env: Mapping[str, str], log_dir: Path, workspace: Path, cwd: Path | None = None
    ) -> DagsterService:
        """`dagster-webserver -w workspace` on 127.0.0.1."""
        port = free_port()
        args = [str(BIN / "dagster-webserver"), "-w", str(workspace), "-h", LOCALHOST, "-p", str(port)]
        service = cls("dagster-webserver", args, env, log_dir, cwd)
        service.port = port
        return service

    @classmethod
    def daemon(cls, env: Mapping[str, str], log_dir: Path, workspace: Path, cwd: Path | None = None) -> DagsterService:
        """`dagster-daemon run -w workspace` (no port; check readiness with daemon heartbeats)."""
        return cls("dagster-daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)], env, log_dir, cwd)

    @classmethod
    def code_server(
        cls, env: Mapping[str, str], log_dir: Path, module: str = "lake_assets.definitions", cwd: Path | None = None
    ) -> DagsterService:
        """`dagster code-server start -m module` on 127.0.0.1 (a workspace points at `port`)."""
        port = free_port()
        args = [str(BIN / "dagster"), "code-server", "start", "-m", module, "-h", LOCALHOST, "-p", str(port)]
        service = cls("dagster-code-server", args, env, log_dir, cwd)
        service.port = port
        return service

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> DagsterService:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.args,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches every child
            )
        return self

    def restart(self, grace: float = 15.0) -> DagsterService:
        """Stop the whole process group and start the same command again (same port, same log)."""
        self.stop(grace)
        return self.start()

    def __enter__(self) -> DagsterService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise ServiceError(f"{self.name} has no port")
        return f"http://{LOCALHOST}:{self.port}"

    def check_alive(self) -> None:
        """Raise (with the log tail) if the main process has exited."""
        if self.process is None:
            raise ServiceError(f"{self.name} was not started")
        code = self.process.poll()
        if code is not None:
            raise ServiceError(f"{self.name} exited with code {code}\n{self.log_tail()}")

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the process group, wait up to `grace` seconds, then SIGKILL the group. The group
        is killed even when the main process already exited (its children may not have)."""
        if self.process is None:
            return
        pgid = self.process.pid  # session leader: its pid is the group id
        _signal_group(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        _signal_group(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a process in D state may outlive SIGKILL briefly
            self.process.wait(timeout=10)

    def log_tail(self, chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return f"({self.log_path} missing)"
        return f"--- last of {self.log_path} ---\n{text[-chars:]}"

    # -- readiness ----------------------------------------------------------------------------

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        """POST a GraphQL query to the webserver and return `data`."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise ServiceError(f"GraphQL errors: {payload['errors']}")
        return dict(payload["data"])

    def wait_http(self, path: str = "/server_info", timeout: float = 120) -> None:
        """Wait until the webserver answers `path` with 200."""

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
                    return bool(response.status == 200)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_until(answers, timeout, f"{self.name} at {self.url}{path}", alive=self.check_alive)

    def wait_code_locations_loaded(self, timeout: float = 180) -> None:
        """Wait until every code location of the webserver's workspace is LOADED; a location that
        loaded with an error fails at once with the error."""
        query = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
            locationOrLoadError { __typename ... on PythonError { message } } } } } }"""

        def loaded() -> bool:
            try:
                data = self.graphql(query, timeout=10)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False
            entries = data["workspaceOrError"].get("locationEntries") or []
            for entry in entries:
                error = entry.get("locationOrLoadError") or {}
                if error.get("__typename") == "PythonError":
                    raise ServiceError(f"code location {entry['name']} failed to load: {error.get('message')}")
            return bool(entries) and all(e["loadStatus"] == "LOADED" and e["locationOrLoadError"] for e in entries)

        wait_until(loaded, timeout, f"code locations of {self.name}", interval=1.0, alive=self.check_alive)

    def wait_daemons_healthy(self, daemon_types: Sequence[str], timeout: float = 120) -> None:
        """Wait until the webserver reports the given daemons (e.g. QUEUED_RUN_COORDINATOR,
        MONITORING) as healthy, i.e. they have sent a heartbeat."""
        query = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"

        def healthy() -> bool:
            try:
                data = self.graphql(query, timeout=10)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False
            statuses = {s["daemonType"]: s["healthy"] for s in data["instance"]["daemonHealth"]["allDaemonStatuses"]}
            return all(statuses.get(t) for t in daemon_types)

        wait_until(healthy, timeout, f"daemons {', '.join(daemon_types)}", interval=1.0, alive=self.check_alive)

    def wait_ready(self, timeout: float = 180) -> None:
        """A webserver-fronted service (`dagster dev`, `dagster-webserver`) answers and has loaded
        its code locations."""
        started = time.monotonic()
        self.wait_http(timeout=timeout)
        self.wait_code_locations_loaded(timeout=max(1.0, timeout - (time.monotonic() - started)))

    def graphql_client(self) -> Any:
        """A `DagsterGraphQLClient` for this webserver."""
        from dagster_graphql import DagsterGraphQLClient

        if self.port is None:
            raise ServiceError(f"{self.name} has no port")
        return DagsterGraphQLClient(LOCALHOST, port_number=self.port, timeout=60)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is already gone
        os.killpg(pgid, sig)
