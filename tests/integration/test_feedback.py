"""FeedbackFunction on the in-process cloud: SES bounces, complaints and deliveries, and inbound replies."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from followup.adapters.suppression import is_suppressed
from followup.core import aws as followup_aws
from followup.core.reply_address import reply_address
from followup.feedback import services as feedback_services
from followup_local.cloud import LocalCloud, in_process_cloud
from tests.conftest import load_event, load_example
from tests.integration.conftest import SUBMITTED_AT

pytestmark = pytest.mark.integration

INBOUND_DOMAIN = "replies.followup.local"
GRACE = "grace@ae.example"
CANDIDATE = "ada@example.com"


@pytest.fixture(autouse=True)
def _cold_feedback_function() -> Iterator[None]:
    # The processor is cached per warm function; every test starts from a cold one on its own moto state.
    feedback_services.reset()
    yield
    feedback_services.reset()


@pytest.fixture
def inbound_cloud() -> Iterator[LocalCloud]:
    """The cloud with replies on: InboundDomain set, so the template's inbound bucket exists."""
    with in_process_cloud(SUBMITTED_AT, parameters={"InboundDomain": INBOUND_DOMAIN}) as deployed:
        yield deployed


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """Every PutEvents entry the handlers' own events client sends (the planner may or may not consume it)."""
    entries: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        entries.extend(copy.deepcopy(params.get("Entries", [])))

    events = followup_aws.client("events").meta.events
    events.register("before-parameter-build.events.PutEvents", capture, unique_id="test-feedback-capture")
    yield entries
    events.unregister("before-parameter-build.events.PutEvents", unique_id="test-feedback-capture")


# -- helpers ----------------------------------------------------------------------------------------------------


def _thank_you_sent(cloud: LocalCloud) -> tuple[str, dict[str, Any]]:
    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202, accepted
    cloud.advance(18 * 3600)
    (mail,) = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    return str(accepted["interview_id"]), mail


def _view(cloud: LocalCloud, interview_id: str) -> dict[str, Any]:
    status, body = cloud.api("GET", f"/interviews/{interview_id}")
    assert status == 200, body
    return dict(body)


def _statuses(cloud: LocalCloud, interview_id: str) -> dict[str, str]:
    return {f["id"]: f["status"] for f in _view(cloud, interview_id)["follow_ups"]}


def _events(cloud: LocalCloud, interview_id: str) -> list[str]:
    return [entry["event"] for entry in _view(cloud, interview_id)["timeline"]]


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _sending_event(sample: str, cloud: LocalCloud, sent: dict[str, Any], **detail_changes: Any) -> dict[str, Any]:
    """A sample from events/feedback about the message the outbox captured, stamped with the virtual time."""
    event = load_event(f"feedback/{sample}")
    now = _iso(cloud.clock.now())
    event["time"] = now
    mail = event["detail"]["mail"]
    mail["messageId"] = sent["message_id"]
    mail["timestamp"] = now
    mail["tags"]["ses:configuration-set"] = [cloud.provisioned.physical["ConfigurationSet"]]
    mail["tags"].update({name: [value] for name, value in sent["tags"].items()})
    for part in ("bounce", "complaint", "delivery"):
        if part in event["detail"]:
            event["detail"][part]["timestamp"] = now
    for key, value in detail_changes.items():
        event["detail"][key] = value
    return event


def _invoke(cloud: LocalCloud, event: Any) -> dict[str, Any]:
    result = cloud.runtime.invoke("FeedbackFunction", event)
    cloud.run_until_idle()  # deliver what it published (FollowUpsStopped, FollowUpsRescheduled) to the planner
    return dict(result)


def _to(cloud: LocalCloud, address: str) -> int:
    return sum(1 for m in cloud.outbox.follow_ups() if any(address in to for to in m["to"]))


# -- bounces and complaints -------------------------------------------------------------------------------------


