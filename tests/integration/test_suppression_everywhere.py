"""A bounce or complaint stops the address everywhere: every pending follow-up to it, in every interview, and the
sender checks the suppression list again at send time (hardening round two, problem 3)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from followup.adapters.suppression import SuppressionList
from followup.core import aws as followup_aws
from followup.feedback import services as feedback_services
from followup.sender import services as sender_services
from followup_local.cloud import LocalCloud
from tests.conftest import load_event, load_example

pytestmark = pytest.mark.integration

GRACE = "grace@ae.example"
ALAN = "alan@ae.example"
CANDIDATE = "ada@example.com"
PENDING_TO = "pending_to"  # the recipient index's key (template.yaml: PendingByRecipient)


@pytest.fixture(autouse=True)
def _cold_functions() -> Iterator[None]:
    feedback_services.reset()
    sender_services.reset()
    yield
    feedback_services.reset()
    sender_services.reset()


# -- helpers ----------------------------------------------------------------------------------------------------


def _submit(cloud: LocalCloud, payload: dict[str, Any]) -> str:
    status, accepted = cloud.api("POST", "/interviews", payload)
    assert status == 202, accepted
    return str(accepted["interview_id"])


def _panel_ending_now(cloud: LocalCloud) -> dict[str, Any]:
    """Interview B: the panel (Grace, primary contact, and Alan) that ended an hour ago."""
    payload = copy.deepcopy(load_example("interview-panel.json"))
    ended = cloud.clock.now() - timedelta(hours=1)
    payload["interview"]["started_at"] = (ended - timedelta(hours=2)).isoformat()
    payload["interview"]["ended_at"] = ended.isoformat()
    payload["next_steps"]["decision_expected_by"] = (ended + timedelta(days=10)).date().isoformat()
    return payload


def _sent(cloud: LocalCloud, interview_id: str, follow_up_id: str) -> dict[str, Any]:
    (mail,) = [
        m
        for m in cloud.outbox.follow_ups()
        if m["tags"].get("interview_id") == interview_id and m["tags"].get("follow_up_id") == follow_up_id
    ]
    return mail


def _ses_event(cloud: LocalCloud, sample: str, sent: dict[str, Any], recipient: str | None = None) -> dict[str, Any]:
    """What SES puts on the default bus about a message the outbox captured."""
    event = copy.deepcopy(load_event(f"feedback/{sample}"))
    mail = event["detail"]["mail"]
    mail["messageId"] = sent["message_id"]
    mail["tags"] = {name: [value] for name, value in sent["tags"].items()}
    mail["tags"]["ses:configuration-set"] = [cloud.provisioned.physical["ConfigurationSet"]]
    if recipient is not None:
        for part, key in (("bounce", "bouncedRecipients"), ("complaint", "complainedRecipients")):
            if part in event["detail"]:
                event["detail"][part][key] = [{"emailAddress": recipient}]
    return event


def _feedback(cloud: LocalCloud, event: dict[str, Any]) -> dict[str, Any]:
    result = dict(cloud.runtime.invoke("FeedbackFunction", event))
    cloud.run_until_idle()  # the planner gets FollowUpsStopped and deletes the schedules
    return result


def _view(cloud: LocalCloud, interview_id: str) -> dict[str, Any]:
    status, body = cloud.api("GET", f"/interviews/{interview_id}")
    assert status == 200, body
    return dict(body)


def _follow_ups(cloud: LocalCloud, interview_id: str) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in _view(cloud, interview_id)["follow_ups"]}


def _schedules_of(cloud: LocalCloud, interview_id: str) -> set[str]:
    return {s["Name"] for s in cloud.pending_schedules() if s["Name"].startswith(f"{interview_id}-")}


def _mail_to(cloud: LocalCloud, address: str) -> list[dict[str, Any]]:
    return [m for m in cloud.outbox.follow_ups() if any(address in to for to in m["to"])]


def _no_scan(cloud: LocalCloud) -> list[str]:
    """Fail any Scan of the table by the handlers' own DynamoDB client (requests never scan)."""
    scans: list[str] = []

    def refuse(**_: Any) -> None:
        scans.append("Scan")
        raise AssertionError("a request path scanned the table")

    followup_aws.client("dynamodb").meta.events.register("before-call.dynamodb.Scan", refuse, unique_id="test-no-scan")
    return scans


def _raw_follow_up(cloud: LocalCloud, interview_id: str, follow_up_id: str) -> dict[str, Any]:
    client = cloud.session.client("dynamodb", region_name="us-east-1")
    item = client.get_item(
        TableName=cloud.provisioned.physical["FollowUpTable"],
        Key={"pk": {"S": f"IV#{interview_id}"}, "sk": {"S": f"FU#{follow_up_id}"}},
    )["Item"]
    return dict(item)


