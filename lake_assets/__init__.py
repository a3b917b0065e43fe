"""lake_assets: an AWS-style medallion data lake (landing → Bronze → Silver → Gold) as Dagster assets.

Importing this package is cheap on purpose: no Spark, no AWS client and no environment read
happens until definitions are loaded (see `lake_assets.definitions`).
"""
