"""Alert delivery end to end: the JSON-lines file, real HTTP to a local Slack stand-in and to a moto SNS
server, and the notifier that fans out to them (the sensors are in test_alerts.py)."""

import http.server
import json
import logging
import socket
import threading
from datetime import UTC, datetime

import boto3
import pytest

from lake_assets.alerts.notifier import (
    Alert,
    AlertDeliveryError,
    JsonLinesTarget,
    Notifier,
    SlackWebhookTarget,
    SnsTarget,
    _sns_subject,
    notifier_from_env,
)

WEB = "http://dagster.example:3000"
SECRET = "T0000/B0000/XXXXsecretXXXX"
WHEN = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
ALERT = Alert(
    kind="run_failure",
    asset="silver/requests",
    partition="2026-11-21",
    error="ValueError: boom\nline 2",
    run_id="abc",
    run_url=f"{WEB}/runs/abc",
    occurred_at=WHEN,
)


# --- the notifier and its targets -------------------------------------------------------------------------


def test_alert_dict_and_text():
    assert ALERT.to_dict() == {
        "kind": "run_failure",
        "asset": "silver/requests",
        "check_name": None,
        "partition": "2026-11-21",
        "error": "ValueError: boom\nline 2",
        "run_id": "abc",
        "run_url": f"{WEB}/runs/abc",
        "occurred_at": "2026-11-22T07:30:00+00:00",
    }
    assert ALERT.text() == (
        "[run_failure] asset=silver/requests partition=2026-11-21 error: ValueError: boom line 2 "
        f"<{WEB}/runs/abc|open in Dagster>"
    )
    with pytest.raises(ValueError):
        Alert("freshness", None, None, "x", None, None, datetime(2026, 1, 1))  # naive time
    with pytest.raises(ValueError):
        Alert("oops", None, None, "x", None, None, WHEN)


def test_json_lines_target_appends_exact_lines(tmp_path):
    path = tmp_path / "nested" / "dir" / "alerts.jsonl"
    target = JsonLinesTarget(path)
    other = Alert("freshness", "gold/daily", None, "stale ✗", None, None, WHEN)
    target.send(ALERT)
    target.send(other)
    assert path.read_text(encoding="utf-8").splitlines() == [
        json.dumps(ALERT.to_dict(), ensure_ascii=False, sort_keys=True),
        json.dumps(other.to_dict(), ensure_ascii=False, sort_keys=True),
    ]


