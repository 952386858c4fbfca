"""One-click links (`GET/POST /a/{token}`): GET shows what the link would do and changes nothing (mail scanners
prefetch links); POST does it, once — and survives its own retry (`perform`).

Every page names the interview (position and company), the message's recipient, and shows the message the action
concerns (the draft to approve or skip, the task to mark done) or the follow-ups it stops; states are in words
(`api.wording`). A link already used says so when opened, with what was done and when (`used_page`).

Approving a draft (review mode): it goes at the next slot inside the recipient's send window on one of their working
days (now when inside it; the next working morning when approved at night), and both pages say when. When that would
be too late to be useful (a thank-you after the stated decision date, a nudge after the next one to the same
person), the confirmation page says so and asks before anything is sent.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.events import EventPublisher
from followup.adapters.records import FollowUpRecord, InterviewBundle, LinkUse, TimelineEntry
from followup.api.wording import kind_words, local_time, status_words
from followup.core import clock
from followup.core.links import ACTION_LABELS, InvalidLink, LinkAction, LinkClaim
from followup.core.text import iso_utc, parse_instant
from followup.domain.events import FollowUpApproved, FollowUpsStopped
from followup.domain.kinds import FollowUpKind, spec
from followup.domain.models import FollowUpStatus, InterviewRequest
from followup.domain.send_slots import ASAP_LEAD, approval_concern, next_send_slot
from followup.domain.timing_words import when_words
from followup.workflow.lifecycle import (
    PENDING,
    OutcomeRequest,
    expires_at,
    find,
    is_nudge,
    record_outcome,
    stop_follow_ups,
)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    # A page whose button acts must never sit in another site's frame (clickjacking); it runs no script.
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
}

_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;color:#1f2328;margin:0}"
    "main{max-width:40rem;margin:0 auto;padding:2rem 1rem 3rem}h1{font-size:1.5rem;margin:0 0 1rem}"
    "h2{font-size:1.1rem;margin:1.5rem 0 .5rem}"
    "button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #345;background:#234;"
    "color:#fff;cursor:pointer}button:focus{outline:3px solid #80b3ff;outline-offset:2px}"
    "dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem 1rem;margin:1rem 0}"
    "dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}li{overflow-wrap:anywhere}"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.75rem;border-radius:4px;"
    "font:.95rem/1.45 ui-monospace,Menlo,Consolas,monospace}small,.muted{color:#57606a}"
    ".concern{border-left:4px solid #b42318;padding-left:.75rem}"
)


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    body_html: str

    def render(self) -> str:
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(self.title)} · Interview follow-ups</title>"
            f"<style>{_STYLE}</style></head>"
            f"<body><main><h1>{html.escape(self.title)}</h1>{self.body_html}</main></body></html>"
        )


def unavailable_page(token: str) -> Page:
    """A dependency failed part-way: nothing is lost, pressing again completes the action."""
    return Page(
        503,
        "Please try again",
        "<p>Something went wrong on our side and the action may not be complete. Nothing is lost: press the "
        "button again in a moment to finish it.</p>"
        f'<form method="post" action="/a/{html.escape(token)}"><button type="submit">Try again</button></form>',
    )


def invalid_page(error: InvalidLink) -> Page:
    return Page(403, "This link cannot be used", f"<p>{html.escape(str(error))}.</p>")


# -- what a page says about the interview, the message and its recipient -------------------------------------------


def _request(bundle: InterviewBundle, record: FollowUpRecord | None = None) -> InterviewRequest:
    return InterviewRequest.model_validate((record.document if record else None) or bundle.interview["document"])


def _company(bundle: InterviewBundle) -> str:
    return str(bundle.interview["document"].get("company", {}).get("name", "the company"))


def _describe(bundle: InterviewBundle, claim: LinkClaim) -> str:
    """`thank-you to Grace Hopper at Analytical Engines Ltd`: the message a link is about, in a sentence."""
    record = find(bundle, claim.follow_up_id)
    if record is None:
        return f"follow-up for {_company(bundle)}"
    if not FollowUpKind(record.kind).is_nudge:  # a task for the candidate
        return f"{kind_words(record.kind)} (interview at {_company(bundle)})"
    to = f" to {record.to_name}" if record.to_name else f" to {record.to}"
    return f"{kind_words(record.kind)}{to} at {_company(bundle)}"


def _about(bundle: InterviewBundle, record: FollowUpRecord | None, *, state: bool = True) -> str:
    """The interview, and the message: what it is, to whom, and (`state`) its state now — not on a result page,
    whose bundle was read before the action."""
    document = bundle.interview["document"]
    rows = [("Interview", f"{document.get('position', {}).get('title', '')} at {_company(bundle)}")]
    if record is not None:
        rows += [
            ("Message", spec(record.kind).label),
            ("To", f"{record.to_name} <{record.to}>" if record.to_name else record.to),
        ]
        if state:
            rows.append(("Status now", status_words(record.status, record.reason)))
    return "<dl>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows) + "</dl>"


def _message(bundle: InterviewBundle, record: FollowUpRecord | None) -> str:
    """The message the action concerns, as it reads: the candidate's own wording when they changed it in the
    control panel, else the built-in one (without its action links)."""
    if record is None:
        return ""
    from followup.api.services import services
    from followup.api.views import message_as_it_goes

    try:
        message = message_as_it_goes(_request(bundle, record), record, services().templates)
    except Exception:  # an interview stored by an older version that no longer renders: the page works without it
        return ""
    return (
        '<section aria-labelledby="message-title"><h2 id="message-title">The message</h2>'
        f"<p><strong>Subject:</strong> {html.escape(message.subject)}</p>"
        f"<pre>{html.escape(message.text.rstrip())}</pre></section>"
    )


def _follow_up_list(bundle: InterviewBundle, records: list[FollowUpRecord], *, due: bool) -> str:
    """One line per follow-up: what, to whom, and (`due`) when it would have gone, in the candidate's time."""
    zone = _request(bundle).candidate_timezone()
    lines = []
    for record in records:
        line = f"{spec(record.kind).label} to {record.to_name or record.to}"
        if due:
            line += f", due {local_time(parse_instant(record.due_at), zone)}"
        else:
            line += f" — {status_words(record.status, record.reason)}"
        lines.append(f"<li>{html.escape(line)}</li>")
    return "<ul>" + "".join(lines) + "</ul>"


