"""The sender never times out mid-batch: before each record it checks the time left against its turn under the SES
rate plus a slow send; records it cannot finish are returned unprocessed (batch item failures) and redelivered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from aws_lambda_powertools import Metrics

from followup.core.pacing import SendPacer
from followup.sender import handler
from followup.sender.send import WORST_SEND_SECONDS, SendOutcome


@dataclass
class Clock:
    now: float = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SlowSender:
    """Sends through a real pacer at the SES sandbox rate (1 recipient/s; 2 per follow-up: the message, then the
    candidate's copy)."""

    clock: Clock
    pacer: SendPacer
    sent: list[str] = field(default_factory=list)

    def seconds_needed(self) -> float:
        return self.pacer.expected_wait() + WORST_SEND_SECONDS

    def send_due(self, payload: dict[str, Any]) -> SendOutcome:
        self.pacer.wait(2)
        self.clock.now += 1.0  # the send itself
        self.sent.append(payload["follow_up_id"])
        return SendOutcome.SENT


@dataclass
class Context:
    clock: Clock
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return int(max(0.0, self.deadline - self.clock.now) * 1000)


def _event(count: int) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": json.dumps({"interview_id": "i", "follow_up_id": f"f{i}"}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:send",
                "awsRegion": "us-east-1",
            }
            for i in range(count)
        ]
    }


def test_records_that_cannot_finish_before_the_timeout_are_returned_unprocessed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given the sandbox rate (a message every 2 s) and 20 s left of the invocation, with a batch of ten
    clock = Clock()
    sender = SlowSender(clock, SendPacer(1.0, monotonic=clock.monotonic, sleep=clock.sleep))
    monkeypatch.setattr(handler, "services", lambda: sender)
    context = Context(clock, deadline=20.0)

    # When the batch is processed
    response = handler.process_send_batch(_event(10), context, Metrics(namespace="Test"))  # type: ignore[arg-type]

    # Then it stops in time: what it started, it finished before the deadline; the rest goes back to the queue
    failed = [item["itemIdentifier"] for item in response["batchItemFailures"]]
    assert sender.sent
    assert failed
    assert len(sender.sent) + len(failed) == 10
    assert clock.now <= context.deadline
    assert failed == [f"m{i}" for i in range(len(sender.sent), 10)]  # the unsent ones, none of them claimed
