"""Short spellings for pandera fields, so a table contract reads like a table definition."""

from typing import Any

import pandera.pyspark as pa


def required(**checks: Any) -> Any:
    """A column that must never be null (plus optional pandera checks: isin, ge, le, in_range…)."""
    return pa.Field(nullable=False, **checks)


def optional(**checks: Any) -> Any:
    """A nullable column (checks apply to its non-null values)."""
    return pa.Field(nullable=True, **checks)
