"""pydantic models of what SES sends FeedbackFunction, written from AWS's documented examples.

- Sending events (configuration-set event publishing → the **default** EventBridge bus): the EventBridge envelope
  (`source: aws.ses`, `detail-type: "Email Bounced" | "Email Complaint Received" | "Email Delivered" |
  "Email Delivery Delayed" | "Email Rejected"`) around the same record SES publishes to SNS/Firehose
  (`eventType`, `mail`, and one of `bounce`, `complaint`, `delivery`, `deliveryDelay`, `reject`).
  Powertools has no model for these.
- Receipt events (an inbound-mail receipt rule's Lambda action): `Records[0].ses.{mail, receipt}`. The Lambda
  action carries no body, so the rule's S3 action stores the raw message first (key `<prefix><messageId>`).

Models keep only what the pipeline reads and ignore the rest, so new SES fields never break parsing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CONFIGURATION_SET_TAG = "ses:configuration-set"
SES_SOURCE = "aws.ses"
DETAIL_TYPES = (
    "Email Bounced",
    "Email Complaint Received",
    "Email Delivered",
    "Email Delivery Delayed",
    "Email Rejected",
)


class _SesModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)


class MailHeader(_SesModel):
    name: str
    value: str


class SentMail(_SesModel):
    """`mail`: the message the event is about, with the tags given at SendEmail (each a list of values)."""

    timestamp: datetime
    message_id: str = Field(alias="messageId", min_length=1)
    source: str = ""
    source_arn: str | None = Field(default=None, alias="sourceArn")
    sending_account_id: str | None = Field(default=None, alias="sendingAccountId")
    destination: list[str] = Field(default_factory=list)
    headers_truncated: bool = Field(default=False, alias="headersTruncated")
    headers: list[MailHeader] = Field(default_factory=list)
    tags: dict[str, list[str]] = Field(default_factory=dict)

    def tag(self, name: str) -> str | None:
        """The first value of an email tag (SES sends every tag as a list)."""
        values = self.tags.get(name) or []
        return values[0] if values else None


class BouncedRecipient(_SesModel):
    email_address: str = Field(alias="emailAddress")
    action: str | None = None
    status: str | None = None
    diagnostic_code: str | None = Field(default=None, alias="diagnosticCode")


class Bounce(_SesModel):
    bounce_type: Literal["Permanent", "Transient", "Undetermined"] = Field(alias="bounceType")
    bounce_sub_type: str = Field(default="General", alias="bounceSubType")
    bounced_recipients: list[BouncedRecipient] = Field(alias="bouncedRecipients", min_length=1)
    timestamp: datetime
    feedback_id: str | None = Field(default=None, alias="feedbackId")
    reporting_mta: str | None = Field(default=None, alias="reportingMTA")


class ComplainedRecipient(_SesModel):
    email_address: str = Field(alias="emailAddress")


class Complaint(_SesModel):
    complained_recipients: list[ComplainedRecipient] = Field(alias="complainedRecipients", min_length=1)
    timestamp: datetime
    feedback_id: str | None = Field(default=None, alias="feedbackId")
    complaint_sub_type: str | None = Field(default=None, alias="complaintSubType")
    # abuse, auth-failure, fraud, not-spam, other, virus (from the ISP's feedback report, when it sent one).
    complaint_feedback_type: str | None = Field(default=None, alias="complaintFeedbackType")
    user_agent: str | None = Field(default=None, alias="userAgent")
    arrival_date: datetime | None = Field(default=None, alias="arrivalDate")


class Delivery(_SesModel):
    timestamp: datetime
    recipients: list[str] = Field(min_length=1)
    processing_time_millis: int | None = Field(default=None, alias="processingTimeMillis")
    smtp_response: str | None = Field(default=None, alias="smtpResponse")
    reporting_mta: str | None = Field(default=None, alias="reportingMTA")


class DelayedRecipient(_SesModel):
    email_address: str = Field(alias="emailAddress")
    status: str | None = None
    diagnostic_code: str | None = Field(default=None, alias="diagnosticCode")


class DeliveryDelay(_SesModel):
    timestamp: datetime
    delay_type: str = Field(alias="delayType")
    delayed_recipients: list[DelayedRecipient] = Field(alias="delayedRecipients", default_factory=list)
    expiration_time: datetime | None = Field(default=None, alias="expirationTime")
    reporting_mta: str | None = Field(default=None, alias="reportingMTA")


class Reject(_SesModel):
    reason: str


class BounceRecord(_SesModel):
    event_type: Literal["Bounce"] = Field(alias="eventType")
    mail: SentMail
    bounce: Bounce


class ComplaintRecord(_SesModel):
    event_type: Literal["Complaint"] = Field(alias="eventType")
    mail: SentMail
    complaint: Complaint


class DeliveryRecord(_SesModel):
    event_type: Literal["Delivery"] = Field(alias="eventType")
    mail: SentMail
    delivery: Delivery


class DeliveryDelayRecord(_SesModel):
    event_type: Literal["DeliveryDelay"] = Field(alias="eventType")
    mail: SentMail
    delivery_delay: DeliveryDelay = Field(alias="deliveryDelay")


class RejectRecord(_SesModel):
    event_type: Literal["Reject"] = Field(alias="eventType")
    mail: SentMail
    reject: Reject


SendingEventRecord = Annotated[
    BounceRecord | ComplaintRecord | DeliveryRecord | DeliveryDelayRecord | RejectRecord,
    Field(discriminator="event_type"),
]


class SesEventBridgeEvent(_SesModel):
    """An SES sending event as the default bus delivers it to a rule's target."""

    version: str = "0"
    id: str
    detail_type: Literal[
        "Email Bounced", "Email Complaint Received", "Email Delivered", "Email Delivery Delayed", "Email Rejected"
    ] = Field(alias="detail-type")
    source: Literal["aws.ses"]
    account: str
    time: datetime
    region: str
    resources: list[str] = Field(default_factory=list)
    detail: SendingEventRecord


