"""The runtime AWS Glue 5.0 gives the job, and what the job adds to it: declared once, here.

Glue 5.0 runs Spark jobs on Python 3.11 with Spark 3.5.4. pyspark (and py4j) sit on the cluster's
Python path without pip metadata, so Glue's pip cannot see them; pandas, pyarrow, numpy and boto3
are pip-visible at fixed versions. Glue pip-installs `--additional-python-modules` over that, with
their requirements: a module that requires pyspark (e.g. `pandera[pyspark]` → `pyspark[connect]`)
makes pip install pyspark 4.x and a newer pyarrow over the cluster's, and the job then runs on a
Python stack its Spark does not match. So `JOB_MODULES` must add only what the runtime lacks and
never move a runtime version; `lake_assets_tests/glue_runtime.py` proves it in a virtualenv shaped
like this runtime, and the transform tests run there as well as on the dev venv's PySpark 4.

This module is imported by `lake-deploy` and the tests alike; it must stay free of dependencies.
"""

from __future__ import annotations

import hashlib

GLUE_VERSION = "5.0"
PYTHON_VERSION = "3.11"
# On the cluster's path, invisible to pip (Spark 3.5.4 is what Glue 5.0 runs; py4j is its bridge).
CLUSTER_PINS = ("pyspark==3.5.4", "py4j==0.10.9.7")
# Installed in Glue's Python, visible to pip: installing a job module must never change these.
PROVIDED_PINS = ("pandas==2.2.2", "pyarrow==17.0.0", "numpy==1.26.4", "boto3==1.34.131", "botocore==1.34.131")
# What the job imports beyond the runtime (found by importing the job code in the Glue-shaped venv):
# Pipes to report to Dagster, and pandera for the contracts. pandera without its `pyspark` extra:
# the extra only requires pyspark, which the cluster already has.
JOB_MODULES = ("dagster-pipes==1.13.27", "pandera==0.35.0")


def runtime_versions() -> dict[str, str]:
    """Distribution name → exact version of everything the runtime provides."""
    return dict(pin.split("==") for pin in CLUSTER_PINS + PROVIDED_PINS)


def additional_python_modules(wheel_uri: str) -> str:
    """The Glue `--additional-python-modules` value: the job modules and the package's wheel (an
    S3 URI, the way AWS documents installing a wheel), comma separated."""
    return ",".join((*JOB_MODULES, wheel_uri))


def fingerprint() -> str:
    """Changes whenever the runtime or the job modules change (stamp of a Glue-shaped venv)."""
    text = "\n".join((GLUE_VERSION, PYTHON_VERSION, *CLUSTER_PINS, *PROVIDED_PINS, *JOB_MODULES))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
