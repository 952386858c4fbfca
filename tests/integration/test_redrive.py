"""`followup redrive`: follow-ups that landed in a dead-letter queue (SES paused for hours, a bug since fixed) go
back to the send queue and are sent once; nothing is lost and nothing is sent twice."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from followup.adapters.sqs import move_messages
from followup.core import aws
from followup_local.cloud import LocalCloud
from tests.conftest import load_example

pytestmark = pytest.mark.integration


def test_dead_lettered_follow_ups_are_redriven_and_sent_once(cloud: LocalCloud) -> None:
    # Given SES paused while the thank-you came due: the record ran out of retries into the send DLQ
    paused = {"on": True}

    def pause(**_: object) -> None:
        if paused["on"]:
            raise ClientError({"Error": {"Code": "SendingPausedException", "Message": "paused"}}, "SendEmail")

    aws.client("sesv2").meta.events.register("before-call.sesv2.SendEmail", pause)
    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202
    cloud.advance(18 * 3600)
    dlq, queue = cloud.provisioned.physical["SendDeadLetterQueue"], cloud.provisioned.physical["SendQueue"]
    assert not [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]

    # When sending resumes and the DLQ is redriven to the send queue
    paused["on"] = False
    moved = move_messages(cloud.sqs, dlq, queue)
    cloud.run_until_idle()

    # Then every dead-lettered follow-up goes out, once, and the DLQ is empty
    assert moved >= 1
    thank_yous = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    assert len(thank_yous) == 1
    _status, view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")
    assert {f["id"]: f["status"] for f in view["follow_ups"]}["thank_you-0"] == "sent"
    left = cloud.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    assert left == []


def test_redrive_keeps_every_message_body(cloud: LocalCloud) -> None:
    dlq, queue = cloud.provisioned.physical["SchedulerDeadLetterQueue"], cloud.provisioned.physical["SendQueue"]
    bodies = [json.dumps({"interview_id": "x", "follow_up_id": f"f{i}"}) for i in range(23)]
    for body in bodies:
        cloud.sqs.send_message(QueueUrl=dlq, MessageBody=body)

    assert move_messages(cloud.sqs, dlq, queue) == 23

    received: list[str] = []
    while batch := cloud.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        received += [m["Body"] for m in batch]
        for m in batch:
            cloud.sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(received) == sorted(bodies)


def test_the_cli_redrives_named_queues(capsys: pytest.CaptureFixture[str]) -> None:
    import boto3
    from moto import mock_aws

    from followup_local import cli

    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq = sqs.create_queue(QueueName="send-dlq")["QueueUrl"]
        other = sqs.create_queue(QueueName="scheduler-dlq")["QueueUrl"]
        target = sqs.create_queue(QueueName="send")["QueueUrl"]
        for url in (dlq, dlq, other):
            sqs.send_message(QueueUrl=url, MessageBody='{"interview_id": "x", "follow_up_id": "y"}')

        code = cli.main(
            ["redrive", "--from-queue-url", dlq, "--from-queue-url", other, "--to-queue-url", target,
             "--region", "us-east-1"]
        )  # fmt: skip

        assert code == cli.EXIT_OK
        assert "3 message(s) back on" in capsys.readouterr().out
        count = sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["ApproximateNumberOfMessages"])
        assert count["Attributes"]["ApproximateNumberOfMessages"] == "3"
