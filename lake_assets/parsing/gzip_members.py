"""Split a (possibly multi-member, possibly damaged) gzip object into decompressed members.

Firehose writes one gzip member per record and concatenates them, so member boundaries are the
natural place to resynchronise after a damaged record. Objects that are not gzip at all (a
direct PUT of plain NDJSON) are passed through unchanged rather than rejected.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Members:
    """Decompressed members of one object, plus an error if decompression stopped early."""

    members: list[bytes]
    error: str | None = None
    compressed: bool = True


def split_gzip_members(data: bytes) -> Members:
    """Return every decompressed member; a damaged tail is reported in `error`, never raised."""
    if not data:
        return Members([])
    if not data.startswith(GZIP_MAGIC):
        return Members([data], compressed=False)
    members: list[bytes] = []
    rest = data
    while rest:
        if not rest.startswith(GZIP_MAGIC):
            # Zero padding after the last member is tolerated by gzip(1); anything else is damage.
            if rest.strip(b"\x00"):
                return Members(members, f"corrupt_gzip: {len(rest)} trailing bytes are not a gzip member")
            break
        decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            chunk = decoder.decompress(rest)
        except zlib.error as exc:
            return Members(members, f"corrupt_gzip: {exc}")
        if not decoder.eof:
            partial = chunk
            if partial:
                members.append(partial)
            return Members(members, "corrupt_gzip: truncated member (unexpected end of data)")
        members.append(chunk)
        rest = decoder.unused_data
    return Members(members)
