"""Pure-Python parsers for the landing formats (no Spark): each turns one landing object into rows.

They run inside Spark tasks (`mapInArrow`) so they must be picklable functions of bytes in,
dicts out, and must never raise on bad data: every fragment becomes a row with a reason.
"""
