"""Personal data in Spark columns: the keyed hash Silver keeps, and the redaction of quarantine text.

One module for both so every table that could carry an e-mail (Silver entities, their quarantine,
the API requests' quarantine) pseudonymises or redacts it the same way.
"""

from __future__ import annotations

import hashlib

from pyspark.sql import Column
from pyspark.sql import functions as F


def keyed_hash(column: Column, key: bytes) -> Column:
    """HMAC-SHA256 (RFC 2104) of a string column, hex encoded, computed natively in Spark."""
    block = 64
    key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in key)
    outer_pad = bytes(b ^ 0x5C for b in key)
    message = F.encode(column, "UTF-8")
    inner = F.unhex(F.sha2(F.concat(F.lit(inner_pad), message), 256))
    return F.when(column.isNotNull(), F.sha2(F.concat(F.lit(outer_pad), inner), 256))


# Personal data kept out of quarantine rows (raw item, key and reason text), in two passes:
# 1. the value of any attribute whose name says e-mail (`email`, `owner_email`, `contactEmail`, any
#    case), typed (`{"S": …}`) or plain, also when the line is cut inside the value;
# 2. anything shaped like an address anywhere else: Unicode letters (`jürgen@bücher.example`) and
#    JSON escapes (`ada\u0040example.com` is an address to anyone who reads it) included.
_CHAR = r"(?:[\p{L}\p{N}_%+-]|\\u[0-9a-fA-F]{4})"
_EMAIL_ATTRIBUTE = (
    r'(?i)("[^"\\]*e-?mail[^"\\]*"\s*:\s*)'
    r'(\{[^{}]*\}|\{[^{}]*$|"(?:[^"\\]|\\.)*"|"(?:[^"\\]|\\.)*$)'
)
_EMAIL_ADDRESS = rf"(?:{_CHAR}|\.)+(?:@|\\u0040){_CHAR}+(?:\.{_CHAR}+)*"
REDACTED = "<redacted>"


def redact_pii(column: Column) -> Column:
    """`column` (raw item, key or reason text) with e-mail values replaced by `<redacted>`: the one
    redaction every quarantine text column goes through (Silver itself keeps only the keyed hash)."""
    dropped = F.regexp_replace(column, _EMAIL_ATTRIBUTE, f'$1"{REDACTED}"')
    return F.regexp_replace(dropped, _EMAIL_ADDRESS, REDACTED)
