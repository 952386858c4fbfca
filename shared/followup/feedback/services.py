"""FeedbackFunction's composition root: the processor built once per cold start, forgotten by `reset()`."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.events import EventPublisher
from followup.adapters.mailbox import InboundMailStore
from followup.adapters.secrets import SecretStore
from followup.adapters.suppression import AccountSuppression, SuppressionList
from followup.core import aws
from followup.core.config import FeedbackSettings, load_settings
from followup.core.observability import metrics
from followup.feedback.processor import FeedbackProcessor


@cache
def services() -> FeedbackProcessor:
    settings = load_settings(FeedbackSettings)
    dynamodb = aws.client("dynamodb")
    secrets = SecretStore(aws.client("ssm"))
    replies_on = bool(settings.inbound_domain and settings.inbound_bucket)
    return FeedbackProcessor(
        table=FollowUpTable(dynamodb, settings.table_name),
        publisher=EventPublisher(aws.client("events"), settings.event_bus_name),
        suppressions=SuppressionList(dynamodb, settings.table_name),
        account_suppression=AccountSuppression(aws.client("sesv2")),
        configuration_set=settings.ses_configuration_set,
        mailbox=InboundMailStore(aws.client("s3"), settings.inbound_bucket, settings.inbound_prefix)
        if replies_on
        else None,
        inbound_domain=settings.inbound_domain if replies_on else "",
        link_secret=lambda: secrets.get(settings.link_secret_parameter),
        metrics=metrics,
        retention=timedelta(days=settings.retention_days),
    )


def reset() -> None:
    """Forget the warm processor (a fresh cold start; the local stack calls it when it resets handlers)."""
    services.cache_clear()