def test_permanent_bounce_suppresses_the_address_and_stops_its_follow_ups(cloud: LocalCloud) -> None:
    # Given a sent thank-you to Grace, with a check-in and a final still pending for her
    interview_id, sent = _thank_you_sent(cloud)
    before = _statuses(cloud, interview_id)
    assert before["check_in"] == before["final"] == "scheduled"

    # When SES reports a permanent bounce of that message
    result = _invoke(cloud, _sending_event("bounce-permanent.json", cloud, sent))

    # Then her pending follow-ups are suppressed, the candidate's own tasks are untouched
    assert result["outcome"] == "suppressed: bounce"
    assert sorted(result["follow_up_ids"]) == ["check_in", "final"]
    after = _statuses(cloud, interview_id)
    assert after["check_in"] == after["final"] == "suppressed"
    assert after["thank_you-0"] == "sent"
    for follow_up_id, status in before.items():
        if follow_up_id.startswith("reminder_"):
            assert after[follow_up_id] == status
    # And the address is on the suppression list the planner reads, the timeline says why, schedules are gone
    table = cloud.provisioned.physical["FollowUpTable"]
    client = cloud.session.client("dynamodb", region_name="us-east-1")
    assert is_suppressed(client, table, ["Grace@AE.example", CANDIDATE]) == {GRACE}
    item = client.get_item(TableName=table, Key={"pk": {"S": f"SUPPRESSED#{GRACE}"}, "sk": {"S": "#"}})["Item"]
    assert item["reason"]["S"] == "BOUNCE"
    retention = int(cloud.provisioned.parameters["RetentionDays"]) * 86400
    assert int(item["expires_at"]["N"]) == pytest.approx(cloud.clock.now().timestamp() + retention, abs=5)
    timeline = _view(cloud, interview_id)["timeline"]
    bounced = [entry for entry in timeline if entry["event"] == "bounced"]
    assert len(bounced) == 1
    assert "thank_you-0" in bounced[0]["detail"]
    assert GRACE not in json.dumps(timeline)
    assert [e["event"] for e in timeline].count("suppressed") == 2
    assert not [
        s for s in cloud.pending_schedules() if s["Name"] in {f"{interview_id}-check_in", f"{interview_id}-final"}
    ]

    # When the rest of the plan comes due
    to_grace = _to(cloud, GRACE)
    cloud.advance(40 * 86400)

    # Then nothing more goes to that address
    assert _to(cloud, GRACE) == to_grace
    assert _statuses(cloud, interview_id)["check_in"] == "suppressed"


def test_complaint_suppresses_like_a_permanent_bounce(cloud: LocalCloud) -> None:
    interview_id, sent = _thank_you_sent(cloud)

    result = _invoke(cloud, _sending_event("complaint.json", cloud, sent))

    assert result["outcome"] == "suppressed: complaint"
    statuses = _statuses(cloud, interview_id)
    assert statuses["check_in"] == statuses["final"] == "suppressed"
    assert "complained" in _events(cloud, interview_id)
    table = cloud.provisioned.physical["FollowUpTable"]
    client = cloud.session.client("dynamodb", region_name="us-east-1")
    assert is_suppressed(client, table, [GRACE]) == {GRACE}
    sent_before = _to(cloud, GRACE)
    cloud.advance(40 * 86400)
    assert _to(cloud, GRACE) == sent_before


def test_bounce_without_tags_is_matched_by_its_message_id(cloud: LocalCloud) -> None:
    # Given a bounce whose mail carries no interview tags (only the MessageId index can find the interview)
    interview_id, sent = _thank_you_sent(cloud)
    event = _sending_event("bounce-permanent.json", cloud, sent)
    event["detail"]["mail"]["tags"] = {"ses:configuration-set": [cloud.provisioned.physical["ConfigurationSet"]]}

    result = _invoke(cloud, event)

    assert result["interview_id"] == interview_id
    assert _statuses(cloud, interview_id)["check_in"] == "suppressed"


def test_transient_bounce_is_only_noted(cloud: LocalCloud) -> None:
    interview_id, sent = _thank_you_sent(cloud)

    result = _invoke(cloud, _sending_event("bounce-transient.json", cloud, sent))

    assert result["outcome"] == "soft_bounce"
    assert _statuses(cloud, interview_id)["check_in"] == "scheduled"
    assert "soft_bounce" in _events(cloud, interview_id)
    client = cloud.session.client("dynamodb", region_name="us-east-1")
    assert is_suppressed(client, cloud.provisioned.physical["FollowUpTable"], [GRACE]) == set()


