"""API Gateway access-log lines in every template we accept, mapped onto ONE set of Bronze columns.

A stage's access-log format is free text built from `$context` variables, so the same request can
arrive as the contract's JSON template, an API Gateway console preset (CLF, JSON, XML, CSV), a
JSON template with unquoted numbers or nested objects, or a hand-written one with a bare `-`.
Each is parsed into a dict of *variable names* and then typed by `access_log_fields` through the
single mapping below, so Silver and Gold see the same columns whatever the template was.

Mapping (variable name, as a JSON key, nested path, XML tag or preset position → Bronze column):

| Bronze column            | accepted names                                   | $context variable            |
|--------------------------|--------------------------------------------------|------------------------------|
| request_id               | requestId (XML: `<request id="…">`)              | requestId                    |
| ip                       | ip, sourceIp                                     | identity.sourceIp            |
| request_time             | requestTime (CLF `dd/MMM/yyyy:HH:mm:ss Z`, or    | requestTime                  |
|                          | 13-digit epoch ms)                               |                              |
| request_time_epoch_ms    | requestTimeEpoch (epoch ms)                      | requestTimeEpoch             |
| http_method              | httpMethod                                       | httpMethod                   |
| route_key                | routeKey (HTTP API); else "<httpMethod>          | routeKey / resourcePath      |
|                          | <resourcePath>" (REST)                           |                              |
| path                     | path                                             | path                         |
| status                   | status                                           | status                       |
| protocol                 | protocol                                         | protocol                     |
| response_length          | responseLength                                   | responseLength               |
| response_latency_ms      | responseLatency                                  | responseLatency              |
| integration_latency_ms   | integrationLatency, integration.latency          | integrationLatency           |
| user_agent               | userAgent                                        | identity.userAgent           |
| user_id                  | userId                                           | authorizer.jwt.claims.sub    |
| (raw only, not drift)    | caller, user, resourcePath                       | identity.caller/.user        |

Nested templates: an object under one of `NESTED_GROUPS` (e.g. `{"response": {"status": …},
"identity": {"sourceIp": …}}`) is read by its leaf names; any other nested key (e.g.
`integration.status`) is matched by its full dotted path only, else kept in `extra_fields`.
Values: strings, or unquoted JSON numbers; `"-"`, `""`, `null` and a *bare* `-` (invalid JSON,
repaired leniently, flagged `bare_dash` in `invalid_fields`) all mean "unavailable".

Presets (AWS console; REST uses `caller`, `user`, `resourcePath`, HTTP APIs `routeKey`):
- CLF: `ip caller user [requestTime] "httpMethod resourcePath|routeKey protocol" status
  responseLength requestId` (HTTP API: `ip - - [...] …`);
- CSV: REST `ip,caller,user,requestTime,httpMethod,resourcePath,protocol,status,responseLength,
  requestId` (10 fields); HTTP `ip,requestTime,httpMethod,routeKey,protocol,status,responseLength,
  requestId` (8 fields);
- XML: `<request id="…"><ip>…</ip><caller>…</caller>…</request>` (no DTDs: refused).
Presets carry neither requestTimeEpoch nor userId: their time is `requestTime` (second precision).
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

COLUMN_OF = {
    "requestId": "request_id",
    "ip": "ip",
    "sourceIp": "ip",
    "requestTime": "request_time",
    "requestTimeEpoch": "request_time_epoch",
    "httpMethod": "http_method",
    "routeKey": "route_key",
    "resourcePath": "resource_path",
    "path": "path",
    "status": "status",
    "protocol": "protocol",
    "responseLength": "response_length",
    "responseLatency": "response_latency_ms",
    "integrationLatency": "integration_latency_ms",
    "integration.latency": "integration_latency_ms",
    "userAgent": "user_agent",
    "userId": "user_id",
    "caller": "",  # known, kept in `raw` only
    "user": "",
}
NESTED_GROUPS = {"request", "response", "identity", "context", "client", "authorizer"}
# The contract's JSON template: a variable absent from a record is schema drift, not a `"-"` value.
TEMPLATE_FIELDS = (
    "httpMethod",
    "integrationLatency",
    "ip",
    "path",
    "protocol",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "responseLatency",
    "responseLength",
    "routeKey",
    "status",
    "userAgent",
    "userId",
)
MAX_NESTING = 4  # nested template objects read; deeper values are kept as JSON text
MAX_PRESET_CHARS = 16_384  # CLF/CSV/XML lines are tried only up to this length

_STRING = re.compile(r'("(?:[^"\\]|\\.)*")', re.S)
_BARE_DASH = re.compile(r"(?<=[:\[,])(\s*)-(\s*)(?=[,}\]]|$)")
_CLF = re.compile(
    r"(?P<ip>\S+) (?P<caller>\S+) (?P<user>\S+) \[(?P<requestTime>[^\]]*)\] "
    r'"(?P<httpMethod>\S+) (?P<target>[^"]*?) (?P<protocol>\S+)" '
    r"(?P<status>\S+) (?P<responseLength>\S+) (?P<requestId>\S+)\s*"
)
_CSV_REST = ("ip", "caller", "user", "requestTime", "httpMethod", "resourcePath", "protocol", "status",
             "responseLength", "requestId")  # fmt: skip
_CSV_HTTP = ("ip", "requestTime", "httpMethod", "routeKey", "protocol", "status", "responseLength", "requestId")
_STATUS = re.compile(r"-|[0-9]{3}")
_METHOD = re.compile(r"-|[A-Z]{3,7}")


def _repair_bare_dashes(text: str) -> str:
    """`{"userId": -}` → `{"userId": null}`, touching nothing inside strings."""
    parts = _STRING.split(text)
    return "".join(p if i % 2 else _BARE_DASH.sub(r"\1null\2", p) for i, p in enumerate(parts))


def _json_object(text: str) -> tuple[dict[str, Any] | None, bool]:
    """A JSON object, repaired for bare dashes if need be: (object or None, repaired)."""
    try:
        value = json.loads(text)
        return (value, False) if isinstance(value, dict) else (None, False)
    except ValueError:
        pass
    repaired = _repair_bare_dashes(text)
    if repaired == text:
        return None, False
    try:
        value = json.loads(repaired)
    except ValueError:
        return None, False
    return (value, True) if isinstance(value, dict) else (None, False)


def _clf(text: str) -> dict[str, Any] | None:
    match = _CLF.fullmatch(text)
    if match is None or not _STATUS.fullmatch(match["status"]) or not _METHOD.fullmatch(match["httpMethod"]):
        return None
    fields = match.groupdict()
    target = fields.pop("target")
    fields["resourcePath" if target.startswith("/") else "routeKey"] = target
    return fields


def _csv(text: str) -> dict[str, Any] | None:
    if "," not in text:
        return None
    try:
        values = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return None
    names = {len(_CSV_REST): _CSV_REST, len(_CSV_HTTP): _CSV_HTTP}.get(len(values))
    if names is None:
        return None
    fields = dict(zip(names, (v.strip() for v in values), strict=True))
    if not _STATUS.fullmatch(fields["status"]) or not _METHOD.fullmatch(fields["httpMethod"]):
        return None
    return fields


def _xml(text: str) -> dict[str, Any] | None:
    """The XML preset; DTDs (entity expansion) are refused outright."""
    if "<!" in text:
        return None
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError):
        return None
    fields: dict[str, Any] = {("requestId" if k == "id" else k): v for k, v in root.attrib.items()}
    for child in root:
        fields[child.tag] = {g.tag: g.text or "" for g in child} if len(child) else (child.text or "")
    return fields


def parse_line(text: str) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """(variables, log_format, error) of one access-log line that is not plain JSON."""
    stripped = text.strip()
    if stripped.startswith("{"):
        record, repaired = _json_object(stripped)
        if record is not None:
            return record, "json_bare_dash" if repaired else "json", None
        return None, None, "invalid_json"
    if len(stripped) > MAX_PRESET_CHARS:  # presets are short; bounds the regex work on hostile lines
        return None, None, "invalid_json"
    if stripped.startswith("<"):
        record = _xml(stripped)
        return (record, "xml", None) if record is not None else (None, None, "invalid_xml")
    for parse, fmt in ((_clf, "clf"), (_csv, "csv")):
        record = parse(stripped)
        if record is not None:
            return record, fmt, None
    return None, None, "invalid_json"


def flatten(record: dict[str, Any], prefix: str = "", depth: int = 0) -> list[tuple[str, str, Any]]:
    """(dotted path, name to map by, value) of every leaf of a possibly nested template object."""
    out: list[tuple[str, str, Any]] = []
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and depth < MAX_NESTING:
            out.extend(flatten(value, f"{path}.", depth + 1))
            continue
        group = path.split(".", 1)[0]
        leaf = path.rsplit(".", 1)[-1]
        name = path if path in COLUMN_OF or group not in NESTED_GROUPS else leaf
        out.append((path, name, value))
    return out
