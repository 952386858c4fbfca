"""SES v2 adapter: sends one composed message and returns SES's MessageId."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from followup.core.pacing import SendPacer

if TYPE_CHECKING:
    from mypy_boto3_ses.client import SESClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sesv2.type_defs import DestinationTypeDef, MessageTypeDef

# The candidate's own copy of a message sent in their name is tagged with these, not `interview_id`/`follow_up_id`:
# it is not the follow-up, but its bounce or delivery still belongs on the interview's timeline.
COPY_OF_INTERVIEW_TAG = "copy_of_interview"
COPY_OF_TAG = "copy_of"

_THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}
)


class SendThrottled(RuntimeError):
    """SES refused for rate; nothing was sent, the caller may retry later."""


class SendRejected(RuntimeError):
    """SES refused this message for good: it is failed with the reason, never retried."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{reason} ({code})")
        self.code = code
        self.reason = reason


class SendingPaused(RuntimeError):
    """SES will not send anything for now (account paused or suspended, configuration set missing): nothing is
    failed, the work waits in the queue and an alarm tells a person."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{reason} ({code})")
        self.code = code
        self.reason = reason


# Refusals that concern this message only: it fails with the reason a person can act on.
_PER_MESSAGE_REFUSALS = {
    "MessageRejected": "SES rejected the message (in the SES sandbox: a recipient is not a verified address)",
    "MailFromDomainNotVerifiedException": "the custom MAIL FROM domain of the sending identity is not verified",
    "AccessDeniedException": "not allowed to send from this address (IAM policy or the identity's sending policy)",
    "AccessDenied": "not allowed to send from this address (IAM policy or the identity's sending policy)",
    "BadRequestException": "SES refused the request as invalid",
}
# Refusals that stop every send: the account or the configuration set, not the message.
_ACCOUNT_REFUSALS = {
    "AccountSuspendedException": "the SES account is suspended",
    "SendingPausedException": "sending is paused for the SES account or the configuration set",
    "NotFoundException": "the SES configuration set does not exist",
}


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

    def pacing_wait(self) -> float:
        """Seconds the next send would wait for its turn under the rate."""
        return self._pacer.expected_wait() if self._pacer is not None else 0.0

    def interval(self, recipients: int) -> float:
        """Seconds the pacer puts between two sends of `recipients` each (0 without a pacer)."""
        return self._pacer.interval(recipients) if self._pacer is not None else 0.0

    def hold(self, seconds: float) -> None:
        """The next send starts no sooner than `seconds` from now (through the pacer, so it is the pacer's clock)."""
        if self._pacer is not None:
            self._pacer.hold(seconds)
        elif seconds > 0:
            time.sleep(seconds)

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
            if code in _ACCOUNT_REFUSALS:
                raise SendingPaused(code, _ACCOUNT_REFUSALS[code]) from exc
            if code in _PER_MESSAGE_REFUSALS:
                raise SendRejected(code, _PER_MESSAGE_REFUSALS[code]) from exc
            raise
        return str(response["MessageId"])


class SenderIdentities:
    """Which addresses this account may send from: an email identity verified in SES, or a verified domain
    identity of its domain or a parent domain (a domain identity covers its subdomains). One
    `GetIdentityVerificationAttributes` call answers for the address and all its domains at once; answers are
    cached, so a batch asks SES once per candidate, not once per message."""

    def __init__(self, client: Callable[[], SESClient], ttl_seconds: float = 300.0) -> None:
        self._client_factory = client
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, bool]] = {}

    def can_send_from(self, address: str) -> bool:
        key = address.strip().lower()
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        local, _, domain = key.rpartition("@")
        verified = False
        if local and domain:
            labels = domain.split(".")
            identities = [key] + [".".join(labels[i:]) for i in range(len(labels) - 1)]
            try:
                response = self._client_factory().get_identity_verification_attributes(Identities=identities)
                attributes = response["VerificationAttributes"]
                verified = any(
                    i in attributes and attributes[i].get("VerificationStatus") == "Success" for i in identities
                )
            except ClientError:
                # Not allowed to ask, or SES unavailable: send from the deployment's own address, as before.
                verified = False
        self._cache[key] = (now, verified)
        return verified
