"""Timing on the local stack: approved drafts go at the next in-window working-day slot, a late planner never writes
a schedule in the past, and the plan explains its timing — every handler real, on moto."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from followup.domain.cadence import plan_follow_ups
from followup.domain.events import InterviewSubmitted
from followup.domain.models import InterviewRequest
from followup_local.cloud import LocalCloud, in_process_cloud
from tests.conftest import load_example

pytestmark = pytest.mark.integration

NY = ZoneInfo("America/New_York")
LINK = re.compile(r"/a/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


def _review_payload(ended: str, **next_steps: Any) -> dict[str, Any]:
    payload = load_example("interview.json")
    end = datetime.fromisoformat(ended).replace(tzinfo=NY)
    payload["interview"].update({"started_at": (end - timedelta(hours=1)).isoformat(), "ended_at": end.isoformat()})
    payload["preferences"].update({"mode": "review", "handwritten_note": False, "linkedin": False})
    payload["preferences"]["review_hold_hours"] = 48
    payload["next_steps"] = {"decision_expected_by": None, **next_steps}
    return payload


def _view(cloud: LocalCloud, interview_id: str) -> dict[str, Any]:
    status, body = cloud.api("GET", f"/interviews/{interview_id}")
    assert status == 200, body
    return body


def _follow_up(cloud: LocalCloud, interview_id: str, follow_up_id: str) -> dict[str, Any]:
    return next(f for f in _view(cloud, interview_id)["follow_ups"] if f["id"] == follow_up_id)


def _approve_link(cloud: LocalCloud) -> str:
    draft = next(m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "draft")
    return LINK.findall(draft["text"])[0]


def _advance_to(cloud: LocalCloud, local: datetime) -> None:
    cloud.advance((local - cloud.clock.now()).total_seconds())


def test_a_draft_approved_at_2330_goes_the_next_working_morning() -> None:
    # Given a review-mode interview (Mon 16 Nov 15:00 New York) whose thank-you draft went out Tue 09:00
    with in_process_cloud(datetime(2026, 11, 16, 20, 30, tzinfo=UTC)) as cloud:
        status, accepted = cloud.api("POST", "/interviews", _review_payload("2026-11-16T15:00"))
        assert status == 202, accepted
        interview_id = accepted["interview_id"]
        _advance_to(cloud, datetime(2026, 11, 17, 9, 5, tzinfo=NY))
        thank_you = _follow_up(cloud, interview_id, "thank_you-0")
        assert thank_you["status"] == "awaiting_approval"
        assert "the interview ended too late for Monday's send window" in thank_you["timing"]
        token = _approve_link(cloud)

        # When the candidate opens the approve link at 23:30 that evening
        _advance_to(cloud, datetime(2026, 11, 17, 23, 30, tzinfo=NY))
        status, _, page = cloud.http("GET", f"/a/{token}")
        # Then the page says when it would go: the next working morning, in the recipient's and the candidate's time
        assert status == 200
        assert b"goes Wednesday morning (18 Nov, 09:00 their time), 14:00 on Wednesday your time" in page
        assert b"too late" not in page

        # When they approve it
        status, _, page = cloud.http("POST", f"/a/{token}")
        assert status == 200
        assert b"will be sent Wednesday morning (18 Nov, 09:00 their time)" in page
        # Then it is scheduled for Wed 09:00 New York as the UTC instant, not 23:31, and the stored due time says so
        schedule = next(s for s in cloud.pending_schedules() if s["Name"] == f"{interview_id}-thank_you-0")
        assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
            "at(2026-11-18T14:00:00)",
            "UTC",
        )
        assert f"{interview_id}-thank_you-0-hold" not in {s["Name"] for s in cloud.pending_schedules()}
        assert _follow_up(cloud, interview_id, "thank_you-0")["due_at"] == "2026-11-18T14:00:00Z"
        assert _follow_up(cloud, interview_id, "thank_you-0")["timing"] is None  # the old reason no longer applies
        approved = [e for e in _view(cloud, interview_id)["timeline"] if e["event"] == "approved"]
        assert approved[0]["detail"] == "thank_you-0: goes 2026-11-18T14:00:00Z"

        # And nothing reaches Grace during the night; at 09:00 it does, once
        _advance_to(cloud, datetime(2026, 11, 18, 8, 59, tzinfo=NY))
        to_grace = [m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]]
        assert to_grace == []
        _advance_to(cloud, datetime(2026, 11, 18, 9, 5, tzinfo=NY))
        to_grace = [m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]]
        assert [m["sent_at"] for m in to_grace] == ["2026-11-18T14:00:00Z"]
        assert _follow_up(cloud, interview_id, "thank_you-0")["status"] == "sent"


def test_a_draft_approved_too_late_to_be_useful_says_so_and_asks() -> None:
    # Given the decision expected Wed 18 Nov and the thank-you draft still unapproved that evening
    with in_process_cloud(datetime(2026, 11, 16, 20, 30, tzinfo=UTC)) as cloud:
        payload = _review_payload("2026-11-16T15:00", decision_expected_by="2026-11-18")
        status, accepted = cloud.api("POST", "/interviews", payload)
        assert status == 202, accepted
        interview_id = accepted["interview_id"]
        _advance_to(cloud, datetime(2026, 11, 17, 9, 5, tzinfo=NY))
        token = _approve_link(cloud)
        _advance_to(cloud, datetime(2026, 11, 18, 18, 0, tzinfo=NY))

        # When the candidate opens the approve link
        status, _, page = cloud.http("GET", f"/a/{token}")

        # Then the page says it would go Thursday, after the decision, and asks before sending it anyway
        assert status == 200
        text = page.decode()
        assert "goes Thursday morning (19 Nov, 09:00 their time)" in text
        assert "It may be too late to be useful." in text
        assert "The decision was expected by Wednesday 18 Nov" in text
        assert ">Send it anyway</button>" in text
        # And nothing changed
        assert _follow_up(cloud, interview_id, "thank_you-0")["status"] == "awaiting_approval"


def _plan_late(cloud: LocalCloud, payload: dict[str, Any], planned_at: datetime, interview_id: str) -> None:
    """An `InterviewSubmitted` event planned at `planned_at` but reaching the planner only now (retries)."""
    request = InterviewRequest.model_validate(payload)
    plan = plan_follow_ups(request, planned_at)
    event = InterviewSubmitted(
        interview_id=interview_id,
        submitted_at=planned_at,
        interview=request.to_document(),
        follow_ups=list(plan.follow_ups),
        skipped=list(plan.skipped),
    )
    envelope = {"detail-type": InterviewSubmitted.DETAIL_TYPE, "detail": event.detail()}
    cloud.runtime.invoke("PlannerFunction", envelope)


def test_a_late_planner_never_schedules_in_the_past_and_says_so_in_the_timeline() -> None:
    payload = load_example("interview.json")  # ends Tue 24 Nov 15:00 New York: thank-you Wed 09:00
    payload["preferences"].update({"handwritten_note": False, "linkedin": False})
    planned_at = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)
    with in_process_cloud(datetime(2026, 11, 25, 16, 58, tzinfo=NY)) as cloud:
        # Given the submission's event reaches the planner only on Wed 16:58, long after the thank-you's 09:00
        _plan_late(cloud, payload, planned_at, "00000000000000000000aa")
        # Then the thank-you goes as soon as possible: a minute from now, inside the window
        thank_you = _follow_up(cloud, "00000000000000000000aa", "thank_you-0")
        assert thank_you["due_at"] == "2026-11-25T21:59:00Z"  # 16:59 New York
        schedules = {s["Name"]: s for s in cloud.pending_schedules()}
        assert schedules["00000000000000000000aa-thank_you-0"]["ScheduleExpression"] == "at(2026-11-25T21:59:00)"
        timeline = _view(cloud, "00000000000000000000aa")["timeline"]
        [late] = [e for e in timeline if e["event"] == "planned_late"]
        assert late["detail"] == (
            "thank_you-0: was due 2026-11-25T14:00:00Z, already past when it was planned; "
            "goes as soon as possible, 2026-11-25T21:59:00Z"
        )
        # And the rest of the plan is untouched
        assert _follow_up(cloud, "00000000000000000000aa", "check_in")["due_at"] == "2026-12-07T15:00:00Z"

        # Given another one reaching the planner after the window closed (17:30), the day before Thanksgiving
        _advance_to(cloud, datetime(2026, 11, 25, 17, 30, tzinfo=NY))
        # (another candidate: the same interview twice would be one interview)
        other = {**payload, "candidate": {**payload["candidate"], "email": "grace.second@example.com"}}
        _plan_late(cloud, other, planned_at, "00000000000000000000bb")
        # Then as soon as possible is the next working morning, Friday 09:00, never tonight and never Thanksgiving
        assert _follow_up(cloud, "00000000000000000000bb", "thank_you-0")["due_at"] == "2026-11-27T14:00:00Z"
        # And no schedule anywhere is in the past
        now = cloud.clock.now()
        assert all(cloud._due_at(s) > now for s in cloud.pending_schedules())
        # And both go out when due
        cloud.advance(3 * 86400)
        sent = {
            (m["tags"].get("interview_id"), m["tags"].get("follow_up_id")): m["sent_at"]
            for m in cloud.outbox.follow_ups()
        }
        assert sent[("00000000000000000000aa", "thank_you-0")] == "2026-11-25T21:59:00Z"
        assert sent[("00000000000000000000bb", "thank_you-0")] == "2026-11-27T14:00:00Z"


def test_the_interview_view_and_the_202_explain_a_delayed_thank_you() -> None:
    payload = load_example("interview.json")
    payload["interview"].update({"started_at": "2026-11-20T14:30:00-05:00", "ended_at": "2026-11-20T15:30:00-05:00"})
    with in_process_cloud(datetime(2026, 11, 20, 20, 35, tzinfo=UTC)) as cloud:
        status, accepted = cloud.api("POST", "/interviews", payload)
        assert status == 202, accepted
        reason = "goes Monday morning (23 Nov, 09:00 their time): the interview ended too late for Friday's send window"
        assert f"thank_you-0: {reason}" in accepted["warnings"]
        thank_you = _follow_up(cloud, accepted["interview_id"], "thank_you-0")
        assert thank_you["due_at"] == "2026-11-23T14:00:00Z"
        assert thank_you["timing"] == reason
        status, preview = cloud.api("POST", "/preview", payload)
        assert status == 200
        assert next(f for f in preview["follow_ups"] if f["id"] == "thank_you-0")["timing"] == reason


def test_a_new_decision_date_replaces_the_check_ins_timing_reason() -> None:
    payload = load_example("interview.json")
    payload["next_steps"]["decision_expected_by"] = "2026-11-25"  # the thank-you goes that day
    with in_process_cloud(datetime(2026, 11, 24, 21, 0, tzinfo=UTC)) as cloud:
        status, accepted = cloud.api("POST", "/interviews", payload)
        assert status == 202, accepted
        interview_id = accepted["interview_id"]
        check_in = _follow_up(cloud, interview_id, "check_in")
        assert check_in["timing"] == (
            "goes Monday morning (30 Nov, 10:00 their time): the decision expected by Wednesday 25 Nov leaves too "
            "little time after the thank-you"
        )
        # When, an hour later, the decision date moves to Friday 18 Dec, the check-in goes Monday 21 Dec and needs no
        # explanation
        cloud.advance(3600)
        status, body = cloud.api("PATCH", f"/interviews/{interview_id}", {"decision_expected_by": "2026-12-18"})
        assert status == 200, body
        check_in = _follow_up(cloud, interview_id, "check_in")
        assert check_in["due_at"] == "2026-12-21T15:00:00Z"
        assert check_in["timing"] is None
