"""`POST /_local/feedback` over HTTP: what SES would deliver about an outbox message goes through FeedbackFunction,
and a bounce stops the address in every interview (hardening round two, problems 3 and 9)."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import load_example
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo("America/New_York")


def _now(stack: RunningStack) -> datetime:
    return datetime.fromisoformat(stack.get("/_local/clock").json()["now"].replace("Z", "+00:00"))


def _people() -> tuple[str, str]:
    """Interviewer addresses no other test of this stack uses (a suppression is for the whole deployment)."""
    tag = uuid.uuid4().hex[:8]
    return f"grace.{tag}@ae.example", f"alan.{tag}@ae.example"


def _interview(stack: RunningStack, grace: str, alan: str | None = None) -> dict[str, Any]:
    """The contract's sample (or the panel with Alan), ended an hour ago in New York, weekends only."""
    payload = copy.deepcopy(load_example("interview-panel.json" if alan else "interview.json"))
    ended = (_now(stack) - timedelta(hours=1)).astimezone(NEW_YORK).replace(microsecond=0)
    payload["interview"]["started_at"] = (ended - timedelta(hours=2)).isoformat()
    payload["interview"]["ended_at"] = ended.isoformat()
    payload["next_steps"]["decision_expected_by"] = (ended + timedelta(days=10)).date().isoformat()
    del payload["company"]["country"]
    payload["interviewers"][0]["email"] = grace
    if alan:
        payload["interviewers"][1]["email"] = alan
    return payload


def _submit(stack: RunningStack, payload: dict[str, Any]) -> str:
    accepted = stack.post_json("/interviews", payload, stack.bearer())
    assert accepted.status == 202, accepted.text
    return str(accepted.json()["interview_id"])


def _view(stack: RunningStack, interview_id: str) -> dict[str, Any]:
    reply = stack.get(f"/interviews/{interview_id}", stack.bearer())
    assert reply.status == 200, reply.text
    return dict(reply.json())


def _statuses(stack: RunningStack, interview_id: str) -> dict[str, str]:
    return {item["id"]: item["status"] for item in _view(stack, interview_id)["follow_ups"]}


def _outbox(stack: RunningStack) -> list[dict[str, Any]]:
    return list(stack.get("/_local/outbox").json())


def _sent(stack: RunningStack, interview_id: str, follow_up_id: str) -> dict[str, Any]:
    (mail,) = [
        m
        for m in _outbox(stack)
        if m["tags"].get("interview_id") == interview_id and m["tags"].get("follow_up_id") == follow_up_id
    ]
    return mail


def _to(stack: RunningStack, address: str) -> list[dict[str, Any]]:
    return [m for m in _outbox(stack) if any(address in to for to in m["to"])]


def _schedules(stack: RunningStack, interview_id: str) -> set[str]:
    return {s["Name"] for s in stack.get("/_local/schedules").json()["Schedules"] if s["Name"].startswith(interview_id)}


def _thank_you_sent(stack: RunningStack, grace: str) -> tuple[str, dict[str, Any]]:
    interview_id = _submit(stack, _interview(stack, grace))
    assert stack.advance(3 * 86400).status == 200
    return interview_id, _sent(stack, interview_id, "thank_you-0")


def _feedback(stack: RunningStack, payload: Any, headers: dict[str, str] | None = None) -> Any:
    return stack.post_json("/_local/feedback", payload, headers)


# -- across interviews ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_bounce_on_one_interview_stops_the_address_in_every_interview_over_http(stack: RunningStack) -> None:
    # Given interview A whose thank-you to Grace went out, and interview B (Grace and Alan) with mail still pending
    grace, alan = _people()
    a, thank_you_a = _thank_you_sent(stack, grace)
    b = _submit(stack, _interview(stack, grace, alan))
    to_grace_in_b = {item["id"] for item in _view(stack, b)["follow_ups"] if item["to"] == grace}
    assert to_grace_in_b == {"thank_you-0", "check_in", "final"}

    # When SES reports a permanent bounce of A's thank-you
    reply = _feedback(stack, {"event": "bounce", "message_id": thank_you_a["message_id"]})

    # Then FeedbackFunction got it from the bus and suppressed Grace's follow-ups in A and in B
    assert reply.status == 202, reply.text
    (result,) = reply.json()["results"]
    assert result["outcome"] == "suppressed: bounce"
    assert result["interview_id"] == a
    assert sorted(result["elsewhere"][b]) == sorted(to_grace_in_b)
    statuses_b = _statuses(stack, b)
    assert {fid: statuses_b[fid] for fid in to_grace_in_b} == dict.fromkeys(to_grace_in_b, "suppressed")
    assert statuses_b["thank_you-1"] == "scheduled"
    assert {_statuses(stack, a)[fid] for fid in ("check_in", "final")} == {"suppressed"}
    timeline_b = _view(stack, b)["timeline"]
    assert [e for e in timeline_b if e["event"] == "bounced"]
    assert len([e for e in timeline_b if e["event"] == "suppressed"]) == len(to_grace_in_b)
    # And their schedules are gone
    assert _schedules(stack, b) == {f"{b}-thank_you-1"}
    assert not {f"{a}-check_in", f"{a}-final"} & _schedules(stack, a)

    # When both plans run out
    assert stack.advance(60 * 86400).status == 200

    # Then nothing more went to Grace, so no copy of such a mail to the candidate; Alan's thank-you went, copied
    assert [m["message_id"] for m in _to(stack, grace)] == [thank_you_a["message_id"]]
    sent_in_b = [m for m in _outbox(stack) if m["tags"].get("interview_id") == b]
    assert [(m["tags"].get("follow_up_id"), m["to"]) for m in sent_in_b] == [("thank_you-1", [f"Alan Turing <{alan}>"])]
    assert sent_in_b[0]["bcc"] == []
    copies_in_b = [m for m in _outbox(stack) if m["tags"].get("copy_of_interview") == b]
    assert [(m["tags"]["copy_of"], m["to"]) for m in copies_in_b] == [
        ("thank_you-1", ["Ada Lovelace <ada@example.com>"])
    ]


