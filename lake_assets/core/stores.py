"""The lake and landing implementations for a URI: a local folder or `s3://bucket/prefix`.

Kept apart from the implementations so that `lake.py`/`versioned_lake.py` and
`landing.py`/`s3_landing.py` import one way only (the S3 variants build on the local ones'
types), and boto3/pyarrow's S3 support load only when an `s3://` URI is used.
"""

from __future__ import annotations

from lake_assets.core.lake import LakeStorage, LocalLake
from lake_assets.core.landing import Landing, LocalLanding
from lake_assets.core.s3_landing import S3Landing
from lake_assets.core.versioned_lake import PublishHook, VersionedLake


def lake_for(uri: str, endpoint_url: str | None = None, on_publish: PublishHook | None = None) -> LakeStorage:
    """The storage for a lake root: `s3://bucket/prefix` (versioned objects) or a local folder.

    `on_publish` is told about every published S3 partition (e.g. to re-point the Glue Data
    Catalog); a local lake is queried with DuckDB straight from its folders and needs no hook.
    """
    if uri.startswith("s3://"):
        from lake_assets.core.object_store import S3ObjectStore

        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return VersionedLake(S3ObjectStore(bucket, prefix.strip("/"), endpoint_url), on_publish)
    return LocalLake(uri.removeprefix("file://"))


def landing_for(uri: str, endpoint_url: str | None = None) -> Landing:
    """The landing implementation for a URI: `s3://bucket/prefix` (optionally at `endpoint_url`,
    e.g. an S3-compatible store) or a local path / `file://` URI."""
    if uri.startswith("s3://"):
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return S3Landing(bucket, prefix.strip("/"), endpoint_url)
    return LocalLanding(uri.removeprefix("file://"))
