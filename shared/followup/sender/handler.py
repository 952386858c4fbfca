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

from followup.adapters.ses import SendThrottled
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


def back_off(record: SQSRecord) -> None:
    receive_count = int(record.attributes.approximate_receive_count or 1)
    # On failure the record still returns, only after the queue's full visibility timeout.
    with contextlib.suppress(ClientError):
        aws.client("sqs").change_message_visibility(
            QueueUrl=_queue_url(record.event_source_arn),
            ReceiptHandle=record.receipt_handle,
            VisibilityTimeout=retry_delay_seconds(receive_count),
        )


def process_send_batch(event: dict[str, Any], context: LambdaContext, metrics: Metrics) -> dict[str, Any]:
    sender = services()
    processor = BatchProcessor(event_type=EventType.SQS)

    def send_record(record: SQSRecord) -> str:
        try:
            outcome = sender.send_due(json.loads(record.body))
        except SendThrottled:
            # Come back soon, not after the full visibility timeout: exponential with jitter, capped.
            back_off(record)
            raise
        metrics.add_metric(name=_METRIC_BY_OUTCOME[outcome], unit=MetricUnit.Count, value=1)
        return str(outcome)

    response = process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
    return dict(response)
