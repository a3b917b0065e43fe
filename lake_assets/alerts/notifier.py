"""Alerts and where they go: a local JSON-lines file always, Slack and SNS when configured.

Why this shape: sensors build an `Alert` and hand it to a `Notifier`; the notifier fans it out so a
broken channel (Slack down, SNS throttled) never hides the alert from the others. The JSON-lines
file is the local default that always exists, so an alert is recorded even when nothing else is set up.
The Slack webhook URL is a credential: it never appears in a `repr()`, a log line or an error.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

logger = logging.getLogger(__name__)

AlertKind = Literal["run_failure", "check_failure", "freshness"]
ALERT_KINDS = frozenset({"run_failure", "check_failure", "freshness"})
SNS_SUBJECT_MAX = 100
TEXT_ERROR_MAX = 500


class AlertDeliveryError(Exception):
    """A target could not deliver an alert (after its retries). The message never holds a secret."""


@dataclass(frozen=True)
class Alert:
    """One thing an operator should look at. `run_url` is the link to follow (for freshness: the asset page)."""

    kind: AlertKind
    asset: str | None
    partition: str | None
    error: str
    run_id: str | None
    run_url: str | None
    occurred_at: datetime
    check_name: str | None = None  # set for check_failure alerts

    def __post_init__(self) -> None:
        if self.kind not in ALERT_KINDS:
            raise ValueError(f"unknown alert kind {self.kind!r}")
        if self.occurred_at.tzinfo is None:
            raise ValueError("Alert.occurred_at must be timezone-aware")
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain strings and None only (the timestamp as ISO 8601 UTC)."""
        return {
            "kind": self.kind,
            "asset": self.asset,
            "check_name": self.check_name,
            "partition": self.partition,
            "error": self.error,
            "run_id": self.run_id,
            "run_url": self.run_url,
            "occurred_at": self.occurred_at.isoformat(),
        }

    def text(self) -> str:
        """One readable line (Slack mrkdwn): kind, asset, partition, error, link."""
        parts = [f"[{self.kind}]"]
        if self.asset:
            parts.append(f"asset={self.asset}")
        if self.check_name:
            parts.append(f"check={self.check_name}")
        if self.partition:
            parts.append(f"partition={self.partition}")
        error = " ".join(self.error.split())
        if len(error) > TEXT_ERROR_MAX:
            error = error[: TEXT_ERROR_MAX - 1] + "…"
        parts.append(f"error: {error}")
        if self.run_url:
            parts.append(f"<{self.run_url}|open in Dagster>")
        return " ".join(parts)


class AlertTarget(Protocol):
    """Anything that can deliver an alert. `name` is safe to log (it never holds a secret)."""

    @property
    def name(self) -> str: ...

    def send(self, alert: Alert) -> None: ...