def test_delivery_is_recorded_once_on_the_timeline(cloud: LocalCloud) -> None:
    interview_id, sent = _thank_you_sent(cloud)
    event = _sending_event("delivery.json", cloud, sent)

    # When SES reports the delivery, and EventBridge delivers the event twice
    assert _invoke(cloud, event)["outcome"] == "delivered"
    _invoke(cloud, event)

    # Then the timeline has one "delivered" entry naming the follow-up, not the address
    delivered = [e for e in _view(cloud, interview_id)["timeline"] if e["event"] == "delivered"]
    assert len(delivered) == 1
    assert delivered[0]["detail"].startswith("thank_you-0")
    assert GRACE not in delivered[0]["detail"]
    assert _statuses(cloud, interview_id)["check_in"] == "scheduled"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"source": "aws.ses", "detail-type": "Email Opened", "detail": {"eventType": "Open"}},
        {"source": "aws.ses", "detail-type": "Email Bounced", "detail": {"eventType": "Bounce", "mail": {}}},
        {"Records": [{"eventSource": "aws:ses", "ses": {"mail": {}}}]},
        {"Records": [{"eventSource": "aws:s3"}]},
    ],
)
def test_unknown_and_malformed_events_are_dropped_without_a_crash(cloud: LocalCloud, event: Any) -> None:
    assert _invoke(cloud, event)["outcome"].startswith("dropped")


def test_another_stacks_events_and_unknown_messages_change_nothing(cloud: LocalCloud) -> None:
    interview_id, sent = _thank_you_sent(cloud)
    other = _sending_event("bounce-permanent.json", cloud, sent)
    other["detail"]["mail"]["tags"]["ses:configuration-set"] = ["someone-elses-set"]
    assert _invoke(cloud, other)["outcome"].startswith("dropped")

    unknown = _sending_event("bounce-permanent.json", cloud, sent)
    unknown["detail"]["mail"]["tags"] = {}
    unknown["detail"]["mail"]["messageId"] = "0100019affffffff-unknown-000000"
    unknown["detail"]["bounce"]["bouncedRecipients"] = [{"emailAddress": "stranger@elsewhere.example"}]
    # An unknown message's bounce still suppresses its address (it bounced), but touches no interview
    assert _invoke(cloud, unknown) == {"outcome": "suppressed: bounce", "interview_id": None, "follow_up_ids": []}
    assert _statuses(cloud, interview_id)["check_in"] == "scheduled"


@pytest.mark.parametrize("name", ["bounce-permanent.json", "complaint.json", "delivery.json", "inbound-reply.json"])
def test_every_sample_runs_cleanly_on_a_fresh_state(cloud: LocalCloud, name: str) -> None:
    result = _invoke(cloud, load_event(f"feedback/{name}"))
    assert result["interview_id"] is None


# -- replies ----------------------------------------------------------------------------------------------------


def _store_reply(cloud: LocalCloud, ses_message_id: str, message: EmailMessage) -> None:
    bucket = cloud.provisioned.physical["InboundMailBucket"]
    s3 = cloud.session.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=bucket, Key=f"inbound/{ses_message_id}", Body=message.as_bytes())


def _reply(
    cloud: LocalCloud,
    interview_id: str,
    sent: dict[str, Any],
    body: str,
    *,
    subject: str = "Re: Thank you",
    via_reply_address: bool = True,
    sender: str = f"Grace Hopper <{GRACE}>",
    headers: dict[str, str] | None = None,
    ses_message_id: str = "inbound-0001",
) -> dict[str, Any]:
    """Store a reply in the inbound bucket as the S3 action would, then invoke with the receipt rule's event."""
    secret = cloud.provisioned.secrets["LinkSecretParameterName"]
    address = reply_address(secret, interview_id, INBOUND_DOMAIN)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"Ada Lovelace <{CANDIDATE}>" + (f", {address}" if via_reply_address else "")
    message["Subject"] = subject
    message["Message-ID"] = f"<{ses_message_id}@mail.ae.example>"
    message["In-Reply-To"] = f"<{sent['message_id']}@email.amazonses.com>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    _store_reply(cloud, ses_message_id, message)
    event = load_event("feedback/inbound-reply.json")
    record = event["Records"][0]["ses"]
    record["mail"]["messageId"] = ses_message_id
    record["mail"]["timestamp"] = record["receipt"]["timestamp"] = _iso(cloud.clock.now())
    record["receipt"]["recipients"] = [address] if via_reply_address else [f"anyone@{INBOUND_DOMAIN}"]
    return _invoke(cloud, event)


