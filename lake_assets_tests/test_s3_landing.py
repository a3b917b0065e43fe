"""S3Landing against a moto S3 server over real HTTP, and its parity with LocalLanding."""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import socket
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC
from pathlib import Path

import pytest

from lake_assets.core import s3_landing
from lake_assets.core.landing import LocalLanding
from lake_assets.core.s3_landing import LandingError, S3Landing
from lake_assets.core.stores import landing_for
from lake_assets_tests.aws_env import SECRET

DAY_TREE = {
    "api_logs/2026/11/2/a.json": b"a" * 3,
    "api_logs/2026/11/2/sub/c.json": b"c" * 5,
    "api_logs/2026/11/2/.tmp-upload": b"partial",
    "api_logs/2026/11/2/.hidden/x.json": b"x",
    "api_logs/2026/11/21/b.json": b"b",
    "api_logs/2026/11/20/d.json": b"d",
    "api_logs/2026/12/1/e.json": b"e",
    "exports/tasks/AWSDynamoDB/01-aaa/manifest-summary.json": b"{}",
    "exports/tasks/AWSDynamoDB/02-bbb/_started": b"",
    "exports/tasks/AWSDynamoDB/03-ccc/data/part.json.gz": b"gz",
    "exports/tasks/AWSDynamoDB/.staging/tmp": b"",
    "top.json": b"top",
}


def test_list_respects_folder_boundaries(make_bucket, endpoint):
    landing = S3Landing(make_bucket(DAY_TREE), endpoint_url=endpoint)

    objects = landing.list("api_logs/2026/11/2")

    # Hidden names are listed: the job skips them, naming each with its reason (`skip_reason`).
    assert [o.key for o in objects] == [
        "api_logs/2026/11/2/.hidden/x.json",
        "api_logs/2026/11/2/.tmp-upload",
        "api_logs/2026/11/2/a.json",
        "api_logs/2026/11/2/sub/c.json",
    ]
    assert landing.list("api_logs/2026/11/2/") == objects  # a trailing slash changes nothing
    first = objects[2]
    assert first.size == 3
    assert first.etag == hashlib.md5(b"aaa").hexdigest()  # quotes stripped
    assert first.last_modified.tzinfo is UTC
    assert [o.key for o in landing.list("api_logs/2026/11/21")] == ["api_logs/2026/11/21/b.json"]
    assert landing.list("api_logs/2026/11/3") == []
    assert landing.list("api_logs/2026/11/2/a.json") == []  # a key is not a folder


def test_list_dirs_and_start_after(make_bucket, endpoint):
    landing = S3Landing(make_bucket(DAY_TREE), endpoint_url=endpoint)

    assert landing.list_dirs("api_logs/2026/11") == ["2", "20", "21"]
    assert landing.list_dirs("api_logs/2026/11/") == ["2", "20", "21"]
    assert landing.list_dirs("api_logs/2026/11", start_after="2") == ["20", "21"]
    assert landing.list_dirs("api_logs/2026/11", start_after="20") == ["21"]
    assert landing.list_dirs("api_logs/2026/11", start_after="21") == []
    assert landing.list_dirs("api_logs/2026/11", start_after="1") == ["2", "20", "21"]
    assert landing.list_dirs("exports/tasks/AWSDynamoDB") == [".staging", "01-aaa", "02-bbb", "03-ccc"]
    assert landing.list_dirs("exports/tasks/AWSDynamoDB", start_after="01-aaa") == ["02-bbb", "03-ccc"]
    assert landing.list_dirs("") == ["api_logs", "exports"]
    assert landing.list_dirs("nothing/here") == []

    keys = [o.key for o in landing.list("api_logs", start_after="api_logs/2026/11/20/d.json")]
    assert keys == ["api_logs/2026/11/21/b.json", "api_logs/2026/12/1/e.json"]
    keys = [o.key for o in landing.list("api_logs/2026/11", start_after="api_logs/2026/11/20")]
    assert keys == ["api_logs/2026/11/20/d.json", "api_logs/2026/11/21/b.json"]
    assert [o.key for o in landing.list("api_logs/2026/11", start_after="a")] == [
        o.key for o in landing.list("api_logs/2026/11")
    ]
    assert landing.list("api_logs/2026/11", start_after="z") == []