# -- across interviews ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "event_name"), [("bounce-permanent.json", "bounced"), ("complaint.json", "complained")]
)
def test_a_bounce_on_one_interview_stops_every_pending_follow_up_to_that_address_in_every_interview(
    cloud: LocalCloud, sample: str, event_name: str
) -> None:
    # Given interview A whose thank-you to Grace went out, and interview B (Grace and Alan) planned after it
    a = _submit(cloud, load_example("interview.json"))
    cloud.advance(18 * 3600)
    thank_you_a = _sent(cloud, a, "thank_you-0")
    b = _submit(cloud, _panel_ending_now(cloud))
    before_b = _follow_ups(cloud, b)
    to_grace_b = {fid for fid, item in before_b.items() if item["to"] == GRACE}
    assert {"thank_you-0", "check_in", "final"} <= to_grace_b
    assert {before_b[fid]["status"] for fid in to_grace_b} == {"scheduled"}
    assert {f"{b}-{fid}" for fid in to_grace_b} <= _schedules_of(cloud, b)
    scans = _no_scan(cloud)

    # When SES reports a permanent bounce (or a complaint) of A's thank-you
    result = _feedback(cloud, _ses_event(cloud, sample, thank_you_a))

    # Then every pending follow-up to Grace is suppressed, in A and in B, and each timeline says why
    assert sorted(result["follow_up_ids"]) == ["check_in", "final"]
    assert sorted(result["elsewhere"][b]) == sorted(to_grace_b)
    after_b = _follow_ups(cloud, b)
    assert {fid: after_b[fid]["status"] for fid in to_grace_b} == dict.fromkeys(to_grace_b, "suppressed")
    assert after_b["thank_you-1"]["status"] == "scheduled"  # Alan is not affected
    timeline_b = _view(cloud, b)["timeline"]
    assert [e for e in timeline_b if e["event"] == event_name]
    suppressed_entries = [e for e in timeline_b if e["event"] == "suppressed"]
    assert {e["detail"].split(":", 1)[0] for e in suppressed_entries} == to_grace_b
    assert all("another message" in e["detail"] for e in suppressed_entries)
    assert a not in str(timeline_b)  # no other interview named
    assert GRACE not in str(timeline_b)  # no address
    assert {f["status"] for f in _follow_ups(cloud, a).values() if f["to"] == GRACE and f["id"] != "thank_you-0"} == {
        "suppressed"
    }
    # And their schedules are gone; only Alan's thank-you is left in B; nothing scanned the table
    assert _schedules_of(cloud, b) == {f"{b}-thank_you-1"}
    assert not {f"{a}-check_in", f"{a}-final"} & _schedules_of(cloud, a)
    assert scans == []
    # And the suppressed items left the recipient index; Alan's is still in it
    assert PENDING_TO not in _raw_follow_up(cloud, b, "check_in")
    assert _raw_follow_up(cloud, b, "thank_you-1")[PENDING_TO] == {"S": ALAN}

    # When the rest of both plans comes due
    mails_to_grace = len(_mail_to(cloud, GRACE))
    cloud.advance(60 * 86400)

    # Then nothing more went to Grace (no copy to the candidate of such a mail either); Alan got his thank-you
    assert len(_mail_to(cloud, GRACE)) == mails_to_grace == 1
    to_alan = _mail_to(cloud, ALAN)
    assert [m["tags"].get("follow_up_id") for m in to_alan] == ["thank_you-1"]
    assert to_alan[0]["bcc"] == []
    assert [m["tags"]["copy_of"] for m in cloud.outbox.copies() if m["tags"]["copy_of_interview"] == b] == [
        "thank_you-1"
    ]
    sent_in_b = [m["tags"].get("follow_up_id") for m in cloud.outbox.follow_ups() if m["tags"].get("interview_id") == b]
    assert sent_in_b == ["thank_you-1"]


def test_a_bounce_of_a_message_no_interview_knows_still_stops_the_address_everywhere(cloud: LocalCloud) -> None:
    # Given interview B with follow-ups pending to Grace, and a bounce whose message matches no interview
    b = _submit(cloud, _panel_ending_now(cloud))
    stranger = {"message_id": "0100019affffffff-unknown-000000", "tags": {}}

    result = _feedback(cloud, _ses_event(cloud, "bounce-permanent.json", stranger, recipient="Grace@AE.example"))

    assert result["interview_id"] is None
    assert sorted(result["elsewhere"][b]) == ["check_in", "final", "thank_you-0"]
    assert {fid for fid, f in _follow_ups(cloud, b).items() if f["status"] == "suppressed"} == {
        "check_in",
        "final",
        "thank_you-0",
    }


def test_a_redelivered_bounce_changes_nothing_more(cloud: LocalCloud) -> None:
    a = _submit(cloud, load_example("interview.json"))
    cloud.advance(18 * 3600)
    b = _submit(cloud, _panel_ending_now(cloud))
    event = _ses_event(cloud, "bounce-permanent.json", _sent(cloud, a, "thank_you-0"))
    first = _feedback(cloud, event)
    statuses = {fid: f["status"] for fid, f in _follow_ups(cloud, b).items()}
    entries = len(_view(cloud, b)["timeline"])

    again = _feedback(cloud, event)

    assert sorted(first["elsewhere"][b]) == ["check_in", "final", "thank_you-0"]
    assert "elsewhere" not in again  # nothing left pending to Grace anywhere
    assert {fid: f["status"] for fid, f in _follow_ups(cloud, b).items()} == statuses
    assert len(_view(cloud, b)["timeline"]) == entries


