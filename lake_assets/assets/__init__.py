"""Dagster assets, one short module per table group, built by the factory in `factory.py`."""
