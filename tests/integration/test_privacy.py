"""Personal data never reaches the logs, and retention is bounded by DynamoDB TTL."""

from __future__ import annotations

import json
import logging

import pytest

from followup.core.redaction import RedactingFormatter, redact
from followup_local.cloud import LocalCloud
from tests.conftest import load_example

pytestmark = pytest.mark.integration

PERSONAL = [
    "ada@example.com",
    "grace@ae.example",
    "alan@ae.example",
    "Grace Hopper",
    "Ada Lovelace",
    "Alan Turing",
    "1 Main St",
]


def test_a_full_run_logs_no_email_address_name_mailing_address_or_secret(
    cloud: LocalCloud, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a full run: submit (both auth styles), plan, send everything, record an outcome, and a few rejections
    caplog.set_level(logging.INFO)  # botocore wire dumps at DEBUG are off in Lambda unless an operator turns them on
    caplog.set_level(logging.DEBUG, logger="followup")
    payload = load_example("interview-panel.json")
    _, accepted = cloud.api("POST", "/interviews", payload)
    cloud.api("POST", "/interviews", {"candidate": {"email": "ada@example.com"}})
    cloud.api("POST", "/interviews", payload, headers={"authorization": "Bearer wrong-key"})
    cloud.advance(40 * 86400)
    cloud.api("POST", f"/interviews/{accepted['interview_id']}/outcome", {"outcome": "offer"})
    cloud.api("GET", f"/interviews/{accepted['interview_id']}")

    # Then no log line, on stdout or through logging, carries personal data or a secret
    captured = capsys.readouterr()
    records = [json.dumps(vars(record), default=str) for record in caplog.records]
    logs = captured.out + captured.err + "\n".join(records)
    assert len(cloud.outbox.follow_ups()) == 4
    assert len(cloud.outbox.copies()) == 4
    assert accepted["interview_id"] in logs  # the logs are there, and useful
    for needle in [*PERSONAL, cloud.api_key, cloud.webhook_secret, cloud.form_key]:
        assert needle not in logs, needle


def test_redaction_covers_nested_keys_and_free_text() -> None:
    record = {"message": "sending to grace@ae.example", "extra": {"to": "Grace Hopper", "items": [{"email": "x@y.z"}]}}
    cleaned = redact(record)
    assert "grace@ae.example" not in json.dumps(cleaned)
    assert cleaned["extra"]["to"] == "[redacted]"
    assert cleaned["extra"]["items"][0]["email"] == "[redacted]"
    assert isinstance(RedactingFormatter(), logging.Formatter)


def test_every_item_carries_a_ttl_after_the_last_follow_up(cloud: LocalCloud) -> None:
    _, accepted = cloud.api("POST", "/interviews", load_example("interview-panel.json"))
    table = cloud.provisioned.physical["FollowUpTable"]
    items = cloud.session.client("dynamodb", region_name="us-east-1").scan(TableName=table)["Items"]
    assert items
    last_due = max(f["due_at"] for f in accepted["follow_ups"])
    from datetime import datetime

    horizon = datetime.fromisoformat(last_due.replace("Z", "+00:00")).timestamp()
    retention = int(cloud.provisioned.parameters["RetentionDays"]) * 86400
    for item in items:
        assert int(item["expires_at"]["N"]) == pytest.approx(horizon + retention, abs=1)
