"""The sender: claim → render → SendEmail → mark sent, for one due follow-up.

Exactly-once rests on the claim: one conditional write moves the follow-up `scheduled → sending`, so a duplicate
or late delivery (cancelled, sent, suppressed, already claimed) sends nothing.

Crash mid-send: a process that dies after the claim leaves `sending`. Its SQS message comes back after the
visibility timeout; once the claim is older than the lease, the follow-up is marked `failed` with the reason and
an `InterruptedSends` metric raises the alarm — SES has no idempotency key, so sending again could mail the same
person twice. Never silence, never a duplicate.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import formataddr, getaddresses
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.records import FollowUpRecord, TimelineEntry
from followup.adapters.ses import (
    COPY_OF_INTERVIEW_TAG,
    COPY_OF_TAG,
    EmailSender,
    OutgoingEmail,
    SenderIdentities,
    SendingPaused,
    SendRejected,
    SendThrottled,
)
from followup.core import clock
from followup.core.links import DEFAULT_LINK_LIFETIME, LinkAction, LinkClaim, link_url, make_token
from followup.core.reply_address import reply_address
from followup.core.text import parse_instant
from followup.domain.events import EXPIRE_REVIEW, SchedulePayload
from followup.domain.kinds import FollowUpKind
from followup.domain.models import FollowUpStatus, InterviewRequest
from followup.messages.context import format_day
from followup.messages.lint import hard_failure_reason, lint_message, recipients_working_day
from followup.messages.render import RenderedMessage, TemplateSet, render_edited, render_follow_up

logger = Logger(child=True)

# Longer than the function timeout, shorter than the queue's visibility timeout: an older claim is a dead process.
CLAIM_LEASE = timedelta(seconds=150)
# A claim, a render, SendEmail and the mark-sent transaction at their slowest (botocore's retries included).
WORST_SEND_SECONDS = 8.0
# The candidate's copy, refused for rate, is tried once more after this pause.
COPY_RETRY_SECONDS = 1.0


class SendOutcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"  # cancelled, already sent, suppressed: nothing to do
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # an earlier attempt died mid-send
    DRAFTED = "drafted"  # review mode: the draft went to the candidate
    HELD = "held"  # auto mode, but the linter found a hard problem: the draft went to the candidate instead
    EXPIRED = "expired"  # review mode: no approval in time, not sent


class RetryLater(Exception):
    """The record must come back later (throttled, or another attempt holds a fresh claim)."""


@dataclass(frozen=True)
class SenderIdentity:
    email: str
    name: str


def _single_line(value: str) -> str:
    return " ".join(value.split())


def compose_email(
    record: FollowUpRecord,
    request: InterviewRequest,
    message: RenderedMessage,
    identity: SenderIdentity,
    reply_token_address: str | None = None,
    *,
    from_candidate: bool = False,
) -> OutgoingEmail:
    """Addresses, headers and tags for one follow-up. Nothing from the payload reaches a header unsanitised.

    The From name is the candidate's own, with nothing added ("via …" would tell every interviewer the mail was
    automated). The address is the candidate's own when it (or its domain) is a verified SES identity of this
    account (`from_candidate`), else the deployment's sender address; replies go to the candidate either way.
    """
    candidate_name = _single_line(request.candidate.name)
    candidate = formataddr((candidate_name, str(request.candidate.email)), charset="utf-8")
    kind = FollowUpKind(record.kind)
    from_email = str(request.candidate.email) if from_candidate else identity.email
    from_address = formataddr((candidate_name, from_email), charset="utf-8")
    recipient = formataddr((_single_line(record.to_name), record.to), charset="utf-8")
    # No Bcc: the candidate gets their own copy of every message sent in their name (`compose_copy`), with the
    # manage link the interviewer's mail must not carry.
    return OutgoingEmail(
        from_address=from_address,
        to=[recipient],
        # With an inbound domain, replies reach both the candidate and the pipeline (which stops the nudges).
        reply_to=[candidate, reply_token_address] if reply_token_address else [candidate],
        subject=_single_line(message.subject),
        text=message.text,
        html=message.html,
        headers={
            "X-Followup-Interview": record.interview_id,
            "X-Followup-Kind": str(kind),
        },
        tags={"interview_id": record.interview_id, "follow_up_id": record.follow_up_id, "kind": str(kind)},
    )


def _candidate_address(request: InterviewRequest) -> str:
    return formataddr((_single_line(request.candidate.name), str(request.candidate.email)), charset="utf-8")


def _system_from(identity: SenderIdentity) -> str:
    return formataddr((_single_line(identity.name), identity.email), charset="utf-8")


def compose_draft(
    record: FollowUpRecord,
    request: InterviewRequest,
    message: RenderedMessage,
    identity: SenderIdentity,
    hold_until: datetime,
    held_because: str | None = None,
) -> OutgoingEmail:
    """Review mode (or a message the linter held): the message as it would go, sent to the candidate with
    approve / skip / stop links."""
    recipient = _single_line(f"{record.to_name} <{record.to}>")
    local = hold_until.astimezone(ZoneInfo(request.candidate_timezone()))
    why = (
        f"This message was held, not sent, because it needs your eye: {_single_line(held_because)}. "
        if held_because
        else ""
    )
    preface = (
        f"Draft for your approval — to {recipient}. {why}Nothing has been sent. Approve it as it is, skip it, or "
        f"stop all follow-ups with the links below; without an answer by {local:%A %d %B %H:%M %Z} it is not sent."
    )
    return OutgoingEmail(
        from_address=_system_from(identity),
        to=[_candidate_address(request)],
        subject=_short_subject(f"Approve? {message.subject}"),
        text=f"{preface}\n\n---\n\n{message.text}",
        html=f"<p><strong>{html.escape(preface)}</strong></p><hr>{message.html}",
        headers={"X-Followup-Interview": record.interview_id, "X-Followup-Kind": f"draft-{record.kind}"},
        tags={"interview_id": record.interview_id, "follow_up_id": record.follow_up_id, "kind": "draft"},
    )


def _short_subject(subject: str) -> str:
    subject = _single_line(subject)
    return subject if len(subject) <= 70 else subject[:69].rstrip() + "…"


def _when_sent(sent_at: datetime, their_zone: str, own_zone: str, country: str | None) -> str:
    """When a message went, for the candidate: the recipient's day and time ("Tuesday 1 December, 10:02 CET", or
    "Tuesday, December 1, 10:02 EST" where the candidate writes dates month first), and the candidate's own time
    when it differs."""
    theirs, yours = sent_at.astimezone(ZoneInfo(their_zone)), sent_at.astimezone(ZoneInfo(own_zone))

    def clock_time(moment: datetime, zone: str) -> str:
        return f"{moment:%H:%M} {moment.tzname() or zone}"

    def day(moment: datetime) -> str:
        return format_day(moment.date(), moment.date(), country)

    said = f"{day(theirs)}, {clock_time(theirs, their_zone)}"
    if clock_time(theirs, their_zone) == clock_time(yours, own_zone):
        return said
    if yours.date() == theirs.date():
        return f"{said} ({clock_time(yours, own_zone)} for you)"
    return f"{said} ({day(yours)}, {clock_time(yours, own_zone)} for you)"


def compose_copy(
    record: FollowUpRecord,
    request: InterviewRequest,
    sent: OutgoingEmail,
    identity: SenderIdentity,
    *,
    sent_at: datetime,
    manage_url: str,
) -> OutgoingEmail:
    """The candidate's own copy of a message that went out in their name: what went, to whom, when, and the link
    to their control panel for this interview. A Bcc would have to be the interviewer's mail byte for byte, so it
    could carry no link."""
    recipient = _single_line(f"{record.to_name} <{record.to}>")
    when = _when_sent(
        sent_at, record.timezone, request.candidate_timezone(), request.candidate.country or request.company.country
    )
    preface = f"Sent in your name to {recipient} on {when}. Replies come to you."
    manage = "See what goes next, change a message, pause or stop this interview's follow-ups:"
    sent_headers = [("From", sent.from_address), ("To", ", ".join(sent.to)), ("Subject", sent.subject)]
    header_text = "\n".join(f"{name}: {value}" for name, value in sent_headers)
    header_html = "<br>".join(f"{name}: {html.escape(value)}" for name, value in sent_headers)
    return OutgoingEmail(
        from_address=_system_from(identity),
        to=[_candidate_address(request)],
        subject=_short_subject(f"Sent: {sent.subject}"),
        text=f"{preface}\n{manage}\n{manage_url}\n\n---\n{header_text}\n\n{sent.text}",
        html=(
            f"<p>{html.escape(preface)}</p>"
            f'<p>{html.escape(manage)} <a href="{html.escape(manage_url, quote=True)}">Open this interview</a></p>'
            f'<hr><p style="color:#555">{header_html}</p>{sent.html}'
        ),
        headers={"X-Followup-Interview": record.interview_id, "X-Followup-Kind": f"copy-{record.kind}"},
        # Its own tags: it is not the follow-up (counts and exactly-once are about what the recipient got), but a
        # bounce or delivery of the copy still finds the interview's timeline (`FeedbackProcessor._locate`).
        tags={COPY_OF_INTERVIEW_TAG: record.interview_id, COPY_OF_TAG: record.follow_up_id, "kind": "copy"},
    )


def compose_notice(record: FollowUpRecord, request: InterviewRequest, identity: SenderIdentity) -> OutgoingEmail:
    """Tells the candidate a held draft was dropped because nobody approved it."""
    text = (
        f"Your {record.kind.replace('_', '-')} to {_single_line(record.to_name)} was not sent: it was not "
        "approved within the hold time. Submit a new date or send it yourself if you still want to."
    )
    return OutgoingEmail(
        from_address=_system_from(identity),
        to=[_candidate_address(request)],
        subject="A follow-up was not sent (no approval)",
        text=text + "\n",
        html=f"<p>{html.escape(text)}</p>",
        headers={"X-Followup-Interview": record.interview_id, "X-Followup-Kind": "notice"},
        tags={"interview_id": record.interview_id, "follow_up_id": record.follow_up_id, "kind": "notice"},
    )


def _expires_at(record: FollowUpRecord) -> datetime:
    raw = record.raw.get("expires_at")
    return datetime.fromtimestamp(int(raw), tz=UTC) if raw is not None else clock.now()


@dataclass(frozen=True)
class LinkSigner:
    """Makes the signed one-click links a message carries (review drafts, candidate tasks)."""

    secret: Callable[[], str]
    base_url: str
    lifetime: timedelta = DEFAULT_LINK_LIFETIME

    def links(self, record: FollowUpRecord, actions: list[LinkAction], *, expires_at: datetime) -> dict[str, str]:
        secret = self.secret()
        return {
            str(action): link_url(
                self.base_url,
                make_token(
                    secret,
                    LinkClaim(
                        interview_id=record.interview_id,
                        follow_up_id=record.follow_up_id,
                        action=action,
                        expires_at=expires_at,
                    ),
                ),
            )
            for action in actions
        }

    def manage(self, record: FollowUpRecord, *, expires_at: datetime) -> str:
        """The link that opens the candidate's control panel on this interview (README "The control panel")."""
        from followup.core.signed import MANAGE_PURPOSE, seal

        token = seal(self.secret(), MANAGE_PURPOSE, {"i": record.interview_id}, expires_at=expires_at)
        return f"{self.base_url.rstrip('/')}/panel/m/{token}"


