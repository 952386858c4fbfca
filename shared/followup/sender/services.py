"""SenderFunction's composition root: the sender built once per cold start, forgotten by `reset()`."""

from __future__ import annotations

from functools import cache

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.secrets import SecretStore
from followup.adapters.ses import EmailSender
from followup.adapters.suppression import SuppressionList
from followup.core import aws
from followup.core.config import SenderSettings, load_settings
from followup.core.pacing import SendPacer, share_of_rate
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
        suppressed=SuppressionList(aws.client("dynamodb"), settings.table_name).suppressed,
    )


def reset() -> None:
    services.cache_clear()
