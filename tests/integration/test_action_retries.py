"""Every action survives its own retry (hardening round two, item 4): one-click links (approve, skip, stop, heard
back, done), outcome, PATCH and DELETE, each hit by a transient failure part-way — AWS refusing a call outright
(`refuse`: nothing done) or doing it and losing the answer (`inject`: done, but the caller sees an error). The user
sees a 503 (an HTML page with the button for links), retries, and the action completes: nothing stranded, nothing
done twice, never "already used" for one's own click."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from followup.core import aws
from followup.core.links import LinkAction, LinkClaim, make_token
from followup_local.cloud import LocalCloud
from tests.conftest import load_example
from tests.integration.faults import inject, refuse
from tests.integration.test_duplicates import emails_per_follow_up
from tests.integration.test_lifecycle import _draft_links, _review_payload

pytestmark = pytest.mark.integration

FAULTS = ("refused", "answer_lost")


def armed_once() -> tuple[Callable[[], bool], Callable[[], None]]:
    """A `should_fail` that fails exactly once after `arm()`."""
    state = {"left": 0}

    def should_fail() -> bool:
        if state["left"] > 0:
            state["left"] -= 1
            return True
        return False

    def arm() -> None:
        state["left"] = 1

    return should_fail, arm


def fault(fault_kind: str, service: str, operation: str, detail_type: str | None = None) -> Callable[[], None]:
    """Prepare one transient failure of `operation`; returns the function that arms it for the next call."""
    client = aws.client(service)
    if fault_kind == "refused":
        armed = {"on": False}

        def when(params: dict[str, Any]) -> bool:
            if not armed["on"]:
                return False
            if detail_type and params.get("Entries", [{}])[0].get("DetailType") != detail_type:
                return False
            armed["on"] = False
            return True

        refuse(client, operation=operation, times=10, when=when)
        return lambda: armed.update(on=True)
    should_fail, arm = armed_once()
    inject(client, operation=operation, code="InternalFailure", status=400, should_fail=should_fail)
    return arm


def press(cloud: LocalCloud, token: str) -> tuple[int, bytes]:
    status, _, page = cloud.http("POST", f"/a/{token}")
    return status, page


def sent_to_grace(cloud: LocalCloud) -> int:
    return len([m for m in cloud.outbox.follow_ups() if m["to"] == ["Grace Hopper <grace@ae.example>"]])


def statuses(cloud: LocalCloud, interview_id: str) -> dict[str, str]:
    return {f["id"]: f["status"] for f in cloud.api("GET", f"/interviews/{interview_id}")[1]["follow_ups"]}


def review_draft(cloud: LocalCloud) -> tuple[str, dict[str, str]]:
    accepted = cloud.api("POST", "/interviews", _review_payload())[1]
    cloud.advance(18 * 3600)
    return accepted["interview_id"], _draft_links(cloud, "thank_you-0")


def assert_retry_completes(cloud: LocalCloud, token: str, arm: Callable[[], None], title: bytes) -> bytes:
    arm()
    status, page = press(cloud, token)
    assert status == 503, page[:300]
    assert b"press the button again" in page
    status, page = press(cloud, token)
    assert status == 200, page[:300]
    assert title in page
    assert b"already" not in page.lower()
    return page


# -- one-click links -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_approve_survives_its_retry_and_sends_once(cloud: LocalCloud, fault_kind: str) -> None:
    interview_id, links = review_draft(cloud)
    arm = (
        fault(fault_kind, "events", "PutEvents", "FollowUpApproved")
        if fault_kind == "refused"
        else fault(fault_kind, "dynamodb", "UpdateItem")
    )
    assert_retry_completes(cloud, links["approve"], arm, b"Approved")
    cloud.advance(180)
    assert sent_to_grace(cloud) == 1
    assert statuses(cloud, interview_id)["thank_you-0"] == "sent"
    status, page = press(cloud, links["approve"])  # pressed once more, later
    assert status == 200
    assert b"pressing again changes nothing" in page
    cloud.advance(2 * 86400)
    assert sent_to_grace(cloud) == 1


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_skip_survives_its_retry(cloud: LocalCloud, fault_kind: str) -> None:
    interview_id, links = review_draft(cloud)
    arm = (
        fault(fault_kind, "events", "PutEvents", "FollowUpsStopped")
        if fault_kind == "refused"
        else fault(fault_kind, "dynamodb", "UpdateItem")
    )
    assert_retry_completes(cloud, links["skip"], arm, b"Skipped")
    assert statuses(cloud, interview_id)["thank_you-0"] == "cancelled"
    assert not [s for s in cloud.pending_schedules() if s["Name"].startswith(f"{interview_id}-thank_you-0")]
    timeline = cloud.api("GET", f"/interviews/{interview_id}")[1]["timeline"]
    assert [e["event"] for e in timeline].count("skipped") == 1
    cloud.advance(60 * 86400)
    assert sent_to_grace(cloud) == 0


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_stop_survives_its_retry(cloud: LocalCloud, fault_kind: str) -> None:
    interview_id, links = review_draft(cloud)
    arm = (
        fault(fault_kind, "events", "PutEvents", "FollowUpsStopped")
        if fault_kind == "refused"
        else fault(fault_kind, "dynamodb", "UpdateItem")
    )
    page = assert_retry_completes(cloud, links["stop"], arm, b"Stopped")
    assert b"3 pending follow-ups were cancelled" in page  # thank-you (draft), check-in, final
    assert set(statuses(cloud, interview_id).values()) == {"cancelled"}
    assert not [s for s in cloud.pending_schedules() if s["Name"].startswith(interview_id)]
    cloud.advance(60 * 86400)
    assert sent_to_grace(cloud) == 0


def _mint(cloud: LocalCloud, interview_id: str, follow_up_id: str, action: LinkAction) -> str:
    secret = cloud.provisioned.secrets["LinkSecretParameterName"]
    expires = cloud.clock.now().replace(year=cloud.clock.now().year + 1)
    return make_token(secret, LinkClaim(interview_id, follow_up_id, action, expires))


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_heard_back_survives_its_retry(cloud: LocalCloud, fault_kind: str) -> None:
    accepted = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    interview_id = accepted["interview_id"]
    token = _mint(cloud, interview_id, "check_in", LinkAction.HEARD_BACK)
    arm = (
        fault(fault_kind, "events", "PutEvents", "InterviewOutcomeRecorded")
        if fault_kind == "refused"
        else fault(fault_kind, "dynamodb", "TransactWriteItems")
    )
    page = assert_retry_completes(cloud, token, arm, b"Noted")
    assert b"3 pending nudges were cancelled" in page
    nudges = {"thank_you-0", "check_in", "final"}
    assert not [s for s in cloud.pending_schedules() if s["Name"].split("-", 1)[1] in nudges]
    cloud.advance(60 * 86400)
    assert not {fid for (_, fid) in emails_per_follow_up(cloud)} & nudges


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_done_survives_its_retry(cloud: LocalCloud, fault_kind: str) -> None:
    accepted = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    interview_id = accepted["interview_id"]
    token = _mint(cloud, interview_id, "reminder_linkedin", LinkAction.DONE)
    arm = fault(fault_kind, "dynamodb", "PutItem")
    assert_retry_completes(cloud, token, arm, b"Marked as done")
    events = [e["event"] for e in cloud.api("GET", f"/interviews/{interview_id}")[1]["timeline"]]
    assert events.count("task_done") == 1


# -- outcome, PATCH, DELETE ----------------------------------------------------------------------------------------


def _retry_api(cloud: LocalCloud, arm: Callable[[], None], method: str, path: str, payload: Any = None) -> Any:
    arm()
    status, body = cloud.api(method, path, payload)
    assert status == 503, body
    assert body["error"]["code"] == "unavailable"
    status, body = cloud.api(method, path, payload)
    assert status in (200, 204), body
    return body


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_outcome_survives_its_retry(cloud: LocalCloud, fault_kind: str) -> None:
    accepted = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    interview_id = accepted["interview_id"]
    arm = (
        fault(fault_kind, "events", "PutEvents", "InterviewOutcomeRecorded")
        if fault_kind == "refused"
        else fault(fault_kind, "dynamodb", "TransactWriteItems")
    )
    body = _retry_api(cloud, arm, "POST", f"/interviews/{interview_id}/outcome", {"outcome": "rejected"})
    assert set(body["cancelled"]) == {f["id"] for f in accepted["follow_ups"]}
    assert cloud.pending_schedules() == []
    view = cloud.api("GET", f"/interviews/{interview_id}")[1]
    assert [e["event"] for e in view["timeline"]].count("outcome") == 1
    cloud.advance(60 * 86400)
    assert cloud.outbox.messages == []


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_patch_survives_its_retry(cloud: LocalCloud, fault_kind: str) -> None:
    accepted = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    interview_id = accepted["interview_id"]
    arm = (
        fault(fault_kind, "events", "PutEvents", "DecisionDateChanged")
        if fault_kind == "refused"
        else fault(fault_kind, "dynamodb", "TransactWriteItems")
    )
    body = _retry_api(cloud, arm, "PATCH", f"/interviews/{interview_id}", {"decision_expected_by": "2026-12-18"})
    check_in = next(f for f in body["follow_ups"] if f["id"] == "check_in")
    view = cloud.api("GET", f"/interviews/{interview_id}")[1]
    assert next(f for f in view["follow_ups"] if f["id"] == "check_in")["due_at"] == check_in["due_at"]
    assert [e["event"] for e in view["timeline"]].count("decision_date_changed") == 1
    cloud.advance(60 * 86400)
    mail = next(m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "check_in")
    assert mail["sent_at"] == check_in["due_at"]
    assert set(emails_per_follow_up(cloud).values()) == {1}


@pytest.mark.parametrize("fault_kind", FAULTS)
def test_delete_survives_its_retry(cloud: LocalCloud, fault_kind: str) -> None:
    accepted = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    interview_id = accepted["interview_id"]
    arm = (
        fault(fault_kind, "events", "PutEvents", "InterviewDeleted")
        if fault_kind == "refused"
        else fault(fault_kind, "dynamodb", "BatchWriteItem")
    )
    _retry_api(cloud, arm, "DELETE", f"/interviews/{interview_id}")
    assert cloud.api("GET", f"/interviews/{interview_id}")[0] == 404
    assert cloud.pending_schedules() == []
    dynamodb = cloud.session.client("dynamodb", region_name="us-east-1")
    items = dynamodb.query(
        TableName=cloud.provisioned.physical["FollowUpTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"IV#{interview_id}"}},
    )["Items"]
    assert items == []
    cloud.advance(60 * 86400)
    assert cloud.outbox.messages == []
    assert json.dumps(cloud.dead_letters) == "[]"