def _stopped_list(bundle: InterviewBundle, follow_up_ids: list[str], reason: str) -> str:
    """The follow-ups an action stopped, each with its new state in words."""
    stopped = [
        replace(record, status=str(FollowUpStatus.CANCELLED), reason=reason)
        for record in bundle.follow_ups
        if record.follow_up_id in follow_up_ids
    ]
    return _follow_up_list(bundle, stopped, due=False) if stopped else ""


def _pending(bundle: InterviewBundle, *, nudges_only: bool = False) -> list[FollowUpRecord]:
    return [r for r in bundle.follow_ups if r.status in PENDING and (is_nudge(r) or not nudges_only)]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


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
    bundle: InterviewBundle | None,
    claim: LinkClaim,
    token: str,
    now: datetime | None = None,
    used: LinkUse | None = None,
) -> Page:
    """What GET shows: the interview, the message and its recipient, what the action would do, and a button that
    POSTs it. Nothing changes. An approval says when the message would go, and asks when that would be too late to
    be useful; a link already `used` says what was done and when, and has no button."""
    if bundle is None:
        return Page(404, "Nothing to do", "<p>This interview no longer exists.</p>")
    if used is not None:
        return used_page(bundle, used)
    label = ACTION_LABELS[claim.action]
    about = html.escape(_describe(bundle, claim))
    record = find(bundle, claim.follow_up_id)
    details = ""
    if claim.action == LinkAction.APPROVE and record is not None and record.status == FollowUpStatus.AWAITING_APPROVAL:
        timing = approval_timing(record, bundle, now or clock.now())
        details = f"<p>Approved now, it goes {html.escape(timing.words)}.</p>"
        if timing.concern:
            label = "Send it anyway"
            details += (
                f'<p class="concern"><strong>It may be too late to be useful.</strong> {html.escape(timing.concern)}'
                " Send it anyway, or skip it with the skip link in the same email.</p>"
            )
    if claim.action in (LinkAction.STOP, LinkAction.HEARD_BACK):
        nudges_only = claim.action == LinkAction.HEARD_BACK
        stopping = _pending(bundle, nudges_only=nudges_only)
        what = "These follow-ups stop" if not nudges_only else "These nudges stop (your own reminders stay)"
        details += (
            f"<p>{what}:</p>{_follow_up_list(bundle, stopping, due=True)}"
            if stopping
            else "<p>Nothing is pending any more: no follow-up would stop.</p>"
        )
        body = f"<p>This concerns your interview for {html.escape(_company(bundle))}.</p>{_about(bundle, None)}"
    else:
        body = f"<p>This concerns your {about}.</p>{_about(bundle, record)}"
    return Page(
        200,
        label,
        f"{body}{details}"
        + (_message(bundle, record) if claim.action in _SHOWS_MESSAGE else "")
        + f'<form method="post" action="/a/{html.escape(token)}"><button type="submit">{html.escape(label)}</button>'
        "</form><p><small>Nothing happens until you press the button.</small></p>",
    )