def test_a_human_reply_stops_every_nudge_and_keeps_the_candidates_tasks(
    inbound_cloud: LocalCloud, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    cloud = inbound_cloud
    caplog.set_level(logging.DEBUG, logger="followup")
    interview_id, sent = _thank_you_sent(cloud)
    before = _statuses(cloud, interview_id)

    # When Grace answers the thank-you
    result = _reply(cloud, interview_id, sent, "Thanks Ada! We'll decide by Friday.\n\nOn Tue, Ada wrote:\n> Thanks")

    # Then the check-in and final are cancelled, the candidate's own reminders stay as they were
    assert result["outcome"] == "replied"
    after = _statuses(cloud, interview_id)
    assert after["check_in"] == after["final"] == "cancelled"
    assert {k: v for k, v in after.items() if k.startswith("reminder_")} == {
        k: v for k, v in before.items() if k.startswith("reminder_")
    }
    assert "replied" in _events(cloud, interview_id)
    # And the logs say what happened without an address or a word of the body
    captured = capsys.readouterr()
    logs = captured.out + captured.err + "\n".join(record.getMessage() for record in caplog.records)
    assert "reply received" in logs
    for needle in (GRACE, CANDIDATE, INBOUND_DOMAIN, "decide by Friday"):
        assert needle not in logs, needle
    to_grace = _to(cloud, GRACE)
    cloud.advance(40 * 86400)
    assert _to(cloud, GRACE) == to_grace


def test_a_reply_without_the_reply_address_is_matched_by_in_reply_to(inbound_cloud: LocalCloud) -> None:
    cloud = inbound_cloud
    interview_id, sent = _thank_you_sent(cloud)

    result = _reply(cloud, interview_id, sent, "Sounds good.", via_reply_address=False)

    assert result == {"outcome": "replied", "interview_id": interview_id, "follow_up_ids": ["check_in", "final"]}


def test_an_out_of_office_moves_the_next_nudge_after_the_return_date(
    inbound_cloud: LocalCloud, published: list[dict[str, Any]]
) -> None:
    cloud = inbound_cloud
    interview_id, sent = _thank_you_sent(cloud)
    check_in_due = {f["id"]: f["due_at"] for f in _view(cloud, interview_id)["follow_ups"]}["check_in"]
    assert datetime.fromisoformat(check_in_due) == datetime(2026, 12, 7, 15, tzinfo=UTC)  # Mon 10:00 New York

    # When Grace's auto-reply says she is back on Monday, December 7
    result = _reply(
        cloud,
        interview_id,
        sent,
        "I am out of the office and will be back on Monday, December 7. For urgent matters call the desk.",
        subject="Automatic reply: Thank you",
        headers={"Auto-Submitted": "auto-replied"},
    )

    # Then the check-in moves to Tue 8 Dec 10:00 New York (return + 1 working day), the final keeps 7 working
    # days after it, and the planner is told through FollowUpsRescheduled
    assert result["outcome"] == "out_of_office"
    (entry,) = [e for e in published if e["DetailType"] == "FollowUpsRescheduled"]
    detail = json.loads(entry["Detail"])
    assert detail["interview_id"] == interview_id
    assert detail["reason"] == "out of office until 2026-12-07"
    moved = {item["id"]: item["due_at"] for item in detail["follow_ups"]}
    assert moved == {"check_in": "2026-12-08T15:00:00Z", "final": "2026-12-17T15:00:00Z"}
    assert {item["timezone"] for item in detail["follow_ups"]} == {"America/New_York"}
    assert "out_of_office" in _events(cloud, interview_id)
    # And the planner moved the stored follow-ups and their schedules; nothing stopped
    view = {f["id"]: f for f in _view(cloud, interview_id)["follow_ups"]}
    assert view["check_in"]["status"] == "scheduled"
    assert datetime.fromisoformat(view["check_in"]["due_at"]) == datetime(2026, 12, 8, 15, tzinfo=UTC)
    schedule = next(s for s in cloud.pending_schedules() if s["Name"] == f"{interview_id}-check_in")
    assert schedule["ScheduleExpression"] == "at(2026-12-08T15:00:00)"  # 10:00 New York, as the UTC instant


def test_an_out_of_office_without_a_date_leaves_a_later_nudge_alone(
    inbound_cloud: LocalCloud, published: list[dict[str, Any]]
) -> None:
    cloud = inbound_cloud
    interview_id, sent = _thank_you_sent(cloud)

    # 5 business days from Wed 25 Nov (Thanksgiving skipped) is Thu 3 Dec: the check-in (7 Dec) is later already
    result = _reply(cloud, interview_id, sent, "I'm away with limited access to email.", subject="Out of Office")

    assert result["outcome"] == "out_of_office"
    assert not [e for e in published if e["DetailType"] == "FollowUpsRescheduled"]
    timeline = _view(cloud, interview_id)["timeline"]
    assert any(e["event"] == "out_of_office" and "already due after that" in e["detail"] for e in timeline)
    assert _statuses(cloud, interview_id)["check_in"] == "scheduled"


@pytest.mark.parametrize(
    ("sender", "headers", "subject"),
    [
        (f"Ada Lovelace <{CANDIDATE}>", {}, "Re: Thank you"),  # the candidate's own copy answered
        ("Helpdesk <help@ae.example>", {"Auto-Submitted": "auto-generated"}, "Ticket received"),
    ],
)
def test_mail_that_is_not_the_companys_reply_changes_nothing(
    inbound_cloud: LocalCloud, sender: str, headers: dict[str, str], subject: str
) -> None:
    cloud = inbound_cloud
    interview_id, sent = _thank_you_sent(cloud)

    result = _reply(cloud, interview_id, sent, "Thanks", sender=sender, headers=headers, subject=subject)

    assert result["outcome"].startswith("dropped")
    assert _statuses(cloud, interview_id)["check_in"] == "scheduled"


def test_forged_missing_or_malformed_replies_are_dropped(inbound_cloud: LocalCloud) -> None:
    cloud = inbound_cloud
    interview_id, _ = _thank_you_sent(cloud)
    event = load_event("feedback/inbound-reply.json")
    record = event["Records"][0]["ses"]

    # A reply address with a forged tag and no In-Reply-To
    forged = EmailMessage()
    forged["From"] = "Mallory <mallory@evil.example>"
    forged["To"] = f"reply+{interview_id}.0000000000@{INBOUND_DOMAIN}"
    forged["Subject"] = "stop"
    forged.set_content("stop everything")
    _store_reply(cloud, "forged-1", forged)
    record["mail"]["messageId"] = "forged-1"
    record["receipt"]["recipients"] = [f"reply+{interview_id}.0000000000@{INBOUND_DOMAIN}"]
    assert _invoke(cloud, event)["outcome"].startswith("dropped: no interview")

    # No stored object, then an object that is not mail
    record["mail"]["messageId"] = "never-stored"
    assert _invoke(cloud, event)["outcome"].startswith("dropped: stored message not found")
    s3 = cloud.session.client("s3", region_name="us-east-1")
    s3.put_object(Bucket=cloud.provisioned.physical["InboundMailBucket"], Key="inbound/garbage", Body=b"\x00\x01")
    record["mail"]["messageId"] = "garbage"
    assert _invoke(cloud, event)["outcome"].startswith("dropped: malformed")

    # A spam verdict is never read
    record["receipt"]["spamVerdict"] = {"status": "FAIL"}
    assert _invoke(cloud, event)["outcome"].startswith("dropped: spam")

    assert _statuses(cloud, interview_id)["check_in"] == "scheduled"


def test_replies_are_ignored_when_the_stack_has_no_inbound_domain(cloud: LocalCloud) -> None:
    interview_id, _ = _thank_you_sent(cloud)
    assert _invoke(cloud, load_event("feedback/inbound-reply.json"))["outcome"] == (
        "dropped: replies are off (no InboundDomain)"
    )
    assert _statuses(cloud, interview_id)["check_in"] == "scheduled"
