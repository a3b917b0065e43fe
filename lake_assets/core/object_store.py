"""The few object operations the versioned lake needs, on S3 or on a local folder.

S3 has no rename and no directories: only whole-object PUT (atomic, strongly consistent since
2020), GET, LIST and DELETE. The versioned lake is written against exactly those, so the same
publication logic runs on S3 and — for tests and a no-cloud trial — on a local folder.
Spark reads and writes the data files itself through `uri(key)`; these classes only touch the
small control objects (pointers, markers), listings and Parquet footers.
"""

from __future__ import annotations

import builtins
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from lake_assets.core.aws_errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef


class ObjectStore(Protocol):
    """The object operations `VersionedLake` is written against (`builtins.list` because the method
    `list` shadows the builtin inside the class body)."""

    def uri(self, key: str) -> str: ...
    def key_of(self, uri: str) -> str: ...
    def get(self, key: str) -> bytes | None: ...
    def put(self, key: str, data: bytes) -> None: ...
    def list(self, prefix: str) -> builtins.list[tuple[str, int]]: ...
    def delete(self, keys: builtins.list[str]) -> None: ...
    def parquet_rows(self, key: str) -> int: ...


@dataclass(frozen=True)
class LocalObjectStore:
    """A local folder behaving like a bucket: keys are relative paths, PUT is write-then-rename."""

    root: str

    def uri(self, key: str) -> str:
        return str(Path(self.root, key))

    def key_of(self, uri: str) -> str:
        return Path(uri).relative_to(self.root).as_posix()

    def get(self, key: str) -> bytes | None:
        path = Path(self.root, key)
        return path.read_bytes() if path.is_file() else None

    def put(self, key: str, data: bytes) -> None:
        path = Path(self.root, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)

    def list(self, prefix: str) -> builtins.list[tuple[str, int]]:
        base = Path(self.root, prefix)
        folder = base if base.is_dir() else base.parent
        if not folder.is_dir():
            return []
        found = []
        for path in folder.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix):
                found.append((key, path.stat().st_size))
        return sorted(found)

    def delete(self, keys: builtins.list[str]) -> None:
        root = Path(self.root)
        for key in keys:
            path = root / key
            path.unlink(missing_ok=True)
            for parent in path.parents:  # a bucket has no empty folders: neither do we
                if parent == root or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()

    def parquet_rows(self, key: str) -> int:
        import pyarrow.parquet as pq

        return pq.read_metadata(Path(self.root, key)).num_rows


@dataclass(frozen=True)
class S3ObjectStore:
    """A bucket and key prefix. `endpoint_url` points at an S3-compatible endpoint (tests: moto)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region_name: str | None = None

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _client(self) -> S3Client:
        from lake_assets.core.s3_landing import s3_client

        return s3_client(self.endpoint_url, self.region_name)  # one pooled client per process

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def key_of(self, uri: str) -> str:
        head = f"s3://{self.bucket}/{self.prefix + '/' if self.prefix else ''}"
        if not uri.startswith(head):
            raise ValueError(f"{uri} is not under {head}")
        return uri[len(head) :]

    def get(self, key: str) -> bytes | None:
        try:
            return self._client().get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise

    def put(self, key: str, data: bytes) -> None:
        self._client().put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def list(self, prefix: str) -> builtins.list[tuple[str, int]]:
        found = []
        strip = len(self._key(""))
        for page in (
            self._client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._key(prefix))
        ):
            found += [(obj["Key"][strip:], obj["Size"]) for obj in page.get("Contents", [])]
        return sorted(found)

    def delete(self, keys: builtins.list[str]) -> None:
        client = self._client()
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1,000 keys
            batch: builtins.list[ObjectIdentifierTypeDef] = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def parquet_rows(self, key: str) -> int:
        import pyarrow.parquet as pq
        from pyarrow import fs

        scheme: Literal["http", "https"] = "http" if (self.endpoint_url or "").startswith("http://") else "https"
        endpoint = (self.endpoint_url or "").split("://", 1)[-1] or None
        s3fs = fs.S3FileSystem(
            endpoint_override=endpoint,
            scheme=scheme,
            region=self.region_name or os.environ.get("AWS_REGION") or "us-east-1",
        )
        return pq.read_metadata(f"{self.bucket}/{self._key(key)}", filesystem=s3fs).num_rows
