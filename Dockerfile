# The lake_assets image: the Dagster code server plus a JRE for local Spark. The same image runs the
# daemon and the webserver in deploy/docker-compose.yaml (one Dagster version everywhere).
# Build: docker build -t lake-assets .   Run: docker run -p 127.0.0.1:4000:4000 lake-assets
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless procps \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 lake
WORKDIR /opt/lake_assets
COPY pyproject.toml README.md ./
COPY lake_assets ./lake_assets
COPY lake_sample ./lake_sample
# `deploy` adds dagster-postgres: every service and run worker writes to the PostgreSQL instance.
RUN pip install ".[deploy]"

# Mount points of the instance folder (deploy/dagster.yaml goes in), the compute-log volume and
# the local lake/landing volumes, owned by the unprivileged user every service runs as.
RUN mkdir -p /opt/dagster/home /opt/dagster/compute_logs /data/lake /data/landing \
 && chown -R lake /opt/dagster /data
USER lake
# Settings come from the environment at load time (LAKE_ROOT_URI, LAKE_LANDING_URI, LAKE_ENGINE,
# LAKE_PARTITION_START; for Glue/EMR also LAKE_PIPES_BUCKET, LAKE_PII_KEY_SECRET_ID, … — see the
# README, "Running on AWS"). AWS credentials come from the task/instance role, never the image.
# Nothing secret is baked in; with a remote engine the JRE is unused (Spark runs on AWS).
EXPOSE 4000
# The gRPC code server listens on all interfaces *inside* the container so the webserver/daemon
# containers can reach it; publish the port only on a private network.
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "lake_assets.definitions"]
