"""What a person reads: column descriptions in the UI, WARNs that say whether the sample planted
them, percentiles without float noise, and `make dev` not warning about its own dagster.yaml."""

import random
import re
from pathlib import Path

import dagster as dg

from lake_assets.cli.summary import explain_warning, print_checks
from lake_assets.core.settings import REPO_ROOT, LakeSettings
from lake_assets.definitions import build_definitions
from lake_assets.steps import TABLES
from lake_assets.transforms.gold import exact_percentiles
from lake_sample.truth import SampleTruth

DAY = "2026-11-21"


def test_every_column_of_every_table_has_a_description_in_the_ui():
    graph = build_definitions(LakeSettings()).resolve_asset_graph()
    described: dict[str, int] = {}
    for key, table in TABLES.items():
        columns = graph.get(dg.AssetKey(key.split("/"))).metadata["dagster/column_schema"].columns
        assert [c.name for c in columns] == table.schema.fieldNames(), key
        assert all(c.description and c.description.strip() for c in columns), (key, columns)
        described[key] = len(columns)
    assert described == {
        "bronze/api_requests": 37,
        "bronze/tasks_export": 11,
        "bronze/tasks_changes": 15,
        "silver/api_requests": 18,
        "silver/api_requests_quarantine": 9,
        "silver/tasks": 13,
        "silver/users": 6,
        "silver/tasks_quarantine": 8,
        "gold/tasks_per_user_daily": 4,
        "gold/route_latency_daily": 7,
        "gold/user_activity_daily": 4,
    }
    latency = graph.get(dg.AssetKey(["gold", "route_latency_daily"])).metadata["dagster/column_schema"]
    assert latency.columns[4].description.startswith("Median response latency (ms)")


def _truth() -> SampleTruth:
    truth = SampleTruth(unknown_user_ids=["u-9001", "u-9008", "u-9015"])
    truth.user_requests = {DAY: {"u-1": 40, "u-9001": 3, "u-9015": 2}}
    truth.untypable_values = {DAY: {"requestTime": 1}}
    truth.attribute_types = {DAY: {"task.PK:S": 300, "task.is_pinned:BOOL": 29, "task.priority:S": 1}}
    return truth


def warn(check: str, metadata: dict) -> dict:
    return {"day": DAY, "check": check, "passed": False, "severity": "WARN", "metadata": metadata}


def test_warns_planted_by_the_generator_say_so_with_its_numbers():
    truth = _truth()
    unknown = warn("silver/api_requests:unknown_users", {"requests_from_unknown_users": 5})
    assert explain_warning(unknown, truth) == (
        "expected: the sample data contains 5 request(s) from 2 unknown user(s) (u-9001 ×3, u-9015 ×2) on purpose"
    )
    drift = {"fields_with_untypable_values": {"requestTime": 1}, "missing_fields": {}, "new_fields": {}}
    assert explain_warning(warn("bronze/api_requests:schema_drift", drift), truth) == (
        "expected: the sample data contains lines that leave out a field (none) and lines with a garbage value "
        "(requestTime ×1) on purpose"
    )
    # Two lines have no request id, one of them as a `"requestId": "-"` placeholder: the drift check
    # finds only the one that leaves the field out.
    truth.malformed_by_kind = {DAY: {"missing_request_id": 2}}
    truth.absent_fields = {DAY: {"requestId": 1}}
    drift = {**drift, "missing_fields": {"requestId": 1}}
    assert explain_warning(warn("bronze/api_requests:schema_drift", drift), truth) == (
        "expected: the sample data contains lines that leave out a field (requestId ×1) and lines with a garbage "
        "value (requestTime ×1) on purpose"
    )
    drift = {**drift, "missing_fields": {"requestId": 2}}
    assert explain_warning(warn("bronze/api_requests:schema_drift", drift), truth).startswith("NOT explained")
    # The demo's extra day (after the last sample day) holds only late arrivals: a volume far below.
    truth.arrival_dates, truth.event_dates = [DAY, "2026-12-02"], [DAY]
    truth.lines_total, truth.control_messages = {"2026-12-02": 2}, {"2026-12-02": 1}
    low = {"day": "2026-12-02", "check": "bronze/api_requests:volume_anomaly", "passed": False, "severity": "WARN"}
    assert explain_warning({**low, "metadata": {"observed_rows": 3}}, truth) == (
        "expected: 2026-12-02 holds only the 3 late-arriving line(s) of the day before (no sample events of its "
        "own) on purpose"
    )
    assert explain_warning({**low, "metadata": {"observed_rows": 9}}, truth).startswith("NOT explained")
    export = {"new_attributes": {"task.is_pinned": 29}, "type_changes": {"task.priority:S": 1}}
    assert explain_warning(warn("bronze/tasks_export:schema_drift", export), truth) == (
        "expected: the sample's export carries 1 attribute(s) outside the table design (task.is_pinned ×29) and "
        "1 unusual type(s) (task.priority:S ×1), written by the generator on purpose"
    )


