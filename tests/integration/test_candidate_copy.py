"""The candidate's own copy of every message sent in their name: a separate mail with the manage link (a Bcc would
have to be the interviewer's mail byte for byte), sent after the message is marked sent, never at its expense."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from followup.core import aws as followup_aws
from followup.feedback import services as feedback_services
from followup.sender import send as send_module
from followup_local.cloud import LocalCloud
from tests.conftest import load_event, load_example

CANDIDATE = "ada@example.com"


@pytest.fixture(autouse=True)
def _no_pause(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(send_module, "COPY_RETRY_SECONDS", 0.0)
    feedback_services.reset()
    yield
    feedback_services.reset()


def _refuse_copies(code: str, times: int) -> dict[str, int]:
    """SES refuses the next `times` copies (tagged kind=copy) with `code`; every other message goes."""
    seen = {"refused": 0}

    def refuse(params: dict[str, Any], **_: Any) -> None:
        tags = {t["Name"]: t["Value"] for t in params.get("EmailTags", [])}
        if tags.get("kind") == "copy" and seen["refused"] < times:
            seen["refused"] += 1
            raise ClientError({"Error": {"Code": code, "Message": "refused by the test"}}, "SendEmail")

    followup_aws.client("sesv2").meta.events.register(
        "before-parameter-build.sesv2.SendEmail", refuse, unique_id="test-refuse-copies"
    )
    return seen


@pytest.fixture(autouse=True)
def _unregister() -> Iterator[None]:
    yield
    followup_aws.client("sesv2").meta.events.unregister(
        "before-parameter-build.sesv2.SendEmail", unique_id="test-refuse-copies"
    )


def _view(cloud: LocalCloud, interview_id: str) -> dict[str, Any]:
    status, body = cloud.api("GET", f"/interviews/{interview_id}")
    assert status == 200, body
    return dict(body)


def test_every_message_to_someone_else_has_one_copy_and_reminders_and_drafts_have_none(cloud: LocalCloud) -> None:
    payload = load_example("interview.json")
    status, accepted = cloud.api("POST", "/interviews", payload)
    assert status == 202
    interview_id = accepted["interview_id"]
    cloud.advance(60 * 86400)

    sent = [m for m in cloud.outbox.follow_ups() if m["tags"].get("interview_id") == interview_id]
    to_others = [m for m in sent if CANDIDATE not in m["to"][0]]
    to_candidate = [m for m in sent if CANDIDATE in m["to"][0]]
    assert to_others
    assert to_candidate
    copies = cloud.outbox.copies()
    # One copy per message that went to someone else, none for the candidate's own reminders
    assert sorted(c["tags"]["copy_of"] for c in copies) == sorted(m["tags"]["follow_up_id"] for m in to_others)
    by_follow_up = {m["tags"]["follow_up_id"]: m for m in to_others}
    for copy in copies:
        original = by_follow_up[copy["tags"]["copy_of"]]
        assert copy["to"] == [f"Ada Lovelace <{CANDIDATE}>"]
        assert original["text"] in copy["text"]
        assert "/panel/m/" in copy["text"]
        assert "/panel/m/" not in original["text"] + original["html"]
        assert copy["sent_at"] == original["sent_at"]
        assert copy["headers"]["X-Followup-Kind"] == f"copy-{original['tags']['kind']}"
    # The status view still says each follow-up was sent once, with the interviewer's message id
    statuses = {f["id"]: (f["status"], f.get("message_id")) for f in _view(cloud, interview_id)["follow_ups"]}
    for follow_up_id, mail in by_follow_up.items():
        assert statuses[follow_up_id] == ("sent", mail["message_id"])


def test_a_copy_ses_keeps_refusing_is_noted_and_the_message_is_neither_undone_nor_repeated(
    cloud: LocalCloud,
) -> None:
    # Given SES refuses the copy for rate, twice (its one retry included)
    refused = _refuse_copies("TooManyRequestsException", 2)
    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202
    interview_id = accepted["interview_id"]

    # When the thank-you comes due
    cloud.advance(18 * 3600)

    # Then the thank-you went once and is sent; the copy is missing and the timeline says so, in words
    assert refused["refused"] == 2
    thank_yous = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    assert len(thank_yous) == 1
    assert cloud.outbox.copies() == []
    view = _view(cloud, interview_id)
    assert {f["id"]: f["status"] for f in view["follow_ups"]}["thank_you-0"] == "sent"
    (noted,) = [e for e in view["timeline"] if e["event"] == "copy_not_sent"]
    assert noted["detail"] == "thank_you-0: your copy of this message could not be sent (SES was busy)"

    # And a redelivered record sends neither the message nor the copy again
    before = len(cloud.outbox.messages)
    cloud.sqs.send_message(
        QueueUrl=cloud.provisioned.physical["SendQueue"],
        MessageBody=f'{{"interview_id": "{interview_id}", "follow_up_id": "thank_you-0"}}',
    )
    cloud.drain_queues()
    assert len(cloud.outbox.messages) == before


def test_a_copy_refused_once_for_rate_goes_on_the_retry(cloud: LocalCloud) -> None:
    refused = _refuse_copies("TooManyRequestsException", 1)
    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202
    cloud.advance(18 * 3600)
    assert refused["refused"] == 1
    assert [c["tags"]["copy_of"] for c in cloud.outbox.copies()] == ["thank_you-0"]
    assert "copy_not_sent" not in [e["event"] for e in _view(cloud, accepted["interview_id"])["timeline"]]


def test_a_copy_ses_rejects_is_not_retried_and_says_why(cloud: LocalCloud) -> None:
    # In the SES sandbox an unverified candidate address is refused: the interviewer's mail still counts as sent
    refused = _refuse_copies("MessageRejected", 5)
    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202
    cloud.advance(18 * 3600)
    assert refused["refused"] == 1
    view = _view(cloud, accepted["interview_id"])
    assert {f["id"]: f["status"] for f in view["follow_ups"]}["thank_you-0"] == "sent"
    (noted,) = [e for e in view["timeline"] if e["event"] == "copy_not_sent"]
    assert "a recipient is not a verified address" in noted["detail"]


def _event_about(sample: str, cloud: LocalCloud, mail: dict[str, Any], recipient: str) -> dict[str, Any]:
    event = load_event(f"feedback/{sample}")
    now = cloud.clock.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    event["time"] = now
    event["detail"]["mail"].update(messageId=mail["message_id"], timestamp=now, destination=[recipient])
    event["detail"]["mail"]["tags"] = {
        "ses:configuration-set": [cloud.provisioned.physical["ConfigurationSet"]],
        **{name: [value] for name, value in mail["tags"].items()},
    }
    for part in ("bounce", "delivery"):
        if part in event["detail"]:
            event["detail"][part]["timestamp"] = now
    if "delivery" in event["detail"]:
        event["detail"]["delivery"]["recipients"] = [recipient]
    if "bounce" in event["detail"]:
        event["detail"]["bounce"]["bouncedRecipients"][0]["emailAddress"] = recipient
    return event


def test_feedback_about_a_copy_lands_on_its_interview(cloud: LocalCloud) -> None:
    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202
    interview_id = accepted["interview_id"]
    cloud.advance(18 * 3600)
    (copy,) = cloud.outbox.copies()

    # When SES reports the copy delivered
    result = cloud.runtime.invoke("FeedbackFunction", _event_about("delivery.json", cloud, copy, CANDIDATE))
    assert result["outcome"] == "delivered"
    (delivered,) = [e for e in _view(cloud, interview_id)["timeline"] if e["event"] == "delivered"]
    assert delivered["detail"] == "thank_you-0: the candidate's copy reached their mail server"

    # When the candidate's address bounces on the copy: the candidate's own reminders stop, the interviewers' don't
    result = cloud.runtime.invoke("FeedbackFunction", _event_about("bounce-permanent.json", cloud, copy, CANDIDATE))
    cloud.run_until_idle()
    assert result["outcome"] == "suppressed: bounce"
    assert result["interview_id"] == interview_id
    statuses = {f["id"]: f["status"] for f in _view(cloud, interview_id)["follow_ups"]}
    assert statuses["check_in"] == "scheduled"
    suppressed = {f for f, s in statuses.items() if s == "suppressed"}
    assert suppressed == set(result["follow_up_ids"])
    assert suppressed
    assert all(f.startswith("reminder_") for f in suppressed)

    # And later messages go without a copy (the address is suppressed)
    cloud.advance(60 * 86400)
    assert [c["tags"]["copy_of"] for c in cloud.outbox.copies()] == ["thank_you-0"]
    assert re.search("check_in", " ".join(m["tags"].get("follow_up_id", "") for m in cloud.outbox.follow_ups()))
