# Two commands set everything up: `make demo` (the main job on the embedded default) and `make test`
# (= CI). For the edit loop: `make test-fast` (a couple of minutes) and `make check` (format, lint, types).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo test test-fast check test-glue-runtime dev bench bench-backfill lint format clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# Spark needs a Java 17/21 from the OS (none on PyPI runs Spark 4): say now what to install.
	@$(BIN)/python -c 'from lake_assets.core.spark import java_problem; p = java_problem(); p and print("WARNING:", p)'
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/lake-demo --days 3

DG := VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH $(CURDIR)/$(BIN)/dg

# Formatting, lint, types and loadable definitions: each fails the build.
check: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(DG) check defs

# Tests run in TEST_WORKERS processes (pytest-xdist), each test file whole in one of them, so a
# module's fixtures (a materialized lake, a moto server, a deployment) are built once. Half the
# suite's time is waiting on subprocesses, services and JVM starts, which overlaps: on 2 cores the
# whole-graph, remote and deployment suites take 13 min instead of 25. TEST_WORKERS=0 runs serially.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

# Everything CI runs: the checks, every test (whole-graph, remote and deployment suites included),
# then the Dagster-free tests again on Glue 5.0's runtime.
test: check
	$(PYTEST)
	$(MAKE) test-glue-runtime

# The edit loop: unit and component tests, without the whole-graph (e2e), remote-engine (remote)
# and deployment (deploy) suites.
test-fast: setup
	$(PYTEST) -m "not e2e and not remote and not deploy"

# The Dagster-free tests (parsers, transforms, contracts, jobs) on AWS Glue 5.0's runtime: Python
# 3.11, Spark 3.5, Glue's pandas/pyarrow/numpy/boto3 (.venv-glue, built once, see glue_runtime.py).
test-glue-runtime: setup
	$(BIN)/python -m lake_assets_tests.glue_runtime

# The UI binds to localhost only. `dg dev` runs from $(DAGSTER_HOME), with the code location from
# workspace.yaml (kept equal to [tool.dg] by test_definitions.py): run from the repo root, Dagster
# sees the repo's dagster.yaml there and warns that it "will not be used", although the copy in
# $(DAGSTER_HOME) is exactly that file. In its instance folder that warning only fires for real.
dev: setup $(DAGSTER_HOME)/dagster.yaml
	cd $(DAGSTER_HOME) && $(DG) dev -w $(CURDIR)/workspace.yaml --host 127.0.0.1 --port 3000

bench: setup
	$(BIN)/python benchmarks/run_benchmark.py

# A 7-day backfill (20k requests a day) as one run against 7 one-day runs.
bench-backfill: setup
	$(BIN)/python benchmarks/backfill.py

# Rewrite in place what the checks would reject.
format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: check

clean:
	rm -rf .lake .dagster_home benchmarks/out

# The deployed shape on this machine, no Docker: a local PostgreSQL (.deploy/pg) and `dagster
# code-server start`, `dagster-daemon run`, `dagster-webserver` as separate processes on 127.0.0.1,
# with deploy/dagster.yaml (README "Deployed"). UI on http://127.0.0.1:3000; Ctrl-C stops them.
.PHONY: deploy-local
deploy-local: setup
	deploy/run_local.sh
