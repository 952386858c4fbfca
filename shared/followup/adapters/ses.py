"""SES v2 adapter: sends one composed message and returns SES's MessageId."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from followup.core.pacing import SendPacer

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sesv2.type_defs import DestinationTypeDef, MessageTypeDef

_THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
)


class SendThrottled(RuntimeError):
    """SES refused for rate; nothing was sent, the caller may retry later."""


class SendRejected(RuntimeError):
    """SES refused this message for good (unverified address, rejected content, account paused)."""


@dataclass(frozen=True)
class OutgoingEmail:
    from_address: str
    to: Sequence[str]
    subject: str
    text: str
    html: str
    reply_to: Sequence[str] = ()
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)


class EmailSender:
    def __init__(self, client: SESV2Client, configuration_set: str, pacer: SendPacer | None = None) -> None:
        self._client = client
        self._configuration_set = configuration_set
        self._pacer = pacer

    def send(self, email: OutgoingEmail) -> str:
        destination: DestinationTypeDef = {"ToAddresses": list(email.to)}
        if email.cc:
            destination["CcAddresses"] = list(email.cc)
        if email.bcc:
            destination["BccAddresses"] = list(email.bcc)
        simple: MessageTypeDef = {
            "Subject": {"Data": email.subject, "Charset": "UTF-8"},
            "Body": {
                "Text": {"Data": email.text, "Charset": "UTF-8"},
                "Html": {"Data": email.html, "Charset": "UTF-8"},
            },
        }
        if email.headers:
            simple["Headers"] = [{"Name": name, "Value": value} for name, value in email.headers.items()]
        if self._pacer is not None:
            self._pacer.wait(len(email.to) + len(email.cc) + len(email.bcc))
        try:
            response = self._client.send_email(
                FromEmailAddress=email.from_address,
                Destination=destination,
                ReplyToAddresses=list(email.reply_to),
                Content={"Simple": simple},
                EmailTags=[{"Name": name, "Value": value} for name, value in email.tags.items()],
                ConfigurationSetName=self._configuration_set,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _THROTTLING_CODES:
                raise SendThrottled(code) from exc
            if code in {
                "MessageRejected",
                "MailFromDomainNotVerifiedException",
                "AccountSuspendedException",
                "SendingPausedException",
                "BadRequestException",
                "NotFoundException",
            }:
                raise SendRejected(code) from exc
            raise
        return str(response["MessageId"])
