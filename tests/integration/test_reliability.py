"""Duplicates, injected faults and crashes on moto: every due email is sent exactly once, or the documented
outcome happens — never silence, never a second email."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from followup.core import aws
from followup_local.cloud import LocalCloud, http_event
from tests.conftest import load_example
from tests.integration.conftest import distinct
from tests.integration.faults import inject, seeded

pytestmark = pytest.mark.integration


def _sent_per_follow_up(cloud: LocalCloud) -> Counter[tuple[str, str]]:
    return Counter(
        (m["tags"].get("interview_id"), m["tags"].get("follow_up_id"))
        for m in cloud.outbox.follow_ups()
        if m["tags"]["kind"] not in {"draft", "notice"}
    )


def _api_event(cloud: LocalCloud, payload: dict[str, Any], **headers: str) -> dict[str, Any]:
    return http_event(
        "POST",
        "/interviews",
        body=json.dumps(payload).encode(),
        headers={"authorization": f"Bearer {cloud.api_key}", "content-type": "application/json", **headers},
        route_key="POST /interviews",
        now=cloud.clock.now(),
    )


def test_ten_concurrent_submissions_with_one_key_make_one_interview(cloud: LocalCloud) -> None:
    # Given the same submission sent 10 times at once with one Idempotency-Key
    payload = load_example("interview-panel.json")
    event = _api_event(cloud, payload, **{"idempotency-key": "burst-1"})
    cloud.runtime.handler("ApiFunction")  # warm the module once, like a warm Lambda

    # When they all run concurrently
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(
            pool.map(lambda _: cloud.runtime.invoke("ApiFunction", json.loads(json.dumps(event))), range(10))
        )
    cloud.run_until_idle()

    # Then every caller got the same 202 body, and exactly one interview was planned
    assert {r["statusCode"] for r in responses} == {202}
    bodies = {r["body"] for r in responses}
    assert len(bodies) == 1
    interview_id = json.loads(bodies.pop())["interview_id"]
    assert {s["Name"].rsplit("-", 1)[0] for s in cloud.pending_schedules()} <= {
        f"{interview_id}-thank_you",
        interview_id,
    }
    assert len(cloud.pending_schedules()) == 4


def test_every_record_delivered_three_times_concurrently_sends_one_email(cloud: LocalCloud) -> None:
    # Given two panel interviews whose follow-ups are all due
    panel = load_example("interview-panel.json")
    ids = [cloud.api("POST", "/interviews", distinct(panel, n))[1]["interview_id"] for n in range(2)]
    cloud.clock.advance(40 * 86400)
    schedules = cloud.pending_schedules()
    assert len(schedules) == 8
    for schedule in schedules:
        cloud.scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])

    # When each schedule's input arrives three times and three consumers drain the queue at once
    url = cloud.provisioned.physical["SendQueue"]
    for schedule in schedules:
        for _ in range(3):
            cloud.sqs.send_message(QueueUrl=url, MessageBody=schedule["Target"]["Input"])
    barrier = threading.Barrier(3)

    def consume() -> None:
        barrier.wait()
        while True:
            messages = cloud.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4).get("Messages", [])
            if not messages:
                return
            cloud._deliver_batch("SenderFunction", url, cloud.provisioned.arns["SendQueue"], messages)

    threads = [threading.Thread(target=consume) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then each follow-up was sent exactly once
    sent = _sent_per_follow_up(cloud)
    assert len(sent) == 8
    assert set(sent.values()) == {1}
    assert {interview for interview, _ in sent} == set(ids)


def test_ses_throttling_on_30_percent_of_calls_loses_and_duplicates_nothing(cloud: LocalCloud) -> None:
    # Given SES refuses 30 % of calls for rate (seeded)
    rng = random.Random(7)
    refused = Counter[str]()

    def throttle(**_: Any) -> None:
        if rng.random() < 0.3:
            refused["SendEmail"] += 1
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                "SendEmail",
            )

    aws.client("sesv2").meta.events.register("before-call.sesv2.SendEmail", throttle)
    panel = load_example("interview-panel.json")
    interviews = [cloud.api("POST", "/interviews", distinct(panel, n))[1] for n in range(5)]

    # When everything comes due
    cloud.advance(40 * 86400)

    # Then every due follow-up went exactly once, despite the refusals
    expected = {(i["interview_id"], f["id"]) for i in interviews for f in i["follow_ups"]}
    sent = _sent_per_follow_up(cloud)
    assert set(sent) == expected
    assert set(sent.values()) == {1}
    assert refused["SendEmail"] > 0


def test_dynamodb_transient_errors_are_retried_without_duplicates(cloud: LocalCloud) -> None:
    # Given DynamoDB answers 20 % of the handlers' calls with a throughput error (botocore retries them)
    injected = inject(
        aws.client("dynamodb"),
        operation=None,
        code="ProvisionedThroughputExceededException",
        status=400,
        should_fail=seeded(0.2, 11),
    )
    panel = load_example("interview-panel.json")
    interviews = [cloud.api("POST", "/interviews", distinct(panel, n)) for n in range(3)]
    cloud.advance(40 * 86400)

    # Then every accepted interview's follow-ups went exactly once
    assert {status for status, _ in interviews} == {202}
    expected = {(body["interview_id"], f["id"]) for _, body in interviews for f in body["follow_ups"]}
    sent = _sent_per_follow_up(cloud)
    assert set(sent) == expected
    assert set(sent.values()) == {1}
    assert sum(injected.values()) > 0


def test_scheduler_throttling_and_conflicts_still_plan_every_follow_up_once(cloud: LocalCloud) -> None:
    # Given Scheduler throttles a third of CreateSchedule calls
    injected = inject(
        aws.client("scheduler"),
        operation="CreateSchedule",
        code="ThrottlingException",
        status=429,
        should_fail=seeded(0.33, 3),
    )
    status, accepted = cloud.api("POST", "/interviews", load_example("interview-panel.json"))
    assert status == 202
    assert len(cloud.pending_schedules()) == 4
    assert injected["CreateSchedule"] > 0

    # And the same InterviewSubmitted event delivered again meets ConflictException on every schedule
    interview_id = accepted["interview_id"]
    assert {s["Name"] for s in cloud.pending_schedules()} == {
        f"{interview_id}-{f['id']}" for f in accepted["follow_ups"]
    }
    cloud.advance(40 * 86400)
    assert set(_sent_per_follow_up(cloud).values()) == {1}
    assert len(_sent_per_follow_up(cloud)) == 4


def test_publish_failure_answers_503_and_stores_nothing(cloud: LocalCloud) -> None:
    # Given EventBridge is down when the API emits InterviewSubmitted (the API's only write)
    def down(model: Any, **_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalException", "Message": "down"}}, model.name)

    aws.client("events").meta.events.register("before-call.events.PutEvents", down)
    status, _headers, body = cloud.http(
        "POST",
        "/interviews",
        body=json.dumps(load_example("interview.json")).encode(),
        headers={"authorization": f"Bearer {cloud.api_key}", "content-type": "application/json"},
    )

    # Then the caller is told to retry and nothing exists anywhere
    assert status == 503
    assert json.loads(body)["error"]["code"] == "unavailable"
    assert cloud.pending_schedules() == []
    scan = cloud.session.client("dynamodb", region_name="us-east-1").scan(
        TableName=cloud.provisioned.physical["FollowUpTable"]
    )
    assert scan["Count"] == 0


def test_planner_crash_between_storing_and_scheduling_is_recovered_by_the_retry(cloud: LocalCloud) -> None:
    # Given the planner dies after its transaction and before any schedule exists
    crashes = {"left": 1}

    def crash(**_: Any) -> None:
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("process died")

    aws.client("scheduler").meta.events.register("before-call.scheduler.CreateSchedule", crash)

    # When the interview is submitted (EventBridge retries the failed async invocation)
    status, _accepted = cloud.api("POST", "/interviews", load_example("interview-panel.json"))

    # Then the retry finds the interview stored and creates every schedule: no interview without its plan
    assert status == 202
    assert crashes["left"] == 0
    assert len(cloud.pending_schedules()) == 4
    cloud.advance(40 * 86400)
    assert len(_sent_per_follow_up(cloud)) == 4


def test_exhausted_send_records_land_in_the_dead_letter_queue(cloud: LocalCloud) -> None:
    # Given a record the sender can never process (its body is not JSON)
    url = cloud.provisioned.physical["SendQueue"]
    cloud.sqs.send_message(QueueUrl=url, MessageBody="not json")

    # When the queue is drained repeatedly (each failure returns it; RedrivePolicy maxReceiveCount 10)
    for _ in range(12):
        cloud.drain_queues(max_rounds=1)

    # Then it ends in the DLQ, where the alarm watches
    dlq = cloud.provisioned.physical["SendDeadLetterQueue"]
    messages = cloud.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert [m["Body"] for m in messages] == ["not json"]
