"""Accepting an interview: plan it, publish `InterviewSubmitted`, answer with the plan.

The API stores nothing itself. The event carries the whole validated interview and its plan, and the planner
writes the interview together with its follow-ups in one transaction, so no interview can exist without its plan:
if the API dies before PutEvents, nothing was stored and the client's retry (same Idempotency-Key) starts over;
once PutEvents succeeded, EventBridge retries the planner for 24 h and then parks the event in its DLQ.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from followup.adapters.events import EventPublisher
from followup.core import clock
from followup.core.text import iso_utc
from followup.domain.cadence import plan_follow_ups
from followup.domain.events import InterviewSubmitted
from followup.domain.models import FollowUpStatus, InterviewRequest, Plan, PlannedFollowUp
from followup.messages.intake import input_warnings
from followup.messages.lint import Finding, lint_plan


def new_interview_id(at: datetime) -> str:
    """Time-ordered, unguessable, URL- and schedule-name-safe (22 chars)."""
    return f"{int(at.timestamp() * 1000):012x}{secrets.token_hex(5)}"


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

    def body(self) -> dict[str, Any]:
        return {
            "interview_id": self.interview_id,
            "status": FollowUpStatus.SCHEDULED,
            "follow_ups": [follow_up_summary(item) for item in self.plan.follow_ups],
            "warnings": self.warnings,
        }


def submit_interview(request: InterviewRequest, publisher: EventPublisher) -> SubmissionResult:
    """Plan the interview and hand it to the planner through the bus."""
    submitted_at = clock.now()
    plan = plan_follow_ups(request, submitted_at)
    interview_id = new_interview_id(submitted_at)
    publisher.publish(
        InterviewSubmitted(
            interview_id=interview_id,
            submitted_at=submitted_at,
            interview=request.to_document(),
            follow_ups=list(plan.follow_ups),
            skipped=list(plan.skipped),
        )
    )
    return SubmissionResult(
        interview_id=interview_id,
        plan=plan,
        warnings=input_warnings(request)
        + plan_warnings(request, plan, submitted_at)
        + lint_warnings(lint_plan(request, plan)),
    )


def lint_warnings(findings: dict[str, list[Finding]]) -> list[str]:
    """The message linter's findings as lines for the 202 body; a hard one means the message will be held."""
    lines = []
    for follow_up_id, items in findings.items():
        for finding in items:
            held = " (this message will be held, not sent, unless fixed)" if finding.severity == "hard" else ""
            lines.append(f"{follow_up_id}: {finding.rule}: {finding.message}{held}")
    return lines
