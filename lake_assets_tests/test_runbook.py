"""docs/runbook.md's commands exist and run as written: a runbook that fails at 3 a.m. is worse than none.

Every fenced `bash` line is checked here: its program exists (console scripts of this project,
`make` targets, system tools), every `--flag` it uses is in that command's `--help`, and `aws`
calls name a real API operation and parameters (botocore's service model: no AWS needed). The
commands that change state (pause/resume, backfill, recover) also run against a temporary
instance here; test_deployment.py runs the read-only and pause/resume ones against the deployed
services as written.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import dagster as dg
import pytest

from lake_assets_tests.dagster_services import REPO_ROOT, small_lake_instance

BIN = Path(sys.executable).parent
RUNBOOK = (REPO_ROOT / "docs" / "runbook.md").read_text()
SYSTEM_TOOLS = {"ls", "find", "openssl", "aws", "export"}
MODULE = ["-m", "lake_assets.definitions"]
WORKSPACE = ["-w", "deploy/workspace.yaml"]


def runbook_commands() -> list[str]:
    """Every command line of the runbook's bash blocks, comments stripped, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", RUNBOOK, flags=re.S)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def program(words: list[str]) -> str:
    return words[0].removeprefix(".venv/bin/")


@cache
def help_text(words: tuple[str, ...]) -> str:
    """`--help` of the command: the program and its leading sub-commands (click and argparse both
    print the innermost command's help even with positional arguments before `--help`). `dg`'s
    rich help omits its options when not on a terminal, so its click command is asked directly."""
    if Path(words[0]).name == "dg":
        import click
        from dagster_dg_cli.cli import cli

        command: click.Command | None = cli
        for word in words[1:]:
            assert isinstance(command, click.Group), words
            command = command.get_command(click.Context(command), word)
        assert command is not None, words
        return " ".join(opt for param in command.params for opt in param.opts)
    done = subprocess.run([*words, "--help"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert done.returncode == 0, (words, done.stderr[-2000:])
    return done.stdout


def check_aws(words: list[str]) -> None:
    import botocore.session

    service, operation = words[1], words[2]
    model = botocore.session.get_session().get_service_model(service)
    name = "".join(part.capitalize() for part in operation.split("-"))
    assert name in model.operation_names, (service, name)
    shape = model.operation_model(name).input_shape
    assert shape is not None, name
    members = set(shape.members)
    for flag in (w for w in words if w.startswith("--")):
        parameter = "".join(part.capitalize() for part in flag[2:].split("-"))
        assert parameter in members, (name, parameter)


def test_the_runbook_covers_every_alert_and_recovery():
    for heading in ("`run_failure`", "`check_failure`", "`freshness`", "Backfill", "Pause", "PII", "AWS outage"):
        assert heading in RUNBOOK, heading
    assert "lake-recover" in RUNBOOK and "_rejected" in RUNBOOK


def test_every_runbook_command_exists_with_its_flags():
    commands = runbook_commands()
    assert len(commands) >= 20, commands
    for line in commands:
        for segment in line.split(" | "):
            words = shlex.split(segment)
            if re.match(r"^[A-Z_]+=", words[0]):
                continue  # a shell variable for the commands below
            name = program(words)
            if name in SYSTEM_TOOLS:
                if name == "aws":
                    check_aws(words)
                continue
            assert words[0] == f".venv/bin/{name}", f"use the venv's {name}: {line}"
            assert (BIN / name).exists(), line
            prefix = [str(BIN / name)]
            for word in words[1:]:
                if word.startswith("-") or "$" in word or "/" in word or "_" in word:
                    break  # a flag, a value or a positional argument: the sub-commands end here
                prefix.append(word)
            text = help_text(tuple(prefix))
            for flag in re.findall(r"(?<!\S)(--?[a-z][a-z-]*)", segment):
                assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), f"{flag} of {line}"


@pytest.fixture
def instance_env(tmp_path):
    day = datetime.now(UTC).date() - timedelta(days=5)
    home, env = small_lake_instance(tmp_path, (day - timedelta(days=3)).isoformat())
    return home, env, day


def run(line: str, env: dict[str, str]) -> str:
    """A runbook line as written, except that the code location is loaded in-process (`-m`)
    instead of from the deployed code server (`-w deploy/workspace.yaml`)."""
    words = shlex.split(line)
    if WORKSPACE[1] in words:
        at = words.index(WORKSPACE[1]) - 1
        words[at : at + 2] = MODULE
    words[0] = str(BIN / program(words))
    done = subprocess.run(words, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def test_pause_resume_backfill_and_recover_run_against_an_instance(instance_env):
    home, env, day = instance_env
    commands = runbook_commands()
    stops = [c for c in commands if re.search(r"dagster (sensor|schedule) stop", c)]
    starts = [c for c in commands if re.search(r"dagster (sensor|schedule) start", c)]
    assert len(stops) == len(starts) == 4
    for line in stops[:2]:
        run(line, env)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        states = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
        assert states["lake_daily_schedule"] == "STOPPED", states
        assert states["api_logs_landing_sensor"] == "STOPPED", states
    for line in starts[:1]:
        run(line, env)

    (backfill,) = [c for c in commands if "job backfill" in c]
    first, last = day - timedelta(days=2), day
    dated = re.sub(r"--from \S+ --to \S+", f"--from {first} --to {last}", backfill)
    run(dated, env)
    (recover_dry, recover) = [c for c in commands if "lake-recover" in c]
    assert run(recover_dry, env).startswith("no dead runs")
    assert run(recover, env).startswith("no dead runs")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        states = {s.instigator_name: s.status.value for s in instance.all_instigator_state()}
        assert states["api_logs_landing_sensor"] == "RUNNING", states
        (requested,) = instance.get_backfills()
        assert requested.partition_names == [str(first + timedelta(days=i)) for i in range(3)]
