"""SES event models: every sample in events/feedback parses, the template's rule matches exactly this stack's
sending events, and what SES may add or change never breaks parsing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from moto.events.models import EventPattern
from pydantic import ValidationError

from followup.feedback.ses_events import (
    DETAIL_TYPES,
    BounceRecord,
    ComplaintRecord,
    DeliveryRecord,
    SesEventBridgeEvent,
    SesReceiptEvent,
    is_receipt_event,
    is_sending_event,
)
from followup_local.template import load_template
from tests.conftest import EVENTS, load_event

FEEDBACK_EVENTS = sorted(path.name for path in (EVENTS / "feedback").glob("*.json"))
SENDING_SAMPLES = ["bounce-permanent.json", "bounce-transient.json", "complaint.json", "delivery.json"]
LOCAL_CONFIGURATION_SET = "followup-local-followups"


def test_the_samples_cover_bounce_complaint_delivery_and_a_reply() -> None:
    assert set(SENDING_SAMPLES) | {"inbound-reply.json"} <= set(FEEDBACK_EVENTS)


@pytest.mark.parametrize("name", FEEDBACK_EVENTS)
def test_every_feedback_sample_parses_with_the_models(name: str) -> None:
    event = load_event(f"feedback/{name}")
    if is_sending_event(event):
        parsed: Any = SesEventBridgeEvent.model_validate(event)
        assert parsed.detail.mail.message_id
    else:
        assert is_receipt_event(event)
        parsed = SesReceiptEvent.model_validate(event)
        assert parsed.records[0].ses.receipt.action.type == "Lambda"


def test_permanent_bounce_sample_reads_as_aws_documents_it() -> None:
    event = SesEventBridgeEvent.model_validate(load_event("feedback/bounce-permanent.json"))
    assert event.detail_type == "Email Bounced"
    assert isinstance(event.detail, BounceRecord)
    assert event.detail.bounce.bounce_type == "Permanent"
    assert [r.email_address for r in event.detail.bounce.bounced_recipients] == ["grace@ae.example"]
    assert event.detail.mail.tag("follow_up_id") == "thank_you-0"
    assert event.detail.mail.tag("ses:configuration-set") == LOCAL_CONFIGURATION_SET
    assert event.detail.mail.tag("missing") is None


def test_complaint_and_delivery_samples_have_their_recipients() -> None:
    complaint = SesEventBridgeEvent.model_validate(load_event("feedback/complaint.json")).detail
    delivery = SesEventBridgeEvent.model_validate(load_event("feedback/delivery.json")).detail
    assert isinstance(complaint, ComplaintRecord)
    assert [r.email_address for r in complaint.complaint.complained_recipients] == ["grace@ae.example"]
    assert complaint.complaint.complaint_feedback_type == "abuse"
    assert isinstance(delivery, DeliveryRecord)
    assert delivery.delivery.recipients == ["grace@ae.example"]


def test_fields_ses_adds_later_are_ignored() -> None:
    event = load_event("feedback/delivery.json")
    event["detail"]["somethingNew"] = {"x": 1}
    event["detail"]["mail"]["newField"] = True
    assert SesEventBridgeEvent.model_validate(event).detail.event_type == "Delivery"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e["detail"].update(eventType="Open"),
        lambda e: e.update({"detail-type": "Email Opened"}),
        lambda e: e["detail"]["bounce"].update(bounceType="Soft"),
        lambda e: e["detail"]["bounce"].update(bouncedRecipients=[]),
        lambda e: e["detail"]["mail"].pop("messageId"),
    ],
)
def test_events_the_pipeline_does_not_handle_fail_validation(mutate: Any) -> None:
    event = load_event("feedback/bounce-permanent.json")
    mutate(event)
    with pytest.raises(ValidationError):
        SesEventBridgeEvent.model_validate(event)


def test_shape_checks_tell_the_two_event_kinds_apart() -> None:
    assert is_sending_event(load_event("feedback/delivery.json"))
    assert not is_receipt_event(load_event("feedback/delivery.json"))
    assert is_receipt_event(load_event("feedback/inbound-reply.json"))
    assert not is_sending_event(load_event("feedback/inbound-reply.json"))
    for other in ({}, {"Records": []}, {"Records": [{"eventSource": "aws:s3"}]}, [], "x"):
        assert not is_sending_event(other)
        assert not is_receipt_event(other)


# -- the template's rule -------------------------------------------------------------------------------------------


def _feedback_rule_pattern(configuration_set: str) -> EventPattern:
    (rule,) = [rule for rule in load_template().event_rules() if rule.function == "FeedbackFunction"]
    assert rule.bus == "default", "SES publishes sending events to the default bus only"
    pattern = copy.deepcopy(rule.pattern)
    tags = pattern["detail"]["mail"]["tags"]
    assert tags["ses:configuration-set"] == [{"Ref": "ConfigurationSet"}]
    tags["ses:configuration-set"] = [configuration_set]
    return EventPattern.load(json.dumps(pattern))


def test_feedback_rule_lists_the_documented_ses_detail_types() -> None:
    (rule,) = [rule for rule in load_template().event_rules() if rule.function == "FeedbackFunction"]
    assert rule.pattern["source"] == ["aws.ses"]
    assert sorted(rule.pattern["detail-type"]) == sorted(DETAIL_TYPES)
    assert rule.properties["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["FeedbackDeadLetterQueue", "Arn"]}}


@pytest.mark.parametrize("name", SENDING_SAMPLES)
def test_feedback_rule_matches_this_stacks_events_only(name: str) -> None:
    event = load_event(f"feedback/{name}")
    assert _feedback_rule_pattern(LOCAL_CONFIGURATION_SET).matches_event(event)
    assert not _feedback_rule_pattern("another-stack-followups").matches_event(event)
    opened = copy.deepcopy(event) | {"detail-type": "Email Opened"}
    assert not _feedback_rule_pattern(LOCAL_CONFIGURATION_SET).matches_event(opened)
