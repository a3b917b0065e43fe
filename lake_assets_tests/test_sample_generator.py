"""Tests for the sample landing generator (no Spark).

The truth is checked against an independent, stdlib-only reading of the written files, so a
bug in the generator's bookkeeping (or in the files) shows up as a mismatch.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import re
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from lake_sample.cli import main
from lake_sample.generator import SampleTruth, generate_sample

START = dt.date(2026, 11, 20)
DAYS = 3
RPD = 600
SEED = 11
DIRT = ("truncated_json", "not_json", "not_object", "missing_request_id", "no_usable_time")
LOG_KEY = re.compile(
    r"api_logs/(\d{4})/(\d{2})/(\d{2})/(\d{2})/tasks-api-access-logs-1-"
    r"(\d{4})-(\d{2})-(\d{2})-(\d{2})-\d{2}-\d{2}-[0-9a-f]{8}\.gz"
)
DDB_KEY = re.compile(
    r"dynamodb/tasks/AWSDynamoDB/0\d{13}-[0-9a-f]{8}/"
    r"(_started|manifest-(summary|files)\.(json|md5)|data/[a-z2-7]{26}\.json\.gz)"
)
SUMMARY_FIELDS = [
    "version",
    "exportArn",
    "startTime",
    "endTime",
    "tableArn",
    "tableId",
    "exportTime",
    "s3Bucket",
    "s3Prefix",
    "s3SseAlgorithm",
    "s3SseKmsKeyId",
    "manifestFilesS3Key",
    "billedSizeBytes",
    "itemCount",
    "outputFormat",
    "exportType",
]
CONTROL = "CWL CONTROL MESSAGE: Checking health of destination Firehose."


# ---- independent readers ------------------------------------------------------------------
def gzip_members(data: bytes) -> list[bytes]:
    """Decompress each gzip member separately."""
    out = []
    while data:
        d = zlib.decompressobj(31)
        out.append(d.decompress(data) + d.flush())
        data = d.unused_data
    return out


def json_docs(text: str) -> list:
    """JSON documents back to back with no separator."""
    dec, i, docs = json.JSONDecoder(), 0, []
    while i < len(text):
        doc, i = dec.raw_decode(text, i)
        docs.append(doc)
    return docs


def event_ms(rec: dict) -> int | None:
    epoch = rec.get("requestTimeEpoch", "-")
    if epoch.isdigit():
        return int(epoch)
    try:
        return int(dt.datetime.strptime(rec.get("requestTime", "-"), "%d/%b/%Y:%H:%M:%S %z").timestamp() * 1000)
    except ValueError:
        return None


def classify(line: str) -> tuple[str, dict | None]:
    try:
        obj = json.loads(line)
    except ValueError:
        return ("truncated_json" if line.startswith("{") else "not_json"), None
    if not isinstance(obj, dict):
        return "not_object", None
    if obj.get("requestId", "-") in ("-", ""):
        return "missing_request_id", None
    if event_ms(obj) is None:
        return "no_usable_time", None
    return "valid", obj


def read_logs(root: Path) -> list[dict]:
    """Every api_logs object in key order: arrival date, variant, lines, controls, members."""
    objs = []
    for path in sorted((root / "api_logs").rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        y, m, d = rel.split("/")[1:4]
        data = path.read_bytes()
        obj = {
            "key": rel,
            "arrival": f"{y}-{m}-{d}",
            "lines": [],
            "controls": 0,
            "members": len(gzip_members(data)) if data else 0,
            "variant": "empty",
        }
        text = gzip.decompress(data).decode() if data else ""
        if text.startswith('{"messageType"'):
            obj["variant"] = "cwl"
            obj["text"] = text
            for doc in json_docs(text):
                if doc["messageType"] == "CONTROL_MESSAGE":
                    assert doc["logEvents"][0]["message"] == CONTROL
                    obj["controls"] += 1
                else:
                    obj["lines"] += [e["message"] for e in doc["logEvents"]]
        elif text:
            obj["variant"] = "ndjson"
            obj["trailing_newline"] = text.endswith("\n")
            obj["lines"] = text.removesuffix("\n").split("\n")
        objs.append(obj)
    return objs


def recount(objs: list[dict]) -> dict:
    """What the truth should say, recomputed from the files."""
    c = defaultdict(Counter)
    seen: set[str] = set()
    for obj in objs:
        a = obj["arrival"]
        c["objects"][a] += 1
        c["empty_objects"][a] += obj["variant"] == "empty"
        c["control_messages"][a] += obj["controls"]
        c["lines_total"][a] += len(obj["lines"])
        for line in obj["lines"]:
            kind, rec = classify(line)
            if kind != "valid":
                c["malformed"][a] += 1
                c[f"kind:{a}"][kind] += 1
                continue
            if rec["requestId"] in seen:
                c["duplicates_injected"][a] += 1
                continue
            seen.add(rec["requestId"])
            c["valid_lines"][a] += 1
            day = _utc_day(event_ms(rec))
            c["requests"][day] += 1
            c["late_arrivals"][day] += day != a
            c[f"route:{day}"][rec["routeKey"]] += 1
            if rec["status"][0] in "45":
                c[f"e{rec['status'][0]}:{day}"][rec["routeKey"]] += 1
            if rec["userId"] != "-":
                c[f"user:{day}"][rec["userId"]] += 1
    return c


def _utc_day(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).date().isoformat()


def export_dirs(root: Path) -> list[Path]:
    return sorted((root / "dynamodb/tasks/AWSDynamoDB").iterdir())


def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleTruth, list[dict]]:
    root = tmp_path_factory.mktemp("landing")
    truth = generate_sample(root, START, DAYS, RPD, SEED)
    return root, truth, read_logs(root)


# ---- tests --------------------------------------------------------------------------------
def test_deterministic_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_sample(a, START, 2, 300, 5)
    generate_sample(b, START, 2, 300, 5)
    generate_sample(c, START, 2, 300, 6)
    files_a = all_files(a)
    assert files_a == all_files(b)
    assert files_a != all_files(c)


def test_truth_file_roundtrip(sample) -> None:
    root, truth, _ = sample
    text = (root / "_truth.json").read_text()
    assert text == truth.to_json()
    assert SampleTruth.from_json(text) == truth
    assert truth.route_latency_samples  # small sample: latencies kept


def test_latency_samples_omitted_for_big_days(tmp_path: Path) -> None:
    truth = generate_sample(tmp_path, START, 1, 5001, 1, users=5, tasks_per_user=1)
    assert "route_latency_samples" not in json.loads(truth.to_json())


def test_layout_and_names(sample) -> None:
    root, _, _ = sample
    for rel in all_files(root):
        if rel.startswith("api_logs/"):
            m = LOG_KEY.fullmatch(rel)
            assert m, rel
            assert m.groups()[:4] == m.groups()[4:], rel  # folder hour = name timestamp hour
        elif rel.startswith("dynamodb/"):
            assert DDB_KEY.fullmatch(rel), rel
        else:
            assert rel == "_truth.json"


def test_both_variants_and_multi_member_gzip(sample) -> None:
    _, truth, objs = sample
    for day in truth.arrival_dates[:DAYS]:
        variants = {o["variant"] for o in objs if o["arrival"] == day}
        assert {"cwl", "ndjson", "empty"} <= variants, day
    cwl = [o for o in objs if o["variant"] == "cwl"]
    assert any(o["members"] > 1 for o in cwl)
    for o in cwl:
        assert "\n" not in o["text"] and o["text"].count("}{") >= o["members"] - 1
    ndjson = [o for o in objs if o["variant"] == "ndjson"]
    assert {o["trailing_newline"] for o in ndjson} == {True, False}


def test_cwl_events_look_like_cloudwatch(sample) -> None:
    _, _, objs = sample
    docs = [d for o in objs if o["variant"] == "cwl" for d in json_docs(o["text"])]
    data = [d for d in docs if d["messageType"] == "DATA_MESSAGE"]
    assert data and all(d["subscriptionFilters"] == ["to-firehose"] for d in data)
    ids = [e["id"] for d in data for e in d["logEvents"]]
    assert all(i.isdigit() and len(i) == 56 for i in ids) and len(set(ids)) == len(ids)
    for d in data:
        for e in d["logEvents"]:
            kind, rec = classify(e["message"])
            if kind == "valid" and rec["requestTimeEpoch"] != "-":
                assert 0 <= e["timestamp"] - int(rec["requestTimeEpoch"]) < 5000


def test_truth_matches_files(sample) -> None:
    _, truth, objs = sample
    c = recount(objs)
    for name in (
        "objects",
        "empty_objects",
        "control_messages",
        "lines_total",
        "malformed",
        "duplicates_injected",
        "valid_lines",
    ):
        assert {k: v for k, v in getattr(truth, name).items() if v} == {k: v for k, v in c[name].items() if v}, name
    assert truth.requests == dict(c["requests"])
    assert {k: v for k, v in truth.late_arrivals.items() if v} == {k: v for k, v in c["late_arrivals"].items() if v}
    for day in truth.arrival_dates:
        assert {k: v for k, v in truth.malformed_by_kind[day].items() if v} == dict(c[f"kind:{day}"])
    for day in truth.event_dates:
        assert truth.route_requests[day] == dict(c[f"route:{day}"])
        assert truth.route_errors_4xx[day] == dict(c[f"e4:{day}"])
        assert truth.route_errors_5xx[day] == dict(c[f"e5:{day}"])
        assert truth.user_requests[day] == dict(c[f"user:{day}"])


def test_every_dirt_kind_every_day(sample) -> None:
    _, truth, objs = sample
    days = [(START + dt.timedelta(days=i)).isoformat() for i in range(DAYS)]
    assert truth.arrival_dates == [*days, (START + dt.timedelta(days=DAYS)).isoformat()]
    for day in days:
        assert all(truth.malformed_by_kind[day][k] > 0 for k in DIRT), day
        for name in ("duplicates_injected", "control_messages", "empty_objects", "late_arrivals"):
            assert getattr(truth, name)[day] > 0, (name, day)
    recs = [classify(line)[1] for o in objs for line in o["lines"]]
    recs = [r for r in recs if r]
    dash_days = {_utc_day(event_ms(r)) for r in recs if r["requestTimeEpoch"] == "-"}
    assert set(days) <= dash_days  # valid lines whose time must come from requestTime
    assert any(r["requestTimeEpoch"] == "-" and not r["requestTime"].endswith("+0000") for r in recs)
    for field in ("userId", "integrationLatency", "responseLatency", "userAgent"):
        assert any(r[field] == "-" for r in recs), field
    assert all(isinstance(v, str) for r in recs for v in r.values())
    next_day_dups = [o for o in objs if o["arrival"] == truth.arrival_dates[-1] and o["lines"]]
    assert next_day_dups and truth.duplicates_injected[truth.arrival_dates[-1]] > 0


def test_truth_accounting(sample) -> None:
    _, truth, _ = sample
    for day in truth.arrival_dates:
        assert truth.lines_total[day] == (
            truth.valid_lines[day] + truth.duplicates_injected[day] + truth.malformed[day]
        )
        assert truth.malformed[day] == sum(truth.malformed_by_kind[day].values())
    assert sum(truth.valid_lines.values()) == sum(truth.requests.values())
    for day in truth.event_dates:
        assert sum(truth.route_requests[day].values()) == truth.requests[day]
        assert sum(truth.user_requests[day].values()) + truth.anonymous_requests[day] == truth.requests[day]


def test_log_users_exist_in_table(sample) -> None:
    root, truth, _ = sample
    profiles = set()
    for day in truth.event_dates:
        for line in _export_lines(root / "dynamodb/tasks/AWSDynamoDB" / truth.export_id[day]):
            item = json.loads(line)["Item"]
            if item["SK"]["S"] == "PROFILE":
                profiles.add(item["PK"]["S"][5:])
    users = Counter()
    for per_day in truth.user_requests.values():
        users.update(per_day)
    unknown = sum(n for u, n in users.items() if u not in profiles)
    assert 0 < unknown < 0.05 * sum(users.values())
    assert set(truth.unknown_user_ids).isdisjoint(profiles)


def _export_lines(folder: Path) -> list[str]:
    out = []
    for f in sorted((folder / "data").iterdir()):
        out += gzip.decompress(f.read_bytes()).decode().splitlines()
    return out


def test_export_manifests_consistent(sample) -> None:
    root, truth, _ = sample
    complete = [d for d in export_dirs(root) if (d / "manifest-summary.json").exists()]
    assert len(complete) == DAYS + 1  # daily + one ad-hoc
    for folder in complete:
        assert (folder / "_started").read_bytes() == b""
        raw = (folder / "manifest-summary.json").read_bytes()
        assert (folder / "manifest-summary.md5").read_text() == hashlib.md5(raw).hexdigest()
        summary = json.loads(raw)
        assert list(summary) == SUMMARY_FIELDS
        assert summary["exportArn"].endswith("/export/" + folder.name)
        assert summary["s3SseKmsKeyId"] is None and summary["s3Bucket"] == "landing"
        assert summary["exportType"] == "FULL_EXPORT" and summary["outputFormat"] == "DYNAMODB_JSON"
        files_raw = (folder / "manifest-files.json").read_bytes()
        assert (folder / "manifest-files.md5").read_text() == hashlib.md5(files_raw).hexdigest()
        entries = [json.loads(x) for x in files_raw.decode().splitlines()]
        assert summary["manifestFilesS3Key"] == f"dynamodb/tasks/AWSDynamoDB/{folder.name}/manifest-files.json"
        assert sum(e["itemCount"] for e in entries) == summary["itemCount"]
        assert any(e["itemCount"] == 0 for e in entries)
        assert len(entries) == len(list((folder / "data").iterdir()))
        for e in entries:
            data = (root / e["dataFileS3Key"]).read_bytes()
            assert e["etag"] == hashlib.md5(data).hexdigest()
            assert e["md5Checksum"] == base64.b64encode(hashlib.md5(data).digest()).decode()
            assert len(gzip.decompress(data).decode().splitlines()) == e["itemCount"]
        for t in ("startTime", "endTime", "exportTime"):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", summary[t])
    for day, export_id in truth.export_id.items():
        summary = json.loads((root / "dynamodb/tasks/AWSDynamoDB" / export_id / "manifest-summary.json").read_text())
        next_day = dt.date.fromisoformat(day) + dt.timedelta(days=1)
        assert summary["exportTime"] == f"{next_day}T00:00:00.000Z"
        assert summary["itemCount"] == truth.export_items[day]
    adhoc = [e for e in truth.exports if e["kind"] == "adhoc"]
    assert [e["export_time"] for e in adhoc] == [f"{START}T14:30:00.000Z"]


def test_in_progress_export_has_no_summary(sample) -> None:
    root, truth, _ = sample
    unfinished = [d for d in export_dirs(root) if not (d / "manifest-summary.json").exists()]
    assert len(unfinished) == 1
    folder = unfinished[0]
    assert (folder / "_started").exists() and not (folder / "manifest-files.json").exists()
    info = next(e for e in truth.exports if e["export_id"] == folder.name)
    last = (START + dt.timedelta(days=DAYS - 1)).isoformat()
    assert info["kind"] == "in_progress" and not info["complete"] and info["export_time"].startswith(last)


def test_table_truth_matches_exports(sample) -> None:
    root, truth, _ = sample
    for day, export_id in truth.export_id.items():
        items = [json.loads(x)["Item"] for x in _export_lines(root / "dynamodb/tasks/AWSDynamoDB" / export_id)]
        tasks = [i for i in items if i["SK"]["S"].startswith("TASK#")]
        assert truth.users[day] == sum(i["SK"]["S"] == "PROFILE" for i in items)
        assert truth.tasks[day] == len(tasks)
        assert truth.tasks_by_status[day] == dict(Counter(i["status"]["S"] for i in tasks))
        created = Counter(i["PK"]["S"][5:] for i in tasks if i["created_at"]["S"][:10] == day)
        done = Counter(i["PK"]["S"][5:] for i in tasks if i.get("completed_at", {}).get("S", "")[:10] == day)
        opened = Counter(i["PK"]["S"][5:] for i in tasks if i["status"]["S"] in ("OPEN", "IN_PROGRESS"))
        assert (truth.tasks_created[day], truth.tasks_completed[day], truth.open_tasks[day]) == (
            dict(created),
            dict(done),
            dict(opened),
        )
        assert created and done
    days = sorted(truth.export_id)
    first = {json.dumps(i["SK"]) for i in _items(root, truth, days[0])}
    last = {json.dumps(i["SK"]) for i in _items(root, truth, days[-1])}
    assert first - last, "some tasks are deleted over the range"


def _items(root: Path, truth: SampleTruth, day: str) -> list[dict]:
    return [json.loads(x)["Item"] for x in _export_lines(root / "dynamodb/tasks/AWSDynamoDB" / truth.export_id[day])]


def _collect_types(value: dict, types: set[str]) -> None:
    """Every DynamoDB type tag used in a typed value, nested ones included."""
    ((tag, inner),) = value.items()
    types.add(tag)
    children = inner if tag == "L" else inner.values() if tag == "M" else []
    for child in children:
        _collect_types(child, types)


def test_dynamodb_types_and_oddities(sample) -> None:
    root, truth, _ = sample
    for day in truth.export_id:
        items = _items(root, truth, day)
        types: set[str] = set()
        for item in items:
            for value in item.values():
                _collect_types(value, types)
        assert types == {"S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"}, day
        tasks = [i for i in items if i["SK"]["S"].startswith("TASK#")]
        assert any("S" in i["priority"] for i in tasks)
        assert any("L" in i.get("tags", {}) for i in tasks)
        assert any(i.get("estimate_hours") == {"N": "12.3456789012345678901"} for i in tasks)
        usual = {
            "PK",
            "SK",
            "title",
            "status",
            "priority",
            "created_at",
            "updated_at",
            "due_date",
            "completed_at",
            "tags",
            "estimate_hours",
            "checklist",
            "reminder_offsets",
            "is_pinned",
            "attachments_hash",
        }
        assert any(set(i) - usual for i in tasks)


def test_cli_writes_sample(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "landing"
    argv = [
        "--out",
        str(out),
        "--start",
        "2026-11-20",
        "--days",
        "1",
        "--requests-per-day",
        "200",
        "--seed",
        "3",
        "--users",
        "10",
        "--tasks-per-user",
        "2",
    ]
    assert main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    truth = SampleTruth.load(out / "_truth.json")
    assert truth.params["users"] == 10 and truth.requests
    assert main(argv) == 1  # refuses to mix two samples
    assert "already exists" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0


@pytest.mark.parametrize(
    "bad",
    [
        ["--start", "2026-13-01"],
        ["--start", "yesterday"],
        ["--start", "2026-11-20", "--days", "0"],
        ["--start", "2026-11-20", "--requests-per-day", "lots"],
    ],
)
def test_cli_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path), *bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Traceback" not in err


def test_generate_rejects_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_sample(tmp_path, START, 0, 10, 1)
    with pytest.raises(ValueError):
        generate_sample(tmp_path, "2026-11-20", 1, 10, 1)  # type: ignore[arg-type]
