"""Freshness an analyst can read: policies per layer and the `lake-freshness` report."""