class JsonLinesTarget:
    """Appends one JSON object per line. One `os.write` on an O_APPEND descriptor per alert, so lines
    written by concurrent processes (sensor ticks, runs) never interleave."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)

    @property
    def name(self) -> str:
        return f"json lines file ({self.path})"

    def __repr__(self) -> str:
        return f"JsonLinesTarget(path={self.path!r})"

    def send(self, alert: Alert) -> None:
        parent = os.path.dirname(self.path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        data = (json.dumps(alert.to_dict(), ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
            if written != len(data):  # never seen on a local file system; do not leave half a line silently
                raise AlertDeliveryError(f"short write to {self.path}: {written} of {len(data)} bytes")
        finally:
            os.close(fd)


class SlackWebhookTarget:
    """Posts `{"text": alert.text()}` to a Slack incoming webhook, with retries on 429, 5xx and
    connection errors (exponential backoff with jitter; `Retry-After` is honoured up to 30 s)."""

    RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

    def __init__(self, url: str, *, timeout: float = 10.0, retries: int = 3, backoff_seconds: float = 1.0) -> None:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("https", "http") or not parsed.hostname:
            raise ValueError("Slack webhook URL must be an http(s) URL")  # the URL itself is not echoed
        self._url = url
        self._host = parsed.hostname
        self.timeout = timeout
        self.retries = retries
        self.backoff_seconds = backoff_seconds

    @property
    def name(self) -> str:
        return f"slack webhook (host {self._host})"

    def __repr__(self) -> str:
        return f"SlackWebhookTarget(host={self._host!r})"

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.backoff_seconds * (2**attempt)
        delay += random.uniform(0, delay)  # jitter: several sensors retrying do not hit Slack in step
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 30.0))
        return delay

    def send(self, alert: Alert) -> None:
        body = json.dumps({"text": alert.text()}).encode("utf-8")
        last_problem = "no attempt made"
        for attempt in range(self.retries + 1):
            retry_after = None
            request = urllib.request.Request(
                self._url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    response.read()
                return
            except urllib.error.HTTPError as exc:  # before URLError: HTTPError is a subclass
                exc.close()
                last_problem = f"HTTP {exc.code}"
                if exc.code not in self.RETRYABLE_STATUS:
                    raise AlertDeliveryError(f"{self.name} rejected the alert: {last_problem}") from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
            except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                last_problem = f"connection error ({type(reason).__name__})"
            if attempt < self.retries:
                time.sleep(self._delay(attempt, retry_after))
        raise AlertDeliveryError(f"{self.name} failed after {self.retries + 1} attempts: {last_problem}")


def _sns_subject(alert: Alert) -> str:
    """SNS subjects: printable ASCII, no line breaks, at most 100 characters."""
    raw = f"[lake] {alert.kind}: {alert.asset or 'run'}" + (f" [{alert.partition}]" if alert.partition else "")
    clean = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in raw)
    return clean if len(clean) <= SNS_SUBJECT_MAX else clean[: SNS_SUBJECT_MAX - 3] + "..."


class SnsTarget:
    """Publishes the alert as JSON to an SNS topic (e-mail, SQS, PagerDuty… subscribe there).
    The boto3 client is created on first use, so building the target reads no credentials."""

    def __init__(self, topic_arn: str, region_name: str | None = None, endpoint_url: str | None = None) -> None:
        self.topic_arn = topic_arn
        arn_parts = topic_arn.split(":")
        self.region_name = region_name or (arn_parts[3] if len(arn_parts) > 5 and arn_parts[3] else None)
        self.endpoint_url = endpoint_url
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"sns topic ({self.topic_arn})"

    def __repr__(self) -> str:
        return f"SnsTarget(topic_arn={self.topic_arn!r}, region_name={self.region_name!r})"

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3

                self._client = boto3.client("sns", region_name=self.region_name, endpoint_url=self.endpoint_url)
            return self._client

    def send(self, alert: Alert) -> None:
        try:
            self._get_client().publish(
                TopicArn=self.topic_arn,
                Subject=_sns_subject(alert),
                Message=json.dumps(alert.to_dict(), ensure_ascii=False, sort_keys=True),
            )
        except Exception as exc:  # botocore errors carry no secret; keep only type and message
            raise AlertDeliveryError(f"{self.name} publish failed: {type(exc).__name__}: {exc}") from None


DeliveryResult = tuple[str, Exception | None]


class Notifier:
    """Sends each alert to every target; one failing target never stops the others."""

    def __init__(self, targets: Sequence[AlertTarget]) -> None:
        self.targets = list(targets)

    def __repr__(self) -> str:
        return f"Notifier(targets={[t.name for t in self.targets]!r})"

    def notify(self, alert: Alert) -> list[DeliveryResult]:
        """Returns (target name, error or None) per target. Failures are logged without a traceback:
        a traceback of urllib could carry the webhook URL."""
        results: list[DeliveryResult] = []
        for target in self.targets:
            try:
                target.send(alert)
            except Exception as exc:
                # Our own errors and file errors are secret-free; anything else (urllib's included): type only.
                known = isinstance(exc, AlertDeliveryError) or (
                    isinstance(exc, OSError) and not isinstance(exc, urllib.error.URLError)
                )
                message = f"{type(exc).__name__}: {exc}" if known else type(exc).__name__
                logger.warning(
                    "alert %s for %s not delivered to %s: %s",
                    alert.kind,
                    alert.asset or alert.run_id,
                    target.name,
                    message,
                )
                results.append((target.name, exc))
            else:
                results.append((target.name, None))
        return results


def notifier_from_env(env: Mapping[str, str], default_file: str) -> Notifier:
    """The notifier this deployment asks for. Read at call time (never at import):
    LAKE_ALERTS_FILE (else `default_file`), LAKE_ALERTS_SLACK_WEBHOOK_URL, LAKE_ALERTS_SNS_TOPIC_ARN,
    LAKE_ALERTS_SNS_REGION, LAKE_ALERTS_SNS_ENDPOINT_URL. Empty values count as unset."""

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    targets: list[AlertTarget] = [JsonLinesTarget(get("LAKE_ALERTS_FILE") or default_file)]
    slack_url = get("LAKE_ALERTS_SLACK_WEBHOOK_URL")
    if slack_url:
        targets.append(SlackWebhookTarget(slack_url))
    topic_arn = get("LAKE_ALERTS_SNS_TOPIC_ARN")
    if topic_arn:
        targets.append(
            SnsTarget(
                topic_arn, region_name=get("LAKE_ALERTS_SNS_REGION"), endpoint_url=get("LAKE_ALERTS_SNS_ENDPOINT_URL")
            )
        )
    return Notifier(targets)
