"""A readable summary of the lake: rows per table and partition, quarantine reasons, and the checks
that did not pass, each WARN with whether the sample generator's deliberate dirt explains it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lake_assets.core.stores import lake_for
from lake_assets.steps import TABLES
from lake_sample.generator import TRUTH_FILE
from lake_sample.truth import SampleTruth


def table_rows(lake_root: str, days: list[str]) -> dict[str, dict[str, int | None]]:
    """Rows per table and day (None where the partition does not exist)."""
    lake = lake_for(lake_root)
    return {
        key: {
            d: (lake.describe(t.layer, t.name, d).rows if lake.has_partition(t.layer, t.name, d) else None)
            for d in days
        }
        for key, t in TABLES.items()
    }


def print_summary(lake_root: str, days: list[str]) -> None:
    from lake_assets.query import connect

    rows = table_rows(lake_root, days)
    width = max(len(k) for k in rows) + 2
    print("\nRows per table and partition")
    print("".ljust(width) + "".join(d.rjust(12) for d in days))
    for key, per_day in rows.items():
        cells = ["-" if n is None else f"{n:,}" for n in per_day.values()]
        print(key.ljust(width) + "".join(c.rjust(12) for c in cells))
    con = connect(lake_root, layers=("silver",))
    views = {name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    for view, label in (
        ("silver_api_requests_quarantine", "API records"),
        ("silver_tasks_quarantine", "snapshot items"),
    ):
        if view not in views:
            continue
        reasons = con.execute(
            f"SELECT dt, split_part(reason, ':', 1) AS reason, count(*) FROM {view} GROUP BY ALL ORDER BY dt, reason"
        ).fetchall()
        print(f"\nQuarantined {label} by reason")
        for dt, reason, count in reasons:
            print(f"  {dt}  {reason:<40} {count:>8,}")
        if not reasons:
            print("  none")


# Why a WARN of the demo is there. The sample generator adds dirt on purpose (users missing from
# the table, garbage times, undeclared attributes) and records how much in its truth file; a WARN
# is "expected" only when the check found exactly what was planted, so real drift still stands out.


def _counts(items: Mapping[str, int]) -> str:
    return ", ".join(f"{name} ×{count}" for name, count in sorted(items.items()))


def _unknown_users(day: str, found: Mapping[str, Any], truth: SampleTruth) -> tuple[bool, str]:
    planted = {u: truth.user_requests.get(day, {}).get(u, 0) for u in truth.unknown_user_ids}
    planted = {u: n for u, n in planted.items() if n}
    total = sum(planted.values())
    text = f"the sample data contains {total} request(s) from {len(planted)} unknown user(s) ({_counts(planted)})"
    reported = found.get("requests_from_unknown_users")
    matches = reported in (None, total)
    return bool(total) and matches, text if matches else f"{text}, the check found {reported}"


def _api_log_drift(day: str, found: Mapping[str, Any], truth: SampleTruth) -> tuple[bool, str]:
    planted = truth.untypable_values.get(day, {})
    # Only lines that leave the field out: a `"requestId": "-"` line is present to the drift check
    # (Silver quarantines both as missing_request_id).
    missing = {name: n for name, n in truth.absent_fields.get(day, {}).items() if n}
    text = (
        f"the sample data contains lines that leave out a field ({_counts(missing) or 'none'}) and lines with a "
        f"garbage value ({_counts(planted) or 'none'})"
    )
    matches = (
        not found.get("new_fields")
        and found.get("missing_fields", {}) == missing
        and found.get("fields_with_untypable_values", {}) == planted
    )
    return bool(planted or missing) and matches, text if matches else f"{text}, the check found {dict(found)}"


def _volume(day: str, found: Mapping[str, Any], truth: SampleTruth) -> tuple[bool, str]:
    """The demo also builds Bronze for the day after its last one: it holds only late arrivals."""
    late_only = day in truth.arrival_dates and day not in truth.event_dates
    rows = truth.lines_total.get(day, 0) + truth.control_messages.get(day, 0)
    text = f"{day} holds only the {rows} late-arriving line(s) of the day before (no sample events of its own)"
    matches = late_only and found.get("observed_rows") == rows
    return matches, text if matches else f"{day} is a regular sample day, the check found {dict(found)}"


def _export_drift(day: str, found: Mapping[str, Any], truth: SampleTruth) -> tuple[bool, str]:
    written = truth.attribute_types.get(day, {})
    per_attribute: dict[str, int] = {}
    for name, count in written.items():
        attribute = name.rsplit(":", 1)[0]
        per_attribute[attribute] = per_attribute.get(attribute, 0) + count
    new, retyped = found.get("new_attributes", {}), found.get("type_changes", {})
    matches = (
        bool(new or retyped)
        and not found.get("required_attributes_absent")
        and all(per_attribute.get(a) == n for a, n in new.items())
        and all(written.get(t) == n for t, n in retyped.items())
    )
    text = (
        f"the sample's export carries {len(new)} attribute(s) outside the table design ({_counts(new)}) and "
        f"{len(retyped)} unusual type(s) ({_counts(retyped)}), written by the generator"
    )
    return matches, text if matches else f"the check's findings differ from what the generator wrote: {dict(found)}"


EXPLAINERS = {
    "silver/api_requests:unknown_users": _unknown_users,
    "bronze/api_requests:schema_drift": _api_log_drift,
    "bronze/api_requests:volume_anomaly": _volume,
    "bronze/tasks_export:schema_drift": _export_drift,
}


def explain_warning(check: Mapping[str, Any], truth: SampleTruth | None) -> str:
    """One line on a WARN check that did not pass: "expected: …" with the generator's numbers when
    the sample's deliberate dirt accounts for exactly what the check found, else why it is not."""
    explainer = EXPLAINERS.get(check["check"])
    if truth is None or explainer is None:
        return "not explained by the sample data: look at it (`make dev` → the check's metadata)"
    explained, text = explainer(check["day"], check.get("metadata") or {}, truth)
    return f"expected: {text} on purpose" if explained else f"NOT explained by the sample data: {text}"


def load_truth(landing_root: str) -> SampleTruth | None:
    """The sample generator's truth file under a local landing root, None when there is none."""
    path = Path(landing_root) / TRUTH_FILE
    return SampleTruth.load(path) if path.is_file() else None


def print_checks(checks: list[dict[str, Any]], truth: SampleTruth | None) -> None:
    """Passed counts and every check that did not pass (WARN or ERROR); each WARN says whether the
    sample's deliberate dirt explains it. A check dict has day, check, passed, severity and
    (for the comparison with the truth) the evaluation's metadata values."""
    failed = [c for c in checks if not c["passed"]]
    warns = sum(c["severity"] == "WARN" for c in failed)
    print(f"\nChecks: {len(checks) - len(failed)} passed, {warns} WARN, {len(failed) - warns} ERROR")
    for c in failed:
        print(f"  {c['day']}  {c['severity']:<5} {c['check']}")
        if c["severity"] == "WARN":
            print(f"{'':19}{explain_warning(c, truth)}")