def test_pagination_beyond_1000_objects_and_prefixes(s3, make_bucket, endpoint):
    count = 1003
    bucket = make_bucket({"other/zz.json": b"", "big.json": b""})
    for i in range(count):  # one object per folder: two pages of keys and two pages of common prefixes
        s3.put_object(Bucket=bucket, Key=f"big/{i:04d}/x.json", Body=b"")
    landing = S3Landing(bucket, endpoint_url=endpoint)

    keys = [o.key for o in landing.list("big")]
    assert keys == [f"big/{i:04d}/x.json" for i in range(count)]
    names = landing.list_dirs("big")
    assert names == [f"{i:04d}" for i in range(count)]
    assert [o.key for o in landing.list("big", start_after="big/0999/x.json")] == [
        "big/1000/x.json",
        "big/1001/x.json",
        "big/1002/x.json",
    ]
    assert landing.list_dirs("big", start_after="0999") == ["1000", "1001", "1002"]
    assert landing.list_dirs("big", start_after="0001") == names[2:]


def test_exists_and_read_bytes(make_bucket, endpoint):
    landing = S3Landing(make_bucket(DAY_TREE), endpoint_url=endpoint)

    assert landing.exists("api_logs/2026/11/2/a.json")
    assert landing.exists("exports/tasks/AWSDynamoDB/02-bbb/_started")  # empty object
    assert not landing.exists("api_logs/2026/11/2/missing.json")
    assert not landing.exists("api_logs/2026/11/2")  # a folder is not an object
    assert landing.read_bytes("api_logs/2026/11/2/sub/c.json") == b"ccccc"
    assert landing.read_bytes("exports/tasks/AWSDynamoDB/02-bbb/_started") == b""


def test_etag_changes_when_content_is_replaced(s3, make_bucket, endpoint):
    bucket = make_bucket({"f/k.json": b"one"})
    landing = S3Landing(bucket, endpoint_url=endpoint)
    (before,) = landing.list("f")

    s3.put_object(Bucket=bucket, Key="f/k.json", Body=b"two")
    (after,) = landing.list("f")
    s3.put_object(Bucket=bucket, Key="f/k.json", Body=b"two")
    (again,) = landing.list("f")

    assert before.etag != after.etag
    assert after.etag == again.etag == hashlib.md5(b"two").hexdigest()
    assert landing.read_bytes("f/k.json") == b"two"


def test_root_prefix_handling(make_bucket, endpoint):
    bucket = make_bucket(
        {
            "landing/a/1.json": b"1",
            "landing/a/2.json": b"22",
            "landing/b/3.json": b"",
            "landing2/a/9.json": b"",
            "other.json": b"",
        },
    )

    rooted = landing_for(f"s3://{bucket}/landing", endpoint_url=endpoint)
    assert rooted == S3Landing(bucket, "landing", endpoint)
    assert [o.key for o in rooted.list("a")] == ["a/1.json", "a/2.json"]
    assert [o.key for o in rooted.list("")] == ["a/1.json", "a/2.json", "b/3.json"]  # not landing2/
    assert rooted.list_dirs("") == ["a", "b"]
    assert rooted.list_dirs("", start_after="a") == ["b"]
    assert [o.key for o in rooted.list("", start_after="a/1.json")] == ["a/2.json", "b/3.json"]
    assert rooted.exists("a/1.json") and not rooted.exists("landing/a/1.json")
    assert rooted.read_bytes("a/2.json") == b"22"

    whole = landing_for(f"s3://{bucket}", endpoint_url=endpoint)
    assert whole == landing_for(f"s3://{bucket}/", endpoint_url=endpoint) == S3Landing(bucket, "", endpoint)
    assert whole.list_dirs("") == ["landing", "landing2"]
    assert [o.key for o in whole.list("landing/a")] == ["landing/a/1.json", "landing/a/2.json"]
    assert whole.read_bytes("landing/a/2.json") == b"22"

    assert landing_for(f"s3://{bucket}//landing/", endpoint_url=endpoint) == rooted
    assert S3Landing(bucket, "/landing/", endpoint) == rooted
    assert rooted.uri == f"s3://{bucket}/landing" and whole.uri == f"s3://{bucket}"


def _read_in_fresh_process(payload: bytes, key: str) -> bytes:
    landing = pickle.loads(payload)
    return landing.read_bytes(key)


def test_pickled_landing_works_in_another_process(make_bucket, endpoint):
    bucket = make_bucket({"landing/k.json": b"payload"})
    landing = S3Landing(bucket, "landing", endpoint)
    assert landing.read_bytes("k.json") == b"payload"  # the client now exists in this process...

    payload = pickle.dumps(landing)  # ...but is not part of the pickled state
    copy = pickle.loads(payload)
    assert copy == landing
    assert copy.read_bytes("k.json") == b"payload"
    assert [o.key for o in copy.list("")] == ["k.json"]

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(_read_in_fresh_process, payload, "k.json").result(timeout=60) == b"payload"