# -- at send time -----------------------------------------------------------------------------------------------


def test_a_bounce_arriving_while_a_send_is_under_way_is_refused_at_send_time(cloud: LocalCloud) -> None:
    # Given A's thank-you to Grace sent, and B's thank-you to Grace due, its schedule fired and the send claimed
    a = _submit(cloud, load_example("interview.json"))
    cloud.advance(18 * 3600)
    bounce = _ses_event(cloud, "bounce-permanent.json", _sent(cloud, a, "thank_you-0"))
    b = _submit(cloud, _panel_ending_now(cloud))
    arrived: list[dict[str, Any]] = []

    def note_the_request(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["test_update"] = params

    def bounce_after_the_claim(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # The bounce arrives between B's claim (scheduled → sending) and its SendEmail: nothing can cancel it now.
        params = context.get("test_update") or {}
        key = params.get("Key", {})
        claimed = "claim_token" in str(params.get("UpdateExpression", "")) and "Attributes" in parsed
        if not arrived and claimed and key == {"pk": {"S": f"IV#{b}"}, "sk": {"S": "FU#thank_you-0"}}:
            arrived.append(dict(cloud.runtime.invoke("FeedbackFunction", bounce)))

    events = followup_aws.client("dynamodb").meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", note_the_request, unique_id="test-race-note")
    events.register("after-call.dynamodb.UpdateItem", bounce_after_the_claim, unique_id="test-race")
    mails_to_grace = len(_mail_to(cloud, GRACE))
    try:
        # When B's thank-you comes due
        cloud.advance(3 * 86400)
    finally:
        events.unregister("before-parameter-build.dynamodb.UpdateItem", unique_id="test-race-note")
        events.unregister("after-call.dynamodb.UpdateItem", unique_id="test-race")

    # Then the bounce came mid-send, the sender read the suppression list and sent nothing: no mail, no copy
    assert arrived, "B's thank-you was never claimed"
    assert len(_mail_to(cloud, GRACE)) == mails_to_grace
    after = _follow_ups(cloud, b)
    assert after["thank_you-0"]["status"] == "suppressed"
    assert after["thank_you-0"]["message_id"] is None
    assert after["thank_you-1"]["status"] == "sent"  # Alan's went
    timeline = _view(cloud, b)["timeline"]
    assert any(
        e["event"] == "suppressed" and e["detail"].startswith("not sent: the recipient's address") for e in timeline
    )
    assert [m["tags"].get("follow_up_id") for m in cloud.outbox.follow_ups() if m["tags"].get("interview_id") == b] == [
        "thank_you-1"
    ]


def test_the_sender_refuses_a_suppressed_recipient_even_when_nothing_stopped_the_follow_up(cloud: LocalCloud) -> None:
    # Given an interview planned before Grace's address was suppressed, with nothing stopping its follow-ups
    # (e.g. a bounce processed while the planner was storing it)
    b = _submit(cloud, _panel_ending_now(cloud))
    table = cloud.provisioned.physical["FollowUpTable"]
    SuppressionList(cloud.session.client("dynamodb", region_name="us-east-1"), table).suppress(
        GRACE,
        reason="BOUNCE",
        at=cloud.clock.now(),
        message_id="bounced-elsewhere",
        expires_at=cloud.clock.now() + timedelta(days=180),
    )

    cloud.advance(60 * 86400)

    assert _mail_to(cloud, GRACE) == []
    statuses = {fid: f["status"] for fid, f in _follow_ups(cloud, b).items()}
    assert statuses == {
        "thank_you-0": "suppressed",
        "thank_you-1": "sent",
        "check_in": "suppressed",
        "final": "suppressed",
    }


def test_a_suppressed_candidate_address_is_dropped_from_the_copy_but_the_message_goes(cloud: LocalCloud) -> None:
    # Given the candidate's own address bounced (their copy of an earlier message)
    b = _submit(cloud, _panel_ending_now(cloud))
    table = cloud.provisioned.physical["FollowUpTable"]
    SuppressionList(cloud.session.client("dynamodb", region_name="us-east-1"), table).suppress(
        CANDIDATE,
        reason="BOUNCE",
        at=cloud.clock.now(),
        message_id="copy-bounced",
        expires_at=cloud.clock.now() + timedelta(days=180),
    )

    cloud.advance(3 * 86400)

    # Then the thank-yous still reach the interviewers, and no copy goes to the suppressed address
    sent = [m for m in cloud.outbox.follow_ups() if m["tags"].get("interview_id") == b]
    assert sorted(m["tags"].get("follow_up_id") for m in sent) == ["thank_you-0", "thank_you-1"]
    assert all(m["bcc"] == [] for m in sent)
    assert [m for m in cloud.outbox.copies() if m["tags"]["copy_of_interview"] == b] == []
