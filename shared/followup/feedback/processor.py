"""FeedbackFunction's logic: what SES tells us about sent mail, and the replies it receives.

Sending events (default bus, this stack's configuration set):
- permanent bounce / complaint → the address is suppressed (our item + SES's account list) and every pending
  follow-up to it stops with status `suppressed`: in the interview the message came from, and in every other
  interview that still mails the address (found through the recipient index, no Scan); each of those interviews
  gets the reason on its timeline (`bounced` / `complained`) and its own `FollowUpsStopped`, so the planner deletes
  the schedules. The sender checks the suppression list again at send time (a send already under way);
- transient or undetermined bounce, delivery delay, reject → a timeline note, nothing stops;
- delivery → timeline `delivered` for the follow-up (the entry names the follow-up, not the address).

Inbound mail (receipt rule → S3 → this function), matched to its interview by the per-interview reply address or
by `In-Reply-To`/`References` naming a message we sent:
- a person's reply → every pending nudge of the interview stops (timeline `replied`);
- an out-of-office → the next pending nudge moves to the stated return date + 1 business day at 10:00 in its
  recipient's timezone (5 business days from today when no date is stated), later nudges to the same person keep
  5 business days after it; the planner does the move on `FollowUpsRescheduled` (timeline `out_of_office`);
- other machine mail, mail from the candidate, unmatched or malformed mail → logged and dropped.

Nothing here raises for bad input: an event that cannot be understood is logged (without addresses or bodies)
and dropped. Only infrastructure errors raise, so Lambda's retries (and then the DLQ) handle them.

Why one module of this length: one class handles every SES event and reply shape; each branch is short and they
share the lookup of the interview and the timeline writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from followup.adapters.dynamodb import FollowUpTable, recipient_key
from followup.adapters.events import EventPublisher
from followup.adapters.mailbox import InboundMailStore
from followup.adapters.records import InterviewBundle, TimelineEntry
from followup.adapters.ses import COPY_OF_INTERVIEW_TAG, COPY_OF_TAG
from followup.adapters.suppression import AccountSuppression, SuppressionList, SuppressionReason
from followup.core import clock
from followup.core.observability import logger
from followup.core.reply_address import parse_reply_address
from followup.core.text import iso_utc, parse_instant
from followup.domain.events import FollowUpsRescheduled
from followup.domain.models import FollowUpStatus
from followup.feedback.ses_events import (
    CONFIGURATION_SET_TAG,
    BounceRecord,
    ComplaintRecord,
    DeliveryDelayRecord,
    DeliveryRecord,
    RejectRecord,
    SentMail,
    SesEventBridgeEvent,
    SesReceiptEvent,
    is_receipt_event,
    is_sending_event,
)
from followup.workflow.lifecycle import expires_at, is_nudge, pending, stop_everything

if TYPE_CHECKING:
    from followup.feedback.inbound import InboundMail

# Imported where used, not at cold start: holidays (cadence) and the MIME parser (inbound) serve only inbound
# replies, which are rare next to SES's sending events.

__all__ = ["FeedbackProcessor", "FeedbackResult"]


@dataclass(frozen=True)
class FeedbackResult:
    outcome: str
    interview_id: str | None = None
    follow_up_ids: tuple[str, ...] = ()
    # Follow-ups stopped in other interviews (same suppressed address): (interview_id, follow-up ids) pairs.
    elsewhere: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "outcome": self.outcome,
            "interview_id": self.interview_id,
            "follow_up_ids": list(self.follow_up_ids),
        }
        if self.elsewhere:
            result["elsewhere"] = {interview_id: list(ids) for interview_id, ids in self.elsewhere}
        return result


def _dropped(reason: str, **context: Any) -> FeedbackResult:
    logger.warning("feedback event dropped", extra={"reason": reason, **context})
    return FeedbackResult(outcome=f"dropped: {reason}")


class FeedbackProcessor:
    """Turns SES sending events and inbound mail into suppressions, stops and postponements."""

    def __init__(
        self,
        *,
        table: FollowUpTable,
        publisher: EventPublisher,
        suppressions: SuppressionList,
        account_suppression: AccountSuppression,
        configuration_set: str,
        mailbox: InboundMailStore | None = None,
        inbound_domain: str = "",
        link_secret: Callable[[], str] | None = None,
        metrics: Metrics | None = None,
        retention: timedelta = timedelta(days=180),
    ) -> None:
        self._table = table
        self._publisher = publisher
        self._suppressions = suppressions
        self._account = account_suppression
        self._configuration_set = configuration_set
        self._mailbox = mailbox
        self._inbound_domain = inbound_domain.lower()
        self._link_secret = link_secret
        self._metrics = metrics
        self._retention = retention

    def _count(self, name: str) -> None:
        if self._metrics is not None:
            self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)

    def handle(self, event: Any) -> FeedbackResult:
        self._count("FeedbackEvents")
        if is_sending_event(event):
            return self.on_sending_event(event)
        if is_receipt_event(event):
            return self.on_receipt_event(event)
        self._count("FeedbackDropped")
        return _dropped("not an SES sending or receipt event")

    # -- sending events ---------------------------------------------------------------------------------------

    def on_sending_event(self, raw: dict[str, Any]) -> FeedbackResult:
        try:
            event = SesEventBridgeEvent.model_validate(raw)
        except ValidationError as exc:
            self._count("FeedbackDropped")
            # Field locations only: the errors' input values could carry addresses.
            return _dropped("unrecognised SES event", problems=[".".join(map(str, e["loc"])) for e in exc.errors()])
        detail = event.detail
        configuration_set = detail.mail.tag(CONFIGURATION_SET_TAG)
        if configuration_set is not None and configuration_set != self._configuration_set:
            return _dropped("another configuration set's mail", message_id=detail.mail.message_id)
        now = clock.now()
        if isinstance(detail, BounceRecord):
            addresses = [r.email_address for r in detail.bounce.bounced_recipients]
            if detail.bounce.bounce_type == "Permanent":
                return self._suppress(detail.mail, addresses, "BOUNCE", event_name="bounced", now=now)
            return self._note(
                detail.mail,
                "soft_bounce",
                f"{detail.bounce.bounce_type.lower()} bounce ({detail.bounce.bounce_sub_type}); nothing stopped",
                at=detail.bounce.timestamp,
            )
        if isinstance(detail, ComplaintRecord):
            if detail.complaint.complaint_feedback_type == "not-spam":
                return self._note(
                    detail.mail, "complaint_withdrawn", "marked as not spam", at=detail.complaint.timestamp
                )
            addresses = [r.email_address for r in detail.complaint.complained_recipients]
            return self._suppress(detail.mail, addresses, "COMPLAINT", event_name="complained", now=now)
        if isinstance(detail, DeliveryRecord):
            return self._delivered(detail)
        if isinstance(detail, DeliveryDelayRecord):
            delay = detail.delivery_delay
            return self._note(
                detail.mail, "delivery_delayed", f"delivery delayed ({delay.delay_type})", at=delay.timestamp
            )
        assert isinstance(detail, RejectRecord)
        return self._note(detail.mail, "rejected", f"SES rejected the message ({detail.reject.reason})", at=now)

    def _locate(self, mail: SentMail) -> tuple[str, str | None] | None:
        """(interview id, follow-up id) of a message we sent: its tags (a candidate's copy has its own), else the
        MessageId index."""
        interview_id = mail.tag("interview_id")
        if interview_id:
            return interview_id, mail.tag("follow_up_id")
        copy_of = mail.tag(COPY_OF_INTERVIEW_TAG)
        if copy_of:
            return copy_of, mail.tag(COPY_OF_TAG)
        return self._table.find_sent_message(mail.message_id)

    def _load(self, mail: SentMail) -> tuple[InterviewBundle, str | None] | None:
        located = self._locate(mail)
        if located is None:
            return None
        bundle = self._table.load_interview(located[0])
        return None if bundle is None else (bundle, located[1])

    def _suppress(
        self, mail: SentMail, addresses: Sequence[str], reason: SuppressionReason, *, event_name: str, now: datetime
    ) -> FeedbackResult:
        lowered = {recipient_key(address) for address in addresses if "@" in address}
        for address in sorted(lowered):
            self._suppressions.suppress(
                address, reason=reason, at=now, message_id=mail.message_id, expires_at=now + self._retention
            )
            if not self._account.suppress(address, reason):
                logger.info("SES account suppression not available on this endpoint; kept our own list only")
        self._count("BouncesSuppressed" if reason == "BOUNCE" else "ComplaintsSuppressed")
        what = "permanent bounce" if reason == "BOUNCE" else "complaint"
        loaded = self._load(mail)
        interview_id: str | None = None
        stopped: list[str] = []
        if loaded is None:
            logger.info("suppressed; no interview matches the message", extra={"message_id": mail.message_id})
        else:
            bundle, follow_up_id = loaded
            interview_id = str(bundle.interview["interview_id"])
            stopped = self._stop_to(bundle, lowered, f"{what} of {follow_up_id or 'a message'}", event_name, now)
            logger.info(
                "address suppressed", extra={"interview_id": interview_id, "reason": reason, "stopped": stopped}
            )
        elsewhere = self._stop_elsewhere(lowered, interview_id, f"{what} of another message to it", event_name, now)
        return FeedbackResult(
            outcome=f"suppressed: {reason.lower()}",
            interview_id=interview_id,
            follow_up_ids=tuple(stopped),
            elsewhere=elsewhere,
        )

    def _stop_to(
        self, bundle: InterviewBundle, addresses: set[str], what: str, event_name: str, now: datetime
    ) -> list[str]:
        """Suppress the interview's pending follow-ups to `addresses`; the reason goes on its timeline."""
        return stop_everything(
            self._table,
            self._publisher,
            bundle,
            which=lambda record: recipient_key(record.to) in addresses,
            reason=f"{what} ({_whose(bundle, addresses)})",
            event=event_name,
            now=now,
            status=FollowUpStatus.SUPPRESSED,
        )

    def _stop_elsewhere(
        self, addresses: set[str], origin: str | None, what: str, event_name: str, now: datetime
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Every other interview that still mails a suppressed address: its follow-ups to it stop too.

        The recipient index names the interviews (one Query per address); each is re-read before anything stops,
        and its timeline names no other interview (it may be another candidate's).
        """
        interview_ids = sorted(
            {found for address in addresses for found, _ in self._table.pending_follow_ups_to(address)} - {origin}
        )
        results: list[tuple[str, tuple[str, ...]]] = []
        for interview_id in interview_ids:
            bundle = self._table.load_interview(interview_id)
            if bundle is None:
                continue  # deleted meanwhile
            stopped = self._stop_to(bundle, addresses, what, event_name, now)
            if stopped:
                results.append((interview_id, tuple(stopped)))
        if results:
            self._count("FollowUpsSuppressedElsewhere")
            logger.info(
                "address suppressed in other interviews",
                extra={"interviews": [interview_id for interview_id, _ in results]},
            )
        return tuple(results)

    def _note(self, mail: SentMail, event_name: str, detail: str, *, at: datetime) -> FeedbackResult:
        loaded = self._load(mail)
        if loaded is None:
            return _dropped("no interview matches the message", message_id=mail.message_id, event=event_name)
        bundle, follow_up_id = loaded
        interview_id = str(bundle.interview["interview_id"])
        text = f"{follow_up_id}: {detail}" if follow_up_id else detail
        # The event's own time keeps a redelivered event on the same timeline item (same sort key).
        self._table.append_timeline(
            interview_id,
            [TimelineEntry(at=at, event=event_name, detail=text, follow_up_id=follow_up_id)],
            expires_at(bundle, clock.now()),
        )
        return FeedbackResult(outcome=event_name, interview_id=interview_id)

    def _delivered(self, record: DeliveryRecord) -> FeedbackResult:
        loaded = self._load(record.mail)
        if loaded is None:
            return _dropped("no interview matches the message", message_id=record.mail.message_id, event="delivered")
        bundle, _ = loaded
        candidate = str(bundle.interview.get("candidate_email", "")).lower()
        recipients = {address.strip().lower() for address in record.delivery.recipients}
        copy_only = bool(candidate) and recipients == {candidate}
        detail = (
            "the candidate's copy reached their mail server" if copy_only else "reached the recipient's mail server"
        )
        result = self._note(record.mail, "delivered", detail, at=record.delivery.timestamp)
        self._count("Deliveries")
        return result

    # -- inbound mail -----------------------------------------------------------------------------------------

    def on_receipt_event(self, raw: dict[str, Any]) -> FeedbackResult:
        try:
            event = SesReceiptEvent.model_validate(raw)
        except ValidationError as exc:
            self._count("FeedbackDropped")
            return _dropped(
                "unrecognised SES receipt event", problems=[".".join(map(str, e["loc"])) for e in exc.errors()]
            )
        if self._mailbox is None or not self._inbound_domain:
            return _dropped("replies are off (no InboundDomain)")
        message = event.records[0].ses
        receipt = message.receipt
        if any(v is not None and v.status == "FAIL" for v in (receipt.spam_verdict, receipt.virus_verdict)):
            self._count("FeedbackDropped")
            return _dropped("spam or virus verdict", message_id=message.mail.message_id)
        key = receipt.action.object_key or self._mailbox.key_for(message.mail.message_id)
        raw_mail = self._mailbox.read(key)
        if raw_mail is None:
            self._count("FeedbackDropped")
            return _dropped("stored message not found", message_id=message.mail.message_id)
        from followup.feedback.inbound import MalformedMailError, ReplyKind, parse_mail

        try:
            mail = parse_mail(raw_mail)
        except MalformedMailError as exc:
            self._count("FeedbackDropped")
            return _dropped(f"malformed message: {exc}", message_id=message.mail.message_id)
        interview_id = self._match_interview(mail, receipt.recipients)
        if interview_id is None:
            self._count("RepliesUnmatched")
            return _dropped("no interview matches the reply", message_id=message.mail.message_id)
        bundle = self._table.load_interview(interview_id)
        if bundle is None:
            self._count("RepliesUnmatched")
            return _dropped("the reply's interview no longer exists", interview_id=interview_id)
        if mail.sender == str(bundle.interview.get("candidate_email", "")).lower():
            return _dropped("mail from the candidate is not the company's reply", interview_id=interview_id)
        now = clock.now()
        if mail.kind is ReplyKind.HUMAN:
            stopped = stop_everything(
                self._table,
                self._publisher,
                bundle,
                which=is_nudge,
                reason="reply received",
                event="replied",
                now=now,
            )
            self._count("RepliesMatched")
            logger.info("reply received; nudges stopped", extra={"interview_id": interview_id, "stopped": stopped})
            return FeedbackResult(outcome="replied", interview_id=interview_id, follow_up_ids=tuple(stopped))
        if mail.kind is ReplyKind.OUT_OF_OFFICE:
            self._count("OutOfOfficeReplies")
            return self._postpone(bundle, mail, now)
        return _dropped("automated message, not a reply", interview_id=interview_id)

    def _match_interview(self, mail: InboundMail, envelope_recipients: Sequence[str]) -> str | None:
        """The reply address (envelope first, then To/Cc), else a message we sent that it answers."""
        if self._link_secret is not None:
            domain_suffix = f"@{self._inbound_domain}"
            candidates = [a for a in (*envelope_recipients, *mail.recipients) if a.lower().endswith(domain_suffix)]
            if candidates:
                secret = self._link_secret()
                for address in candidates:
                    interview_id = parse_reply_address(secret, address, self._inbound_domain)
                    if interview_id is not None:
                        return interview_id
        for ses_message_id in mail.ses_message_ids():
            found = self._table.find_sent_message(ses_message_id)
            if found is not None:
                return found[0]
        return None

    def _postpone(self, bundle: InterviewBundle, mail: InboundMail, now: datetime) -> FeedbackResult:
        from followup.domain.out_of_office import (
            MONTH_FIRST_COUNTRIES,
            Nudge,
            nudge_wall_time,
            postponed_nudges,
            recipient_calendar,
            return_day,
        )
        from followup.feedback.inbound import find_return_date

        interview_id = str(bundle.interview["interview_id"])
        nudges = sorted(pending(bundle.follow_ups, is_nudge), key=lambda r: (r.due_at, r.follow_up_id))
        if not nudges:
            self._timeline(bundle, now, "out_of_office", "auto-reply received; no pending follow-up to move")
            return FeedbackResult(outcome="out_of_office", interview_id=interview_id)
        # The sender's own next follow-up, else the interview's next one.
        to_sender = [record for record in nudges if record.to.strip().lower() == mail.sender]
        first = (to_sender or nudges)[0]
        document = bundle.interview.get("document") or {}
        country = (document.get("company") or {}).get("country")
        day_first = country is not None and str(country).upper() not in MONTH_FIRST_COUNTRIES
        today = now.astimezone(ZoneInfo(first.timezone)).date()
        returns = find_return_date(mail.text, today, day_first=day_first)
        # The recipient's own working days (their country and subdivision, else the company's).
        calendar = recipient_calendar(document, first.to)
        day = return_day(returns, today, calendar)
        reason = f"out of office until {returns.isoformat()}" if returns else "out of office (no return date stated)"
        by_id = {record.follow_up_id: record for record in nudges}
        as_nudges = [
            Nudge(record.follow_up_id, record.to, parse_instant(record.due_at), record.timezone) for record in nudges
        ]
        rule_moves = postponed_nudges(
            as_nudges[nudges.index(first)], as_nudges, day, calendar, nudge_wall_time(document)
        )
        moves = [(by_id[nudge.follow_up_id], due) for nudge, due in rule_moves]
        if not moves:
            self._timeline(bundle, now, "out_of_office", f"{reason}; {first.follow_up_id} is already due after that")
            return FeedbackResult(outcome="out_of_office", interview_id=interview_id)
        follow_ups = [record.planned().model_copy(update={"due_at": due}) for record, due in moves]
        self._publisher.publish(FollowUpsRescheduled(interview_id=interview_id, follow_ups=follow_ups, reason=reason))
        entries = [
            TimelineEntry(
                at=now,
                event="out_of_office",
                detail=f"{reason}; {record.follow_up_id} moved to {iso_utc(due)}",
                follow_up_id=record.follow_up_id,
            )
            for record, due in moves
        ]
        self._table.append_timeline(interview_id, entries, expires_at(bundle, now))
        logger.info(
            "out of office; follow-ups postponed",
            extra={"interview_id": interview_id, "moved": [record.follow_up_id for record, _ in moves]},
        )
        return FeedbackResult(
            outcome="out_of_office", interview_id=interview_id, follow_up_ids=tuple(r.follow_up_id for r, _ in moves)
        )

    def _timeline(self, bundle: InterviewBundle, now: datetime, event: str, detail: str) -> None:
        self._table.append_timeline(
            str(bundle.interview["interview_id"]),
            [TimelineEntry(at=now, event=event, detail=detail)],
            expires_at(bundle, now),
        )


def _whose(bundle: InterviewBundle, addresses: set[str]) -> str:
    candidate = str(bundle.interview.get("candidate_email", "")).lower()
    if addresses and addresses <= {candidate}:
        return "the candidate's address"
    if any(record.to.strip().lower() in addresses for record in bundle.follow_ups):
        return "the recipient's address"
    return "a recipient's address"