def test_json_lines_concurrent_appends_never_interleave(tmp_path):
    path = tmp_path / "alerts.jsonl"
    big = Alert("check_failure", "silver/x", None, "e" * 20_000, None, None, WHEN)  # larger than a buffer

    def write_many():
        target = JsonLinesTarget(path)
        for _ in range(25):
            target.send(big)

    threads = [threading.Thread(target=write_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [json.loads(line) for line in path.read_text().splitlines()] == [big.to_dict()] * 100


class SlackStandIn:
    """A local webhook receiver: records each request and answers with the next queued status."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/services/{SECRET}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def slack():
    receiver = SlackStandIn()
    yield receiver
    receiver.close()


def test_slack_delivers_json_text(slack):
    SlackWebhookTarget(slack.url).send(ALERT)
    assert slack.requests == [
        {"path": f"/services/{SECRET}", "type": "application/json", "body": {"text": ALERT.text()}}
    ]


def test_slack_retries_a_500_and_a_429_then_succeeds(slack):
    slack.statuses = [500, 429]
    SlackWebhookTarget(slack.url, backoff_seconds=0.01).send(ALERT)
    assert len(slack.requests) == 3


def test_slack_gives_up_after_retries_without_leaking_the_url(slack, caplog):
    slack.statuses = [503] * 10
    target = SlackWebhookTarget(slack.url, retries=2, backoff_seconds=0.01)
    with pytest.raises(AlertDeliveryError) as raised:
        target.send(ALERT)
    assert len(slack.requests) == 3 and "HTTP 503" in str(raised.value)
    assert SECRET not in str(raised.value) and raised.value.__cause__ is None
    assert SECRET not in repr(target) and "127.0.0.1" in target.name

    caplog.set_level(logging.DEBUG)
    notifier = Notifier([target])
    ((name, error),) = notifier.notify(ALERT)
    assert isinstance(error, AlertDeliveryError) and name == "slack webhook (host 127.0.0.1)"
    assert "not delivered to slack webhook (host 127.0.0.1)" in caplog.text
    assert SECRET not in caplog.text and SECRET not in repr(notifier)


def test_slack_client_error_is_not_retried(slack):
    slack.statuses = [404]
    with pytest.raises(AlertDeliveryError, match="HTTP 404"):
        SlackWebhookTarget(slack.url, backoff_seconds=0.01).send(ALERT)
    assert len(slack.requests) == 1


def test_slack_connection_refused_is_retried_then_reported():
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    target = SlackWebhookTarget(f"http://127.0.0.1:{port}/services/{SECRET}", retries=1, backoff_seconds=0.01)
    with pytest.raises(AlertDeliveryError, match=r"failed after 2 attempts: connection error") as raised:
        target.send(ALERT)
    assert SECRET not in str(raised.value)


def test_sns_publishes_json_to_subscribers(endpoint):
    sns = boto3.client("sns", region_name="eu-west-1", endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name="eu-west-1", endpoint_url=endpoint)
    topic_arn = sns.create_topic(Name="lake-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="lake-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)

    target = SnsTarget(topic_arn, endpoint_url=endpoint)
    assert target._client is None and target.region_name == "eu-west-1"  # lazy; region read from the ARN
    target.send(ALERT)

    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(messages[0]["Body"])
    assert json.loads(envelope["Message"]) == ALERT.to_dict()
    assert envelope["Subject"] == "[lake] run_failure: silver/requests [2026-11-21]"


def test_sns_subject_is_short_ascii():
    alert = Alert("check_failure", "silver/" + "x" * 200, "2026-11-21", "e", None, None, WHEN)
    subject = _sns_subject(alert)
    assert len(subject) == 100 and subject.endswith("...")
    assert _sns_subject(Alert("freshness", "gold/é\n", None, "e", None, None, WHEN)) == "[lake] freshness: gold/??"


class Broken:
    name = "broken target"

    def send(self, alert):
        raise RuntimeError("disk on fire")


def test_one_failing_target_does_not_stop_the_others(tmp_path, caplog):
    path = tmp_path / "alerts.jsonl"
    results = Notifier([Broken(), JsonLinesTarget(path)]).notify(ALERT)
    assert [name for name, _ in results] == ["broken target", f"json lines file ({path})"]
    assert isinstance(results[0][1], RuntimeError) and results[1][1] is None
    assert len(path.read_text().splitlines()) == 1
    assert "not delivered to broken target: RuntimeError" in caplog.text


def test_notifier_from_env(tmp_path):
    default = str(tmp_path / "default.jsonl")
    only_file = notifier_from_env({}, default_file=default)
    assert [t.name for t in only_file.targets] == [f"json lines file ({default})"]
    env = {
        "LAKE_ALERTS_FILE": str(tmp_path / "x.jsonl"),
        "LAKE_ALERTS_SNS_REGION": "",
        "LAKE_ALERTS_SLACK_WEBHOOK_URL": f"https://hooks.slack.com/services/{SECRET}",
        "LAKE_ALERTS_SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:lake",
    }
    full = notifier_from_env(env, default_file=default)
    assert [t.name for t in full.targets] == [
        f"json lines file ({tmp_path / 'x.jsonl'})",
        "slack webhook (host hooks.slack.com)",
        "sns topic (arn:aws:sns:us-east-1:123456789012:lake)",
    ]
    assert full.targets[2].region_name == "us-east-1" and full.targets[2].endpoint_url is None
    assert SECRET not in repr(full) and SECRET not in repr(full.targets)
