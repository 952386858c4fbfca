"""One interview, however often it arrives (hardening round two, item 2): the same candidate + company + position +
`interview.ended_at` is one interview whatever the channel (API, signed webhook, form, CLI), sequentially or
concurrently — N attempts → 1 interview → 1 email per follow-up."""

from __future__ import annotations

import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from followup.api.auth import sign
from followup.core import aws
from followup_local.cloud import LocalCloud, form_encode, http_event
from tests.conftest import load_example
from tests.integration.faults import inject

pytestmark = pytest.mark.integration


def interview_items(cloud: LocalCloud) -> list[str]:
    """Every stored interview's id (a scan, for the test's eyes only)."""
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    table = cloud.provisioned.physical["FollowUpTable"]
    items = dynamodb.scan(
        TableName=table,
        FilterExpression="sk = :sk",
        ExpressionAttributeValues={":sk": {"S": "#INTERVIEW"}},
    )["Items"]
    return sorted(item["interview_id"]["S"] for item in items)


def emails_per_follow_up(cloud: LocalCloud) -> Counter[tuple[str, str]]:
    return Counter(
        (m["tags"].get("interview_id"), m["tags"].get("follow_up_id"))
        for m in cloud.outbox.follow_ups()
        if m["tags"]["kind"] not in {"draft", "notice"}
    )


def assert_one_interview_one_email_each(cloud: LocalCloud, interview_id: str, follow_ups: list[dict[str, Any]]) -> None:
    assert interview_items(cloud) == [interview_id]
    names = {s["Name"] for s in cloud.pending_schedules()}
    assert names == {f"{interview_id}-{f['id']}" for f in follow_ups}
    cloud.advance(40 * 86400)
    sent = emails_per_follow_up(cloud)
    assert set(sent) == {(interview_id, f["id"]) for f in follow_ups}
    assert set(sent.values()) == {1}


def signed_headers(cloud: LocalCloud, body: bytes, offset: int = 0) -> dict[str, str]:
    timestamp = int(cloud.clock.now().timestamp()) + offset
    return {"x-followup-signature": sign(cloud.webhook_secret, body, timestamp), "content-type": "application/json"}


def test_the_same_interview_submitted_three_times_is_one_interview(cloud: LocalCloud) -> None:
    # Given one interview submitted three times through the API
    answers = [cloud.api("POST", "/interviews", load_example("interview-panel.json")) for _ in range(3)]

    # Then every answer names the same interview and plan; only the first is not a duplicate
    assert [status for status, _ in answers] == [202, 202, 202]
    first, *again = (body for _, body in answers)
    assert [body["duplicate"] for body in (first, *again)] == [False, True, True]
    assert {body["interview_id"] for body in again} == {first["interview_id"]}
    assert all(body["follow_ups"] == first["follow_ups"] for body in again)
    assert "already submitted" in again[0]["warnings"][0]

    # And there is one interview, and each follow-up goes once
    assert_one_interview_one_email_each(cloud, first["interview_id"], first["follow_ups"])


def test_case_spacing_and_offsets_do_not_make_another_interview(cloud: LocalCloud) -> None:
    first = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    variant = load_example("interview.json")
    variant["candidate"]["email"] = "ADA@Example.com"
    variant["company"]["name"] = "  analytical   ENGINES ltd "
    variant["position"]["title"] = "senior data engineer"
    variant["interview"]["ended_at"] = "2026-11-24T20:00:00Z"  # the same instant as 15:00 in New York
    variant["interview"]["started_at"] = "2026-11-24T18:00:00Z"
    variant["highlights"]["why_fit"] = "a different sentence does not make a different interview"
    status, again = cloud.api("POST", "/interviews", variant)
    assert status == 202, again
    assert again["interview_id"] == first["interview_id"]
    assert again["duplicate"] is True


def test_another_round_or_another_position_is_another_interview(cloud: LocalCloud) -> None:
    first = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    next_round = load_example("interview.json")
    next_round["interview"].update(started_at="2026-11-24T16:00:00-05:00", ended_at="2026-11-24T17:00:00-05:00")
    other_role = load_example("interview.json")
    other_role["position"]["title"] = "Staff Data Engineer"
    ids = {first["interview_id"]}
    for payload in (next_round, other_role):
        status, body = cloud.api("POST", "/interviews", payload)
        assert status == 202, body
        assert body["duplicate"] is False
        ids.add(body["interview_id"])
    assert interview_items(cloud) == sorted(ids)


