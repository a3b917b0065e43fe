"""Deterministic sample landing data for local runs and tests.

The pipeline must be exercised on data written exactly in the AWS landing formats
(``/work/shared/landing-formats.md``) *and* we need to know the right answers without
trusting the pipeline's own parsers. ``generate_sample`` writes both: the landing files and a
``_truth.json`` computed from the generator's in-memory model, never by re-reading files.
"""
