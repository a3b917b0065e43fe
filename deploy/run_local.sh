#!/usr/bin/env bash
# `make deploy-local`: the deployed shape on this machine, without Docker. PostgreSQL (in .deploy/pg),
# then `dagster code-server start`, `dagster-daemon run` and `dagster-webserver` as separate
# processes on 127.0.0.1, with DAGSTER_HOME=.deploy/home holding deploy/dagster.yaml.
# UI: http://127.0.0.1:3000. Ctrl-C stops the three services (PostgreSQL keeps running:
# `deploy/local_postgres.sh stop .deploy/pg`).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE="$PWD/.deploy"
CODE_PORT="${LAKE_CODE_SERVER_PORT:-4000}"
WEB_PORT="${DAGSTER_WEBSERVER_PORT:-3000}"

deploy/local_postgres.sh start "$STATE/pg"
set -a
. "$STATE/pg/dagster-pg.env"   # DAGSTER_PG_* (password included), never echoed
set +a
export DAGSTER_HOME="$STATE/home" DAGSTER_COMPUTE_LOGS_DIR="$STATE/compute_logs"
export LAKE_CODE_SERVER_HOST=127.0.0.1 LAKE_CODE_SERVER_PORT="$CODE_PORT"
mkdir -p "$DAGSTER_HOME" "$DAGSTER_COMPUTE_LOGS_DIR"
cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
.venv/bin/dagster code-server start -h 127.0.0.1 -p "$CODE_PORT" -m lake_assets.definitions &
pids+=($!)
until .venv/bin/dagster api grpc-health-check -h 127.0.0.1 -p "$CODE_PORT" >/dev/null 2>&1; do sleep 2; done
.venv/bin/dagster-daemon run -w deploy/workspace.yaml &
pids+=($!)
.venv/bin/dagster-webserver -w deploy/workspace.yaml -h 127.0.0.1 -p "$WEB_PORT" &
pids+=($!)
wait -n
