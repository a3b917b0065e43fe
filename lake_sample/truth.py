"""Ground truth of a generated sample.

The truth is accumulated while the generator writes, from its in-memory model, never by
re-parsing the files: it is an independent oracle for the pipeline's parsers.

Key conventions (all dates are ISO ``YYYY-MM-DD`` strings):
- *event date*: UTC date of the real request instant; Silver is built by event date.
- *arrival date*: UTC date of the Firehose folder (``api_logs/YYYY/MM/DD/HH/``) an object is in.
- *valid* request: has a usable ``requestId`` and a usable time (``requestTimeEpoch``, else
  ``requestTime``). Counted once even if re-delivered (duplicates are counted separately).
- *snapshot day* D: the table as of the end of D, from the export with exportTime D+1 00:00Z.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

MALFORMED_KINDS = (
    "truncated_json",
    "not_json",
    "not_object",
    "missing_request_id",
    "no_usable_time",
)

Counts = dict[str, int]
DayCounts = dict[str, dict[str, int]]


@dataclass
class ApiLogTruth:
    """What the access-log objects contain, by event date or by arrival date."""

    arrival_dates: list[str] = field(default_factory=list)
    event_dates: list[str] = field(default_factory=list)
    # by event date
    requests: Counts = field(default_factory=dict)
    route_requests: DayCounts = field(default_factory=dict)
    route_errors_4xx: DayCounts = field(default_factory=dict)
    route_errors_5xx: DayCounts = field(default_factory=dict)
    user_requests: DayCounts = field(default_factory=dict)
    anonymous_requests: Counts = field(default_factory=dict)
    late_arrivals: Counts = field(default_factory=dict)
    route_latency_samples: dict[str, dict[str, list[int]]] | None = None
    # by arrival date
    valid_lines: Counts = field(default_factory=dict)
    duplicates_injected: Counts = field(default_factory=dict)
    malformed: Counts = field(default_factory=dict)
    malformed_by_kind: DayCounts = field(default_factory=dict)
    # field -> lines with a present value that does not type (a garbage requestTime), on purpose
    untypable_values: DayCounts = field(default_factory=dict)
    # field -> lines that leave it out (a requestId omitted; a "-" placeholder is not counted here)
    absent_fields: DayCounts = field(default_factory=dict)
    control_messages: Counts = field(default_factory=dict)
    empty_objects: Counts = field(default_factory=dict)
    objects: Counts = field(default_factory=dict)
    lines_total: Counts = field(default_factory=dict)
    unknown_user_ids: list[str] = field(default_factory=list)


@dataclass
class TableTruth:
    """What each daily midnight export of ``tasks`` contains, by snapshot day."""

    users: Counts = field(default_factory=dict)
    tasks: Counts = field(default_factory=dict)
    tasks_by_status: DayCounts = field(default_factory=dict)
    tasks_created: DayCounts = field(default_factory=dict)
    tasks_completed: DayCounts = field(default_factory=dict)
    open_tasks: DayCounts = field(default_factory=dict)
    # `entity.attribute:DynamoDB type` -> items carrying it (entity user|task), every attribute
    # the generator wrote, the undeclared and oddly typed ones it adds on purpose included: what
    # the Bronze schema_drift check should report, so a demo can tell planted drift from real.
    attribute_types: DayCounts = field(default_factory=dict)
    export_id: dict[str, str] = field(default_factory=dict)
    export_items: Counts = field(default_factory=dict)
    exports: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SampleTruth(ApiLogTruth, TableTruth):
    """Flat union of the log and table truths plus the generation parameters."""

    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def combine(cls, logs: ApiLogTruth, table: TableTruth, params: dict[str, Any]) -> SampleTruth:
        """Merge the two partial truths (fields are disjoint by construction)."""
        values: dict[str, Any] = {"params": params}
        for part in (logs, table):
            values.update({f.name: getattr(part, f.name) for f in fields(part)})
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict; ``route_latency_samples`` is omitted when it was not collected."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if out["route_latency_samples"] is None:
            del out["route_latency_samples"]
        return out

    def to_json(self) -> str:
        """Stable JSON (sorted keys) so the truth file is byte-identical for a seed."""
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SampleTruth:
        """Inverse of :meth:`to_json`, for tests that read ``_truth.json`` back."""
        data = json.loads(text)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def load(cls, path: Path) -> SampleTruth:
        """Read a ``_truth.json`` file."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))
