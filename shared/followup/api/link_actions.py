"""One-click links (`GET/POST /a/{token}`): GET shows what the link would do and changes nothing (mail scanners
prefetch links); POST does it, once.

Approving a draft (review mode): it goes at the next slot inside the recipient's send window on one of their working
days (now when inside it; the next working morning when approved at night), and both pages say when. When that would
be too late to be useful (a thank-you after the stated decision date, a nudge after the next one to the same
person), the confirmation page says so and asks before anything is sent.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.events import EventPublisher
from followup.adapters.records import FollowUpRecord, InterviewBundle, TimelineEntry
from followup.core import clock
from followup.core.links import ACTION_LABELS, InvalidLink, LinkAction, LinkClaim
from followup.core.text import iso_utc
from followup.domain.events import FollowUpApproved, FollowUpsStopped
from followup.domain.models import FollowUpStatus, InterviewRequest
from followup.domain.send_slots import ASAP_LEAD, approval_concern, next_send_slot
from followup.domain.timing_words import when_words
from followup.workflow.lifecycle import (
    OutcomeRequest,
    expires_at,
    find,
    record_outcome,
    stop_everything,
)

PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    body_html: str

    def render(self) -> str:
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(self.title)}</title>"
            "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}"
            "button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #345;background:#234;"
            "color:#fff;cursor:pointer}</style></head>"
            f"<body><h1>{html.escape(self.title)}</h1>{self.body_html}</body></html>"
        )


def invalid_page(error: InvalidLink) -> Page:
    return Page(403, "This link cannot be used", f"<p>{html.escape(str(error))}.</p>")


def _describe(bundle: InterviewBundle, claim: LinkClaim) -> str:
    record = find(bundle, claim.follow_up_id)
    what = record.kind.replace("_", "-") if record else "follow-up"
    to = f" to {record.to_name}" if record and record.to_name else ""
    return f"{what}{to}"


@dataclass(frozen=True)
class ApprovalTiming:
    """When an approved draft goes, in the recipient's and the candidate's words, and any reason it is too late."""

    goes_at: datetime
    words: str
    concern: str | None


def approval_timing(record: FollowUpRecord, bundle: InterviewBundle, now: datetime) -> ApprovalTiming:
    """The slot a draft approved at `now` goes in (the planner schedules the same one)."""
    request = InterviewRequest.model_validate(record.document or bundle.interview["document"])
    planned = record.planned()
    goes_at = next_send_slot(request, planned, now + ASAP_LEAD)
    pending = [
        other.planned()
        for other in bundle.follow_ups
        if other.follow_up_id != record.follow_up_id and other.status == FollowUpStatus.SCHEDULED
    ]
    candidate_zone = request.candidate_timezone()
    yours = goes_at.astimezone(ZoneInfo(candidate_zone))
    if goes_at - now <= 2 * ASAP_LEAD:
        words = "within a couple of minutes"
    else:
        words = f"{when_words(goes_at, planned.timezone)}"
        if candidate_zone != planned.timezone:
            words += f", {yours:%H:%M} on {yours:%A} your time"
    return ApprovalTiming(goes_at, words, approval_concern(request, planned, goes_at, pending))


def confirmation_page(
    bundle: InterviewBundle | None, claim: LinkClaim, token: str, now: datetime | None = None
) -> Page:
    """What GET shows: the action and a button that POSTs it. Nothing changes. An approval says when the message
    would go, and asks when that would be too late to be useful."""
    if bundle is None:
        return Page(404, "Nothing to do", "<p>This interview no longer exists.</p>")
    label = ACTION_LABELS[claim.action]
    about = html.escape(_describe(bundle, claim))
    details = ""
    record = find(bundle, claim.follow_up_id)
    if claim.action == LinkAction.APPROVE and record is not None and record.status == FollowUpStatus.AWAITING_APPROVAL:
        timing = approval_timing(record, bundle, now or clock.now())
        details = f"<p>Approved now, it goes {html.escape(timing.words)}.</p>"
        if timing.concern:
            label = "Send it anyway"
            details += (
                f'<p class="concern"><strong>It may be too late to be useful.</strong> {html.escape(timing.concern)}'
                " Send it anyway, or skip it with the skip link in the same email.</p>"
            )
    return Page(
        200,
        label,
        f"<p>This concerns the {about}.</p>{details}"
        f'<form method="post" action="/a/{html.escape(token)}"><button type="submit">{html.escape(label)}</button>'
        "</form><p><small>Nothing happens until you press the button.</small></p>",
    )


def perform(
    table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, claim: LinkClaim, now: datetime
) -> Page:
    """Do what the link says, once. A replay of the same action is refused (403)."""
    interview_id = bundle.interview["interview_id"]
    if not table.use_once(interview_id, claim.use_key, now=now, expires_at=expires_at(bundle, now)):
        return Page(403, "This link was already used", "<p>This action has already been taken.</p>")
    record = find(bundle, claim.follow_up_id)
    about = html.escape(_describe(bundle, claim))
    if claim.action == LinkAction.APPROVE:
        if record is None or not table.approve(interview_id, claim.follow_up_id, now=now):
            return Page(200, "Nothing to approve", f"<p>The {about} is no longer waiting for approval.</p>")
        timing = approval_timing(record, bundle, now)
        table.append_timeline(
            interview_id,
            [
                TimelineEntry(
                    at=now,
                    event="approved",
                    detail=f"{claim.follow_up_id}: goes {iso_utc(timing.goes_at)}",
                    follow_up_id=claim.follow_up_id,
                )
            ],
            expires_at(bundle, now),
        )
        publisher.publish(
            FollowUpApproved(interview_id=interview_id, follow_up_id=claim.follow_up_id, due_at=timing.goes_at)
        )
        return Page(200, "Approved", f"<p>The {about} will be sent {html.escape(timing.words)}.</p>")
    if claim.action == LinkAction.SKIP:
        if record is None or not table.cancel_follow_up(
            interview_id, claim.follow_up_id, reason="skipped by the candidate", now=now
        ):
            return Page(200, "Nothing to skip", f"<p>The {about} is no longer pending.</p>")
        table.append_timeline(
            interview_id,
            [TimelineEntry(at=now, event="skipped", detail=claim.follow_up_id, follow_up_id=claim.follow_up_id)],
            expires_at(bundle, now),
        )
        publisher.publish(FollowUpsStopped(interview_id=interview_id, follow_up_ids=[claim.follow_up_id]))
        return Page(200, "Skipped", f"<p>The {about} will not be sent.</p>")
    if claim.action == LinkAction.STOP:
        stopped = stop_everything(
            table, publisher, bundle, which=lambda _: True, reason="stopped by the candidate", event="stopped", now=now
        )
        return Page(
            200, "Stopped", f"<p>{len(stopped)} pending follow-ups were cancelled. Nothing more will go out.</p>"
        )
    if claim.action == LinkAction.HEARD_BACK:
        result = record_outcome(table, publisher, bundle, OutcomeRequest(outcome="heard_back"), now)
        return Page(200, "Noted", f"<p>Good news. {len(result['cancelled'])} pending nudges were cancelled.</p>")
    table.append_timeline(
        interview_id,
        [TimelineEntry(at=now, event="task_done", detail=claim.follow_up_id, follow_up_id=claim.follow_up_id)],
        expires_at(bundle, now),
    )
    return Page(200, "Marked as done", f"<p>The {about} is marked as done.</p>")


__all__ = ["PAGE_HEADERS", "ApprovalTiming", "Page", "approval_timing", "confirmation_page", "invalid_page", "perform"]