# The actions about one message, whose page shows it.
_SHOWS_MESSAGE = frozenset({LinkAction.APPROVE, LinkAction.SKIP, LinkAction.DONE})


def _when(bundle: InterviewBundle, at: str) -> str:
    """A recorded instant in the candidate's time zone, as a person reads it."""
    try:
        return local_time(parse_instant(at), _request(bundle).candidate_timezone())
    except ValueError:
        return at.replace("T", " ").replace("Z", " UTC")


def used_page(bundle: InterviewBundle, use: LinkUse) -> Page:
    """What GET shows for a link already used: that it was, when, and the page its use answered — no button."""
    return Page(
        200,
        "This link was already used",
        f"<p>It was used on {html.escape(_when(bundle, use.at))}: <strong>{html.escape(use.title)}</strong>. "
        "Opening it again changes nothing.</p>" + (use.body_html or ""),
    )


SKIP_REASON = "skipped by the candidate"
STOP_REASON = "stopped by the candidate"


def _done_before(bundle: InterviewBundle, event: str, follow_up_id: str | None = None) -> bool:
    return any(
        entry["event"] == event and (follow_up_id is None or entry.get("follow_up_id") == follow_up_id)
        for entry in bundle.timeline
    )


def repeat_page(use: LinkUse, bundle: InterviewBundle | None = None) -> Page:
    """What pressing the button again shows: the page of the first press, and when that was (in the candidate's
    time zone when the interview is at hand)."""
    when = html.escape(_when(bundle, use.at) if bundle is not None else use.at.replace("T", " ").replace("Z", " UTC"))
    return Page(
        200,
        use.title or "Already done",
        (use.body_html or "<p>This action has already been taken.</p>")
        + f"<p><small>Done on {when}; pressing again changes nothing.</small></p>",
    )


def perform(
    table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, claim: LinkClaim, now: datetime
) -> Page:
    """Do what the link says, once, and survive its own retry.

    Every action is idempotent (it recognises its own earlier, partial attempt: an approval already written, a
    follow-up already cancelled for this reason, a timeline entry already there) and redoes what is missing, the
    bus event last. The link is marked used only after all of it, with the page it answered: a retry after a failure
    part-way completes the action, and a repeat (double click, or pressing again later) gets that same page — never
    "already used" for one's own click."""
    interview_id = bundle.interview["interview_id"]
    earlier = table.link_use(interview_id, claim.use_key)
    if earlier is not None:
        return repeat_page(earlier, bundle)
    page, acted = _act(table, publisher, bundle, claim, now)
    if not acted:
        return page
    use = table.record_link_use(
        interview_id,
        claim.use_key,
        title=page.title,
        body_html=page.body_html,
        now=now,
        expires_at=expires_at(bundle, now),
    )
    # Two presses at once both did the (idempotent) work; both answer with the first one's page.
    return page if (use.title, use.body_html) == (page.title, page.body_html) else repeat_page(use, bundle)


