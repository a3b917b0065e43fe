"""The README's commands run as written on a fresh clone after `make demo` (issue #14): no fixed
dates that exist only on the day the README was written, only console scripts and make targets
that exist, and the `DAY=$(lake-query --value …)` line the examples rely on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from lake_assets.cli import query
from lake_assets.core.lake import LocalLake

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(?:bash|sh)\n(.*?)```", README, flags=re.S)


def commands() -> list[str]:
    return [line.split("#", 1)[0].strip() for block in BLOCKS for line in block.splitlines() if line.strip()]


def test_partition_examples_use_the_demos_own_day():
    partitions = [c for c in commands() if "--partition" in c]
    assert partitions, "the README shows how to run one partition"
    for command in partitions:
        assert re.search(r'--partition "\$DAY"', command), command
    day_lines = [c for c in commands() if c.startswith("DAY=")]
    assert day_lines == ['DAY=$(.venv/bin/lake-query --value "SELECT max(dt) FROM gold_route_latency_daily")']


def test_console_scripts_and_make_targets_named_in_the_readme_exist():
    scripts = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])
    named = set(re.findall(r"\.venv/bin/(lake-[a-z]+)", README))
    assert named and named <= scripts, named - scripts
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), flags=re.M))
    used = set(re.findall(r"`make ([a-z-]+)", README)) | {
        m for c in commands() for m in re.findall(r"^make ([a-z-]+)", c)
    }
    assert used and used <= targets, used - targets


def test_lake_query_value_prints_one_value_for_the_shell(spark, tmp_path, monkeypatch, capsys):
    lake = LocalLake(str(tmp_path))
    rows = spark.createDataFrame([("GET /tasks", 3)], "route_key string, requests long")
    for dt in ("2026-11-27", "2026-11-28"):
        lake.write(rows, "gold", "route_latency_daily", dt)
    monkeypatch.setenv("LAKE_ROOT_URI", str(tmp_path))
    assert query.main(["--value", "SELECT max(dt) FROM gold_route_latency_daily"]) == 0
    assert capsys.readouterr().out == "2026-11-28\n"
    assert query.main(["--value", "SELECT dt FROM gold_route_latency_daily"]) == 1
    assert capsys.readouterr().err.startswith("lake-query: --value needs exactly one non-null value")
