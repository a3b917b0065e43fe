"""Read-only access to a landing zone in S3, with the same interface as `LocalLanding`.

The landing root is `s3://bucket/prefix`; every key passed in or returned is relative to it, so the
jobs run unchanged against a local folder or a bucket. `S3Landing` holds only strings and is
picklable: Spark tasks call `read_bytes` in executors, and each process creates its own boto3 client
lazily on first use (never at import time), cached per (endpoint_url, region_name).

Mistakes a user can make (missing bucket, denied access, unreachable endpoint, rejected credentials)
raise `LandingError` with a message that names the bucket/key and what to check. Messages never
contain credentials.
"""

from __future__ import annotations

import builtins
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from lake_assets.core.aws_errors import error_code
from lake_assets.core.landing import LandingObject

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ListObjectsV2OutputTypeDef


class LandingError(RuntimeError):
    """The landing zone could not be read because of its configuration or permissions."""


# botocore client options; retries cover throttling and transient network errors.
_CLIENT_OPTIONS: dict[str, Any] = {
    "retries": {"mode": "standard", "max_attempts": 5},
    "connect_timeout": 10,
    "read_timeout": 60,
}

_clients: dict[tuple[str | None, str | None], S3Client] = {}
_clients_lock = threading.Lock()


def _reset_clients() -> None:
    """Forget the cached clients (a forked child must not share its parent's connections)."""
    global _clients_lock
    _clients.clear()
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_reset_clients)


