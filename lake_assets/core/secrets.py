"""The key of the keyed hash that pseudonymises personal data.

On AWS it comes from `LAKE_PII_HASH_KEY` (inject it from Secrets Manager). On the embedded
default a random key is created once under the lake root, readable only by its owner, so hashes
stay stable across runs without any secret living in code or config.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE = Path("_secrets", "pii_hash_key")


def local_pii_key(lake_root: str) -> bytes:
    """Read, or create on first use, the local key file under `lake_root`."""
    path = Path(lake_root, KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
