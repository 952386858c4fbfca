"""A webhook signature is accepted once (hardening round two, item 2): the same signed request replayed — in sequence
or at once — never makes a second interview; the replay gets the first answer, another request under the same
signature is a 409, and a signature whose request was refused or failed leaves nothing behind."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from followup.api.auth import sign
from followup.core import aws
from followup_local.cloud import LocalCloud, http_event, match_route
from tests.conftest import load_example
from tests.integration.test_duplicates import assert_one_interview_one_email_each, interview_items

pytestmark = pytest.mark.integration


def signed_event(cloud: LocalCloud, method: str, path: str, body: bytes, header: str) -> dict[str, Any]:
    match = match_route(cloud.routes, method, path)
    assert match is not None
    headers = {"x-followup-signature": header}
    if body:
        headers["content-type"] = "application/json"
    return http_event(
        method,
        path,
        body=body,
        headers=headers,
        route_key=match.route_key,
        path_parameters=match.path_parameters,
        now=cloud.clock.now(),
    )


def send(cloud: LocalCloud, method: str, path: str, body: bytes, header: str) -> tuple[int, dict[str, str], Any]:
    response = cloud.runtime.invoke("ApiFunction", signed_event(cloud, method, path, body, header))
    cloud.run_until_idle()
    data = response.get("body") or ""
    return int(response["statusCode"]), response.get("headers") or {}, json.loads(data) if data else None


def signature(cloud: LocalCloud, body: bytes, offset: int = 0) -> str:
    return sign(cloud.webhook_secret, body, int(cloud.clock.now().timestamp()) + offset)


def signature_items(cloud: LocalCloud) -> int:
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    return int(
        dynamodb.scan(
            TableName=cloud.provisioned.physical["FollowUpTable"],
            FilterExpression="begins_with(pk, :sig)",
            ExpressionAttributeValues={":sig": {"S": "SIG#"}},
        )["Count"]
    )


def test_a_signed_webhook_replayed_three_times_is_one_interview_and_the_first_answer(cloud: LocalCloud) -> None:
    # Given one signed webhook delivery
    body = json.dumps(load_example("interview-panel.json")).encode()
    header = signature(cloud, body)

    # When the very same bytes arrive three more times within the window
    answers = [send(cloud, "POST", "/interviews", body, header) for _ in range(4)]

    # Then the replays get the first answer, marked as a replay, and there is one interview, each email once
    first_status, first_headers, first = answers[0]
    assert first_status == 202, first
    assert first["duplicate"] is False
    assert "X-Followup-Replay" not in first_headers
    for status, headers, again in answers[1:]:
        assert (status, again) == (202, first)
        assert headers["X-Followup-Replay"] == "true"
    assert_one_interview_one_email_each(cloud, first["interview_id"], first["follow_ups"])


def test_concurrent_replays_of_one_signature_make_one_interview(cloud: LocalCloud) -> None:
    body = json.dumps(load_example("interview-panel.json")).encode()
    event = signed_event(cloud, "POST", "/interviews", body, signature(cloud, body))
    cloud.runtime.handler("ApiFunction")
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda _: cloud.runtime.invoke("ApiFunction", json.loads(json.dumps(event))), range(8))
        )
    cloud.run_until_idle()
    statuses = sorted(int(r["statusCode"]) for r in responses)
    assert set(statuses) <= {202, 409}, statuses
    accepted = [json.loads(r["body"]) for r in responses if r["statusCode"] == 202]
    refused = [json.loads(r["body"])["error"]["code"] for r in responses if r["statusCode"] == 409]
    assert accepted
    assert set(refused) <= {"signature_in_use"}
    assert len({json.dumps(a, sort_keys=True) for a in accepted}) == 1
    assert_one_interview_one_email_each(cloud, accepted[0]["interview_id"], accepted[0]["follow_ups"])


def test_a_signature_reused_for_another_request_is_refused(cloud: LocalCloud) -> None:
    # Given two interviews, and a signed DELETE of the first (the signature covers t and the empty body only)
    first = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    other = load_example("interview.json")
    other["position"]["title"] = "Staff Data Engineer"
    second = cloud.api("POST", "/interviews", other)[1]
    header = signature(cloud, b"")
    assert send(cloud, "DELETE", f"/interviews/{first['interview_id']}", b"", header)[0] == 204

    # When the same signature is sent with a DELETE of the second, or a GET
    status, _, body = send(cloud, "DELETE", f"/interviews/{second['interview_id']}", b"", header)
    assert status == 409, body
    assert body["error"]["code"] == "signature_replayed"
    assert send(cloud, "GET", f"/interviews/{second['interview_id']}", b"", header)[0] == 409

    # Then the second interview is untouched; the first DELETE's own replay gets its answer again
    assert interview_items(cloud) == [second["interview_id"]]
    assert send(cloud, "DELETE", f"/interviews/{first['interview_id']}", b"", header)[0] == 204


def test_a_read_is_accepted_once_too(cloud: LocalCloud) -> None:
    accepted = cloud.api("POST", "/interviews", load_example("interview.json"))[1]
    header = signature(cloud, b"")
    path = f"/interviews/{accepted['interview_id']}"
    assert send(cloud, "GET", path, b"", header)[0] == 200
    status, _, body = send(cloud, "GET", path, b"", header)
    assert status == 409
    assert body["error"]["code"] == "signature_replayed"
    assert send(cloud, "GET", path, b"", signature(cloud, b"", 1))[0] == 200


def test_a_refused_signed_request_leaves_nothing_and_is_refused_again(cloud: LocalCloud) -> None:
    payload = load_example("interview.json")
    payload["interviewers"][0]["email"] = "grâce@ae.example"
    body = json.dumps(payload).encode()
    header = signature(cloud, body)
    for _ in range(2):
        status, _, answer = send(cloud, "POST", "/interviews", body, header)
        assert status == 422, answer
        assert answer["error"]["fields"][0]["field"] == "interviewers[0].email"
    assert signature_items(cloud) == 0
    assert interview_items(cloud) == []


def test_a_signed_request_that_failed_is_accepted_when_retried(cloud: LocalCloud) -> None:
    # Given EventBridge down for the first attempt of a signed submission
    calls = {"n": 0}

    def refuse_once(model: Any, **_: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError({"Error": {"Code": "InternalException", "Message": "down"}}, model.name)

    aws.client("events").meta.events.register("before-call.events.PutEvents", refuse_once, unique_id="sig-refuse")
    body = json.dumps(load_example("interview.json")).encode()
    header = signature(cloud, body)
    assert send(cloud, "POST", "/interviews", body, header)[0] == 503

    # When the client resends the very same signed request
    status, _, accepted = send(cloud, "POST", "/interviews", body, header)

    # Then it is accepted: the failed attempt was forgotten
    assert status == 202, accepted
    assert_one_interview_one_email_each(cloud, accepted["interview_id"], accepted["follow_ups"])
