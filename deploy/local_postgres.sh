#!/usr/bin/env bash
# A throw-away PostgreSQL for the deployed instance on this machine (no Docker needed):
#   deploy/local_postgres.sh start .deploy/pg   # install if absent, initdb, start on 127.0.0.1
#   deploy/local_postgres.sh stop .deploy/pg
# The server runs as the `postgres` system user (PostgreSQL refuses root), listens on 127.0.0.1
# only, and Dagster's role gets a generated password, written only to DIR/dagster-pg.env (0600).
# The work is done by lake_assets_tests/postgres_server.py, which the deployment test uses too.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && ! command -v initdb >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql
fi
exec .venv/bin/python -m lake_assets_tests.postgres_server "$@"
