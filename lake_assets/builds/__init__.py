"""Builds: the Spark unit of work an engine runs for one asset partition.

A build reads its inputs from the lake (or landing zone), calls plain transforms, writes its outputs
atomically and returns metadata. It knows nothing about Dagster, so the same build code runs in the
Dagster process on local Spark, or as a remote Glue/EMR script that reports through Pipes.
"""
