"""`silver/tasks_quarantine` never carries a clear e-mail, wherever an item holds one: an unparseable
profile (plain, JSON-escaped, non-ASCII), a wrong-type attribute, a not-representable number or a
broken row rule next to an e-mail, and CDC changes whose old image holds the previous address.

Bronze keeps raw lines by design (access-controlled raw landing); Silver and quarantine must not."""

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime

from lake_assets.parsing.dynamodb_json import parse_full_export_line, parse_incremental_line
from lake_assets.steps import TABLES
from lake_assets.transforms.cdc import Changes, item_rows
from lake_assets.transforms.silver_entities import type_entities

KEY = b"0123456789abcdef0123456789abcdef"
SNAP = datetime(2026, 11, 21, tzinfo=UTC)
UNTIL = datetime(2026, 11, 22, tzinfo=UTC)
ADA = "ada.lovelace@example.com"
OLD = "Old.Address+tag@Mail.Example.org"
JURGEN = "jürgen.müller@bücher.example"
EMAILS = (ADA, OLD, JURGEN, "grace@navy.example")
# Besides whole addresses and local parts: fragments a half-done redaction of a non-ASCII address leaves.
FRAGMENTS = ("jürgen", "müller", "bücher")


def S(value):
    return {"S": value}


def N(value):
    return {"N": value}


def item(pk, sk, **attrs):
    return {"PK": S(pk), "SK": S(sk), **attrs}


def task(name, **attrs):
    return item("USER#u1", f"TASK#{name}", status=S("OPEN"), created_at=S("2026-11-20T10:00:00Z"), **attrs)


SNAPSHOT_LINES = [
    json.dumps({"Item": item("USER#u1", "PROFILE", email=S(ADA))}),  # clean, but a change below replaces it
    json.dumps({"Item": item("USER#u12", "PROFILE", email=S(f" {ADA.upper()} "))}),  # clean: silver/users
    # unparseable profiles: the line is cut, so only text matching can find the address
    '{"Item": {"PK": {"S": "USER#u2"}, "SK": {"S": "PROFILE"}, "email": {"S": "' + ADA + '"}',
    '{"Item": {"PK": {"S": "USER#u3"}, "SK": {"S": "PROFILE"}, "email": {"S": "ada.lovelace\\u0040example.com"',
    '{"Item": {"PK": {"S": "USER#u4"}, "SK": {"S": "PROFILE"}, "email": {"S": "' + JURGEN + '"',
    json.dumps({"Item": item("USER#u5", "PROFILE", email=S(JURGEN), created_at=S("soon"))}),  # \u-escaped
    json.dumps({"Item": item("USER#u6", "PROFILE", email=S(JURGEN), created_at=S("soon"))}, ensure_ascii=False),
    json.dumps({"Item": item("USER#u7", "PROFILE", email={"S": ADA, "N": "1"})}),  # invalid DynamoDB JSON
    json.dumps({"Item": item("USER#u8", "PROFILE", email=N(ADA))}),  # a "number" that is an address
    json.dumps({"Item": item("USER#u9", "PROFILE", email={"L": [S(ADA)]}, created_at={"BOOL": True})}),
    json.dumps({"Item": task("tiny", estimate_hours=N("1E-36"), owner_email=S(ADA))}),  # not representable
    json.dumps({"Item": task("seven", priority=N("7"), notes=S(f"ask {ADA}"))}),  # row rule
    json.dumps({"Item": task("high", priority=S("high"), contact={"M": {"email": S(ADA)}})}),  # wrong type
    json.dumps({"Item": item(f"USER#{ADA}", "PROFILE", email=S(ADA), created_at=S("x"))}),  # address as id
]


def change(pk, stamp, new=None, old=None):
    line = {"Metadata": {"WriteTimestampMicros": {"N": str(stamp)}}, "Keys": {"PK": S(pk), "SK": S("PROFILE")}}
    if new is not None:
        line["NewImage"] = new
    if old is not None:
        line["OldImage"] = old
    return json.dumps(line)


