"""SenderFunction's logic behind its entry point: one SQS batch, each record through the sender, partial failures
reported so only failed records return to the queue."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from followup import aws
from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.secrets import SecretStore
from followup.adapters.ses import EmailSender
from followup.config import SenderSettings, load_settings
from followup.sending import FollowUpSender, LinkSigner, SenderIdentity, SendOutcome


@cache
def _sender() -> FollowUpSender:
    settings = load_settings(SenderSettings)
    secrets = SecretStore(aws.client("ssm"))
    return FollowUpSender(
        FollowUpTable(aws.client("dynamodb"), settings.table_name),
        EmailSender(aws.client("sesv2"), settings.ses_configuration_set),
        SenderIdentity(email=settings.sender_email, name=settings.sender_name),
        # The link secret is fetched only when a message carries links (review drafts, candidate tasks).
        LinkSigner(secret=lambda: secrets.get(settings.link_secret_parameter), base_url=settings.public_base_url),
        inbound_domain=settings.inbound_domain,
    )


def reset_sender() -> None:
    _sender.cache_clear()


_METRIC_BY_OUTCOME = {
    SendOutcome.SENT: "EmailsSent",
    SendOutcome.SKIPPED: "DuplicatesSkipped",
    SendOutcome.FAILED: "SendsFailed",
    SendOutcome.INTERRUPTED: "InterruptedSends",
    SendOutcome.DRAFTED: "DraftsSent",
    SendOutcome.EXPIRED: "DraftsExpired",
}


def process_send_batch(event: dict[str, Any], context: LambdaContext, metrics: Metrics) -> dict[str, Any]:
    sender = _sender()
    processor = BatchProcessor(event_type=EventType.SQS)

    def send_record(record: SQSRecord) -> str:
        outcome = sender.send_due(json.loads(record.body))
        metrics.add_metric(name=_METRIC_BY_OUTCOME[outcome], unit=MetricUnit.Count, value=1)
        return str(outcome)

    response = process_partial_response(event=event, record_handler=send_record, processor=processor, context=context)
    return dict(response)
