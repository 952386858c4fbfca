"""What `POST /_local/feedback` builds is what FeedbackFunction accepts from SES: the sending event validates against
its models with the message's tags, and the reply parses as a reply to that very message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from followup.feedback.inbound import ReplyKind, parse_mail
from followup.feedback.ses_events import (
    BounceRecord,
    ComplaintRecord,
    DeliveryRecord,
    SesEventBridgeEvent,
    SesReceiptEvent,
)
from followup_local import cli, server
from followup_local.feedback import (
    SENDING_DETAIL_TYPES,
    FeedbackRequest,
    FeedbackRequestError,
    parse_feedback_request,
    receipt_event,
    reply_message,
    sending_event_detail,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
DOMAIN = "replies.followup.local"
RECORD: dict[str, Any] = {
    "message_id": "0100019ab6f2c4d8-5e3a7b1c-000000",
    "from": "Ada Lovelace via Interview Follow-ups <followups@followup.local>",
    "to": ["Grace Hopper <grace@ae.example>"],
    "cc": [],
    "bcc": ["Ada Lovelace <ada@example.com>"],
    "reply_to": ["Ada Lovelace <ada@example.com>", f"reply+01abc.0123456789@{DOMAIN}"],
    "subject": "Thank you, Grace",
    "headers": {"X-Followup-Interview": "01abc", "X-Followup-Kind": "check_in"},
    "tags": {"interview_id": "01abc", "follow_up_id": "check_in", "kind": "check_in"},
    "configuration_set": "followup-local-followups",
    "sent_at": "2026-11-25T14:00:00Z",
}


def _envelope(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "local",
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2026-11-26T15:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


@pytest.mark.parametrize(
    ("event", "record_type"), [("bounce", BounceRecord), ("complaint", ComplaintRecord), ("delivery", DeliveryRecord)]
)
def test_a_sending_event_validates_with_the_messages_tags_and_configuration_set(event: str, record_type: type) -> None:
    detail = sending_event_detail(
        FeedbackRequest(event=event, message_id=RECORD["message_id"]),
        RECORD,
        now=NOW,
        account="123456789012",
        region="us-east-1",
    )

    parsed = SesEventBridgeEvent.model_validate(_envelope(SENDING_DETAIL_TYPES[event], detail))

    assert isinstance(parsed.detail, record_type)
    mail = parsed.detail.mail
    assert mail.message_id == RECORD["message_id"]
    assert mail.tag("ses:configuration-set") == "followup-local-followups"
    assert {name: mail.tag(name) for name in RECORD["tags"]} == RECORD["tags"]
    assert mail.destination == ["grace@ae.example", "ada@example.com"]


def test_a_bounce_names_the_first_recipient_unless_another_of_the_messages_is_asked_for() -> None:
    def bounced(recipient: str | None) -> list[str]:
        request = FeedbackRequest(event="bounce", message_id="m", recipient=recipient)
        detail = sending_event_detail(request, RECORD, now=NOW, account="1", region="us-east-1")
        return [r["emailAddress"] for r in detail["bounce"]["bouncedRecipients"]]

    assert bounced(None) == ["grace@ae.example"]
    assert bounced("ADA@example.com") == ["ada@example.com"]  # the candidate's copy
    with pytest.raises(FeedbackRequestError):
        bounced("someone@else.example")


@pytest.mark.parametrize(("event", "kind"), [("reply", ReplyKind.HUMAN), ("auto_reply", ReplyKind.OUT_OF_OFFICE)])
def test_a_reply_answers_the_message_from_its_recipient_to_its_reply_addresses(event: str, kind: ReplyKind) -> None:
    message, envelope = reply_message(
        FeedbackRequest(event=event, message_id=RECORD["message_id"]), RECORD, now=NOW, inbound_domain=DOMAIN
    )

    mail = parse_mail(message.as_bytes())

    assert mail.kind is kind
    assert mail.sender == "grace@ae.example"
    assert mail.ses_message_ids() == (RECORD["message_id"],)
    assert envelope == [f"reply+01abc.0123456789@{DOMAIN}"]
    event_json = receipt_event(message, "inbound-1", envelope, now=NOW, function_arn="arn:aws:lambda:::function:F")
    receipt = SesReceiptEvent.model_validate(event_json).records[0].ses
    assert receipt.receipt.recipients == envelope
    assert receipt.mail.message_id == "inbound-1"


def test_a_reply_to_a_message_without_a_reply_address_still_reaches_the_inbound_domain() -> None:
    record = {**RECORD, "reply_to": ["Ada Lovelace <ada@example.com>"]}

    _, envelope = reply_message(FeedbackRequest(event="reply", message_id="m"), record, now=NOW, inbound_domain=DOMAIN)

    assert envelope == [f"replies@{DOMAIN}"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"[]",
        b'{"event": "open", "message_id": "m"}',
        b'{"event": "bounce"}',
        b'{"event": "bounce", "message_id": "m", "x": 1}',
        b'{"event": "reply", "message_id": "m", "text": 3}',
    ],
)
def test_a_bad_request_is_refused_with_its_fields(body: bytes) -> None:
    with pytest.raises(FeedbackRequestError) as refused:
        parse_feedback_request(body)
    assert refused.value.fields


def test_the_cli_defaults_are_the_gateways() -> None:
    assert cli.SOCKET_TIMEOUT_DEFAULT == server.SOCKET_TIMEOUT_SECONDS
    assert cli.MAX_CONNECTIONS_DEFAULT == server.MAX_CONNECTIONS