class FollowUpSender:
    def __init__(
        self,
        table: FollowUpTable,
        mailer: EmailSender,
        identity: SenderIdentity,
        signer: LinkSigner,
        inbound_domain: str = "",
        identities: SenderIdentities | None = None,
        templates: TemplateSet | None = None,
        suppressed: Callable[[Iterable[str]], set[str]] | None = None,
        count: Callable[[str], None] | None = None,
    ) -> None:
        self._table = table
        self._mailer = mailer
        self._identity = identity
        self._signer = signer
        self._inbound_domain = inbound_domain
        self._identities = identities
        self._templates = templates
        # Which of the given addresses (lower-cased) bounced or complained: checked once more right before SendEmail.
        self._suppressed = suppressed
        # Adds one to a named metric (the handler's Powertools metrics); None outside a Lambda.
        self._count = count

    def seconds_needed(self) -> float:
        """How long the next record may take at worst: its turn under the SES rate plus a slow send and its writes
        (the handler returns a record unprocessed rather than start one it cannot finish before the timeout). The
        candidate's copy follows the message: its turn under the rate, and once more after a hold when SES is busy."""
        copy = 2 * self._mailer.interval(1) + COPY_RETRY_SECONDS
        return self._mailer.pacing_wait() + WORST_SEND_SECONDS + copy

    def _reply_address(self, record: FollowUpRecord) -> str | None:
        if not self._inbound_domain or not FollowUpKind(record.kind).is_nudge:
            return None
        return reply_address(self._signer.secret(), record.interview_id, self._inbound_domain)

    def _render(
        self, request: InterviewRequest, record: FollowUpRecord, links: dict[str, str] | None
    ) -> RenderedMessage:
        """The candidate's edited wording when they changed it in the control panel, else the template's."""
        if record.edited_text:
            return render_edited(record.edited_subject or "", record.edited_text, links=links)
        return render_follow_up(request, record.planned(), links=links, templates=self._templates)

    def send_due(self, payload: dict[str, Any]) -> SendOutcome:
        """Deliver the follow-up named by a schedule's input (`SchedulePayload`)."""
        schedule = SchedulePayload.model_validate(payload)
        interview_id, follow_up_id = schedule.interview_id, schedule.follow_up_id
        if schedule.action == EXPIRE_REVIEW:
            return self._expire_review(interview_id, follow_up_id)
        log = {"interview_id": interview_id, "follow_up_id": follow_up_id}
        now = clock.now()
        claim = self._table.claim_follow_up(interview_id, follow_up_id, now=now)
        if not claim.claimed:
            if claim.current_status == "sending":
                return self._settle_stale_claim(interview_id, follow_up_id, now)
            logger.info("nothing to send", extra={**log, "status": claim.current_status})
            return SendOutcome.SKIPPED
        record = claim.record
        assert record is not None
        draft = False
        hold_until = now
        try:
            request = InterviewRequest.model_validate(record.document)
            kind = FollowUpKind(record.kind)
            if request.preferences.mode == "review" and kind.is_nudge and not record.approved:
                draft = True
                hold_until = now + timedelta(hours=request.preferences.review_hold_hours)
                links = self._signer.links(
                    record, [LinkAction.APPROVE, LinkAction.SKIP, LinkAction.STOP], expires_at=hold_until
                )
                links["manage"] = self._signer.manage(record, expires_at=now + self._signer.lifetime)
                message = self._render(request, record, links)
                email = compose_draft(record, request, message, self._identity, hold_until)
            else:
                links = {}
                if not kind.is_nudge:
                    links = self._signer.links(record, [LinkAction.DONE], expires_at=now + self._signer.lifetime)
                    links["manage"] = self._signer.manage(record, expires_at=now + self._signer.lifetime)
                message = self._render(request, record, links or None)
                from_candidate = self._identities is not None and self._identities.can_send_from(
                    str(request.candidate.email)
                )
                email = compose_email(
                    record,
                    request,
                    message,
                    self._identity,
                    self._reply_address(record),
                    from_candidate=from_candidate,
                )
            held = hard_failure_reason(
                lint_message(request, record.planned(), message, working_day=recipients_working_day(request))
            )
        except Exception as exc:  # a stored interview that no longer renders must not block the queue
            logger.exception("render failed", extra=log)
            return self._fail_claimed(record, f"could not render: {type(exc).__name__}", now)
        if held and record.approved:
            # The candidate read this draft and approved it as it is: their call, not the linter's.
            logger.warning("sending an approved message the linter would hold", extra={**log, "reason": held})
        elif held and draft:
            logger.warning("review draft has linter findings; the candidate sees them", extra={**log, "reason": held})
        elif held and kind.is_nudge:
            # Auto mode, but the message would embarrass the candidate: it goes to them as a draft to approve.
            logger.warning("message held by the linter; sent to the candidate for review", extra={**log})
            draft = True
            hold_until = now + timedelta(hours=request.preferences.review_hold_hours)
            links = self._signer.links(
                record, [LinkAction.APPROVE, LinkAction.SKIP, LinkAction.STOP], expires_at=hold_until
            )
            links["manage"] = self._signer.manage(record, expires_at=now + self._signer.lifetime)
            message = self._render(request, record, links)
            email = compose_draft(record, request, message, self._identity, hold_until, held_because=held)
        elif held:
            logger.error("message held by the linter", extra={**log, "reason": held})
            return self._fail_claimed(record, f"held by the message linter: {held}", now)
        # The candidate's own copy: for what goes to someone else in their name, not for drafts or reminders.
        candidate_email = str(request.candidate.email)
        copy_wanted = not draft and record.to.lower() != candidate_email.lower()
        try:
            may_send, send_copy = self._screen(record, email, candidate_email if copy_wanted else None)
        except Exception:
            self._table.release_claim(record)  # nothing sent: the queue retries the record
            raise
        if not may_send:
            logger.info("recipient suppressed; not sent", extra=log)
            reason = "not sent: the recipient's address bounced or complained"
            self._table.mark_failed(
                record.interview_id,
                record.follow_up_id,
                from_statuses=[FollowUpStatus.SENDING],
                reason=reason,
                now=now,
                expires_at=_expires_at(record),
                status=FollowUpStatus.SUPPRESSED,
            )
            return SendOutcome.SKIPPED
        try:
            message_id = self._mailer.send(email)
        except SendThrottled:
            self._table.release_claim(record)
            logger.warning("SES throttled; record returns to the queue", extra=log)
            raise
        except SendingPaused as exc:
            # Not this message's fault: nothing is failed; the record waits in the queue and the alarm fires.
            self._table.release_claim(record)
            logger.error("SES sending is paused; record returns to the queue", extra={**log, "code": exc.code})
            raise
        except SendRejected as exc:
            logger.error("SES rejected the message", extra={**log, "code": exc.code})
            return self._fail_claimed(record, f"not sent: {exc.reason} ({exc.code})", now)
        if draft:
            self._table.await_approval(record, hold_until=hold_until, now=clock.now())
            logger.info("draft sent for approval", extra={**log, "kind": record.kind})
            return SendOutcome.HELD if held and request.preferences.mode != "review" else SendOutcome.DRAFTED
        self._table.mark_sent(
            record,
            message_id=message_id,
            now=clock.now(),
            expires_at=_expires_at(record),
            detail=f"{record.kind} to {record.to_name}",
        )
        logger.info("sent", extra={**log, "kind": record.kind, "message_id": message_id})
        if send_copy:
            self._send_copy(record, request, email)
        return SendOutcome.SENT

    def _send_copy(self, record: FollowUpRecord, request: InterviewRequest, sent: OutgoingEmail) -> None:
        """Best effort, after the message is marked sent: a copy that cannot go never re-sends the message. It is
        retried once when SES is busy; a copy that still cannot go is on the interview's timeline (the panel
        shows it) and counted (`CopiesNotSent`)."""
        now = clock.now()
        copy = compose_copy(
            record,
            request,
            sent,
            self._identity,
            sent_at=now,
            manage_url=self._signer.manage(record, expires_at=now + self._signer.lifetime),
        )
        reason = ""
        for attempt in range(2):
            try:
                self._mailer.send(copy)
                return
            except SendThrottled:
                reason = "SES was busy"
                if attempt == 0:
                    self._mailer.hold(COPY_RETRY_SECONDS)
            except (SendRejected, SendingPaused) as exc:
                reason = exc.reason
                break
            except Exception as exc:  # the message itself went: nothing here may undo or repeat that
                reason = f"could not send ({type(exc).__name__})"
                logger.exception("candidate's copy failed", extra={"interview_id": record.interview_id})
                break
        logger.warning(
            "candidate's copy not sent",
            extra={"interview_id": record.interview_id, "follow_up_id": record.follow_up_id, "reason": reason},
        )
        if self._count is not None:
            self._count("CopiesNotSent")
        with contextlib.suppress(Exception):
            self._table.append_timeline(
                record.interview_id,
                [
                    TimelineEntry(
                        at=clock.now(),
                        event="copy_not_sent",
                        detail=f"{record.follow_up_id}: your copy of this message could not be sent ({reason})",
                        follow_up_id=record.follow_up_id,
                    )
                ],
                _expires_at(record),
            )

    def _screen(self, record: FollowUpRecord, email: OutgoingEmail, copy_to: str | None) -> tuple[bool, bool]:
        """The suppression list read again at send time (a bounce may have come after planning, or after the
        claim), in one read: (whether the message may go, whether the candidate's copy may go). The message may not
        when its recipient or any addressee is suppressed; the copy may not when the candidate's address is."""
        if self._suppressed is None:
            return True, copy_to is not None
        addressees = [address for _, address in getaddresses([*email.to, *email.cc, *email.bcc])]
        blocked = self._suppressed([record.to, *addressees, *([copy_to] if copy_to else [])])
        if any(address.strip().lower() in blocked for address in [record.to, *addressees]):
            return False, False
        return True, copy_to is not None and copy_to.strip().lower() not in blocked

    def _fail_claimed(self, record: FollowUpRecord, reason: str, now: datetime) -> SendOutcome:
        """A claimed follow-up that must not go out: `sending → failed` with the reason and a timeline entry."""
        self._table.mark_failed(
            record.interview_id,
            record.follow_up_id,
            from_statuses=[FollowUpStatus.SENDING],
            reason=reason,
            now=now,
            expires_at=_expires_at(record),
        )
        return SendOutcome.FAILED

    def _expire_review(self, interview_id: str, follow_up_id: str) -> SendOutcome:
        """The hold ran out with no approval: the message is not sent, and the candidate is told so."""
        now = clock.now()
        bundle = self._table.load_interview(interview_id)
        record = next((r for r in (bundle.follow_ups if bundle else []) if r.follow_up_id == follow_up_id), None)
        if record is None or record.status != "awaiting_approval":
            return SendOutcome.SKIPPED
        reason = "not approved in time: the draft was not sent"
        if not self._table.mark_failed(
            interview_id,
            follow_up_id,
            from_statuses=[FollowUpStatus.AWAITING_APPROVAL],
            reason=reason,
            now=now,
            expires_at=_expires_at(record),
            status=FollowUpStatus.CANCELLED,
        ):
            return SendOutcome.SKIPPED
        request = InterviewRequest.model_validate(record.document)
        try:
            self._mailer.send(compose_notice(record, request, self._identity))
        except (SendThrottled, SendRejected, SendingPaused):
            logger.warning("could not tell the candidate about an expired draft", extra={"interview_id": interview_id})
        return SendOutcome.EXPIRED

    def _settle_stale_claim(self, interview_id: str, follow_up_id: str, now: datetime) -> SendOutcome:
        bundle = self._table.load_interview(interview_id)
        record = next((r for r in (bundle.follow_ups if bundle else []) if r.follow_up_id == follow_up_id), None)
        if record is None or record.status != FollowUpStatus.SENDING or record.claimed_at is None:
            return SendOutcome.SKIPPED
        claimed_at = parse_instant(record.claimed_at)
        if now - claimed_at < CLAIM_LEASE:
            raise RetryLater("another attempt holds a fresh claim")
        reason = (
            "interrupted mid-send: the sender stopped after claiming; SES may or may not have accepted "
            "the message, so it is not sent again"
        )
        self._table.mark_failed(
            interview_id,
            follow_up_id,
            from_statuses=[FollowUpStatus.SENDING],
            reason=reason,
            now=now,
            expires_at=_expires_at(record),
        )
        logger.error(
            "interrupted send marked failed", extra={"interview_id": interview_id, "follow_up_id": follow_up_id}
        )
        return SendOutcome.INTERRUPTED
