"""Unwrap a landing object's gzip layers (none, one, or gzip inside gzip) into decompressed chunks.

Firehose writes one gzip member per record and concatenates them, so member boundaries are the
natural place to resynchronise after a damaged record. Objects that are not gzip at all (a direct
PUT of plain NDJSON) are passed through unchanged rather than rejected.

A delivery stream with *GZIP compression on and decompression off* compresses CloudWatch Logs
records, which are already gzip members, a second time: the first layer then decompresses to more
gzip members. Whenever a decompressed member starts with the gzip magic bytes it is unwrapped
again, up to `MAX_LAYERS` deep, so both layerings give the same text. Each chunk says how many
layers it was under (`layering`: "none", "gzip", "gzip+gzip", …) so Bronze records what was found.

Everything is bounded, because one hostile or broken object must never take a Spark worker down:
the decompressed bytes of all layers together are capped (`MAX_DECOMPRESSED_BYTES`, a guard
against gzip bombs), input is fed to zlib in slices (linear time however many members), and the
layer depth is capped. Damage never raises: a truncated member yields what was readable, then a
chunk with an `error`; after corrupt deflate data, decoding resumes at the next member header and
the skipped span is reported in one error chunk.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

GZIP_MAGIC = b"\x1f\x8b"
MEMBER_START = b"\x1f\x8b\x08"  # magic + deflate: the only method gzip defines
MAX_LAYERS = 3
MAX_DECOMPRESSED_BYTES = 1 << 30  # per object, all layers together
_SLICE = 1 << 16


# Other compressions a delivery stream can be set to (Firehose: ZIP, Snappy), and common others.
# Hadoop-compatible Snappy has no magic; like any binary payload it shows NUL bytes early.
OTHER_MAGIC = {b"PK\x03\x04": "zip", b"\xff\x06\x00\x00sNaPpY": "snappy", b"(\xb5/\xfd": "zstd", b"BZh": "bzip2"}
BINARY_PROBE = 4096


def binary_kind(data: bytes) -> str | None:
    """Why decompressed bytes are not log text (another compression, or NUL bytes), else None."""
    for magic, name in OTHER_MAGIC.items():
        if data.startswith(magic):
            return f"unsupported_compression: {name}"
    return "binary_data: NUL bytes, not log text" if b"\x00" in data[:BINARY_PROBE] else None


@dataclass(frozen=True)
class Chunk:
    """Decompressed bytes (possibly empty) found under `layers` gzip layers, or a damage report."""

    data: bytes
    layers: int
    error: str | None = None


def layering(layers: int) -> str:
    """The Bronze `compression` label of a chunk: "none", "gzip", "gzip+gzip", …"""
    return "+".join(["gzip"] * layers) if layers else "none"


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit


def _inflate(data: memoryview, budget: _Budget) -> tuple[bytes, int, str | None]:
    """Decompress the member at the start of `data`: (output, bytes consumed, error or None)."""
    decoder = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out: list[bytes] = []
    pos = 0
    try:
        while not decoder.eof and pos < len(data):
            piece = data[pos : pos + _SLICE]
            pos += len(piece)
            chunk = decoder.decompress(piece, budget.left + 1)
            while True:
                if len(chunk) > budget.left:
                    return b"".join(out), pos, "decompressed_too_large: over the per-object limit"
                budget.left -= len(chunk)
                out.append(chunk)
                if not decoder.unconsumed_tail or decoder.eof:
                    break
                chunk = decoder.decompress(decoder.unconsumed_tail, budget.left + 1)
    except zlib.error as exc:
        return b"".join(out), pos, f"corrupt_gzip: {exc}"
    if not decoder.eof:
        return b"".join(out), pos, "corrupt_gzip: truncated member (unexpected end of data)"
    return b"".join(out), pos - len(decoder.unused_data), None


def _members(data: bytes, layers: int, budget: _Budget) -> Iterator[Chunk]:
    """Chunks of a gzip stream that is under `layers - 1` outer layers (so its members are at `layers`)."""
    view = memoryview(data)
    pos = 0
    while pos < len(view):
        if bytes(view[pos : pos + 2]) != GZIP_MAGIC:
            rest = view[pos:]
            # Zero padding after the last member is tolerated by gzip(1); anything else is damage.
            if bytes(rest).strip(b"\x00"):
                yield Chunk(b"", layers, f"corrupt_gzip: {len(rest)} trailing bytes are not a gzip member")
            return
        output, used, error = _inflate(view[pos:], budget)
        if output or error is None:
            yield from _unwrap_member(output, layers, budget)
        if error is None:
            pos += used
            continue
        if not error.startswith("corrupt_gzip: Error"):  # truncated, or over the size limit: nothing follows
            yield Chunk(b"", layers, error)
            return
        # Resynchronise on the next member that decodes; report the skipped span once.
        resume = data.find(MEMBER_START, pos + 1)
        skipped = (resume if resume >= 0 else len(data)) - pos
        yield Chunk(b"", layers, f"{error} ({skipped} bytes skipped)")
        if resume < 0:
            return
        pos = resume


def _unwrap_member(output: bytes, layers: int, budget: _Budget) -> Iterator[Chunk]:
    """A decompressed member: text, or (if it starts with the gzip magic) one more gzip layer."""
    if output.startswith(GZIP_MAGIC) and layers < MAX_LAYERS:
        yield from _members(output, layers + 1, budget)
    elif output.startswith(GZIP_MAGIC):
        yield Chunk(b"", layers, f"too_many_gzip_layers: more than {MAX_LAYERS}")
    else:
        yield Chunk(output, layers)


def unwrap(data: bytes, max_bytes: int = MAX_DECOMPRESSED_BYTES) -> Iterator[Chunk]:
    """Every decompressed chunk of an object, in order; damage is reported in chunks, never raised."""
    if not data:
        return
    if not data.startswith(GZIP_MAGIC):
        yield Chunk(data, 0)
        return
    yield from _members(data, 1, _Budget(max_bytes))
