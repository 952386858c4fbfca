"""`POST /_local/feedback`: what SES would deliver about an outbox message, through the real FeedbackFunction path.

- `bounce`, `complaint`, `delivery`: the sending event SES publishes for the message's configuration set, built in the
  shape of `events/feedback/*.json` (the message's own tags, as lists, plus the `ses:*` tags SES adds), put on the
  **default** bus, where the template's rule (`source: aws.ses`, this stack's configuration set) routes it to
  FeedbackFunction like any other bus event;
- `reply`, `auto_reply`: the recipient's answer as a raw RFC 5322 message (`In-Reply-To`/`References` naming
  `<MessageId@email.amazonses.com>`, as SES rewrites the Message-ID; addressed to the message's Reply-To), stored in
  the inbound bucket under `inbound/<id>` as the receipt rule's S3 action would, then the receipt rule's Lambda
  action event to FeedbackFunction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr
from typing import Any

FEEDBACK_EVENTS = ("bounce", "complaint", "delivery", "reply", "auto_reply")
SENDING_DETAIL_TYPES = {
    "bounce": "Email Bounced",
    "complaint": "Email Complaint Received",
    "delivery": "Email Delivered",
}
SES_MESSAGE_ID_DOMAIN = "email.amazonses.com"
MAX_TEXT_CHARS = 20_000
MAX_MESSAGE_ID_CHARS = 256
_FIELDS = frozenset({"event", "message_id", "text", "recipient"})
DEFAULT_REPLY_TEXT = "Thank you for your note. We will be in touch soon."
DEFAULT_AUTO_REPLY_TEXT = "I am out of the office with limited access to email and will reply when I am back."


class FeedbackRequestError(ValueError):
    """The body of `POST /_local/feedback` is not what the route takes; `fields` say where (contract error shape)."""

    def __init__(self, message: str, fields: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.fields = fields


@dataclass(frozen=True)
class FeedbackRequest:
    event: str
    message_id: str
    text: str | None = None
    recipient: str | None = None


def parse_feedback_request(body: bytes) -> FeedbackRequest:
    """`{"event", "message_id", "text"?, "recipient"?}`, strictly (unknown fields are refused)."""
    try:
        payload = json.loads(body or b"null")
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FeedbackRequestError("body must be a JSON object", [{"field": "", "message": "not valid JSON"}]) from None
    if not isinstance(payload, dict):
        raise FeedbackRequestError("body must be a JSON object", [{"field": "", "message": "must be an object"}])
    problems: list[dict[str, str]] = []
    for name in sorted(set(payload) - _FIELDS):
        problems.append({"field": str(name)[:100], "message": "unknown field"})
    event = payload.get("event")
    if event not in FEEDBACK_EVENTS:
        problems.append({"field": "event", "message": f"must be one of {', '.join(FEEDBACK_EVENTS)}"})
    message_id = payload.get("message_id")
    if not isinstance(message_id, str) or not message_id.strip() or len(message_id) > MAX_MESSAGE_ID_CHARS:
        problems.append({"field": "message_id", "message": "must be a message_id from the outbox"})
    text = payload.get("text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_CHARS):
        problems.append({"field": "text", "message": f"must be a string of at most {MAX_TEXT_CHARS} characters"})
    recipient = payload.get("recipient")
    if recipient is not None and (not isinstance(recipient, str) or "@" not in recipient or len(recipient) > 320):
        problems.append({"field": "recipient", "message": "must be one of the message's recipients"})
    if problems:
        raise FeedbackRequestError("invalid feedback request", problems)
    assert isinstance(event, str)
    assert isinstance(message_id, str)
    return FeedbackRequest(event=event, message_id=message_id.strip(), text=text, recipient=recipient)


def _address(value: str) -> str:
    return parseaddr(value)[1]


def _addresses(values: Sequence[str]) -> list[str]:
    return [address for _, address in getaddresses(list(values)) if address]


def _iso(instant: datetime, *, millis: bool = True) -> str:
    spec = "milliseconds" if millis else "seconds"
    return instant.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def destinations(record: Mapping[str, Any]) -> list[str]:
    """Every address SES delivered the message to (To, Cc, Bcc), as SES lists them in `mail.destination`."""
    return _addresses([*record.get("to", []), *record.get("cc", []), *record.get("bcc", [])])


def affected_recipient(record: Mapping[str, Any], wanted: str | None) -> str:
    """The recipient the event is about: the one asked for (one of the message's), else the first To."""
    everyone = destinations(record)
    if wanted is None:
        to = _addresses(record.get("to", []))
        if not to:
            raise FeedbackRequestError("the message has no recipient", [{"field": "message_id", "message": "no To"}])
        return to[0]
    for address in everyone:
        if address.lower() == wanted.strip().lower():
            return address
    raise FeedbackRequestError(
        "recipient is not one of the message's recipients",
        [{"field": "recipient", "message": "must be one of the message's recipients (to, cc or bcc)"}],
    )


def _sent_mail(record: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    """`detail.mail` as SES publishes it: the message, its headers and its tags (each a list of values)."""
    sent_at = datetime.fromisoformat(str(record["sent_at"]).replace("Z", "+00:00"))
    sender = str(record.get("from") or "")
    headers = [{"name": "From", "value": sender}]
    if record.get("reply_to"):
        headers.append({"name": "Reply-To", "value": ", ".join(record["reply_to"])})
    headers.append({"name": "To", "value": ", ".join(record.get("to", []))})
    headers.append({"name": "Subject", "value": str(record.get("subject", ""))})
    headers += [{"name": str(name), "value": str(value)} for name, value in (record.get("headers") or {}).items()]
    tags: dict[str, list[str]] = {
        "ses:source-ip": ["127.0.0.1"],
        "ses:from-domain": [_address(sender).rpartition("@")[2]],
        "ses:caller-identity": ["followup-local-SenderFunctionRole"],
        "ses:outgoing-ip": ["127.0.0.1"],
    }
    if record.get("configuration_set"):
        tags["ses:configuration-set"] = [str(record["configuration_set"])]
    tags.update({str(name): [str(value)] for name, value in (record.get("tags") or {}).items()})
    common: dict[str, Any] = {"from": [sender], "to": list(record.get("to", [])), "messageId": record["message_id"]}
    if record.get("reply_to"):
        common["replyTo"] = list(record["reply_to"])
    common["subject"] = str(record.get("subject", ""))
    return {
        "timestamp": _iso(sent_at),
        "source": sender,
        "sourceArn": f"arn:aws:ses:{region}:{account}:identity/{_address(sender)}",
        "sendingAccountId": account,
        "messageId": record["message_id"],
        "destination": destinations(record),
        "headersTruncated": False,
        "headers": headers,
        "commonHeaders": common,
        "tags": tags,
    }


def sending_event_detail(
    request: FeedbackRequest, record: Mapping[str, Any], *, now: datetime, account: str, region: str
) -> dict[str, Any]:
    """The `detail` of the SES sending event (`eventType` + `mail` + the event's own part)."""
    recipient = affected_recipient(record, request.recipient)
    mail = _sent_mail(record, account, region)
    at = _iso(now)
    feedback_id = f"local-{uuid.uuid4()}"
    if request.event == "bounce":
        diagnostic = f"smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown"
        return {
            "eventType": "Bounce",
            "bounce": {
                "feedbackId": feedback_id,
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {"emailAddress": recipient, "action": "failed", "status": "5.1.1", "diagnosticCode": diagnostic}
                ],
                "timestamp": at,
                "reportingMTA": "dsn; local.smtp-out.amazonses.com",
            },
            "mail": mail,
        }
    if request.event == "complaint":
        return {
            "eventType": "Complaint",
            "complaint": {
                "feedbackId": feedback_id,
                "complainedRecipients": [{"emailAddress": recipient}],
                "timestamp": at,
                "complaintSubType": None,
                "complaintFeedbackType": "abuse",
                "userAgent": "followup-local",
                "arrivalDate": at,
            },
            "mail": mail,
        }
    assert request.event == "delivery"
    return {
        "eventType": "Delivery",
        "delivery": {
            "timestamp": at,
            "processingTimeMillis": 1200,
            "recipients": [recipient],
            "smtpResponse": "250 2.0.0 OK (followup local stack)",
            "reportingMTA": "local.smtp-out.amazonses.com",
        },
        "mail": mail,
    }


def reply_message(
    request: FeedbackRequest, record: Mapping[str, Any], *, now: datetime, inbound_domain: str
) -> tuple[EmailMessage, list[str]]:
    """The recipient's answer to the message (a person's reply or an out-of-office), and the envelope recipients
    at the inbound domain SES would receive it for."""
    sender = affected_recipient(record, request.recipient)
    names = {address.lower(): name for name, address in getaddresses(list(record.get("to", [])))}
    reply_to = list(record.get("reply_to") or []) or [str(record.get("from") or "")]
    message = EmailMessage()
    message["From"] = f"{names[sender.lower()]} <{sender}>" if names.get(sender.lower()) else sender
    message["To"] = ", ".join(reply_to)
    subject = str(record.get("subject") or "")
    automatic = request.event == "auto_reply"
    message["Subject"] = f"Automatic reply: {subject}" if automatic else f"Re: {subject}"
    message["Date"] = format_datetime(now.astimezone(UTC))
    domain = sender.rpartition("@")[2] or "followup.local"
    message["Message-ID"] = f"<local-{uuid.uuid4().hex}@{domain}>"
    answered = f"<{record['message_id']}@{SES_MESSAGE_ID_DOMAIN}>"
    message["In-Reply-To"] = answered
    message["References"] = answered
    if automatic:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Autoreply"] = "yes"
    text = request.text if request.text is not None else (DEFAULT_AUTO_REPLY_TEXT if automatic else DEFAULT_REPLY_TEXT)
    message.set_content(text)
    suffix = f"@{inbound_domain.lower()}"
    envelope = [address for address in _addresses(reply_to) if address.lower().endswith(suffix)]
    # A message without a reply address (a thank-you): as if the answer reached the inbound domain anyway, so the
    # reply is matched by its In-Reply-To, as FeedbackFunction does for replies that drop the reply address.
    return message, envelope or [f"replies{suffix}"]


def receipt_event(
    message: EmailMessage,
    ses_message_id: str,
    envelope: Sequence[str],
    *,
    now: datetime,
    function_arn: str,
) -> dict[str, Any]:
    """The receipt rule's Lambda action event for a stored inbound message (shape of events/feedback/inbound-reply)."""
    headers = [{"name": name, "value": str(value)} for name, value in message.items()]
    sender = _address(str(message["From"]))
    at = _iso(now)
    verdict = {"status": "PASS"}
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": at,
                        "source": sender,
                        "messageId": ses_message_id,
                        "destination": _addresses([str(message["To"])]),
                        "headersTruncated": False,
                        "headers": headers,
                        "commonHeaders": {
                            "returnPath": sender,
                            "from": [str(message["From"])],
                            "date": str(message["Date"]),
                            "to": [str(message["To"])],
                            "messageId": str(message["Message-ID"]),
                            "subject": str(message["Subject"]),
                        },
                    },
                    "receipt": {
                        "timestamp": at,
                        "processingTimeMillis": 300,
                        "recipients": list(envelope),
                        "spamVerdict": verdict,
                        "virusVerdict": verdict,
                        "spfVerdict": verdict,
                        "dkimVerdict": verdict,
                        "dmarcVerdict": verdict,
                        "action": {"type": "Lambda", "functionArn": function_arn, "invocationType": "Event"},
                    },
                },
            }
        ]
    }


def new_inbound_message_id() -> str:
    """An id in the shape of SES's inbound MessageIds (40 lower-case alphanumerics)."""
    return (uuid.uuid4().hex + uuid.uuid4().hex)[:40]
