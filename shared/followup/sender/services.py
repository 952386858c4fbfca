"""SenderFunction's composition root: the sender built once per cold start, forgotten by `reset()`."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.secrets import SecretStore
from followup.adapters.ses import EmailSender, SenderIdentities
from followup.adapters.suppression import SuppressionList
from followup.core import aws
from followup.core.config import SenderSettings, load_settings
from followup.core.pacing import SendPacer, share_of_rate

if TYPE_CHECKING:
    from followup.messages.custom_templates import TemplateSet

from followup.sender.send import FollowUpSender, LinkSigner, SenderIdentity


@cache
def services() -> FollowUpSender:
    settings = load_settings(SenderSettings)
    secrets = SecretStore(aws.client("ssm"))
    return FollowUpSender(
        FollowUpTable(aws.client("dynamodb"), settings.table_name),
        EmailSender(
            aws.client("sesv2"),
            settings.ses_configuration_set,
            SendPacer(share_of_rate(settings.ses_max_send_rate, settings.sender_max_concurrency)),
        ),
        SenderIdentity(email=settings.sender_email, name=settings.sender_name),
        # The link secret is fetched only when a message carries links (review drafts, candidate tasks).
        LinkSigner(secret=lambda: secrets.get(settings.link_secret_parameter), base_url=settings.public_base_url),
        inbound_domain=settings.inbound_domain,
        # The SES (v1) client is made on the first identity check, not at cold start.
        identities=SenderIdentities(lambda: aws.client("ses")) if settings.send_from_candidates else None,
        templates=_custom_templates(settings.templates_uri),
        suppressed=SuppressionList(aws.client("dynamodb"), settings.table_name).suppressed,
        count=_count,
    )


def _count(name: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    from followup.core.observability import metrics

    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def reset() -> None:
    services.cache_clear()


def _custom_templates(uri: str) -> TemplateSet | None:
    """The deployment's custom templates, loaded and validated once per cold start (a broken set fails the cold
    start loudly rather than sending half-customised mail). Without TEMPLATES_URI nothing is imported."""
    if not uri.strip():
        return None
    from followup.messages.custom_templates import templates_from_uri

    return templates_from_uri(uri, lambda: aws.client("s3"))