STAMP = int(SNAP.timestamp() * 1_000_000) + 60_000_000
CHANGE_LINES = [
    # an update that breaks a rule: its raw line holds the new and the old address
    change(
        "USER#u1",
        STAMP,
        new=item("USER#u1", "PROFILE", email=S(ADA), created_at=S("x")),
        old=item("USER#u1", "PROFILE", email=S(OLD)),
    ),
    # an old image that is not valid DynamoDB JSON: the whole change is unusable
    change(
        "USER#u10", STAMP, new=item("USER#u10", "PROFILE"), old=item("USER#u10", "PROFILE", email={"S": OLD, "N": "1"})
    ),
    # a removal whose old image holds the address, in a line cut short
    change("USER#u11", STAMP, old=item("USER#u11", "PROFILE", email=S("grace@navy.example")))[:-3],
]


def bronze(spark):
    snap_rows = []
    for number, line in enumerate(SNAPSHOT_LINES, start=1):
        row = parse_full_export_line(line, number)
        row.update(export_id="full", export_time=SNAP, source_key="full/a.json.gz")
        snap_rows.append(row)
    change_rows = []
    for number, line in enumerate(CHANGE_LINES, start=1):
        row = parse_incremental_line(line, number)
        row.update(export_id="inc", export_to_time=UNTIL, source_key="inc/b.json.gz")
        change_rows.append(row)
    return (
        spark.createDataFrame(snap_rows, TABLES["bronze/tasks_export"].schema),
        spark.createDataFrame(change_rows, TABLES["bronze/tasks_changes"].schema),
    )


def readable_forms(text: str) -> list[str]:
    """`text`, and `text` with JSON escapes decoded (`\\u0040` is an `@` to anyone reading it), lowercased."""
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return [text.lower(), decoded.lower()]


def leaks(rows, columns) -> list[tuple[str, str, str]]:
    """(column, e-mail or local part, value) for every string value that shows an address or its local part."""
    found = []
    for row in rows:
        for column in columns:
            value = row[column]
            if not isinstance(value, str):
                continue
            for form in readable_forms(value):
                parts = [p for email in EMAILS for p in (email.lower(), email.split("@")[0].lower())]
                found.extend((column, part, value) for part in (*parts, *FRAGMENTS) if part in form)
    return found


def test_no_quarantine_column_carries_a_clear_email(spark):
    snapshot, changes = bronze(spark)
    entities = type_entities(item_rows(snapshot, Changes(changes, SNAP, UNTIL)), KEY)
    quarantine = entities.quarantine().collect()
    string_columns = [f.name for f in entities.quarantine().schema.fields if f.dataType.simpleString() == "string"]
    assert set(string_columns) == {"reason", "entity", "pk", "sk", "source_key", "raw_item", "export_id"}
    # every line above but the two clean profiles ends in quarantine (u1's update breaks a rule)
    assert len(quarantine) == len(SNAPSHOT_LINES) - 2 + len(CHANGE_LINES), [r["raw_item"] for r in quarantine]
    assert leaks(quarantine, string_columns) == []
    # the redaction keeps what an operator needs: the key, the reason, the rest of the raw item
    by_key = {(r["pk"], r["sk"]): r for r in quarantine}
    assert by_key[("USER#u5", "PROFILE")]["reason"] == "created_at_wrong_type"
    assert by_key[("USER#u1", "TASK#seven")]["reason"] == "rule:priority_in[1,5]"
    assert '"created_at": {"S": "soon"}' in by_key[("USER#u5", "PROFILE")]["raw_item"]


def test_silver_outputs_carry_no_clear_email(spark):
    snapshot, changes = bronze(spark)
    entities = type_entities(item_rows(snapshot, Changes(changes, SNAP, UNTIL)), KEY)
    for frame in (entities.tasks, entities.users):
        columns = [f.name for f in frame.schema.fields if f.dataType.simpleString() == "string"]
        assert leaks(frame.collect(), columns) == []
    (user,) = entities.users.collect()  # Silver holds the keyed hash of the trimmed, lowercased address
    assert user["user_id"] == "u12"
    assert user["email_hash"] == hmac.new(KEY, ADA.encode(), hashlib.sha256).hexdigest()
