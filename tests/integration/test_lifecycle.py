"""After planning: outcomes, a new decision date, deletion, review mode and one-click links — on moto."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from followup_local.cloud import LocalCloud, schedule_fires_at
from tests.conftest import load_example

pytestmark = pytest.mark.integration

LINK = re.compile(r"/a/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


def _submit(cloud: LocalCloud, payload: dict) -> dict:
    status, body = cloud.api("POST", "/interviews", payload)
    assert status == 202, body
    return body


def _view(cloud: LocalCloud, interview_id: str) -> dict:
    status, body = cloud.api("GET", f"/interviews/{interview_id}")
    assert status == 200, body
    return body


def _statuses(cloud: LocalCloud, interview_id: str) -> dict[str, str]:
    return {f["id"]: f["status"] for f in _view(cloud, interview_id)["follow_ups"]}


def _sent_ids(cloud: LocalCloud) -> list[str]:
    return [m["tags"].get("follow_up_id") for m in cloud.outbox.follow_ups()]


def test_rejection_after_the_thank_you_stops_all_mail_and_leaves_no_schedule(cloud: LocalCloud) -> None:
    # Given an interview whose thank-you has gone out
    accepted = _submit(cloud, load_example("interview.json"))
    interview_id = accepted["interview_id"]
    cloud.advance(18 * 3600)
    assert "thank_you-0" in _sent_ids(cloud)
    sent_before = len(cloud.outbox.messages)

    # When the candidate records a rejection
    status, body = cloud.api("POST", f"/interviews/{interview_id}/outcome", {"outcome": "rejected", "note": "ok"})

    # Then every pending follow-up is cancelled, no schedule is left, and no mail ever goes again
    assert status == 200, body
    assert set(body["cancelled"]) == {"check_in", "final", "reminder_linkedin"}
    assert not [s for s in cloud.pending_schedules() if s["Name"].startswith(interview_id)]
    cloud.advance(60 * 86400)
    assert len(cloud.outbox.messages) == sent_before
    statuses = _statuses(cloud, interview_id)
    assert statuses["thank_you-0"] == "sent"
    assert statuses["check_in"] == statuses["final"] == "cancelled"
    view = _view(cloud, interview_id)
    assert view["interview"]["outcome"] == "rejected"
    assert "outcome" in [e["event"] for e in view["timeline"]]


def test_heard_back_stops_nudges_but_keeps_the_candidates_reminders(cloud: LocalCloud) -> None:
    accepted = _submit(cloud, load_example("interview.json"))
    status, _body = cloud.api("POST", f"/interviews/{accepted['interview_id']}/outcome", {"outcome": "heard_back"})
    assert status == 200
    statuses = _statuses(cloud, accepted["interview_id"])
    assert statuses["thank_you-0"] == statuses["check_in"] == statuses["final"] == "cancelled"
    assert statuses["reminder_linkedin"] == "scheduled"
    cloud.advance(3 * 86400)
    assert "reminder_linkedin" in _sent_ids(cloud)
    assert "thank_you-0" not in _sent_ids(cloud)


def test_moving_the_decision_date_two_weeks_later_sends_nothing_before_it(cloud: LocalCloud) -> None:
    # Given the sample interview (decision expected Fri 4 Dec → check-in Mon 7 Dec)
    accepted = _submit(cloud, load_example("interview.json"))
    interview_id = accepted["interview_id"]

    # When the decision date moves two weeks later
    status, body = cloud.api("PATCH", f"/interviews/{interview_id}", {"decision_expected_by": "2026-12-18"})

    # Then the check-in is re-planned for the business day after the new date, its schedule moved with it
    assert status == 200, body
    new = {f["id"]: f for f in body["follow_ups"]}
    check_in = datetime.fromisoformat(new["check_in"]["due_at"]).astimezone(ZoneInfo("America/New_York"))
    assert check_in.isoformat() == "2026-12-21T10:00:00-05:00"
    schedule = next(s for s in cloud.pending_schedules() if s["Name"] == f"{interview_id}-check_in")
    assert schedule["ScheduleExpression"] == "at(2026-12-21T15:00:00)"  # 10:00 New York, as the UTC instant

    # And advancing to the day before the new date sends no check-in or final
    cloud.advance((datetime(2026, 12, 18, 23, tzinfo=ZoneInfo("UTC")) - cloud.clock.now()).total_seconds())
    assert "check_in" not in _sent_ids(cloud)
    assert "final" not in _sent_ids(cloud)
    cloud.advance(4 * 86400)
    check_in_mail = next(m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "check_in")
    assert check_in_mail["sent_at"] == "2026-12-21T15:00:00Z"
    assert "December 18" in check_in_mail["text"]


def test_delete_removes_the_interview_its_follow_ups_and_schedules(cloud: LocalCloud) -> None:
    accepted = _submit(cloud, load_example("interview.json"))
    interview_id = accepted["interview_id"]
    status, _ = cloud.api("DELETE", f"/interviews/{interview_id}")
    assert status == 204
    assert cloud.api("GET", f"/interviews/{interview_id}")[0] == 404
    assert cloud.pending_schedules() == []
    table = cloud.provisioned.physical["FollowUpTable"]
    items = cloud.session.client("dynamodb", region_name="us-east-1").query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"IV#{interview_id}"}},
    )["Items"]
    assert items == []
    cloud.advance(60 * 86400)
    assert cloud.outbox.messages == []


def test_a_follow_up_already_in_the_send_queue_when_its_interview_is_deleted_is_dropped(cloud: LocalCloud) -> None:
    # Given the thank-you's schedule has fired: its message waits in SendQueue, no sender has run yet
    interview_id = _submit(cloud, load_example("interview.json"))["interview_id"]
    (schedule,) = [s for s in cloud.pending_schedules() if s["Name"] == f"{interview_id}-thank_you-0"]
    cloud.clock.move_to(schedule_fires_at(schedule))
    cloud.fire_schedule(schedule)

    # When the interview is deleted before the sender takes the message (the claim finds no item at all)
    status, _ = cloud.api("DELETE", f"/interviews/{interview_id}")

    # Then the message was consumed without a send or a retry, and nothing is dead-lettered
    assert status == 204
    assert cloud.outbox.messages == []
    for queue in ("SendQueue", "SendDeadLetterQueue"):
        attributes = cloud.sqs.get_queue_attributes(
            QueueUrl=cloud.provisioned.physical[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}, queue


def test_outcome_and_patch_on_unknown_interview_are_404_and_bad_bodies_422(cloud: LocalCloud) -> None:
    missing = "0123456789abcdef012345"
    assert cloud.api("POST", f"/interviews/{missing}/outcome", {"outcome": "offer"})[0] == 404
    assert cloud.api("PATCH", f"/interviews/{missing}", {"decision_expected_by": "2026-12-01"})[0] == 404
    assert cloud.api("DELETE", f"/interviews/{missing}")[0] == 404
    accepted = _submit(cloud, load_example("interview.json"))
    status, body = cloud.api("POST", f"/interviews/{accepted['interview_id']}/outcome", {"outcome": "maybe"})
    assert status == 422
    assert body["error"]["fields"][0]["field"] == "outcome"
    status, body = cloud.api("PATCH", f"/interviews/{accepted['interview_id']}", {"decision_expected_by": "soon"})
    assert status == 422
    assert set(_statuses(cloud, accepted["interview_id"]).values()) == {"scheduled"}


def _review_payload() -> dict:
    payload = load_example("interview.json")
    payload["preferences"]["mode"] = "review"
    payload["preferences"]["handwritten_note"] = False
    payload["preferences"]["linkedin"] = False
    return payload


def _draft_links(cloud: LocalCloud, follow_up_id: str) -> dict[str, str]:
    draft = next(
        m
        for m in cloud.outbox.follow_ups()
        if m["tags"] == {**m["tags"], "kind": "draft", "follow_up_id": follow_up_id}
    )
    tokens = LINK.findall(draft["text"])
    assert len(tokens) == 3, draft["text"]
    return dict(zip(("approve", "skip", "stop"), tokens, strict=True))


def test_review_mode_sends_a_draft_and_approval_sends_it_once(cloud: LocalCloud) -> None:
    # Given an interview in review mode
    accepted = _submit(cloud, _review_payload())
    interview_id = accepted["interview_id"]

    # When the thank-you comes due
    cloud.advance(18 * 3600)

    # Then the candidate gets a draft with links, nothing goes to the interviewer, status awaiting_approval
    drafts = [m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "draft"]
    assert len(drafts) == 1
    assert drafts[0]["to"] == ["Ada Lovelace <ada@example.com>"]
    assert not [m for m in cloud.outbox.follow_ups() if "grace@ae.example" in " ".join(m["to"])]
    assert _statuses(cloud, interview_id)["thank_you-0"] == "awaiting_approval"
    links = _draft_links(cloud, "thank_you-0")

    # When a mail scanner GETs the approve link, nothing changes
    status, headers, page = cloud.http("GET", f"/a/{links['approve']}")
    assert status == 200
    assert b'<form method="post"' in page
    assert headers["cache-control"] == "no-store"
    assert _statuses(cloud, interview_id)["thank_you-0"] == "awaiting_approval"

    # When the candidate POSTs it, the message goes to Grace within minutes, once
    status, _, page = cloud.http("POST", f"/a/{links['approve']}")
    assert status == 200, page
    cloud.advance(180)
    to_grace = [m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]]
    assert len(to_grace) == 1
    assert to_grace[0]["tags"]["kind"] == "thank_you"
    assert _statuses(cloud, interview_id)["thank_you-0"] == "sent"

    # And pressing the link again changes nothing: the same page, noting it was done
    status, _, again = cloud.http("POST", f"/a/{links['approve']}")
    assert status == 200
    assert b"Approved" in again
    assert b"pressing again changes nothing" in again
    cloud.advance(2 * 86400)
    assert (
        len(
            [
                m
                for m in cloud.outbox.follow_ups()
                if m["tags"].get("follow_up_id") == "thank_you-0" and m["tags"]["kind"] == "thank_you"
            ]
        )
        == 1
    )


def test_review_mode_forged_or_altered_tokens_get_403(cloud: LocalCloud) -> None:
    _submit(cloud, _review_payload())
    cloud.advance(18 * 3600)
    links = _draft_links(cloud, "thank_you-0")
    payload, mac = links["approve"].split(".")
    skip_payload = links["skip"].split(".")[0]
    for token in (f"{payload}.{mac[:-2]}AA", f"{skip_payload}.{mac}", "garbage", "a.b"):
        for method in ("GET", "POST"):
            assert cloud.http(method, f"/a/{token}")[0] == 403, (method, token)


def test_review_mode_without_an_answer_the_draft_is_dropped_and_the_candidate_told(cloud: LocalCloud) -> None:
    accepted = _submit(cloud, _review_payload())
    cloud.advance(18 * 3600)
    links = _draft_links(cloud, "thank_you-0")
    cloud.advance(25 * 3600)
    statuses = _statuses(cloud, accepted["interview_id"])
    assert statuses["thank_you-0"] == "cancelled"
    notices = [m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "notice"]
    assert len(notices) == 1
    assert "not sent" in notices[0]["text"]
    # The expired link no longer works
    assert cloud.http("POST", f"/a/{links['approve']}")[0] == 403
    assert not [m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]]


def test_review_mode_skip_and_stop_links(cloud: LocalCloud) -> None:
    accepted = _submit(cloud, _review_payload())
    interview_id = accepted["interview_id"]
    cloud.advance(18 * 3600)
    links = _draft_links(cloud, "thank_you-0")
    assert cloud.http("POST", f"/a/{links['skip']}")[0] == 200
    assert _statuses(cloud, interview_id)["thank_you-0"] == "cancelled"
    assert cloud.http("POST", f"/a/{links['stop']}")[0] == 200
    statuses = _statuses(cloud, interview_id)
    assert statuses["check_in"] == statuses["final"] == "cancelled"
    cloud.advance(60 * 86400)
    assert not [m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]]
    events = [e["event"] for e in _view(cloud, interview_id)["timeline"]]
    assert "skipped" in events
    assert "stopped" in events


def test_candidate_task_carries_a_done_link(cloud: LocalCloud) -> None:
    accepted = _submit(cloud, load_example("interview.json"))
    cloud.advance(4 * 86400)  # Thanksgiving (US company) pushes the LinkedIn reminder to Friday
    reminder = next(m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "reminder_linkedin")
    assert reminder["to"] == ["Ada Lovelace <ada@example.com>"]
    assert reminder["bcc"] == []
    token = LINK.findall(reminder["text"])[-1]
    assert cloud.http("POST", f"/a/{token}")[0] == 200
    events = [e["event"] for e in _view(cloud, accepted["interview_id"])["timeline"]]
    assert "task_done" in events
    status, _, again = cloud.http("POST", f"/a/{token}")
    assert status == 200
    assert b"pressing again changes nothing" in again
    events = [e["event"] for e in _view(cloud, accepted["interview_id"])["timeline"]]
    assert events.count("task_done") == 1


def test_timeline_lists_every_state_change_in_order(cloud: LocalCloud) -> None:
    accepted = _submit(cloud, load_example("interview.json"))
    cloud.advance(18 * 3600)
    cloud.api("POST", f"/interviews/{accepted['interview_id']}/outcome", {"outcome": "offer"})
    timeline = _view(cloud, accepted["interview_id"])["timeline"]
    events = [e["event"] for e in timeline]
    assert events[0] == "submitted"
    assert events.index("sent") < events.index("outcome") < events.index("cancelled")
    assert [e["at"] for e in timeline] == sorted(e["at"] for e in timeline)
    assert json.dumps(timeline)


def test_an_auto_mode_message_the_linter_would_hold_goes_to_the_candidate_as_a_draft(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an auto-mode interview whose thank-you, at send time, fails a hard rule (a stored interview from an
    # older version, or a custom template gone wrong)
    from followup.messages.lint import Finding
    from followup.sender import send

    held = Finding(rule="pasted_capital", severity="hard", message="capitalised mid-sentence, as typed: Design")
    real_lint = send.lint_message
    monkeypatch.setattr(
        send,
        "lint_message",
        lambda req, fu, msg, **kw: [held] if fu.id == "thank_you-0" else real_lint(req, fu, msg, **kw),
    )
    accepted = _submit(cloud, load_example("interview.json"))
    interview_id = accepted["interview_id"]

    # When it comes due
    cloud.advance(18 * 3600)

    # Then nothing goes to Grace: the candidate gets the draft with the reason and links, awaiting approval
    assert not [m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]]
    (draft,) = [m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "draft"]
    assert draft["to"] == ["Ada Lovelace <ada@example.com>"]
    assert "capitalised mid-sentence, as typed: Design" in draft["text"]
    assert _statuses(cloud, interview_id)["thank_you-0"] == "awaiting_approval"

    # When the candidate approves it as it is, it goes to Grace once (their call, not the linter's)
    links = _draft_links(cloud, "thank_you-0")
    assert cloud.http("POST", f"/a/{links['approve']}")[0] == 200
    cloud.advance(180)
    to_grace = [m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]]
    assert [m["tags"]["kind"] for m in to_grace] == ["thank_you"]
    assert _statuses(cloud, interview_id)["thank_you-0"] == "sent"
