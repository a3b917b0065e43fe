"""Small deterministic helpers shared by the sample writers.

Everything here avoids locale, wall clock and hash randomisation so the same seed always
produces byte-identical files.
"""

from __future__ import annotations

import calendar
import datetime as dt
import gzip
import hashlib
import random
import time
from pathlib import Path

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

# strftime("%b") depends on the locale: CLF needs the English abbreviations.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_B32 = "abcdefghijklmnopqrstuvwxyz234567"


def date_to_ms(day: dt.date) -> int:
    """Epoch milliseconds of midnight UTC starting ``day``."""
    return calendar.timegm(day.timetuple()) * 1000


def ms_to_date(ms: int) -> str:
    """ISO date (``YYYY-MM-DD``) of an epoch-ms instant in UTC."""
    return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000))


def iso_ms(ms: int) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, the format AWS uses in export manifests."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def iso_s(ms: int) -> str:
    """ISO-8601 UTC to the second: the format the tasks service writes into items."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def clf(ms: int, offset_minutes: int = 0) -> str:
    """Common Log Format time (``dd/Mon/yyyy:HH:mm:ss +hhmm``) shown in the given UTC offset.

    The local wall time is shifted by the offset so the instant stays the same; parsers must
    apply the offset to get back to UTC.
    """
    t = time.gmtime(ms // 1000 + offset_minutes * 60)
    sign = "-" if offset_minutes < 0 else "+"
    off = abs(offset_minutes)
    return (
        f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year:04d}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {sign}{off // 60:02d}{off % 60:02d}"
    )


def gzip_bytes(data: bytes, level: int = 6) -> bytes:
    """Gzip with mtime=0 so the header carries no wall-clock time (determinism)."""
    return gzip.compress(data, compresslevel=level, mtime=0)


def rand_hex(rng: random.Random, n: int) -> str:
    """``n`` lowercase hex digits drawn from the seeded RNG (never from ``os.urandom``)."""
    return f"{rng.getrandbits(4 * n):0{n}x}"


def rand_b32(rng: random.Random, n: int) -> str:
    """Lowercase base32-alphabet name, like DynamoDB export data file names."""
    return "".join(_B32[rng.getrandbits(5)] for _ in range(n))


def seeded_uuid(rng: random.Random) -> str:
    """A UUID4-shaped string from the seeded RNG (uuid4() would break determinism)."""
    h = rand_hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def md5_hex(data: bytes) -> str:
    """Hex MD5, the form of S3 ETags and the export ``.md5`` sidecar files."""
    return hashlib.md5(data).hexdigest()


def write_file(root: Path, rel: str, data: bytes) -> Path:
    """Write ``data`` at ``root/rel`` creating parent folders; returns the path."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