def _safe_endpoint(endpoint_url: str | None) -> str:
    """The endpoint for messages, without any user:password part."""
    if not endpoint_url:
        return "the default AWS S3 endpoint"
    try:
        parts = urlsplit(endpoint_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        return "<unparseable endpoint_url>"


def s3_client(endpoint_url: str | None, region_name: str | None) -> S3Client:
    """The process-wide S3 client for this endpoint and region, created on first use."""
    key = (endpoint_url, region_name)
    client = _clients.get(key)
    if client is not None:
        return client
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            try:
                # A fresh session per client: boto3's default session is not thread-safe.
                client = boto3.session.Session().client(
                    "s3", endpoint_url=endpoint_url, region_name=region_name, config=Config(**_CLIENT_OPTIONS)
                )
            except ValueError as exc:  # e.g. "Invalid endpoint"
                raise LandingError(
                    f"cannot create an S3 client for endpoint {_safe_endpoint(endpoint_url)!r} "
                    f"(region {region_name or 'from the environment'}): {exc}; check the endpoint URL "
                    "(scheme://host[:port]) and the region name"
                ) from None
            _clients[key] = client
    return client


# S3 error codes grouped by what the user should check.
_DENIED = {"AccessDenied", "AllAccessDisabled", "403", "Forbidden"}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "TokenRefreshRequired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
}
_WRONG_REGION = {
    "PermanentRedirect",
    "AuthorizationHeaderMalformed",
    "IllegalLocationConstraintException",
    "301",
    "Redirect",
}
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True)
class S3Landing:
    """A landing zone under `s3://bucket/prefix`; keys are '/'-separated and relative to the prefix."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region_name: str | None = None

    def __post_init__(self) -> None:
        if not self.bucket or "/" in self.bucket:
            raise LandingError(f"invalid S3 bucket name {self.bucket!r}: expected s3://bucket[/prefix]")
        object.__setattr__(self, "prefix", self.prefix.strip("/"))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    # -- the Landing protocol -------------------------------------------------------------

    def list(self, prefix: str, *, start_after: str | None = None) -> builtins.list[LandingObject]:
        """Every object under `prefix` (recursively), sorted by key; hidden names and folder markers
        included, for the caller to skip with a reason (`landing.skip_reason`).

        `prefix` is a folder: `api_logs/2026/11/2` never matches `api_logs/2026/11/21/...`. With
        `start_after`, only keys greater than it are returned (S3 does the bounding, so earlier
        keys are not even listed).
        """
        folder = self._folder(prefix)
        params: dict[str, Any] = {"Prefix": folder}
        if start_after:
            params["StartAfter"] = self._full_key(start_after)
        found = []
        for page in self._list_pages(params, prefix):
            for item in page.get("Contents", ()):
                key = self._relative(item["Key"])
                if start_after is not None and key <= start_after:
                    continue
                found.append(
                    LandingObject(
                        key=key,
                        size=int(item["Size"]),
                        last_modified=item["LastModified"].astimezone(UTC),
                        etag=str(item.get("ETag", "")).strip('"'),
                    )
                )
        return sorted(found, key=lambda o: o.key)

    def list_dirs(self, prefix: str, *, start_after: str | None = None) -> builtins.list[str]:
        """Immediate sub-folder names under `prefix`, sorted; with `start_after`, only names greater than it."""
        folder = self._folder(prefix)
        params: dict[str, Any] = {"Prefix": folder, "Delimiter": "/"}
        if start_after:
            # Keys inside the `start_after` folder itself sort after this, so S3 still returns it: filtered below.
            params["StartAfter"] = folder + start_after
        names = set()
        for page in self._list_pages(params, prefix):
            for common in page.get("CommonPrefixes", ()):
                name = common["Prefix"][len(folder) :].rstrip("/")
                if name and "/" not in name and (start_after is None or name > start_after):
                    names.add(name)
        return sorted(names)

    def exists(self, key: str) -> bool:
        """Whether the object exists. A missing bucket also answers False (S3 gives a bare 404 either way)."""
        from botocore.exceptions import ClientError

        client = self._client()
        with self._errors("check", key):
            try:
                client.head_object(Bucket=self.bucket, Key=self._full_key(key))
            except ClientError as exc:
                if _status(exc) == 404 or _code(exc) in _NOT_FOUND:
                    return False
                raise
        return True

    def read_bytes(self, key: str) -> bytes:
        client = self._client()
        with self._errors("read", key):
            body = client.get_object(Bucket=self.bucket, Key=self._full_key(key))["Body"]
            try:
                return body.read()
            finally:
                body.close()

    # -- helpers --------------------------------------------------------------------------------

    def _client(self) -> S3Client:
        return s3_client(self.endpoint_url, self.region_name)

    def _full_key(self, key: str) -> str:
        key = key.lstrip("/")
        return f"{self.prefix}/{key}" if self.prefix else key

    def _folder(self, prefix: str) -> str:
        """The S3 key prefix of a folder, with a trailing '/' ('' for the bucket root)."""
        full = self._full_key(prefix.strip("/"))
        return f"{full.rstrip('/')}/" if full.strip("/") else ""

    def _relative(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    def _s3_url(self, key: str | None) -> str:
        return f"s3://{self.bucket}/{self._full_key(key)}" if key else self.uri

    def _list_pages(self, params: dict[str, Any], prefix: str) -> builtins.list[ListObjectsV2OutputTypeDef]:
        """Every `list_objects_v2` page (fetched here, so errors surface inside the error translation)."""
        client = self._client()
        with self._errors("list", prefix, is_folder=True):
            return list(client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, **params))

    @contextmanager
    def _errors(self, action: str, key: str | None, *, is_folder: bool = False) -> Iterator[None]:
        """Turn botocore errors into a `LandingError` that says what to check."""
        from botocore.exceptions import BotoCoreError, ClientError

        where = self._s3_url(key) + ("/" if is_folder and key else "")
        try:
            yield
        except ClientError as exc:
            raise LandingError(self._explain_client_error(exc, action, where, is_folder)) from None
        except BotoCoreError as exc:
            raise LandingError(self._explain_botocore_error(exc, action, where)) from None

    def _explain_client_error(self, exc: ClientError, action: str, where: str, is_folder: bool) -> str:
        code, status = _code(exc), _status(exc)
        endpoint = _safe_endpoint(self.endpoint_url)
        if code == "NoSuchBucket":
            return (
                f"cannot {action} {where}: bucket {self.bucket!r} does not exist at {endpoint}; "
                "check the bucket name in LAKE_LANDING_URI and the endpoint/region"
            )
        if code in _NOT_FOUND or status == 404:
            return f"cannot {action} {where}: no such object in bucket {self.bucket!r}"
        if code in _BAD_CREDENTIALS:
            return (
                f"cannot {action} {where}: the AWS credentials were rejected ({code}); check that the "
                "configured profile/role/access key is valid for this account and not expired"
            )
        if code in _DENIED or status == 403:
            needed = "s3:ListBucket on the bucket" if is_folder else "s3:GetObject on the key (and s3:ListBucket)"
            return (
                f"cannot {action} {where}: access denied ({code}); check that the IAM policy grants "
                f"{needed}, the bucket policy, and any KMS key policy. Without s3:ListBucket S3 answers "
                "403 instead of 404 for missing keys"
            )
        if code in _WRONG_REGION or status == 301:
            return (
                f"cannot {action} {where}: bucket {self.bucket!r} is in another region than "
                f"{self.region_name or 'the configured one'} ({code}); set the bucket's region "
                "(AWS_REGION / region_name)"
            )
        message = str(exc.response.get("Error", {}).get("Message", ""))[:300]
        return f"cannot {action} {where}: S3 error {code} (HTTP {status}) at {endpoint}: {message}"

    def _explain_botocore_error(self, exc: Exception, action: str, where: str) -> str:
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import (
            CredentialRetrievalError,
            HTTPClientError,
            NoCredentialsError,
            NoRegionError,
            ParamValidationError,
            PartialCredentialsError,
        )

        endpoint = _safe_endpoint(self.endpoint_url)
        if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
            return (
                f"cannot {action} {where}: no usable AWS credentials ({type(exc).__name__}); configure "
                "an instance/task role, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
            )
        if isinstance(exc, BotoConnectionError | HTTPClientError):
            return (
                f"cannot {action} {where}: cannot reach {endpoint} ({type(exc).__name__}); check the "
                "endpoint URL, network/proxy settings and that the service is running"
            )
        if isinstance(exc, NoRegionError):
            return f"cannot {action} {where}: no AWS region configured; set AWS_REGION or region_name"
        if isinstance(exc, ParamValidationError):
            return f"cannot {action} {where}: invalid request ({exc}); check the bucket name and key"
        return f"cannot {action} {where} at {endpoint}: {type(exc).__name__}: {exc}"


def _code(exc: ClientError) -> str:
    return error_code(exc) or ""


def _status(exc: ClientError) -> int | None:
    return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
