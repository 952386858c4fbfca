"""SenderFunction's logic behind its entry point: one SQS batch, each record through the sender, partial failures
reported so only failed records return to the queue."""

from __future__ import annotations

import contextlib
import json
import random
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from followup.adapters.ses import SendingPaused, SendThrottled
from followup.core import aws
from followup.sender.send import SendOutcome
from followup.sender.services import services

_METRIC_BY_OUTCOME = {
    SendOutcome.SENT: "EmailsSent",
    SendOutcome.SKIPPED: "DuplicatesSkipped",
    SendOutcome.FAILED: "SendsFailed",
    SendOutcome.INTERRUPTED: "InterruptedSends",
    SendOutcome.DRAFTED: "DraftsSent",
    SendOutcome.HELD: "HeldForReview",
    SendOutcome.EXPIRED: "DraftsExpired",
}


def retry_delay_seconds(receive_count: int) -> int:
    """5 s, 10 s, 20 s … up to 5 minutes, plus up to 50 % jitter so throttled records do not return together."""
    base = min(300, 5 * 2 ** max(receive_count - 1, 0))
    return int(base + random.uniform(0, base / 2))


@cache
def _queue_url(queue_arn: str) -> str:
    name = queue_arn.rsplit(":", 1)[-1]
    return str(aws.client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


# A paused account is a person's job to fix: retry every half hour (ten receives = five hours before the DLQ,
# from which a redrive brings it back), while the SendingPaused alarm has fired at once.
PAUSED_RETRY_SECONDS = 1800


def back_off(record: SQSRecord, seconds: int | None = None) -> None:
    receive_count = int(record.attributes.approximate_receive_count or 1)
    # On failure the record still returns, only after the queue's full visibility timeout.
    with contextlib.suppress(ClientError):
        aws.client("sqs").change_message_visibility(
            QueueUrl=_queue_url(record.event_source_arn),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=seconds if seconds is not None else retry_delay_seconds(receive_count),
        )


class NotEnoughTime(RuntimeError):
    """Too little of the invocation is left to finish one more send; the record is returned unprocessed."""


def process_send_batch(event: dict[str, Any], context: LambdaContext, metrics: Metrics) -> dict[str, Any]:
    sender = services()
    processor = BatchProcessor(event_type=EventType.SQS)

    def send_record(record: SQSRecord) -> str:
        remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else float("inf")
        if remaining < sender.seconds_needed():
            # Not started, so nothing is half done: the record returns for another invocation.
            metrics.add_metric(name="DeferredNearTimeout", unit=MetricUnit.Count, value=1)
            raise NotEnoughTime(f"{remaining:.1f} s left, {sender.seconds_needed():.1f} s needed")
        try:
            outcome = sender.send_due(json.loads(record.body))
        except SendThrottled:
            # Come back soon, not after the full visibility timeout: exponential with jitter, capped.
            back_off(record)
            raise
        except SendingPaused:
            metrics.add_metric(name="SendingPaused", unit=MetricUnit.Count, value=1)
            back_off(record, PAUSED_RETRY_SECONDS)
            raise
        metrics.add_metric(name=_METRIC_BY_OUTCOME[outcome], unit=MetricUnit.Count, value=1)
        return str(outcome)

    response = process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
    return dict(response)
