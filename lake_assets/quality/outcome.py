"""The result of one check, independent of Dagster (remote jobs report it through Pipes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckOutcome:
    table: str
    name: str
    passed: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    # The declared severity, unless a setting decides it per evaluation (`no_data`: ERROR or WARN).
    # A WARN evaluation of a blocking check never blocks, as in Dagster.
    severity: str | None = None


def jsonable(value: Any) -> Any:
    """Sample values as JSON-friendly text (dates, decimals, timestamps)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)
