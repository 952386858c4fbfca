"""The 202 gap (hardening round two, item 5): the API answers 202 before the planner has stored the interview; a
DELETE, an outcome or a PATCH that arrives in that gap still wins — tested with a delayed planner (the bus is not
pumped until the test says so)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from followup_local.cloud import LocalCloud, http_event, match_route
from tests.conftest import load_example
from tests.integration.test_duplicates import emails_per_follow_up, interview_items

pytestmark = pytest.mark.integration


def api_only(cloud: LocalCloud, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
    """One request through ApiFunction, with the planner held back: the bus events wait in their queue."""
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = {"authorization": f"Bearer {cloud.api_key}"}
    if payload is not None:
        headers["content-type"] = "application/json"
    match = match_route(cloud.routes, method, path)
    assert match is not None
    event = http_event(
        method,
        path,
        body=body,
        headers=headers,
        route_key=match.route_key,
        path_parameters=match.path_parameters,
        now=cloud.clock.now(),
    )
    response = cloud.runtime.invoke("ApiFunction", event)
    data = response.get("body") or ""
    return int(response["statusCode"]), json.loads(data) if data else None


def submit_held(cloud: LocalCloud, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    status, accepted = api_only(cloud, "POST", "/interviews", payload or load_example("interview.json"))
    assert status == 202, accepted
    assert interview_items(cloud) == []  # the planner has not run
    return accepted


def test_a_delete_in_the_gap_wins_nothing_is_stored_or_sent(cloud: LocalCloud) -> None:
    # Given an accepted interview the planner has not stored yet
    accepted = submit_held(cloud)
    interview_id = accepted["interview_id"]

    # When it is deleted, and only then the planner runs
    assert api_only(cloud, "DELETE", f"/interviews/{interview_id}")[0] == 204
    cloud.run_until_idle()

    # Then nothing was stored, nothing scheduled, nothing ever sent; a repeated DELETE is still a success
    assert interview_items(cloud) == []
    assert cloud.pending_schedules() == []
    assert cloud.api("GET", f"/interviews/{interview_id}")[0] == 404
    assert cloud.api("DELETE", f"/interviews/{interview_id}")[0] == 204
    cloud.advance(40 * 86400)
    assert cloud.outbox.messages == []


def test_after_a_delete_in_the_gap_the_interview_can_be_submitted_again(cloud: LocalCloud) -> None:
    first = submit_held(cloud)
    assert api_only(cloud, "DELETE", f"/interviews/{first['interview_id']}")[0] == 204
    second = submit_held(cloud)
    assert second["interview_id"] != first["interview_id"]
    assert second["duplicate"] is False
    cloud.run_until_idle()
    assert interview_items(cloud) == [second["interview_id"]]


def test_an_outcome_in_the_gap_stores_the_interview_with_everything_cancelled(cloud: LocalCloud) -> None:
    # Given an accepted interview the planner has not stored yet
    accepted = submit_held(cloud)
    interview_id = accepted["interview_id"]

    # When a rejection is recorded, and only then the planner runs
    status, body = api_only(cloud, "POST", f"/interviews/{interview_id}/outcome", {"outcome": "rejected"})
    assert status == 200, body
    assert set(body["cancelled"]) == {f["id"] for f in accepted["follow_ups"]}
    cloud.run_until_idle()

    # Then the interview is stored closed, every follow-up cancelled, nothing scheduled, nothing ever sent
    status, view = cloud.api("GET", f"/interviews/{interview_id}")
    assert status == 200, view
    assert view["interview"]["outcome"] == "rejected"
    assert view["interview"]["status"] == "closed"
    assert {f["status"] for f in view["follow_ups"]} == {"cancelled"}
    assert "outcome" in [e["event"] for e in view["timeline"]]
    assert cloud.pending_schedules() == []
    cloud.advance(40 * 86400)
    assert cloud.outbox.messages == []


def test_heard_back_in_the_gap_keeps_only_the_candidates_reminders(cloud: LocalCloud) -> None:
    accepted = submit_held(cloud)
    interview_id = accepted["interview_id"]
    status, body = api_only(cloud, "POST", f"/interviews/{interview_id}/outcome", {"outcome": "heard_back"})
    assert status == 200, body
    cloud.run_until_idle()
    statuses = {f["id"]: f["status"] for f in cloud.api("GET", f"/interviews/{interview_id}")[1]["follow_ups"]}
    assert statuses["thank_you-0"] == statuses["check_in"] == statuses["final"] == "cancelled"
    reminders = {f["id"] for f in accepted["follow_ups"] if f["kind"].startswith("reminder_")}
    assert "reminder_linkedin" in reminders
    assert {fid for fid, status in statuses.items() if status == "scheduled"} == reminders
    assert {s["Name"] for s in cloud.pending_schedules()} == {f"{interview_id}-{fid}" for fid in reminders}
    cloud.advance(40 * 86400)
    assert set(emails_per_follow_up(cloud)) == {(interview_id, fid) for fid in reminders}


def test_a_new_decision_date_in_the_gap_is_what_the_planner_stores(cloud: LocalCloud) -> None:
    # Given an accepted interview the planner has not stored yet (decision expected Fri 4 Dec)
    accepted = submit_held(cloud)
    interview_id = accepted["interview_id"]

    # When the decision date moves two weeks later, and only then the planner runs
    status, body = api_only(cloud, "PATCH", f"/interviews/{interview_id}", {"decision_expected_by": "2026-12-18"})
    assert status == 200, body
    check_in = next(f for f in body["follow_ups"] if f["id"] == "check_in")
    local = datetime.fromisoformat(check_in["due_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("America/New_York"))
    assert local.isoformat() == "2026-12-21T10:00:00-05:00"
    cloud.run_until_idle()

    # Then the stored plan and its schedule follow the new date, and the check-in goes then
    view = cloud.api("GET", f"/interviews/{interview_id}")[1]
    assert view["interview"]["next_steps"]["decision_expected_by"] == "2026-12-18"
    assert next(f for f in view["follow_ups"] if f["id"] == "check_in")["due_at"] == check_in["due_at"]
    schedule = next(s for s in cloud.pending_schedules() if s["Name"] == f"{interview_id}-check_in")
    assert schedule["ScheduleExpression"] in {"at(2026-12-21T15:00:00)", "at(2026-12-21T10:00:00)"}
    cloud.advance(40 * 86400)
    mail = next(m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "check_in")
    assert mail["sent_at"] == "2026-12-21T15:00:00Z"
    assert set(emails_per_follow_up(cloud).values()) == {1}


def test_a_delete_that_lands_while_the_planner_writes_still_wins(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the planner has read the interview's intake and is about to write its transaction
    from followup.adapters.dynamodb import FollowUpTable

    accepted = submit_held(cloud)
    interview_id = accepted["interview_id"]
    original = FollowUpTable.store_interview
    raced = {"done": False}

    def store_after_a_delete(self: FollowUpTable, **kwargs: Any) -> Any:
        if not raced["done"]:
            raced["done"] = True
            # When the DELETE lands right then
            assert api_only(cloud, "DELETE", f"/interviews/{interview_id}")[0] == 204
        return original(self, **kwargs)

    monkeypatch.setattr(FollowUpTable, "store_interview", store_after_a_delete)
    cloud.run_until_idle()

    # Then the planner's write fails on the changed intake, it reads the tombstone, and stores nothing
    assert raced["done"]
    assert interview_items(cloud) == []
    assert cloud.pending_schedules() == []
    cloud.advance(40 * 86400)
    assert cloud.outbox.messages == []


def test_an_outcome_that_lands_while_the_planner_writes_is_applied(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    from followup.adapters.dynamodb import FollowUpTable

    accepted = submit_held(cloud)
    interview_id = accepted["interview_id"]
    original = FollowUpTable.store_interview
    raced = {"done": False}

    def store_after_an_outcome(self: FollowUpTable, **kwargs: Any) -> Any:
        if not raced["done"]:
            raced["done"] = True
            status, _ = api_only(cloud, "POST", f"/interviews/{interview_id}/outcome", {"outcome": "offer"})
            assert status == 200
        return original(self, **kwargs)

    monkeypatch.setattr(FollowUpTable, "store_interview", store_after_an_outcome)
    cloud.run_until_idle()
    view = cloud.api("GET", f"/interviews/{interview_id}")[1]
    assert view["interview"]["outcome"] == "offer"
    assert {f["status"] for f in view["follow_ups"]} == {"cancelled"}
    assert cloud.pending_schedules() == []


def test_a_redelivered_event_after_a_delete_does_not_bring_the_interview_back(cloud: LocalCloud) -> None:
    # Given a stored interview, and a copy of the InterviewSubmitted event that stored it
    published: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        published.extend(e for e in params["Entries"] if e["DetailType"] == "InterviewSubmitted")

    from followup.core import aws

    aws.client("events").meta.events.register("before-parameter-build.events.PutEvents", keep, unique_id="keep")
    accepted = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    assert len(published) == 1

    # When it is deleted, and EventBridge then delivers the old event once more
    assert cloud.api("DELETE", f"/interviews/{accepted['interview_id']}")[0] == 204
    entry = published[0]
    result = cloud.runtime.invoke(
        "PlannerFunction",
        {"detail-type": entry["DetailType"], "source": entry["Source"], "detail": json.loads(entry["Detail"])},
    )

    # Then the tombstone keeps it deleted: nothing stored, nothing scheduled, nothing sent
    assert result["stored"] is False
    assert interview_items(cloud) == []
    assert cloud.pending_schedules() == []
    cloud.advance(40 * 86400)
    assert cloud.outbox.messages == []
