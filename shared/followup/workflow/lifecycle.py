"""What happens to an interview after it is planned: outcomes, a new decision date, stops, deletion, and the
one-click actions of review mode and candidate tasks.

The API side records the change in DynamoDB first (so a stop is effective the moment it is acknowledged: a
cancelled follow-up can no longer be claimed), then tells the planner through the bus; the planner alone touches
schedules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.events import EventPublisher
from followup.adapters.records import FollowUpRecord, InterviewBundle, TimelineEntry
from followup.core.text import CONTROL_CHARS, iso_utc, parse_instant
from followup.domain.events import DecisionDateChanged, FollowUpsStopped, InterviewDeleted, InterviewOutcomeRecorded
from followup.domain.kinds import KINDS, FollowUpKind
from followup.domain.models import FollowUpStatus, InterviewRequest, PlausibleDate

PENDING = frozenset({FollowUpStatus.SCHEDULED, FollowUpStatus.AWAITING_APPROVAL})
RE_PLANNED_KINDS = frozenset(kind for kind, spec in KINDS.items() if spec.replanned_on_decision_change)

Outcome = Literal["offer", "rejected", "withdrawn", "heard_back", "hired"]


class OutcomeRequest(BaseModel):
    """Body of `POST /interviews/{id}/outcome`."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    note: Annotated[str, StringConstraints(max_length=1000, strip_whitespace=True)] | None = None

    @field_validator("note")
    @classmethod
    def _no_control_characters(cls, note: str | None) -> str | None:
        if note and CONTROL_CHARS.search(note):
            raise ValueError("must not contain control characters")
        return note


class DecisionDateChange(BaseModel):
    """Body of `PATCH /interviews/{id}`."""

    model_config = ConfigDict(extra="forbid")

    decision_expected_by: PlausibleDate


def is_nudge(record: FollowUpRecord) -> bool:
    return FollowUpKind(record.kind).is_nudge


def pending(records: Iterable[FollowUpRecord], which: Callable[[FollowUpRecord], bool]) -> list[FollowUpRecord]:
    return [record for record in records if record.status in PENDING and which(record)]


def expires_at(bundle: InterviewBundle, now: datetime) -> datetime:
    raw = bundle.interview.get("expires_at")
    return datetime.fromtimestamp(int(raw), tz=now.tzinfo) if raw is not None else now + timedelta(days=180)


def stop_follow_ups(
    table: FollowUpTable,
    bundle: InterviewBundle,
    *,
    which: Callable[[FollowUpRecord], bool],
    reason: str,
    now: datetime,
    status: FollowUpStatus = FollowUpStatus.CANCELLED,
) -> list[str]:
    """Stop every pending follow-up `which` selects; returns the ids actually stopped (a send already claimed
    completes and is not among them)."""
    stopped = [
        record.follow_up_id
        for record in pending(bundle.follow_ups, which)
        if table.cancel_follow_up(
            bundle.interview["interview_id"], record.follow_up_id, reason=reason, now=now, status=status
        )
    ]
    return stopped


def record_outcome(
    table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, request: OutcomeRequest, now: datetime
) -> dict[str, Any]:
    """Record the outcome and stop what it ends: `heard_back` stops the nudges and keeps the candidate's own
    reminders; every other outcome stops everything."""
    interview_id = bundle.interview["interview_id"]
    which: Callable[[FollowUpRecord], bool] = is_nudge if request.outcome == "heard_back" else (lambda _: True)
    stopped = stop_follow_ups(table, bundle, which=which, reason=f"outcome: {request.outcome}", now=now)
    detail = request.outcome + (f" — {len(stopped)} pending follow-ups cancelled" if stopped else "")
    table.update_interview(
        interview_id,
        attributes={"outcome": request.outcome, "outcome_at": now.isoformat(), "status": "closed"}
        | ({"outcome_note": request.note} if request.note else {}),
        timeline=[TimelineEntry(at=now, event="outcome", detail=detail)]
        + [TimelineEntry(at=now, event="cancelled", detail=f"{fid} (outcome)", follow_up_id=fid) for fid in stopped],
        expires_at=expires_at(bundle, now),
    )
    publisher.publish(
        InterviewOutcomeRecorded(interview_id=interview_id, outcome=request.outcome, follow_up_ids=stopped)
    )
    return {"interview_id": interview_id, "outcome": request.outcome, "cancelled": stopped}


