"""What a remote engine adds per step: the whole `lake_daily` graph for one day on Glue, EMR
Serverless and EMR (moto server + a service double running the job script in the Glue-shaped
interpreter) against the local engine.

Per step, "overhead" is the Dagster step's wall time minus the job script's own wall time: Pipes
context upload, submission, polling, message download. The script's time includes a Spark start
per job, which a real Glue/EMR run also pays (there: cluster start-up, not measured here).
Run: `.venv/bin/python benchmarks/remote_overhead.py [--requests 2000]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DAY = date(2026, 11, 20)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def step_seconds(instance, run_id: str) -> dict[str, float]:
    """Wall seconds of each step, in the order the steps started (the run's step stats)."""
    stats = sorted(instance.get_run_step_stats(run_id), key=lambda s: s.start_time)
    return {s.step_key: s.end_time - s.start_time for s in stats if s.end_time}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="API requests in the generated day")
    args = parser.parse_args()
    os.environ.update(AWS_ENV)
    import dagster as dg
    from moto.server import ThreadedMotoServer

    from lake_assets.core.settings import LakeSettings, RemoteSettings
    from lake_assets.definitions import build_definitions
    from lake_assets_tests.remote_runners import job_python, seed_aws
    from lake_assets_tests.service_doubles import create_services, new_double
    from lake_sample.generator import generate_sample

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    root = Path(tempfile.mkdtemp(prefix="remote-bench-"))
    generate_sample(root / "landing", DAY, 1, args.requests, seed=3, users=50, tasks_per_user=4)
    seed_aws(endpoint, root / "landing", "bench-key")
    base = LakeSettings(
        landing_uri="s3://landing",
        partition_start=date(2026, 11, 1),
        s3_endpoint_url=endpoint,
        spark_master="local[2]",
        shuffle_partitions=2,
        pii_hash_key="bench-key-for-the-pii-hmac-0123456",
    )

    def run(settings: LakeSettings) -> tuple[float, dict[str, float]]:
        job = build_definitions(settings).resolve_job_def("lake_daily")
        instance = dg.DagsterInstance.ephemeral()
        started = time.perf_counter()
        result = job.execute_in_process(partition_key=DAY.isoformat(), instance=instance)
        return time.perf_counter() - started, step_seconds(instance, result.run_id)

    wall, steps = run(replace(base, lake_root_uri=str(root / "local")))
    print(f"local engine: {wall:.1f} s for {len(steps)} steps (one Spark session for the run)")
    remote = RemoteSettings(
        region_name="us-east-1",
        pipes_bucket="pipes",
        emr_execution_role_arn="arn:aws:iam::123456789012:role/x",
        entrypoint_uri="s3://pipes/artifacts/entrypoint.py",
        package_uri="s3://pipes/artifacts/lake_assets.whl",
        pii_key_secret_id="lake/pii",
        poll_seconds=1.0,
        **create_services(endpoint, "lake-job"),
    )
    python = job_python()
    for engine in ("glue", "emr-serverless", "emr"):
        with new_double(engine, endpoint, remote, [], python) as double:
            settings = replace(base, engine=engine, lake_root_uri=str(root / engine), remote=remote, pii_hash_key=None)
            wall, steps = run(settings)
        scripts = [p.seconds for p in double.played]
        failures = sum(bool(p.exit_code) for p in double.played)
        # Steps run one at a time and each submits one run, so the i-th step ran the i-th script.
        overhead = [s - t for s, t in zip(steps.values(), scripts, strict=True)]
        print(
            f"{engine}: {wall:.1f} s for {len(steps)} steps; job scripts {sum(scripts):.1f} s "
            f"(median {statistics.median(scripts):.1f} s each, Spark start included); "
            f"Dagster-side overhead per step median {statistics.median(overhead):.1f} s, "
            f"max {max(overhead):.1f} s (poll interval 1 s); failures: {failures}"
        )
    server.stop()


if __name__ == "__main__":
    main()