def test_import_creates_no_client():
    code = (
        "import sys, lake_assets.core.s3_landing as m; "
        "print(len(m._clients), 'boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]
    )
    assert out.stdout.split() == ["0", "False", "False"]


def test_missing_bucket_raises_landing_error(endpoint):
    landing = S3Landing("no-such-landing-bucket", "landing", endpoint)

    with pytest.raises(LandingError) as listing:
        landing.list("api_logs/2026/11/2")
    message = str(listing.value)
    assert "s3://no-such-landing-bucket/landing/api_logs/2026/11/2/" in message
    assert "bucket 'no-such-landing-bucket' does not exist" in message
    assert endpoint in message and "LAKE_LANDING_URI" in message
    assert listing.value.__suppress_context__ and listing.value.__cause__ is None  # no botocore traceback

    with pytest.raises(LandingError, match="bucket 'no-such-landing-bucket' does not exist"):
        landing.list_dirs("exports")
    with pytest.raises(LandingError, match=r"cannot read s3://no-such-landing-bucket/landing/k\.json: bucket"):
        landing.read_bytes("k.json")
    assert not landing.exists("k.json")  # HEAD gives a bare 404 for a missing bucket too
    assert SECRET not in message


def test_missing_key_raises_landing_error(make_bucket, endpoint):
    bucket = make_bucket({"landing/a.json": b"a"})
    landing = S3Landing(bucket, "landing", endpoint)

    with pytest.raises(LandingError) as missing:
        landing.read_bytes("api_logs/2026/11/2/nope.json")

    assert str(missing.value) == (
        f"cannot read s3://{bucket}/landing/api_logs/2026/11/2/nope.json: no such object in bucket '{bucket}'"
    )
    assert missing.value.__cause__ is None and missing.value.__suppress_context__


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_or_invalid_endpoint_raises_landing_error(endpoint, monkeypatch):
    monkeypatch.setattr(
        s3_landing,
        "_CLIENT_OPTIONS",
        {**s3_landing._CLIENT_OPTIONS, "retries": {"mode": "standard", "max_attempts": 1}},
    )
    dead = f"http://user:{SECRET}@127.0.0.1:{_free_port()}"
    landing = S3Landing("some-bucket", "landing", dead)

    with pytest.raises(LandingError) as unreachable:
        landing.list("api_logs")
    message = str(unreachable.value)
    assert message.startswith("cannot list s3://some-bucket/landing/api_logs/: cannot reach http://127.0.0.1:")
    assert "check the endpoint URL" in message and SECRET not in message and "user" not in message

    with pytest.raises(LandingError, match="cannot create an S3 client for endpoint") as invalid:
        S3Landing("some-bucket", endpoint_url="not a url").exists("k")
    assert SECRET not in str(invalid.value)


def test_invalid_bucket_in_uri():
    with pytest.raises(LandingError, match="invalid S3 bucket name"):
        landing_for("s3:///landing")


def test_local_and_s3_landing_agree(make_bucket, endpoint, tmp_path):
    tree = {**DAY_TREE, "api_logs/2026/11/2/.hidden/deeper/y.json": b"y", "a-b/1.json": b"1", "a/1.json": b"1"}
    for key, body in tree.items():
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    local = LocalLanding(str(tmp_path))
    remote = S3Landing(make_bucket({f"root/{key}": body for key, body in tree.items()}), "root", endpoint)

    prefixes = [
        "",
        "api_logs",
        "api_logs/2026/11",
        "api_logs/2026/11/2",
        "api_logs/2026/11/2/",
        "api_logs/2026/11/3",
        "exports/tasks/AWSDynamoDB",
        "exports/tasks/AWSDynamoDB/03-ccc",
        "top.json",
        "a",
        "a-b",
    ]
    for prefix in prefixes:
        expected = [(o.key, o.size) for o in local.list(prefix)]
        assert [(o.key, o.size) for o in remote.list(prefix)] == expected, prefix
        assert remote.list_dirs(prefix) == local.list_dirs(prefix), prefix
        for after in ("", "2", "20", "api_logs/2026/11/2/a.json", "exports/tasks/AWSDynamoDB/02-bbb", "01-aaa"):
            assert [o.key for o in remote.list(prefix, start_after=after)] == [
                o.key for o in local.list(prefix, start_after=after)
            ], (prefix, after)
            assert remote.list_dirs(prefix, start_after=after) == local.list_dirs(prefix, start_after=after), (
                prefix,
                after,
            )
    for key in [*tree, "api_logs/2026/11/2", "missing.json"]:
        assert remote.exists(key) == local.exists(key), key
        if local.exists(key):
            assert remote.read_bytes(key) == local.read_bytes(key), key
