"""A genuine AWS export (scylladb/scylla-migrator's test fixture, Apache-2.0; see the NOTICE.md next to
it) materialized through `bronze/tasks_export`: exact rows, every DynamoDB type kept."""

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from lake_assets.builds.bronze import bronze_tasks_export
from lake_assets.core.settings import LakeSettings
from lake_assets.execute import build_context

EXPORT_ID = "01715685260608-c488b4e1"
FIXTURE = Path(__file__).parent / "fixtures/real_samples/scylla-migrator-dynamodb-export/AWSDynamoDB" / EXPORT_ID
DATA_KEY = f"dynamodb/tasks/AWSDynamoDB/{EXPORT_ID}/data/uimbi7eofu2b5kzkxe63gsvb6i.json.gz"
RAW = [
    '{"Item":{"id":{"S":"bar"},"baz":{"N":"0"}}}',
    '{"Item":{"id":{"S":"K3TXQk84Si"},"a":{"BOOL":false},"b":{"NULL":true},"c":{"SS":["8gfX8dh0xa","fRjHZJ2Ce9"]},'
    '"d":{"NS":["3","2"]},"e":{"L":[{"N":"1"},{"S":"Dsb87qc6Es"}]},"f":{"M":{"h":{"NULL":true},"i":{"BOOL":true},'
    '"g":{"N":"9"}}},"j":{"B":"aGVsbG8="},"k":{"BS":["aXMgZmFzdA==","c2N5bGxhZGI="]}}}',
    '{"Item":{"id":{"S":"foo"},"bar":{"N":"42"}}}',
]
TYPED = [
    '{"baz":{"N":"0"},"id":{"S":"bar"}}',
    '{"a":{"BOOL":false},"b":{"NULL":true},"c":{"SS":["8gfX8dh0xa","fRjHZJ2Ce9"]},"d":{"NS":["3","2"]},'
    '"e":{"L":[{"N":"1"},{"S":"Dsb87qc6Es"}]},"f":{"M":{"g":{"N":"9"},"h":{"NULL":true},"i":{"BOOL":true}}},'
    '"id":{"S":"K3TXQk84Si"},"j":{"B":"aGVsbG8="},"k":{"BS":["aXMgZmFzdA==","c2N5bGxhZGI="]}}',
    '{"bar":{"N":"42"},"id":{"S":"foo"}}',
]
PLAIN = [
    '{"id":"bar","baz":0}',
    '{"id":"K3TXQk84Si","a":false,"b":null,"c":["8gfX8dh0xa","fRjHZJ2Ce9"],"d":[3,2],"e":[1,"Dsb87qc6Es"],'
    '"f":{"h":null,"i":true,"g":9},"j":"aGVsbG8=","k":["aXMgZmFzdA==","c2N5bGxhZGI="]}',
    '{"id":"foo","bar":42}',
]
TYPES = [
    [("baz", "N"), ("id", "S")],
    [
        ("a", "BOOL"),
        ("b", "NULL"),
        ("c", "SS"),
        ("d", "NS"),
        ("e", "L"),
        ("f", "M"),
        ("id", "S"),
        ("j", "B"),
        ("k", "BS"),
    ],
    [("bar", "N"), ("id", "S")],
]


def test_the_genuine_export_materializes_exactly(tmp_path, spark):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURE, landing / "dynamodb/tasks/AWSDynamoDB" / EXPORT_ID)
    settings = LakeSettings(lake_root_uri=str(tmp_path / "lake"), landing_uri=str(landing), pii_hash_key="k" * 32)
    result = bronze_tasks_export(build_context(settings, date(2024, 5, 14)))  # exportTime 2024-05-14T11:14:20Z
    assert not result.blocking_failures and [o.published for o in result.outputs] == [True]
    (reconciled,) = [c for c in result.checks if c.name == "manifest_reconciliation"]
    assert reconciled.passed and reconciled.metadata["rows_read"] == reconciled.metadata["summary_item_count"] == 3
    table = pq.read_table(tmp_path / "lake/bronze/tasks_export/dt=2024-05-14")
    rows = sorted(table.to_pylist(), key=lambda r: r["line_number"])
    assert [r["export_time"].replace(tzinfo=None) for r in rows] == [datetime(2024, 5, 14, 11, 14, 20, 608000)] * 3
    expected = [
        {
            "export_id": EXPORT_ID,
            "source_key": DATA_KEY,
            "line_number": n + 1,
            "pk": None,  # the sample table's key is `id`, not the single-table PK/SK
            "sk": None,
            "item_json": PLAIN[n],
            "item_dynamodb_json": TYPED[n],
            "attribute_types": TYPES[n],
            "raw_item": RAW[n],
            "parse_error": None,
        }
        for n in range(3)
    ]
    assert [{k: v for k, v in r.items() if k != "export_time"} for r in rows] == expected
    for row in rows:  # the typed form is the exported item, exactly (B vs S, sets vs lists, nesting)
        assert json.loads(row["item_dynamodb_json"]) == json.loads(row["raw_item"])["Item"]