def test_ten_concurrent_identical_posts_make_one_interview_and_one_email_each(cloud: LocalCloud) -> None:
    # Given the same interview posted ten times at once, without an Idempotency-Key
    body = json.dumps(load_example("interview-panel.json")).encode()
    event = http_event(
        "POST",
        "/interviews",
        body=body,
        headers={"authorization": f"Bearer {cloud.api_key}", "content-type": "application/json"},
        route_key="POST /interviews",
        now=cloud.clock.now(),
    )
    cloud.runtime.handler("ApiFunction")  # warm, like a warm Lambda
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(lambda _: cloud.runtime.invoke("ApiFunction", json.loads(json.dumps(event))), range(10))
        )
    cloud.run_until_idle()

    # Then all ten were accepted, naming one interview, exactly one of them as new
    assert {r["statusCode"] for r in responses} == {202}, responses
    bodies = [json.loads(r["body"]) for r in responses]
    assert len({b["interview_id"] for b in bodies}) == 1
    assert sorted(b["duplicate"] for b in bodies) == [False] + [True] * 9
    first = next(b for b in bodies if not b["duplicate"])
    assert_one_interview_one_email_each(cloud, first["interview_id"], first["follow_ups"])


def test_api_form_webhook_and_cli_all_land_on_one_interview(cloud: LocalCloud) -> None:
    payload = load_example("interview.json")
    body = json.dumps(payload).encode()

    # The API (Bearer), then a signed webhook (a CLI `followup submit` signs the same way), twice with fresh t
    first = cloud.api("POST", "/interviews", payload)[1]
    interview_id = first["interview_id"]
    for offset in (0, 1):
        status, _, data = cloud.http("POST", "/interviews", body=body, headers=signed_headers(cloud, body, offset))
        assert status == 202, data
        assert json.loads(data)["interview_id"] == interview_id

    # And the form, filled in again by hand: it lands on the existing plan
    fields = {
        "key": cloud.form_key,
        "candidate.name": "Ada Lovelace",
        "candidate.email": "ada@example.com",
        "candidate.timezone": "Europe/London",
        "company.name": "Analytical Engines Ltd",
        "company.timezone": "America/New_York",
        "company.country": "US",
        "position.title": "Senior Data Engineer",
        "interview.started_at": "2026-11-24T13:00",
        "interview.ended_at": "2026-11-24T15:00",
        "interview_timezone": "America/New_York",
        "interviewers[0].name": "Grace Hopper",
        "interviewers[0].email": "grace@ae.example",
    }
    status, headers, _ = cloud.http(
        "POST", "/form", body=form_encode(fields), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 303
    assert re.match(rf"^/form/done/{interview_id}\?key=", headers["location"])

    assert_one_interview_one_email_each(cloud, interview_id, first["follow_ups"])


def test_a_refused_publish_answers_503_gives_the_claim_back_and_the_retry_makes_one_interview(
    cloud: LocalCloud,
) -> None:
    # Given EventBridge refuses the first PutEvents outright (nothing published)
    calls = {"n": 0}

    def refuse_once(model: Any, **_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError({"Error": {"Code": "InternalException", "Message": "down"}}, model.name)

    aws.client("events").meta.events.register("before-call.events.PutEvents", refuse_once, unique_id="refuse-once")
    payload = load_example("interview.json")

    # When the interview is submitted, and submitted again
    status, body = cloud.api("POST", "/interviews", payload)
    assert status == 503, body
    assert interview_items(cloud) == []
    status, accepted = cloud.api("POST", "/interviews", payload)

    # Then the retry is the interview (the claim was given back), planned once, each email once
    assert status == 202, accepted
    assert accepted["duplicate"] is False
    assert_one_interview_one_email_each(cloud, accepted["interview_id"], accepted["follow_ups"])


def test_a_refused_publish_under_an_idempotency_key_gives_the_key_back_too(cloud: LocalCloud) -> None:
    # Given EventBridge refuses the first PutEvents outright, and the client sends an Idempotency-Key
    calls = {"n": 0}

    def refuse_once(model: Any, **_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError({"Error": {"Code": "InternalException", "Message": "down"}}, model.name)

    aws.client("events").meta.events.register("before-call.events.PutEvents", refuse_once, unique_id="refuse-once")
    payload = load_example("interview.json")
    key = {"Idempotency-Key": "retry-after-503"}

    # When the submission answers 503 and the client retries with the same key at once
    status, body = cloud.api("POST", "/interviews", payload, headers=key)
    assert status == 503, body
    status, accepted = cloud.api("POST", "/interviews", payload, headers=key)

    # Then the failed attempt left no idempotency record (no 409 "in progress", no replayed 503): the retry is the
    # interview, planned once, each email once
    assert status == 202, accepted
    assert accepted["duplicate"] is False
    assert_one_interview_one_email_each(cloud, accepted["interview_id"], accepted["follow_ups"])


def test_a_publish_that_went_through_but_answered_an_error_still_makes_one_interview(cloud: LocalCloud) -> None:
    # Given PutEvents delivers the event but the API sees an error (the answer lost on the way back)
    calls = {"n": 0}

    def first_answer_lost() -> bool:
        calls["n"] += 1
        return calls["n"] == 1

    inject(
        aws.client("events"), operation="PutEvents", code="InternalFailure", status=400, should_fail=first_answer_lost
    )
    payload = load_example("interview.json")

    # When the client is told 503 and retries
    status, _ = cloud.api("POST", "/interviews", payload)
    assert status == 503
    status, accepted = cloud.api("POST", "/interviews", payload)

    # Then the retry names the interview the lost PutEvents delivered: one interview, each email once
    assert status == 202, accepted
    assert accepted["duplicate"] is True
    assert_one_interview_one_email_each(cloud, accepted["interview_id"], accepted["follow_ups"])


def test_a_crash_between_claim_and_publish_is_recovered_by_the_retried_request(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the API process dies right after claiming the key, before PutEvents (nothing is given back)
    from followup.adapters.dynamodb import FollowUpTable

    def died(model: Any, **_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalException", "Message": "process died"}}, model.name)

    monkeypatch.setattr(FollowUpTable, "abandon_claim", lambda *_a, **_k: False)
    aws.client("events").meta.events.register("before-call.events.PutEvents", died, unique_id="crash-once")
    payload = load_example("interview.json")
    status, _ = cloud.api("POST", "/interviews", payload)
    assert status == 503
    assert interview_items(cloud) == []
    aws.client("events").meta.events.unregister("before-call.events.PutEvents", unique_id="crash-once")

    # When the client retries
    status, accepted = cloud.api("POST", "/interviews", payload)

    # Then the claimed interview is published and stored: nothing was lost, nothing doubled
    assert status == 202, accepted
    assert accepted["duplicate"] is True  # the id claimed by the attempt that died
    assert_one_interview_one_email_each(cloud, accepted["interview_id"], accepted["follow_ups"])


def test_the_planner_refuses_a_second_interview_for_the_same_key(cloud: LocalCloud) -> None:
    # Given a stored interview
    first = cloud.api("POST", "/interviews", load_example("interview.json"))[1]

    # When an InterviewSubmitted for the same interview under another id reaches the planner (a path around the API)
    from followup.domain.cadence import plan_follow_ups
    from followup.domain.events import InterviewSubmitted
    from followup.domain.models import InterviewRequest

    request = InterviewRequest.model_validate(load_example("interview.json"))
    plan = plan_follow_ups(request, cloud.clock.now())
    event = InterviewSubmitted(
        interview_id="0" * 22,
        submitted_at=cloud.clock.now(),
        interview=request.to_document(),
        follow_ups=list(plan.follow_ups),
    )
    result = cloud.runtime.invoke(
        "PlannerFunction",
        {
            "version": "0",
            "id": "dup",
            "detail-type": "InterviewSubmitted",
            "source": "followup.api",
            "account": "123456789012",
            "time": "2026-11-24T21:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": event.detail(),
        },
    )

    # Then nothing is stored or scheduled for it
    assert result["stored"] is False
    assert result["schedules"] == 0
    assert_one_interview_one_email_each(cloud, first["interview_id"], first["follow_ups"])


def test_after_a_delete_the_same_interview_can_be_submitted_anew(cloud: LocalCloud) -> None:
    first = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    assert cloud.api("DELETE", f"/interviews/{first['interview_id']}")[0] == 204
    status, again = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202, again
    assert again["duplicate"] is False
    assert again["interview_id"] != first["interview_id"]
    assert_one_interview_one_email_each(cloud, again["interview_id"], again["follow_ups"])