def test_warns_the_generator_did_not_plant_are_not_explained_away():
    truth = _truth()
    more = warn("silver/api_requests:unknown_users", {"requests_from_unknown_users": 6})
    assert explain_warning(more, truth).startswith("NOT explained by the sample data: ")
    assert explain_warning(more, truth).endswith("the check found 6")
    new_field = {"fields_with_untypable_values": {"requestTime": 1}, "missing_fields": {}, "new_fields": {"x": 1}}
    assert explain_warning(warn("bronze/api_requests:schema_drift", new_field), truth).startswith("NOT explained")
    export = {"new_attributes": {"task.is_pinned": 30}, "type_changes": {}}
    assert explain_warning(warn("bronze/tasks_export:schema_drift", export), truth).startswith("NOT explained")
    volume = warn("gold/route_latency_daily:volume_anomaly", {})
    assert explain_warning(volume, truth).startswith("not explained by the sample data")
    assert explain_warning(warn("silver/api_requests:unknown_users", {}), None).startswith("not explained")


def test_summary_prints_the_explanation_under_each_warn(capsys):
    checks = [
        {"day": DAY, "check": "gold/x:schema", "passed": True, "severity": "ERROR"},
        warn("silver/api_requests:unknown_users", {"requests_from_unknown_users": 5}),
    ]
    print_checks(checks, _truth())
    assert capsys.readouterr().out.splitlines() == [
        "",
        "Checks: 1 passed, 1 WARN, 0 ERROR",
        f"  {DAY}  WARN  silver/api_requests:unknown_users",
        " " * 19 + "expected: the sample data contains 5 request(s) from 2 unknown user(s) (u-9001 ×3, u-9015 ×2)"
        " on purpose",
    ]


def test_generated_truth_counts_the_dirt_it_plants(tmp_path):
    from datetime import date

    from lake_assets.parsing.api_logs import parse_api_log_object
    from lake_sample.generator import generate_sample

    truth = generate_sample(tmp_path, date(2026, 11, 21), 2, 3000, seed=7)
    for day in ("2026-11-21", "2026-11-22"):
        attributes = truth.attribute_types[day]
        assert attributes["task.priority:S"] == 1 and attributes["task.tags:L"] == 1
        assert attributes["user.PK:S"] == truth.users[day] and attributes["task.PK:S"] == truth.tasks[day]
        # only non-dash garbage times are untypable; never more than the no_usable_time lines
        assert set(truth.untypable_values[day]) <= {"requestTime"}
        assert truth.untypable_values[day].get("requestTime", 0) <= truth.malformed_by_kind[day]["no_usable_time"]
        # lines that leave requestId out, counted from what was written (a "-" placeholder is present)
        written = [
            row["raw"]
            for path in sorted((tmp_path / "api_logs").rglob(f"*-{day}-*"))
            for row in parse_api_log_object(path.read_bytes(), path.name)
            if row["record_type"] == "access_log"
        ]
        absent = sum('"requestId"' not in raw for raw in written)
        assert truth.absent_fields[day].get("requestId", 0) == absent
        assert absent <= truth.malformed_by_kind[day]["missing_request_id"]
    assert SampleTruth.load(tmp_path / "_truth.json").attribute_types == truth.attribute_types


def test_latency_percentiles_print_with_at_most_two_decimals(spark):
    rng = random.Random(11)
    rows = [(g, rng.randint(0, 3000)) for g in range(40) for _ in range(rng.randint(1, 60))]
    got = exact_percentiles(spark.createDataFrame(rows, "g int, v long"), "g", "v", {"p95": 95, "p99": 99}).collect()
    printed = [str(r[c]) for r in got for c in ("p95", "p99")]
    assert len(printed) == 80
    assert all(re.fullmatch(r"\d+\.\d{1,2}", text) for text in printed), printed


def test_make_dev_runs_in_the_instance_folder_so_dagster_sees_its_own_dagster_yaml():
    # Dagster warns "dagster.yaml … will not be used" when the working directory holds a
    # dagster.yaml and is not $DAGSTER_HOME (dagster/_cli/dev.py); `dg dev` without -w changes
    # into the project root, which holds the repo's dagster.yaml.
    recipe = Path(REPO_ROOT / "Makefile").read_text().split("\ndev:", 1)[1].split("\n\n", 1)[0]
    assert "cd $(DAGSTER_HOME) && $(DG) dev -w $(CURDIR)/workspace.yaml" in recipe
