"""One interview through the whole chain on moto: API → bus → planner → Scheduler → SQS → sender → SES."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

import pytest

from followup.api.auth import sign
from followup.core import aws as followup_aws
from followup_local.cloud import LocalCloud, in_process_cloud, parse_at_expression
from tests.conftest import load_example
from tests.integration.conftest import SUBMITTED_AT

pytestmark = pytest.mark.integration


def _submit(cloud: LocalCloud, payload: dict, **headers: str) -> dict:
    status, body = cloud.api("POST", "/interviews", payload, headers=headers)
    assert status == 202, body
    return body


def test_sample_interview_is_planned_scheduled_and_sent_once(cloud: LocalCloud) -> None:
    # Given the contract's sample interview
    payload = load_example("interview.json")

    # When it is submitted
    accepted = _submit(cloud, payload)

    # Then the plan has one thank-you for the interviewer, a check-in and a final to the primary contact
    kinds = {item["id"]: item for item in accepted["follow_ups"]}
    assert accepted["status"] == "scheduled"
    assert {"thank_you-0", "check_in", "final"} <= set(kinds)
    thank_you_local = datetime.fromisoformat(kinds["thank_you-0"]["due_at"]).astimezone(ZoneInfo("America/New_York"))
    # Ended Tue 15:00 New York (afternoon) → the next business morning, inside 09:00–17:00, within 24 h
    assert (thank_you_local.date().isoformat(), thank_you_local.hour) == ("2026-11-25", 9)
    check_in_local = datetime.fromisoformat(kinds["check_in"]["due_at"]).astimezone(ZoneInfo("America/New_York"))
    assert check_in_local.isoformat() == "2026-12-07T10:00:00-05:00"  # decision Fri 4 Dec + 1 business day

    # And the stored interview lists them as scheduled, with a schedule each in Scheduler
    status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert status == 200
    assert {f["id"]: f["status"] for f in view["follow_ups"]} == dict.fromkeys(kinds, "scheduled")
    assert [e["event"] for e in view["timeline"]][:1] == ["submitted"]
    schedules = {s["Name"]: s for s in cloud.pending_schedules()}
    assert set(schedules) == {f"{accepted['interview_id']}-{fid}" for fid in kinds}
    schedule = schedules[f"{accepted['interview_id']}-thank_you-0"]
    # The UTC instant (09:00 New York), never a local wall time that a DST change could make ambiguous
    assert schedule["ScheduleExpression"] == "at(2026-11-25T14:00:00)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == cloud.provisioned.arns["SendQueue"]
    assert json.loads(schedule["Target"]["Input"]) == {
        "interview_id": accepted["interview_id"],
        "follow_up_id": "thank_you-0",
    }
    assert parse_at_expression(schedule["ScheduleExpression"], "UTC") == datetime.fromisoformat(
        kinds["thank_you-0"]["due_at"]
    )

    # When the clock passes the thank-you's due time
    cloud.advance(18 * 3600)

    # Then exactly the thank-you went to Grace, and to her only (no Bcc), replies going to the candidate
    sent = cloud.outbox.follow_ups()
    thank_yous = [m for m in sent if m["tags"]["kind"] == "thank_you"]
    assert len(thank_yous) == 1
    mail = thank_yous[0]
    assert mail["to"] == ["Grace Hopper <grace@ae.example>"]
    assert mail["bcc"] == []
    assert mail["cc"] == []
    assert "/panel/" not in mail["text"] + mail["html"]
    assert mail["reply_to"] == ["Ada Lovelace <ada@example.com>"]
    # From shows the candidate's own name, nothing added; the address is the deployment's (Ada's is not verified)
    assert mail["from"] == f"Ada Lovelace <{cloud.provisioned.parameters['SenderEmail']}>"
    assert mail["tags"] == {
        "interview_id": accepted["interview_id"],
        "follow_up_id": "thank_you-0",
        "kind": "thank_you",
    }
    assert mail["headers"]["X-Followup-Interview"] == accepted["interview_id"]
    assert mail["configuration_set"] == cloud.provisioned.physical["ConfigurationSet"]
    assert "Grace" in mail["text"]
    assert "Senior Data Engineer" in mail["text"]
    assert "moving nightly batch ETL to streaming" in mail["text"]
    assert mail["sent_at"] == "2026-11-25T14:00:00Z"
    # And the candidate got their own copy: what went, to whom, when in both zones, and the manage link
    (copy,) = cloud.outbox.copies()
    assert copy["to"] == ["Ada Lovelace <ada@example.com>"]
    assert copy["from"] == f"Interview Follow-ups <{cloud.provisioned.parameters['SenderEmail']}>"
    assert copy["subject"] == f"Sent: {mail['subject']}"[:70]
    assert copy["tags"] == {"copy_of_interview": accepted["interview_id"], "copy_of": "thank_you-0", "kind": "copy"}
    assert copy["text"].startswith("Sent in your name to Grace Hopper <grace@ae.example> on ")
    assert mail["text"] in copy["text"]
    assert f"Subject: {mail['subject']}" in copy["text"]
    manage = re.search(r"https?://[^/\s]+(/panel/m/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", copy["text"])
    assert manage is not None, copy["text"]
    assert manage.group(0) in copy["html"]
    status, headers, _ = cloud.http(
        "POST", manage.group(1), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert (status, headers["location"]) == (303, f"/panel/interviews/{accepted['interview_id']}")
    assert "\r" not in mail["subject"]
    assert "\n" not in mail["subject"]
    assert len(mail["subject"]) <= 70

    # And its schedule is gone (ActionAfterCompletion=DELETE), the follow-up is sent with SES's MessageId
    assert f"{accepted['interview_id']}-thank_you-0" not in {s["Name"] for s in cloud.pending_schedules()}
    status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    state = {f["id"]: f for f in view["follow_ups"]}
    assert state["thank_you-0"]["status"] == "sent"
    assert state["thank_you-0"]["message_id"] == mail["message_id"]
    assert state["check_in"]["status"] == "scheduled"

    # When every record is delivered twice more (SQS at-least-once)
    before = len(cloud.outbox.messages)
    url = cloud.provisioned.physical["SendQueue"]
    for fid in state:
        for _ in range(2):
            body = json.dumps({"interview_id": accepted["interview_id"], "follow_up_id": fid})
            cloud.sqs.send_message(QueueUrl=url, MessageBody=body)
    cloud.drain_queues()

    # Then nothing already sent goes again, and nothing not yet due goes early
    assert len(cloud.outbox.messages) == before

    # When the rest of the plan comes due
    cloud.advance(40 * 86400)

    # Then each follow-up was sent exactly once, and no schedule is left
    by_follow_up: dict[str, int] = {}
    for message in cloud.outbox.follow_ups():
        by_follow_up[message["tags"].get("follow_up_id")] = by_follow_up.get(message["tags"].get("follow_up_id"), 0) + 1
    assert by_follow_up == dict.fromkeys(kinds, 1)
    assert cloud.pending_schedules() == []
    status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert {f["status"] for f in view["follow_ups"]} == {"sent"}
    check_in_mail = next(m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "check_in")
    assert check_in_mail["sent_at"] == "2026-12-07T15:00:00Z"


def test_panel_interview_sends_distinct_thank_yous_in_each_recipients_morning(cloud: LocalCloud) -> None:
    # Given a panel in New York and London
    payload = load_example("interview-panel.json")

    # When it is submitted and a day passes
    accepted = _submit(cloud, payload)
    cloud.advance(86400)

    # Then each interviewer got their own thank-you, in their own morning, citing their own topics
    thank_yous = {
        m["tags"].get("follow_up_id"): m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "thank_you"
    }
    assert set(thank_yous) == {"thank_you-0", "thank_you-1"}
    assert "testing stream processors" in thank_yous["thank_you-1"]["text"]
    assert "testing stream processors" not in thank_yous["thank_you-0"]["text"]
    assert thank_yous["thank_you-0"]["text"] != thank_yous["thank_you-1"]["text"]
    london = datetime.fromisoformat(thank_yous["thank_you-1"]["sent_at"]).astimezone(ZoneInfo("Europe/London"))
    assert 9 <= london.hour < 17
    assert len(accepted["follow_ups"]) == 4


def test_signed_webhook_is_accepted_and_a_bad_signature_writes_nothing(cloud: LocalCloud) -> None:
    payload = load_example("interview.json")
    body = json.dumps(payload).encode()
    now = int(cloud.clock.now().timestamp())

    # A valid signature over the raw body is accepted
    good = {"x-followup-signature": sign(cloud.webhook_secret, body, now), "content-type": "application/json"}
    status, _, data = cloud.http("POST", "/interviews", body=body, headers=good)
    assert status == 202, data

    # A signature made with another secret, or too old, is refused and nothing is planned
    for header in (sign("not-the-secret", body, now), sign(cloud.webhook_secret, body, now - 400)):
        status, _, data = cloud.http(
            "POST",
            "/interviews",
            body=body,
            headers={"x-followup-signature": header, "content-type": "application/json"},
        )
        assert status == 401
        assert json.loads(data)["error"]["code"] == "unauthorized"
    assert len(cloud.pending_schedules()) == 5  # only the accepted interview's plan


def test_idempotency_key_replays_the_same_answer_and_refuses_another_body(cloud: LocalCloud) -> None:
    payload = load_example("interview.json")
    first = _submit(cloud, payload, **{"Idempotency-Key": "order-42"})
    again = _submit(cloud, payload, **{"Idempotency-Key": "order-42"})
    assert again == first
    assert len(cloud.pending_schedules()) == len(first["follow_ups"])

    other = json.loads(json.dumps(payload))
    other["position"]["title"] = "Principal Data Engineer"
    status, body = cloud.api("POST", "/interviews", other, headers={"Idempotency-Key": "order-42"})
    assert status == 409
    assert body["error"]["code"] == "idempotency_key_reused"
    assert len(cloud.pending_schedules()) == len(first["follow_ups"])


def test_redelivered_submission_event_plans_once(cloud: LocalCloud) -> None:
    # Given an interview whose InterviewSubmitted event reaches the planner twice
    payload = load_example("interview.json")
    captured: list[dict] = []
    events_client = cloud.events

    def capture(params: dict, **_: object) -> None:
        captured.extend(params["Entries"])

    from followup.core import aws

    aws.client("events").meta.events.register("before-parameter-build.events.PutEvents", capture)
    accepted = _submit(cloud, payload)
    schedules = {s["Name"] for s in cloud.pending_schedules()}
    entry = captured[0]
    event = {
        "version": "0",
        "id": "redelivery",
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": json.loads(entry["Detail"]),
    }

    # When the planner gets it again
    result = cloud.runtime.invoke("PlannerFunction", event)

    # Then nothing is written or scheduled twice
    assert result == {"interview_id": accepted["interview_id"], "stored": False, "schedules": 0}
    assert {s["Name"] for s in cloud.pending_schedules()} == schedules
    _status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert len(view["follow_ups"]) == len(accepted["follow_ups"])
    assert [e["event"] for e in view["timeline"]].count("submitted") == 1
    assert events_client is not None


def test_throttled_send_is_retried_and_sent_once(cloud: LocalCloud) -> None:
    from botocore.exceptions import ClientError

    from followup.core import aws

    # Given SES refuses the first two sends for rate
    refusals = {"left": 2}

    def throttle(**_: object) -> None:
        if refusals["left"] > 0:
            refusals["left"] -= 1
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                "SendEmail",
            )

    aws.client("sesv2").meta.events.register("before-call.sesv2.SendEmail", throttle)
    accepted = _submit(cloud, load_example("interview.json"))

    # When the thank-you comes due
    cloud.advance(18 * 3600)

    # Then it went out once, after the refusals
    thank_yous = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    assert len(thank_yous) == 1
    assert refusals["left"] == 0
    _status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert {f["id"]: f["status"] for f in view["follow_ups"]}["thank_you-0"] == "sent"


def test_crash_after_send_before_mark_sent_is_failed_and_never_resent(cloud: LocalCloud) -> None:
    from followup.adapters import dynamodb
    from followup.core import aws

    # Given the sender process dies right after SES accepted the thank-you
    accepted = _submit(cloud, load_example("interview.json"))
    original = dynamodb.FollowUpTable.mark_sent

    class Crash(BaseException):
        pass

    def crash(self: dynamodb.FollowUpTable, record: dynamodb.FollowUpRecord, **kwargs: object) -> bool:
        if record.follow_up_id == "thank_you-0":
            raise Crash
        return original(self, record, **kwargs)  # type: ignore[arg-type]

    dynamodb.FollowUpTable.mark_sent = crash  # type: ignore[method-assign]
    try:
        with pytest.raises(Crash):
            cloud.advance(18 * 3600)
    finally:
        dynamodb.FollowUpTable.mark_sent = original  # type: ignore[method-assign]
    assert len([m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]) == 1

    # When the message comes back after the claim's lease
    cloud.clock.advance(200)
    cloud.sqs.send_message(
        QueueUrl=cloud.provisioned.physical["SendQueue"],
        MessageBody=json.dumps({"interview_id": accepted["interview_id"], "follow_up_id": "thank_you-0"}),
    )
    cloud.drain_queues()

    # Then it is marked failed with the reason, never sent a second time
    assert len([m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]) == 1
    _status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    state = {f["id"]: f for f in view["follow_ups"]}["thank_you-0"]
    assert state["status"] == "failed"
    assert "interrupted mid-send" in state["reason"]
    assert any(e["event"] == "failed" for e in view["timeline"])
    assert aws is not None


def test_unknown_interview_is_404_and_bad_id_is_404(cloud: LocalCloud) -> None:
    assert cloud.api("GET", "/interviews/0123456789abcdef012345")[0] == 404
    assert cloud.api("GET", "/interviews/not-an-id")[0] == 404


def test_clock_reads_through_every_component(cloud: LocalCloud) -> None:
    before = cloud.clock.now()
    cloud.advance(3600)
    assert (cloud.clock.now() - before).total_seconds() == 3600
    assert cloud.clock.now().tzinfo == UTC


def test_a_candidate_whose_domain_is_a_verified_identity_sends_from_their_own_address(cloud: LocalCloud) -> None:
    # Given the candidate's domain is a verified SES identity of the account
    followup_aws.client("ses").verify_domain_identity(Domain="example.com")
    payload = load_example("interview.json")

    # When the thank-you comes due
    _submit(cloud, payload)
    cloud.advance(18 * 3600)

    # Then it goes from Ada's own address under her own name, replies still to her
    (mail,) = [m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "thank_you"]
    assert mail["from"] == "Ada Lovelace <ada@example.com>"
    assert mail["reply_to"] == ["Ada Lovelace <ada@example.com>"]


def test_with_send_from_candidate_address_off_every_mail_goes_from_the_sender_address() -> None:
    # Given a deployment that never sends as the candidate (SendFromCandidateAddress=false: its role may send from
    # SenderEmail only), though the candidate's domain is a verified identity
    with in_process_cloud(SUBMITTED_AT, parameters={"SendFromCandidateAddress": "false"}) as cloud:
        followup_aws.client("ses").verify_domain_identity(Domain="example.com")
        _submit(cloud, load_example("interview.json"))

        # When the thank-you comes due
        cloud.advance(18 * 3600)

        # Then it goes from SenderEmail, replies still to Ada
        (mail,) = [m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "thank_you"]
        assert parseaddr(mail["from"])[1] == cloud.provisioned.parameters["SenderEmail"]
        assert mail["reply_to"] == ["Ada Lovelace <ada@example.com>"]


@pytest.mark.parametrize(
    ("code", "message", "reason"),
    [
        ("MessageRejected", "Email address is not verified.", "a recipient is not a verified address"),
        ("AccessDeniedException", "not authorized to perform ses:SendEmail", "not allowed to send from this address"),
        ("MailFromDomainNotVerifiedException", "MAIL FROM domain not verified", "MAIL FROM domain"),
    ],
)
def test_a_refused_message_is_failed_with_a_reason_a_person_can_act_on(
    cloud: LocalCloud, code: str, message: str, reason: str
) -> None:
    from botocore.exceptions import ClientError

    from followup.core import aws

    def refuse(**_: object) -> None:
        raise ClientError({"Error": {"Code": code, "Message": message}}, "SendEmail")

    aws.client("sesv2").meta.events.register("before-call.sesv2.SendEmail", refuse)
    accepted = _submit(cloud, load_example("interview.json"))

    cloud.advance(18 * 3600)

    # Then the thank-you is failed (not "interrupted mid-send"), the timeline says why, and it is never retried
    _status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert {f["id"]: f["status"] for f in view["follow_ups"]}["thank_you-0"] == "failed"
    details = " ".join(entry["detail"] for entry in view["timeline"])
    assert reason in details
    assert code in details
    assert "interrupted" not in details


def test_paused_sending_fails_nothing_and_keeps_the_work(cloud: LocalCloud) -> None:
    from botocore.exceptions import ClientError

    from followup.core import aws

    # Given the SES account is paused
    def pause(**_: object) -> None:
        raise ClientError({"Error": {"Code": "SendingPausedException", "Message": "paused"}}, "SendEmail")

    aws.client("sesv2").meta.events.register("before-call.sesv2.SendEmail", pause)
    accepted = _submit(cloud, load_example("interview.json"))

    # When the thank-you comes due (Wed 09:00 New York, 17 h after submission)
    cloud.advance(18 * 3600)

    # Then nothing is failed or sent: the follow-up is still scheduled (its claim released) and the work is kept —
    # on the queue, or in its DLQ once the retries run out (the local poller retries at once; on AWS each retry
    # waits PAUSED_RETRY_SECONDS), where a redrive sends it when sending resumes
    _status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert {f["id"]: f["status"] for f in view["follow_ups"]}["thank_you-0"] == "scheduled"
    assert not [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    kept = []
    for queue in ("SendQueue", "SendDeadLetterQueue"):
        url = cloud.provisioned.physical[queue]
        kept += cloud.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    assert any(json.loads(m["Body"])["follow_up_id"] == "thank_you-0" for m in kept)
