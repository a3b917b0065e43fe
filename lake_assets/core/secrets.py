"""The key of the keyed hash that pseudonymises personal data.

On AWS it comes from `LAKE_PII_HASH_KEY` (inject it from Secrets Manager). On the embedded
default a random key is created once under the lake root, readable only by its owner, so hashes
stay stable across runs without any secret living in code or config.

Why so strict: every hash in Silver and Gold is an HMAC under this key. An empty or short key makes
the pseudonyms guessable (an HMAC under b"" is as good as a plain hash: hash every known e-mail and
compare), and a key that silently changes (a half-written file replaced by a new key) changes every
hash, so joins across days break without an error. So the key is created atomically, exactly one
key wins when several processes start at once, and a bad key stops the run with a message saying
what to do; the key itself never appears in a message.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

KEY_FILE = Path("_secrets", "pii_hash_key")
# 32 bytes: HMAC-SHA256's own output size, the length RFC 2104 recommends as the minimum for a full-
# strength key. The generated key is 32 random bytes written as 64 hex characters; a configured key
# (a pass phrase in Secrets Manager) must have at least 32 characters of material.
MIN_KEY_BYTES = 32
GENERATED_KEY_BYTES = 32


class PiiKeyError(ValueError):
    """The PII hash key is unusable. The message says where it came from and how to fix it,
    never what it is."""


def checked_pii_key(key: bytes, source: str) -> bytes:
    """`key` unchanged if it is usable, else `PiiKeyError`. `source` names where it came from
    (`LAKE_PII_HASH_KEY`, a secret id, a file path) so the message points at what to fix.

    The key is returned as given (not stripped): changing how an existing key is read would change
    every hash already in the lake. Only the length check ignores surrounding whitespace."""
    material = len(key.strip())
    if material == 0:
        raise PiiKeyError(
            f"the PII hash key from {source} is empty: every hash would be an HMAC under an empty key. "
            f"Set it to the lake's key (at least {MIN_KEY_BYTES} bytes; a new lake can use "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    if material < MIN_KEY_BYTES:
        raise PiiKeyError(
            f"the PII hash key from {source} is too short ({material} bytes, at least {MIN_KEY_BYTES} "
            "needed): short keys make the pseudonyms guessable. Use the lake's full key (a new lake can use "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`; a new key changes every hash)"
        )
    return key


def _fsync_dir(directory: Path) -> None:
    """Make the new directory entry durable (a crash after `link` must not lose the key)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create_key_file(path: Path) -> None:
    """Publish a new random key at `path`, or leave another process's key in place.

    The key is written and fsynced in a private temporary file first, then hard-linked into place:
    a reader never sees a partial file, a crash leaves at most a stray temporary file (never an
    empty key), and `link` never replaces, so when several processes race exactly one key wins."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            data = secrets.token_hex(GENERATED_KEY_BYTES).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):  # another process won: its key is the key
            os.link(temporary, path)
        _fsync_dir(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _read_key_file(path: Path) -> bytes:
    """The key in `path`, refused if others may read it or if it is empty or short."""
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PiiKeyError(
            f"the PII hash key file {path} is accessible by group or others (mode "
            f"{stat.S_IMODE(info.st_mode):03o}): anyone who reads it can reverse the pseudonyms. "
            f"Run `chmod 600 {path}` (and check who could have read it)"
        )
    key = path.read_bytes().strip()
    try:
        return checked_pii_key(key, f"file {path}")
    except PiiKeyError as exc:
        # Never replaced automatically: a lost key changes every hash in the lake.
        raise PiiKeyError(
            f"{exc}. If this lake has no data yet, delete {path} and a new key is created; "
            "otherwise restore the original key into it (a new key changes every hash)"
        ) from None


def local_pii_key(lake_root: str) -> bytes:
    """Read, or create on first use, the local key file under `lake_root` (safe under concurrency)."""
    path = Path(lake_root, KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_key_file(path)
    return _read_key_file(path)