def _act(
    table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, claim: LinkClaim, now: datetime
) -> tuple[Page, bool]:
    interview_id = bundle.interview["interview_id"]
    record = find(bundle, claim.follow_up_id)
    about = html.escape(_describe(bundle, claim))
    keep_until = expires_at(bundle, now)
    if claim.action == LinkAction.APPROVE:
        status = _approval(table, interview_id, record, now)
        if status is None or record is None:
            return (
                Page(
                    200,
                    "Nothing to approve",
                    f"<p>Your {about} is no longer waiting for approval.</p>{_about(bundle, record)}",
                ),
                False,
            )
        timing = approval_timing(record, bundle, now)
        if not _done_before(bundle, "approved", claim.follow_up_id):
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
                keep_until,
            )
        if status == FollowUpStatus.SCHEDULED:  # not sent yet: have its send scheduled (again, if need be)
            publisher.publish(
                FollowUpApproved(interview_id=interview_id, follow_up_id=claim.follow_up_id, due_at=timing.goes_at)
            )
        return (
            Page(
                200,
                "Approved",
                f"<p>Your {about} will be sent {html.escape(timing.words)}.</p>"
                + _about(bundle, record, state=False)
                + _message(bundle, record),
            ),
            True,
        )
    if claim.action == LinkAction.SKIP:
        skipped = record is not None and (
            (
                record.status in PENDING
                and table.cancel_follow_up(interview_id, record.follow_up_id, reason=SKIP_REASON, now=now)
            )
            or (record.status == FollowUpStatus.CANCELLED and record.reason == SKIP_REASON)
        )
        if not skipped:
            return (
                Page(200, "Nothing to skip", f"<p>Your {about} is no longer pending.</p>{_about(bundle, record)}"),
                False,
            )
        if not _done_before(bundle, "skipped", claim.follow_up_id):
            table.append_timeline(
                interview_id,
                [TimelineEntry(at=now, event="skipped", detail=claim.follow_up_id, follow_up_id=claim.follow_up_id)],
                keep_until,
            )
        publisher.publish(FollowUpsStopped(interview_id=interview_id, follow_up_ids=[claim.follow_up_id]))
        return (
            Page(
                200,
                "Skipped",
                f"<p>Your {about} will not be sent.</p>"
                + _about(bundle, record, state=False)
                + _message(bundle, record),
            ),
            True,
        )
    company = html.escape(_company(bundle))
    if claim.action == LinkAction.STOP:
        stopped = _stop_all(table, publisher, bundle, now)
        return (
            Page(
                200,
                "Stopped",
                f"<p>{_count(len(stopped), 'pending follow-up was', 'pending follow-ups were')} cancelled for your "
                f"interview at {company}. Nothing more will go out.</p>" + _stopped_list(bundle, stopped, STOP_REASON),
            ),
            True,
        )
    if claim.action == LinkAction.HEARD_BACK:
        result = record_outcome(table, publisher, bundle, OutcomeRequest(outcome="heard_back"), now)
        cancelled = list(result["cancelled"])
        return (
            Page(
                200,
                "Noted",
                f"<p>Good news. {_count(len(cancelled), 'pending nudge was', 'pending nudges were')} cancelled: "
                f"nothing more goes to {company} about this interview; your own reminders stay.</p>"
                + _stopped_list(bundle, cancelled, "outcome: heard_back"),
            ),
            True,
        )
    if not _done_before(bundle, "task_done", claim.follow_up_id):
        table.append_timeline(
            interview_id,
            [TimelineEntry(at=now, event="task_done", detail=claim.follow_up_id, follow_up_id=claim.follow_up_id)],
            keep_until,
        )
    return Page(
        200, "Marked as done", f"<p>Your {about} is marked as done.</p>{_about(bundle, record, state=False)}"
    ), True


def _approval(table: FollowUpTable, interview_id: str, record: FollowUpRecord | None, now: datetime) -> str | None:
    """The follow-up's status once approved — by this press or an earlier, interrupted one of the same link; None
    when there is nothing to approve (cancelled, expired, never a draft)."""
    if record is None:
        return None
    if record.status == FollowUpStatus.AWAITING_APPROVAL:
        if table.approve(interview_id, record.follow_up_id, now=now):
            return FollowUpStatus.SCHEDULED
        bundle = table.load_interview(interview_id)  # changed while we looked: see what it became
        record = find(bundle, record.follow_up_id) if bundle else None
    if record is not None and record.approved and record.status in APPROVED_STATES:
        return record.status
    return None


APPROVED_STATES = frozenset({FollowUpStatus.SCHEDULED, FollowUpStatus.SENDING, FollowUpStatus.SENT})


def _stop_all(table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, now: datetime) -> list[str]:
    """Stop every pending follow-up; with the ones an earlier attempt of this link stopped, have their schedules
    deleted (again: deleting a gone schedule is a no-op)."""
    interview_id = bundle.interview["interview_id"]
    stopped = stop_follow_ups(table, bundle, which=lambda _: True, reason=STOP_REASON, now=now)
    earlier = [
        record.follow_up_id
        for record in bundle.follow_ups
        if record.status == FollowUpStatus.CANCELLED and record.reason == STOP_REASON
    ]
    if stopped or not _done_before(bundle, "stopped"):
        entries = [TimelineEntry(at=now, event="stopped", detail=STOP_REASON)]
        entries += [
            TimelineEntry(at=now, event=str(FollowUpStatus.CANCELLED), detail=f"{fid}: {STOP_REASON}", follow_up_id=fid)
            for fid in stopped
        ]
        table.append_timeline(interview_id, entries, expires_at(bundle, now))
    every = earlier + [fid for fid in stopped if fid not in earlier]
    if every:
        publisher.publish(FollowUpsStopped(interview_id=interview_id, follow_up_ids=every))
    return every


__all__ = [
    "PAGE_HEADERS",
    "ApprovalTiming",
    "Page",
    "approval_timing",
    "confirmation_page",
    "invalid_page",
    "perform",
    "repeat_page",
    "unavailable_page",
]
