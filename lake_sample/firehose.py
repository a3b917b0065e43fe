"""Firehose object encodings and S3 key naming for the access-log stream.

Two real content variants (``landing-formats.md`` section 1):
- CloudWatch Logs subscription envelopes: one gzip member per Firehose record, members
  concatenated, so the decompressed text is JSON documents back to back with no separator;
- extracted messages: one gzip of newline-delimited access-log lines.
"""

from __future__ import annotations

import json
import random
import time

from lake_sample.common import gzip_bytes, rand_hex

STREAM = "tasks-api-access-logs"
OWNER = "123456789012"
LOG_GROUP = "/aws/apigateway/tasks-api"
FILTER = "to-firehose"
MAX_EVENTS_PER_RECORD = 25
GZIP_LEVEL = 4  # speed over ratio: a million lines a day must stay fast to generate
# The exact shape CloudWatch Logs sends when a subscription is created or checked.
CONTROL_MESSAGE = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [
        {"id": "", "timestamp": 0, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}
    ],
}

Record = tuple[int, str]  # (event epoch ms, access-log line text)


def object_key(ts_ms: int, suffix: str) -> str:
    """``api_logs/YYYY/MM/DD/HH/<stream>-1-YYYY-MM-DD-HH-MM-SS-<suffix>.gz`` (UTC arrival)."""
    t = time.gmtime(ts_ms // 1000)
    return f"api_logs/{time.strftime('%Y/%m/%d/%H', t)}/{STREAM}-1-{time.strftime('%Y-%m-%d-%H-%M-%S', t)}-{suffix}.gz"


def encode_ndjson(records: list[Record], trailing_newline: bool) -> bytes:
    """Extracted-message variant; the last line may or may not end with a newline."""
    text = "\n".join(line for _, line in records)
    if trailing_newline and records:
        text += "\n"
    return gzip_bytes(text.encode("utf-8"), GZIP_LEVEL)


class CwlEncoder:
    """Builds CloudWatch-Logs-envelope objects; event ids are unique for the run."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.streams = [rand_hex(rng, 32) for _ in range(4)]
        self._seq = 0
        self._id_key = rng.randrange(10**41) * 10 + 3  # coprime to 10**42: ids stay unique

    def _envelope(self, batch: list[Record]) -> bytes:
        r = self.rng.random
        events = []
        for event_ms, line in batch:
            self._seq += 1
            ts = event_ms + int(r() * 1500)  # CloudWatch ingestion lag
            mixed = (self._seq * self._id_key) % 10**42
            events.append({"id": f"3{ts:013d}{mixed:042d}", "timestamp": ts, "message": line})
        env = {
            "messageType": "DATA_MESSAGE",
            "owner": OWNER,
            "logGroup": LOG_GROUP,
            "logStream": self.streams[int(r() * len(self.streams))],
            "subscriptionFilters": [FILTER],
            "logEvents": events,
        }
        return json.dumps(env, separators=(",", ":")).encode("utf-8")

    def control(self, ts_ms: int) -> bytes:
        """One CONTROL_MESSAGE envelope, as its own gzip member."""
        env = json.loads(json.dumps(CONTROL_MESSAGE))
        env["logEvents"][0]["timestamp"] = ts_ms
        return gzip_bytes(json.dumps(env, separators=(",", ":")).encode("utf-8"))

    def encode(self, records: list[Record], controls: list[int]) -> tuple[bytes, int]:
        """Multi-member gzip of envelopes; ``controls`` are control-message timestamps.

        Returns the bytes and the number of gzip members written.
        """
        members: list[bytes] = []
        i = 0
        while i < len(records):
            size = self.rng.randint(1, MAX_EVENTS_PER_RECORD)
            members.append(gzip_bytes(self._envelope(records[i : i + size]), GZIP_LEVEL))
            i += size
        for ts in controls:
            members.insert(self.rng.randrange(len(members) + 1), self.control(ts))
        return b"".join(members), len(members)