# -- inbound mail (receipt rules) ---------------------------------------------------------------------------------


class ReceiptVerdict(_SesModel):
    status: Literal["PASS", "FAIL", "GRAY", "PROCESSING_FAILED"]


class ReceiptAction(_SesModel):
    type: str
    invocation_type: str | None = Field(default=None, alias="invocationType")
    function_arn: str | None = Field(default=None, alias="functionArn")
    # Present when the notification comes from an S3 action (SNS); the Lambda action has no object.
    bucket_name: str | None = Field(default=None, alias="bucketName")
    object_key: str | None = Field(default=None, alias="objectKey")


class Receipt(_SesModel):
    timestamp: datetime
    recipients: list[str] = Field(min_length=1)
    processing_time_millis: int | None = Field(default=None, alias="processingTimeMillis")
    spam_verdict: ReceiptVerdict | None = Field(default=None, alias="spamVerdict")
    virus_verdict: ReceiptVerdict | None = Field(default=None, alias="virusVerdict")
    spf_verdict: ReceiptVerdict | None = Field(default=None, alias="spfVerdict")
    dkim_verdict: ReceiptVerdict | None = Field(default=None, alias="dkimVerdict")
    dmarc_verdict: ReceiptVerdict | None = Field(default=None, alias="dmarcVerdict")
    action: ReceiptAction


class ReceivedMail(_SesModel):
    timestamp: datetime
    message_id: str = Field(alias="messageId", min_length=1)
    source: str = ""
    destination: list[str] = Field(default_factory=list)
    headers_truncated: bool = Field(default=False, alias="headersTruncated")
    headers: list[MailHeader] = Field(default_factory=list)


class ReceiptMessage(_SesModel):
    mail: ReceivedMail
    receipt: Receipt


class ReceiptRecord(_SesModel):
    event_source: Literal["aws:ses"] = Field(alias="eventSource")
    event_version: str = Field(default="1.0", alias="eventVersion")
    ses: ReceiptMessage


class SesReceiptEvent(_SesModel):
    """An inbound message, as a receipt rule's Lambda action delivers it."""

    records: list[ReceiptRecord] = Field(alias="Records", min_length=1)


def is_sending_event(event: Any) -> bool:
    """Shape check before validation: an EventBridge envelope from SES."""
    return isinstance(event, dict) and event.get("source") == SES_SOURCE and "detail-type" in event


def is_receipt_event(event: Any) -> bool:
    """Shape check before validation: a receipt rule's Lambda action."""
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        bool(records)
        and isinstance(records, list)
        and isinstance(records[0], dict)
        and (records[0].get("eventSource") == "aws:ses")
    )
