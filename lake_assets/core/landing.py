"""Read-only access to the landing zone (the Firehose and DynamoDB export drop points).

Listing is always bounded by a prefix (a day folder, an export folder), never the whole zone.
`LocalLanding` is picklable so Spark tasks can read objects themselves. Consumers are written
against the `Landing` protocol, which `LocalLanding` and `S3Landing` both satisfy.

Local file names that are not valid UTF-8 (S3 keys always are) cannot cross into Spark or Arrow
as Python's surrogate-escaped strings. `LocalLanding` lists them under a reversible key instead:
each undecodable byte as `%XX` (upper-case hex) and, in such keys only, `%` itself as `%25`;
`read_bytes`/`exists` map that key back to the file. Every other key is the path as it is.

Listings return every object. Which ones a job does not read is decided in one place,
`skip_reason`, and every skipped object is reported with its reason (never dropped unseen):
hidden names (a leading `.`, in the file name or a folder) — Firehose never writes them (its object
names start with the delivery stream name, and its prefixes are ours), while uploaders and editors
use them for temporary files (`.name.tmp`, `.~lock`) that are not data yet — and S3 console folder
markers (zero-byte keys ending in `/`).
"""

from __future__ import annotations

import builtins
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol


def skip_reason(key: str) -> str | None:
    """Why a listed object is not read as data, or None when it is read (see module docstring)."""
    if key.endswith("/"):
        return "folder marker: a zero-byte object the S3 console creates for a folder, not data"
    hidden = next((part for part in key.split("/") if part.startswith(".")), None)
    if hidden is not None:
        return (
            f"hidden name {hidden[:80]!r}: copy tools and editors write temporary files so, not data yet; "
            "rename the object without the leading dot to have it read"
        )
    return None


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
        """Every object under the folder `prefix` (recursively), sorted by key (see `skip_reason`)."""
        ...

    def list_dirs(self, prefix: str, *, start_after: str | None = None) -> builtins.list[str]:
        """Immediate sub-folder names under `prefix`, sorted."""
        ...

    def exists(self, key: str) -> bool: ...

    def read_bytes(self, key: str) -> bytes: ...


_UNDECODABLE = re.compile("[\udc80-\udcff%]")
_ESCAPED = re.compile("%([0-9A-F]{2})")


def escape_key(name: str) -> str:
    """A listed path (surrogate-escaped by `os`) as a key that is valid UTF-8 (see module docstring)."""
    if not re.search("[\udc80-\udcff]", name):
        return name
    return _UNDECODABLE.sub(lambda m: "%25" if m.group() == "%" else f"%{ord(m.group()) - 0xDC00:02X}", name)


def unescape_key(key: str) -> str:
    """The file-system name of an escaped key (bytes ≥ 0x80 back to surrogate escapes)."""
    return _ESCAPED.sub(lambda m: chr(0xDC00 + int(m[1], 16)) if int(m[1], 16) >= 0x80 else chr(int(m[1], 16)), key)


@dataclass(frozen=True)
class LocalLanding:
    """A landing zone on the local filesystem; keys are '/'-separated paths below `root`."""

    root: str

    def list(self, prefix: str, *, start_after: str | None = None) -> builtins.list[LandingObject]:
        """Every object under `prefix` (recursively), sorted by key, hidden names included (see
        `skip_reason`). With `start_after`, only keys greater than it."""
        base = self._path(prefix)
        if not base.exists():
            return []
        found: builtins.list[LandingObject] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in filenames:
                path = Path(dirpath, name)
                key = escape_key(path.relative_to(self.root).as_posix())
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
        base = self._path(prefix)
        if not base.is_dir():
            return []
        names = (escape_key(p.name) for p in base.iterdir() if p.is_dir())
        return sorted(n for n in names if start_after is None or n > start_after)

    def _path(self, key: str) -> Path:
        """The file of `key`: the path itself, else (for an escaped key) its unescaped name."""
        path = Path(self.root, key)
        if "%" in key and not path.exists():
            return Path(self.root, unescape_key(key))
        return path

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()
