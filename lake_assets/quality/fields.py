"""Short spellings for pandera fields, so a table contract reads like a table definition.

Every column says what it holds: `description` is required (not optional) so a new column cannot
be added without one. It becomes the column's description in Dagster's schema table (UI catalog,
`assets/factory.py` `column_schema`), where analysts read it; a missing one is a type error.
"""

from typing import Any

import pandera.pyspark as pa


def required(description: str, **checks: Any) -> Any:
    """A column that must never be null (plus optional pandera checks: isin, ge, le, in_range…)."""
    return pa.Field(nullable=False, description=description, **checks)


def optional(description: str, **checks: Any) -> Any:
    """A nullable column (checks apply to its non-null values)."""
    return pa.Field(nullable=True, description=description, **checks)