def stop_everything(
    table: FollowUpTable,
    publisher: EventPublisher,
    bundle: InterviewBundle,
    *,
    which: Callable[[FollowUpRecord], bool],
    reason: str,
    event: str,
    now: datetime,
    status: FollowUpStatus = FollowUpStatus.CANCELLED,
) -> list[str]:
    """Stop the selected pending follow-ups, note it on the timeline, and have the planner delete their schedules."""
    interview_id = bundle.interview["interview_id"]
    stopped = stop_follow_ups(table, bundle, which=which, reason=reason, now=now, status=status)
    entries = [TimelineEntry(at=now, event=event, detail=reason)]
    entries += [
        TimelineEntry(at=now, event=str(status), detail=f"{fid}: {reason}", follow_up_id=fid) for fid in stopped
    ]
    table.append_timeline(interview_id, entries, expires_at(bundle, now))
    if stopped:
        publisher.publish(FollowUpsStopped(interview_id=interview_id, follow_up_ids=stopped))
    return stopped


def change_decision_date(
    table: FollowUpTable,
    publisher: EventPublisher,
    bundle: InterviewBundle,
    change: DecisionDateChange,
    now: datetime,
) -> dict[str, Any]:
    """Store the new decision date and hand the re-planned check-in/final to the planner."""
    from followup.domain.cadence import plan_check_ins

    interview_id = bundle.interview["interview_id"]
    document = dict(bundle.interview["document"])
    document["next_steps"] = dict(document.get("next_steps") or {}) | {
        "decision_expected_by": change.decision_expected_by.isoformat()
    }
    request = InterviewRequest.model_validate(document)
    submitted_at = parse_instant(str(bundle.interview["submitted_at"]))
    still_pending = {
        record.follow_up_id for record in pending(bundle.follow_ups, lambda r: FollowUpKind(r.kind) in RE_PLANNED_KINDS)
    }
    new_plan = [item for item in plan_check_ins(request, submitted_at, not_before=now) if item.id in still_pending]
    table.update_interview(
        interview_id,
        attributes={"document": request.to_document()},
        timeline=[
            TimelineEntry(
                at=now,
                event="decision_date_changed",
                detail=f"decision expected by {change.decision_expected_by.isoformat()}; "
                f"{len(new_plan)} follow-ups re-planned",
            )
        ],
        expires_at=expires_at(bundle, now),
    )
    publisher.publish(
        DecisionDateChanged(interview_id=interview_id, interview=request.to_document(), follow_ups=list(new_plan))
    )
    return {
        "interview_id": interview_id,
        "decision_expected_by": change.decision_expected_by.isoformat(),
        "follow_ups": [
            {"id": item.id, "kind": str(item.kind), "to": item.to, "due_at": iso_utc(item.due_at)} for item in new_plan
        ],
    }


def delete_interview(table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle) -> None:
    """Remove the interview, its follow-ups and timeline; the planner then deletes every schedule it had."""
    interview_id = bundle.interview["interview_id"]
    table.delete_interview(interview_id)
    publisher.publish(
        InterviewDeleted(interview_id=interview_id, follow_up_ids=[record.follow_up_id for record in bundle.follow_ups])
    )


def find(bundle: InterviewBundle, follow_up_id: str) -> FollowUpRecord | None:
    return next((r for r in bundle.follow_ups if r.follow_up_id == follow_up_id), None)
