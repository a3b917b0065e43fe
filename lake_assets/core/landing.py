"""Read-only access to the landing zone (the Firehose and DynamoDB export drop points).

Listing is always bounded by a prefix (a day folder, an export folder), never the whole zone.
`LocalLanding` is picklable so Spark tasks can read objects themselves. Consumers are written
against the `Landing` protocol, which `LocalLanding` and `S3Landing` both satisfy.
"""

from __future__ import annotations

import builtins
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class LandingObject:
    """One landing object: key relative to the landing root, size, last-modified time and an
    entity tag that changes whenever the content is replaced (S3's ETag; size+mtime locally)."""

    key: str
    size: int
    last_modified: datetime
    etag: str = ""


class Landing(Protocol):
    """What the jobs and sensors read from a landing zone, wherever it is (a folder, a bucket).

    Implementations must be picklable: Spark tasks receive the landing and call `read_bytes`.
    (`builtins.list` because the method `list` shadows the builtin inside the class body.)
    """

    def list(self, prefix: str, *, start_after: str | None = None) -> builtins.list[LandingObject]:
        """Objects under the folder `prefix` (recursively), sorted by key; hidden files skipped."""
        ...

    def list_dirs(self, prefix: str, *, start_after: str | None = None) -> builtins.list[str]:
        """Immediate sub-folder names under `prefix`, sorted."""
        ...

    def exists(self, key: str) -> bool: ...

    def read_bytes(self, key: str) -> bytes: ...


@dataclass(frozen=True)
class LocalLanding:
    """A landing zone on the local filesystem; keys are '/'-separated paths below `root`."""

    root: str

    def list(self, prefix: str, *, start_after: str | None = None) -> builtins.list[LandingObject]:
        """Objects under `prefix` (recursively), sorted by key; hidden/temporary files skipped.
        With `start_after`, only keys greater than it."""
        base = Path(self.root, prefix)
        if not base.exists():
            return []
        found: builtins.list[LandingObject] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if name.startswith("."):
                    continue
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if start_after is not None and key <= start_after:
                    continue
                stat = path.stat()
                found.append(
                    LandingObject(
                        key=key,
                        size=stat.st_size,
                        last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
                        etag=f"{stat.st_size:x}-{stat.st_mtime_ns:x}",
                    )
                )
        return sorted(found, key=lambda o: o.key)

    def list_dirs(self, prefix: str, *, start_after: str | None = None) -> builtins.list[str]:
        """Immediate sub-folder names under `prefix` (like an S3 delimiter listing).
        With `start_after`, only names greater than it."""
        base = Path(self.root, prefix)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir() and (start_after is None or p.name > start_after))

    def exists(self, key: str) -> bool:
        return Path(self.root, key).is_file()

    def read_bytes(self, key: str) -> bytes:
        return Path(self.root, key).read_bytes()
