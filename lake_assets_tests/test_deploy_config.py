"""The deployment's files agree with each other and with the tested embedded default (fast, no
services: deploy/docker-compose.yaml cannot run here, there is no Docker engine in CI).

deploy/dagster.yaml must run runs exactly like the repo's dagster.yaml (what the dead-run and
deployment tests prove), read every connection setting and secret from the environment, and the
compose file must provide exactly those variables, mount files that exist, and publish only the
webserver, on the host's loopback.
"""

from __future__ import annotations

import re
import subprocess
import tomllib

import yaml  # type: ignore[import-untyped]  # PyYAML (a Dagster dependency) ships no stubs

from lake_assets_tests.dagster_services import BIN, REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
SHARED = ["telemetry", "run_coordinator", "concurrency", "run_monitoring", "run_retries"]
DEPLOYED = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())


def env_vars(node: object) -> set[str]:
    """Every `{env: NAME}` in a config tree."""
    if isinstance(node, dict):
        found = {node["env"]} if set(node) == {"env"} else set()
        return found.union(*(env_vars(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(env_vars(v) for v in node))
    return set()


def test_deploy_instance_runs_runs_like_the_embedded_default():
    embedded = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    for section in SHARED:
        assert DEPLOYED[section] == embedded[section], section
    assert set(DEPLOYED) == {*SHARED, "storage", "compute_logs"}, set(DEPLOYED)


def test_deploy_instance_reads_connection_and_secrets_from_the_environment():
    db = DEPLOYED["storage"]["postgres"]["postgres_db"]
    assert db["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    assert all(v == {"env": v.get("env")} for k, v in db.items() if k != "scheme"), db
    assert db["scheme"] == "postgresql+psycopg2"  # the driver dagster-postgres installs
    assert DEPLOYED["compute_logs"]["config"]["base_dir"] == {"env": "DAGSTER_COMPUTE_LOGS_DIR"}
    assert "S3ComputeLogManager" in (DEPLOY / "dagster.yaml").read_text()  # the AWS variant is documented


def test_deploy_extra_pins_dagster_postgres_to_the_dagster_release():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    dagster = next(d for d in project["dependencies"] if d.startswith("dagster=="))
    minor = dagster.split("==")[1].split(".")[2]
    assert project["optional-dependencies"]["deploy"] == [f"dagster-postgres==0.29.{minor}"]
    assert "lake_assets[deploy]" in project["optional-dependencies"]["dev"]
    assert 'pip install ".[deploy]"' in (REPO_ROOT / "Dockerfile").read_text()


def test_compose_services_get_what_the_instance_and_workspace_read():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "lake-assets", "daemon", "webserver"}
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    needed = (env_vars(DEPLOYED) | env_vars(workspace)) - {"DAGSTER_PG_PASSWORD"}
    for name in ("lake-assets", "daemon", "webserver"):
        service = services[name]
        assert needed <= set(service["environment"]), (name, needed - set(service["environment"]))
        assert "DAGSTER_PG_PASSWORD" not in service["environment"]  # from the secret, at exec
        assert "DAGSTER_PG_PASSWORD=" in " ".join(service["entrypoint"]), name
        assert service["secrets"] == ["dagster_pg_password"]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
        home = service["environment"]["DAGSTER_HOME"]
        assert mounts[f"{home}/dagster.yaml"] == "./dagster.yaml", name
        for source in mounts.values():
            assert not source.startswith(".") or (DEPLOY / source).exists(), source
    assert services["lake-assets"]["build"]["dockerfile"] == "Dockerfile"
    assert (DEPLOY / services["lake-assets"]["build"]["context"] / "Dockerfile").exists()
    assert services["lake-assets"]["environment"]["LAKE_CODE_SERVER_PORT"] in services["lake-assets"]["command"]
    for name in ("daemon", "webserver"):
        command = services[name]["command"]
        target = command[command.index("-w") + 1]
        assert target in {v.split(":")[1] for v in services[name]["volumes"]}, (name, target)


def test_compose_publishes_only_the_webserver_on_loopback_and_keeps_secrets_out():
    published = {name: s.get("ports") for name, s in COMPOSE["services"].items() if s.get("ports")}
    assert published == {"webserver": ["127.0.0.1:3000:3000"]}
    secret = COMPOSE["secrets"]["dagster_pg_password"]["file"]
    assert secret == "./secrets/dagster_pg_password"
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    assert "deploy/secrets/" in ignored, "the secret's folder must be ignored by git"
    text = (DEPLOY / "docker-compose.yaml").read_text()
    assert not re.search(r"PASSWORD:\s*[^/\s]", text.replace("POSTGRES_PASSWORD_FILE", ""))


def test_compose_commands_are_real_cli_commands():
    for name in ("lake-assets", "daemon", "webserver"):
        command = COMPOSE["services"][name]["command"]
        assert (BIN / command[0]).exists(), command
        sub = [w for w in command[1:3] if not w.startswith("-")] if command[0] == "dagster" else command[1:2]
        sub = [w for w in sub if w in ("code-server", "start", "run")]
        done = subprocess.run([str(BIN / command[0]), *sub, "--help"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, command
        for flag in (w for w in command if w.startswith("-")):
            assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", done.stdout), (name, flag)
