"""Find and validate DynamoDB Export-to-S3 exports in the landing zone, and read their data files.

An export is complete only when `manifest-summary.json` exists (AWS writes it last; `_started`
is written first and proves nothing). Data files are taken from `manifest-files.json`, never by
listing a folder, because incremental exports share one data folder. Validation from manifests
and listings (`load_files`, in `manifests`, re-exported here) runs on the sensor's daemon and the
Spark driver; data files are read, and their MD5 checked, only inside Spark tasks (`DataFileLines`).

A damaged data file never fails a task: its readable lines become rows (also the lines before a
corrupt byte in the middle of the stream, see `_salvage`) and one flag row names the damage.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lake_assets.core.landing import Landing, LocalLanding
from lake_assets.parsing.manifests import (  # re-exported: callers use `exports` as the one entry point
    EXPORTS_DIR,
    SUPPORTED_FORMAT,
    ExportError,
    ExportFile,
    ExportSummary,
    choose_full_export,
    choose_incremental_exports,
    day_window,
    list_completed_exports,
    load_files,
    parse_aws_time,
)

__all__ = [
    "EXPORTS_DIR",
    "FILE_PROBLEM_PREFIX",
    "SUPPORTED_FORMAT",
    "DataFileLines",
    "ExportError",
    "ExportFile",
    "ExportSummary",
    "choose_full_export",
    "choose_incremental_exports",
    "day_window",
    "list_completed_exports",
    "load_files",
    "md5_matches",
    "parse_aws_time",
]
FILE_PROBLEM_PREFIX = "data_file_"  # parse_error of the one row that flags an untrusted data file
READ_BYTES = 1 << 20  # object bytes hashed per read
INFLATE_BYTES = 64 << 10  # compressed bytes inflated at a time: bounds a task's memory per step
SALVAGE_BYTES = 256  # compressed bytes per step when replaying a damaged piece
_GZIP = 31  # zlib wbits for a gzip header and trailer


def md5_matches(digest: bytes, expected: str) -> bool:
    """AWS writes base64 digests in manifests; hex is accepted too."""
    return expected in (base64.b64encode(digest).decode(), digest.hex())


def _open(landing: Landing, key: str) -> BinaryIO:
    """A binary stream of one landing object.

    A landing that offers `open(key)` is streamed and a local one is opened as a file. Any other
    (`S3Landing` has only `read_bytes` today) is fetched in one GET into this task's memory: one
    compressed data file, never the whole export, and never on the driver.
    """
    opener = getattr(landing, "open", None)
    if callable(opener):
        return opener(key)
    if isinstance(landing, LocalLanding):
        return Path(landing.root, key).open("rb")
    return io.BytesIO(landing.read_bytes(key))


def _hashed(stream: BinaryIO, digest: Any) -> Iterator[bytes]:
    """The object's bytes as they are read, each added to `digest` first."""
    while chunk := stream.read(READ_BYTES):
        digest.update(chunk)
        yield chunk


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Decompressed pieces of a gzip stream, multi-member included (like `gzip.decompress`).

    Raises EOFError when the stream stops inside a member (a truncated object) and zlib.error on
    bytes that are not gzip. Zero bytes are an empty file (AWS writes empty partitions' files).
    """
    inflater, fed = zlib.decompressobj(_GZIP), False
    for chunk in chunks:
        for start in range(0, len(chunk), INFLATE_BYTES):
            data = chunk[start : start + INFLATE_BYTES]
            while data:
                fed = True
                before = inflater.copy()
                try:
                    piece = inflater.decompress(data)
                except zlib.error:
                    yield from _salvage(before, data)
                    raise
                yield piece
                if not inflater.eof:
                    break
                data, inflater, fed = inflater.unused_data, zlib.decompressobj(_GZIP), False
    if fed and not inflater.eof:
        raise EOFError("the gzip stream ends before its end-of-stream marker: the object is truncated")


def _salvage(inflater: Any, data: bytes) -> Iterator[bytes]:
    """What `data` inflates to before its damaged byte (zlib returns nothing from a failing call).

    Only on damage: the step that failed is replayed from a copy of the inflater in small pieces,
    so the lines before the damage still become rows. Stops at the damage or at a member's end.
    """
    try:
        for start in range(0, len(data), SALVAGE_BYTES):
            yield inflater.decompress(data[start : start + SALVAGE_BYTES])
            if inflater.eof:
                return
    except zlib.error:
        return


class DataFileLines:
    """(line number, line) of one gzip data file, its MD5 checked on the bytes as they stream by.

    `md5Checksum` in manifest-files.json is the MD5 of the object as stored: the compressed bytes
    (for AWS's own exports md5(data file) equals it, and md5 of that digest gives the object's
    ETag). So the digest is fed the raw chunks before decompression, nothing is held whole, and
    the verdict exists only at the end of the object. Iterate once; then `problem` is None for a
    trusted file, or a `data_file_…` reason naming the file and both checksums (a mismatch) or the
    gzip fault (a truncated or non-gzip object). The lines already yielded belong to an untrusted
    file then, so the caller must account for `problem` (see `transforms.bronze`).
    """

    def __init__(self, landing: Landing, key: str, md5_checksum: str | None) -> None:
        self.landing, self.key, self.md5_checksum = landing, key, md5_checksum
        self.last_line = 0  # the number of the last line seen, blank ones included
        self.problem: str | None = None

    def __iter__(self) -> Iterator[tuple[int, str]]:
        digest = hashlib.md5(usedforsecurity=False)
        fault, pending = None, b""
        with _open(self.landing, self.key) as stream:
            chunks = _hashed(stream, digest)
            try:
                for piece in _gunzip(chunks):
                    *complete, pending = (pending + piece).split(b"\n")
                    for raw in complete:
                        yield from self._line(raw)
            except (EOFError, zlib.error) as exc:
                fault = str(exc)
                for _ in chunks:  # the MD5 still covers every byte of the object
                    pass
        if pending:
            yield from self._line(pending)
        self.problem = self._verdict(digest.digest(), fault)

    def _line(self, raw: bytes) -> Iterator[tuple[int, str]]:
        self.last_line += 1
        text = raw.removesuffix(b"\r").decode("utf-8", errors="replace")
        if text.strip():
            yield self.last_line, text

    def _verdict(self, digest: bytes, fault: str | None) -> str | None:
        expected = self.md5_checksum
        if expected and not md5_matches(digest, expected):
            found = base64.b64encode(digest).decode()
            return (
                f"{FILE_PROBLEM_PREFIX}checksum_mismatch: {self.key} has MD5 {found} but manifest-files.json "
                f"says md5Checksum {expected}" + (f" ({fault})" if fault else "")
            )
        if fault:
            return f"{FILE_PROBLEM_PREFIX}unreadable: {self.key}: {fault}"
        return None
