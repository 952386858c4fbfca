"""Accepting an interview: claim its natural key, plan it, publish `InterviewSubmitted`, answer with the plan.

The API does not store the interview: the event carries the whole validated interview and its plan, and the
planner writes the interview together with its follow-ups in one transaction, so no interview can exist without its
plan. Once PutEvents succeeded, EventBridge retries the planner for 24 h and then parks the event in its DLQ.

One interview, however often it arrives (any channel: API, webhook, form, CLI): the same candidate email, company
name, position title and `interview.ended_at` instant is one interview. Before publishing, the API claims that
natural key with one conditional write (`NK#<hash>` → the interview id it chose, `pending`, with the interview's
intake); the planner's transaction turns the claim `stored` and refuses a second interview for the key.
- A resubmission finds the claim and answers with the existing `interview_id` (`"duplicate": true`): from the
  stored follow-ups once the planner has stored it; before that it publishes the same InterviewSubmitted again
  (same id; the planner's store is idempotent), so a crash between the claim and PutEvents never loses the
  interview — the retried request produces it.
- A PutEvents that fails answers 503 and gives the claim back, so the retry starts over (and a rejected or failed
  request leaves nothing).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from followup.adapters.events import EventPublisher
from followup.adapters.records import ClaimState, KeyClaim, natural_key
from followup.core import clock
from followup.core.text import iso_utc, parse_instant
from followup.domain.cadence import plan_follow_ups
from followup.domain.candidates import DEFAULT_CANDIDATE, interview_id_for
from followup.domain.events import InterviewSubmitted
from followup.domain.models import FollowUpStatus, InterviewRequest, Plan, PlannedFollowUp
from followup.messages.intake import input_warnings
from followup.messages.lint import Finding, lint_plan
from followup.messages.render import render_follow_up
from followup.workflow.lifecycle import ConcurrentChange

if TYPE_CHECKING:
    from followup.adapters.dynamodb import FollowUpTable
    from followup.messages.render import TemplateSet

# A claim the planner has not stored yet lives this long (EventBridge retries the planner for 24 h); the planner's
# store extends it to the interview's own retention.
CLAIM_LIFETIME = timedelta(days=2)
# A pending claim re-published within this time keeps its plan (every duplicate answers the same); an older one was
# abandoned mid-way (a crash, no retry): it is planned afresh from now, never with times already past.
REPLAN_AFTER = timedelta(minutes=10)
DUPLICATE_WARNING = (
    "this interview was already submitted (same candidate, company, position and end time): "
    "this is the existing interview, nothing new was planned"
)


def new_interview_id(at: datetime, owner: str = DEFAULT_CANDIDATE) -> str:
    """Time-ordered, unguessable, URL- and schedule-name-safe, and naming its candidate (`interview_id_for`)."""
    return interview_id_for(owner, f"{int(at.timestamp() * 1000):012x}{secrets.token_hex(5)}")


def follow_up_summary(follow_up: PlannedFollowUp) -> dict[str, Any]:
    return {"id": follow_up.id, "kind": str(follow_up.kind), "to": follow_up.to, "due_at": iso_utc(follow_up.due_at)}


def plan_warnings(request: InterviewRequest, plan: Plan, submitted_at: datetime) -> list[str]:
    """What the candidate should know about the plan before anything goes out, in plain words: each step skipped
    and why, and each follow-up that goes later than one would guess and why ("thank_you-0: goes Monday morning
    (23 Nov, 09:00 their time): the interview ended too late for Friday's send window")."""
    warnings = [f"{step.kind}: skipped — {step.reason}" for step in plan.skipped]
    warnings += [f"{follow_up.id}: {follow_up.reason}" for follow_up in plan.follow_ups if follow_up.reason]
    if request.next_steps.decision_expected_by and request.next_steps.decision_expected_by < submitted_at.date():
        warnings.append("next_steps.decision_expected_by is in the past: the check-in is planned from today")
    return warnings


@dataclass(frozen=True)
class SubmissionResult:
    interview_id: str
    plan: Plan
    warnings: list[str]
    duplicate: bool = False

    def body(self) -> dict[str, Any]:
        return {
            "interview_id": self.interview_id,
            "status": FollowUpStatus.SCHEDULED,
            "follow_ups": [follow_up_summary(item) for item in self.plan.follow_ups],
            "warnings": self.warnings,
            "duplicate": self.duplicate,
        }


def _publish(
    publisher: EventPublisher,
    interview_id: str,
    submitted_at: datetime,
    document: dict[str, Any],
    plan: Plan,
    owner: str,
) -> None:
    publisher.publish(
        InterviewSubmitted(
            interview_id=interview_id,
            candidate_id=owner,
            submitted_at=submitted_at,
            interview=document,
            follow_ups=list(plan.follow_ups),
            skipped=list(plan.skipped),
        )
    )


def submit_interview(
    request: InterviewRequest,
    publisher: EventPublisher,
    table: FollowUpTable | None = None,
    *,
    owner: str = DEFAULT_CANDIDATE,
    charge: Callable[[Plan, datetime], None] | None = None,
    templates: TemplateSet | None = None,
) -> SubmissionResult:
    """Plan the interview and hand it to the planner through the bus, once per natural key (with `table`; without
    it, every call is a new interview — the path of tools that bypass the API), as `owner`'s interview."""
    submitted_at = clock.now()
    document = request.to_document()
    plan = plan_follow_ups(request, submitted_at)
    interview_id = new_interview_id(submitted_at, owner)
    if table is None:
        _publish(publisher, interview_id, submitted_at, document, plan, owner)
        return _result(request, interview_id, plan, submitted_at, templates=templates)
    key = natural_key(document, owner)
    for _ in range(3):
        claim = table.claim_natural_key(
            natural_key=key,
            interview_id=interview_id,
            submitted_at=submitted_at,
            document=document,
            plan={item.id: str(item.kind) for item in plan.follow_ups},
            now=submitted_at,
            expires_at=submitted_at + CLAIM_LIFETIME,
            owner=owner,
        )
        if claim.claimed:
            try:
                if charge is not None:  # only a new interview counts against the candidate's day
                    charge(plan, submitted_at)
                _publish(publisher, interview_id, submitted_at, document, plan, owner)
            except Exception:
                with contextlib.suppress(ClientError, BotoCoreError):
                    table.abandon_claim(key, interview_id)
                raise
            return _result(request, interview_id, plan, submitted_at, templates=templates)
        existing = _existing(claim, publisher, table, submitted_at, templates)
        if existing is not None:
            return existing
        # The key points at an interview that is gone (deleted, or a claim abandoned half-way): free it, claim again.
        table.release_natural_key(key, claim.interview_id)
    raise ConcurrentChange("the natural key stayed held by an interview that does not exist")


def _result(
    request: InterviewRequest,
    interview_id: str,
    plan: Plan,
    submitted_at: datetime,
    *,
    duplicate: bool = False,
    templates: TemplateSet | None = None,
) -> SubmissionResult:
    warnings = [DUPLICATE_WARNING] if duplicate else []
    warnings += input_warnings(request) + plan_warnings(request, plan, submitted_at)
    warnings += lint_warnings(lint_plan(request, plan, render=partial(render_follow_up, templates=templates)))
    return SubmissionResult(interview_id=interview_id, plan=plan, warnings=warnings, duplicate=duplicate)


def _existing(
    claim: KeyClaim,
    publisher: EventPublisher,
    table: FollowUpTable,
    now: datetime,
    templates: TemplateSet | None = None,
) -> SubmissionResult | None:
    """The answer for a resubmission: the interview that holds the key, or None when it no longer exists."""
    interview_id = claim.interview_id
    bundle = table.load_interview(interview_id)
    if bundle is not None:
        request = InterviewRequest.model_validate(bundle.interview["document"])
        plan = Plan(follow_ups=[record.planned() for record in bundle.follow_ups])
        submitted_at = parse_instant(str(bundle.interview["submitted_at"]))
        return _result(request, interview_id, plan, submitted_at, duplicate=True, templates=templates)
    if claim.state != ClaimState.PENDING:
        return None
    intake = table.load_intake(interview_id)
    if intake is None or intake.deleted or intake.document is None:
        return None
    if not intake.pending:  # stored meanwhile, by the planner that was on its way
        stored = table.load_interview(interview_id)
        return None if stored is None else _existing(claim, publisher, table, now, templates)
    # Not stored yet: publish it again under its own id (the first request may have died before PutEvents).
    submitted_at = parse_instant(claim.submitted_at)
    if now - submitted_at > REPLAN_AFTER:
        submitted_at = now
    request = InterviewRequest.model_validate(intake.document)
    plan = plan_follow_ups(request, submitted_at)
    _publish(publisher, interview_id, submitted_at, intake.document, plan, intake.owner)
    return _result(request, interview_id, plan, submitted_at, duplicate=True, templates=templates)


def lint_warnings(findings: dict[str, list[Finding]]) -> list[str]:
    """The message linter's findings as lines for the 202 body; a hard one means the message will be held."""
    lines = []
    for follow_up_id, items in findings.items():
        for finding in items:
            held = " (this message will be held, not sent, unless fixed)" if finding.severity == "hard" else ""
            lines.append(f"{follow_up_id}: {finding.rule}: {finding.message}{held}")
    return lines
