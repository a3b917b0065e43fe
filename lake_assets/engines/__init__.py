"""Engines: where a job's Spark work runs (this process, Glue, EMR Serverless, EMR).

Every engine returns the same `StepResult` for a step, so Dagster records a run the same way
whichever engine ran it (see `engines/base.py` and `assets/outcome.py`).
"""