# -- each kind of feedback --------------------------------------------------------------------------------------


def test_a_complaint_suppresses_and_a_delivery_is_noted(stack: RunningStack) -> None:
    grace, _ = _people()
    interview_id, thank_you = _thank_you_sent(stack, grace)

    delivered = _feedback(stack, {"event": "delivery", "message_id": thank_you["message_id"]})
    assert delivered.status == 202, delivered.text
    assert delivered.json()["results"][0]["outcome"] == "delivered"
    assert "delivered" in [e["event"] for e in _view(stack, interview_id)["timeline"]]
    assert _statuses(stack, interview_id)["check_in"] == "scheduled"

    complained = _feedback(stack, {"event": "complaint", "message_id": thank_you["message_id"]})
    assert complained.status == 202, complained.text
    assert complained.json()["results"][0]["outcome"] == "suppressed: complaint"
    assert _statuses(stack, interview_id)["check_in"] == "suppressed"


def test_a_reply_stops_the_nudges_and_keeps_the_candidates_tasks(stack: RunningStack) -> None:
    grace, _ = _people()
    interview_id, thank_you = _thank_you_sent(stack, grace)
    before = _statuses(stack, interview_id)

    reply = _feedback(stack, {"event": "reply", "message_id": thank_you["message_id"], "text": "Thanks, Ada!"})

    assert reply.status == 202, reply.text
    assert reply.json()["results"][0] == {
        "outcome": "replied",
        "interview_id": interview_id,
        "follow_up_ids": ["check_in", "final"],
    }
    after = _statuses(stack, interview_id)
    assert after["check_in"] == after["final"] == "cancelled"
    assert {k: v for k, v in after.items() if k.startswith("reminder_")} == {
        k: v for k, v in before.items() if k.startswith("reminder_")
    }


def test_an_out_of_office_reply_moves_the_next_nudge(stack: RunningStack) -> None:
    grace, _ = _people()
    interview_id, thank_you = _thank_you_sent(stack, grace)
    due_before = {f["id"]: f["due_at"] for f in _view(stack, interview_id)["follow_ups"]}
    back = (_now(stack) + timedelta(days=21)).astimezone(NEW_YORK).date()

    reply = _feedback(
        stack,
        {
            "event": "auto_reply",
            "message_id": thank_you["message_id"],
            "text": f"I am out of the office and will be back on {back:%A, %B} {back.day}, {back.year}.",
        },
    )

    assert reply.status == 202, reply.text
    assert reply.json()["results"][0]["outcome"] == "out_of_office"
    due_after = {f["id"]: f["due_at"] for f in _view(stack, interview_id)["follow_ups"]}
    assert due_after["check_in"] > due_before["check_in"]
    assert datetime.fromisoformat(due_after["check_in"].replace("Z", "+00:00")).date() > back


# -- what the route refuses -------------------------------------------------------------------------------------


def test_an_unknown_message_is_404_in_the_contracts_error_shape(stack: RunningStack) -> None:
    reply = _feedback(stack, {"event": "bounce", "message_id": "0100019affffffff-nobody-000000"})

    assert reply.status == 404
    error = reply.json()["error"]
    assert error["code"] == "not_found"
    assert isinstance(error["message"], str)
    assert error["fields"] == [{"field": "message_id", "message": error["fields"][0]["message"]}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message_id": "m"}, "event"),
        ({"event": "open", "message_id": "m"}, "event"),
        ({"event": "bounce"}, "message_id"),
        ({"event": "bounce", "message_id": ""}, "message_id"),
        ({"event": "bounce", "message_id": 7}, "message_id"),
        ({"event": "reply", "message_id": "m", "text": ["no"]}, "text"),
        ({"event": "bounce", "message_id": "m", "extra": 1}, "extra"),
        ([], ""),
        ("bounce", ""),
        (b"{not json", ""),
        (b"", ""),
    ],
)
def test_a_bad_body_is_422_naming_the_field(stack: RunningStack, body: Any, field: str) -> None:
    reply = _feedback(stack, body)

    assert reply.status == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "invalid_fields"
    assert field in [item["field"] for item in error["fields"]]


def test_a_recipient_that_is_not_the_messages_is_422(stack: RunningStack) -> None:
    grace, _ = _people()
    _, thank_you = _thank_you_sent(stack, grace)

    reply = _feedback(stack, {"event": "bounce", "message_id": thank_you["message_id"], "recipient": "x@y.example"})

    assert reply.status == 422
    assert reply.json()["error"]["fields"][0]["field"] == "recipient"


def test_feedback_takes_only_post(stack: RunningStack) -> None:
    reply = stack.get("/_local/feedback")
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"
