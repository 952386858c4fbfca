"""What happens to an interview after it is planned: outcomes, a new decision date, stops, deletion, and the
one-click actions of review mode and candidate tasks.

The API side records the change in DynamoDB first (so a stop is effective the moment it is acknowledged: a
cancelled follow-up can no longer be claimed), then tells the planner through the bus; the planner alone touches
schedules.

Every action survives its own retry: each is idempotent (a retry after a failure part-way — the bus down after the
write — redoes what is missing and answers as the first attempt would have), and a DELETE leaves a tombstone that
remembers which schedules to have deleted.

Actions that arrive before the planner has stored the interview (the 202 gap) still win: they are recorded on the
interview's intake (`INTAKE#<id>`, written by the API with its claim) while the interview item does not exist, and
the planner's transaction is conditional on the intake it read — so it stores the interview with the outcome
applied and nothing scheduled, with the new decision date, or (after a DELETE) not at all (`apply_early_actions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.events import EventPublisher
from followup.adapters.records import (
    ClaimState,
    FollowUpRecord,
    Intake,
    InterviewBundle,
    TimelineEntry,
    natural_key,
)
from followup.core import clock
from followup.core.text import CONTROL_CHARS, iso_utc, parse_instant
from followup.domain.events import (
    DecisionDateChanged,
    FollowUpsRescheduled,
    FollowUpsStopped,
    InterviewDeleted,
    InterviewOutcomeRecorded,
)
from followup.domain.kinds import KINDS, FollowUpKind
from followup.domain.models import FollowUpStatus, InterviewRequest, PlannedFollowUp, PlausibleDate

PENDING = frozenset({FollowUpStatus.SCHEDULED, FollowUpStatus.AWAITING_APPROVAL})
RE_PLANNED_KINDS = frozenset(kind for kind, spec in KINDS.items() if spec.replanned_on_decision_change)

Outcome = Literal["offer", "rejected", "withdrawn", "heard_back", "hired"]


class ConcurrentChange(RuntimeError):
    """The interview kept changing under a request (a planner storing it, another action): the client may retry."""


# How long a tombstone outlives the DELETE: past every redelivery of the interview's InterviewSubmitted (24 h).
TOMBSTONE_LIFETIME = timedelta(days=2)


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


def outcome_selects(outcome: str) -> Callable[[str], bool]:
    """Which follow-up kinds an outcome stops: `heard_back` the nudges (the candidate's own reminders stay), any
    other outcome everything."""
    if outcome == "heard_back":
        return lambda kind: FollowUpKind(kind).is_nudge
    return lambda _: True


def outcome_reason(outcome: str) -> str:
    return f"outcome: {outcome}"


def record_outcome(
    table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, request: OutcomeRequest, now: datetime
) -> dict[str, Any]:
    """Record the outcome and stop what it ends: `heard_back` stops the nudges and keeps the candidate's own
    reminders; every other outcome stops everything.

    Idempotent: a retry (after the bus failed, say) finds the follow-ups this outcome already cancelled, counts
    them again, records nothing twice and publishes again, so the planner deletes their schedules."""
    interview_id = bundle.interview["interview_id"]
    selects = outcome_selects(request.outcome)
    reason = outcome_reason(request.outcome)
    stopped = stop_follow_ups(table, bundle, which=lambda r: selects(r.kind), reason=reason, now=now)
    earlier = [
        record.follow_up_id
        for record in bundle.follow_ups
        if record.status == FollowUpStatus.CANCELLED and record.reason == reason and record.follow_up_id not in stopped
    ]
    cancelled = earlier + stopped
    if stopped or bundle.interview.get("outcome") != request.outcome:
        detail = request.outcome + (f" — {len(stopped)} pending follow-ups cancelled" if stopped else "")
        table.update_interview(
            interview_id,
            attributes={"outcome": request.outcome, "outcome_at": now.isoformat(), "status": "closed"}
            | ({"outcome_note": request.note} if request.note else {}),
            timeline=[TimelineEntry(at=now, event="outcome", detail=detail)]
            + [
                TimelineEntry(at=now, event="cancelled", detail=f"{fid} (outcome)", follow_up_id=fid) for fid in stopped
            ],
            expires_at=expires_at(bundle, now),
        )
    publisher.publish(
        InterviewOutcomeRecorded(interview_id=interview_id, outcome=request.outcome, follow_up_ids=cancelled)
    )
    return {"interview_id": interview_id, "outcome": request.outcome, "cancelled": cancelled}


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


def pause(table: FollowUpTable, bundle: InterviewBundle, now: datetime) -> list[str]:
    """Hold every scheduled follow-up: none is sent until `resume` (a schedule that fires meanwhile is refused by
    the sender's claim). Drafts awaiting approval stay as they are. Returns the follow-ups paused now."""
    paused = [
        record.follow_up_id
        for record in bundle.follow_ups
        if record.status == FollowUpStatus.SCHEDULED
        and not record.paused_at
        and table.set_paused(record, paused=True, now=now)
    ]
    if paused:
        entries = [TimelineEntry(at=now, event="paused", detail=", ".join(paused))]
        table.append_timeline(bundle.interview["interview_id"], entries, expires_at(bundle, now))
    return paused


def resume(table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, now: datetime) -> list[str]:
    """Release every paused follow-up and have the planner schedule each again at its time — or, when that time
    passed while paused, at the next good time for its recipient (never in the past)."""
    resumed = [
        record
        for record in bundle.follow_ups
        if record.status == FollowUpStatus.SCHEDULED
        and record.paused_at
        and table.set_paused(record, paused=False, now=now)
    ]
    if resumed:
        interview_id = bundle.interview["interview_id"]
        ids = [record.follow_up_id for record in resumed]
        table.append_timeline(
            interview_id, [TimelineEntry(at=now, event="resumed", detail=", ".join(ids))], expires_at(bundle, now)
        )
        publisher.publish(
            FollowUpsRescheduled(
                interview_id=interview_id,
                follow_ups=[record.planned() for record in resumed],
                reason="resumed after a pause",
            )
        )
    return [record.follow_up_id for record in resumed]


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
    previous = (bundle.interview["document"].get("next_steps") or {}).get("decision_expected_by")
    if previous != change.decision_expected_by.isoformat():  # a retry of this change records nothing twice
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


def delete_interview(
    table: FollowUpTable, publisher: EventPublisher, bundle: InterviewBundle, now: datetime | None = None
) -> None:
    """Remove the interview, its follow-ups and timeline; the planner then deletes every schedule it had.

    A tombstone goes first: a redelivered InterviewSubmitted can no longer store the interview again, and a retry
    after a failure part-way (the bus down after the items went) still has the schedules deleted."""
    interview_id = bundle.interview["interview_id"]
    when = now or clock.now()
    follow_up_ids = [record.follow_up_id for record in bundle.follow_ups]
    key = bundle.interview.get("natural_key") or natural_key(bundle.interview["document"], bundle.owner)
    table.tombstone(
        interview_id,
        follow_up_ids=follow_up_ids,
        natural_key=key,
        now=when,
        expires_at=when + TOMBSTONE_LIFETIME,
    )
    _finish_deletion(table, publisher, interview_id, follow_up_ids, key)


def _finish_deletion(
    table: FollowUpTable, publisher: EventPublisher, interview_id: str, follow_up_ids: Sequence[str], key: str | None
) -> None:
    table.delete_interview(interview_id)
    if key:
        table.release_natural_key(key, interview_id)  # the same interview may be submitted anew
    publisher.publish(InterviewDeleted(interview_id=interview_id, follow_up_ids=list(follow_up_ids)))


def delete_anywhere(
    table: FollowUpTable, publisher: EventPublisher, interview_id: str, now: datetime, *, owner: str | None = None
) -> bool:
    """`DELETE /interviews/{id}` whatever the interview's state: stored (delete it), accepted but not stored yet
    (tombstone its intake: the planner will store nothing), or deleted by an earlier attempt (finish what that one
    left undone). False: no such interview (or, with `owner`, none of that candidate's)."""
    for _ in range(5):
        bundle = table.load_interview(interview_id)
        if bundle is not None:
            if owner is not None and bundle.owner != owner:
                return False
            delete_interview(table, publisher, bundle, now)
            return True
        intake = table.load_intake(interview_id)
        if intake is None or (owner is not None and intake.owner != owner):
            return False
        if intake.deleted:
            _finish_deletion(table, publisher, interview_id, intake.deleted_follow_up_ids, intake.natural_key)
            return True
        if intake.pending and table.record_early_action(
            intake,
            attributes={"state": ClaimState.DELETED, "deleted_at": iso_utc(now)},
            remove=("document", "company", "position", "listed_at"),  # gone from its owner's list too
            expires_at=now + TOMBSTONE_LIFETIME,
        ):
            if intake.natural_key:
                table.release_natural_key(intake.natural_key, interview_id)
            return True
        # Stored, or changed, while we looked: look again.
    raise ConcurrentChange(f"interview {interview_id} kept changing while being deleted")


# -- the 202 gap: actions on an interview the planner has not stored yet --------------------------------------------


def current(table: FollowUpTable, interview_id: str) -> InterviewBundle | Intake | None:
    """The interview as stored, else its intake while it waits for the planner; None when there is neither (or it
    was deleted)."""
    bundle = table.load_interview(interview_id)
    if bundle is not None:
        return bundle
    intake = table.load_intake(interview_id)
    return intake if intake is not None and intake.pending else None


def record_early_outcome(
    table: FollowUpTable, intake: Intake, request: OutcomeRequest, now: datetime
) -> dict[str, Any] | None:
    """An outcome before the planner stored the interview: the planner will store it with the outcome and every
    follow-up it ends cancelled, scheduling none of them. None: the interview was stored meanwhile — redo."""
    selects = outcome_selects(request.outcome)
    attributes: dict[str, Any] = {"outcome": request.outcome, "outcome_at": now.isoformat()}
    if request.note:
        attributes["outcome_note"] = request.note
    if not table.record_early_action(intake, attributes=attributes):
        return None
    cancelled = [follow_up_id for follow_up_id, kind in intake.plan.items() if selects(kind)]
    return {"interview_id": intake.interview_id, "outcome": request.outcome, "cancelled": cancelled}


def change_early_decision_date(
    table: FollowUpTable, intake: Intake, change: DecisionDateChange, now: datetime
) -> dict[str, Any] | None:
    """A new decision date before the planner stored the interview: the planner stores the re-planned check-in
    and final. None: the interview was stored meanwhile — redo."""
    from followup.domain.cadence import plan_check_ins

    if intake.document is None or intake.submitted_at is None:
        return None
    date = change.decision_expected_by.isoformat()
    document = dict(intake.document)
    document["next_steps"] = dict(document.get("next_steps") or {}) | {"decision_expected_by": date}
    request = InterviewRequest.model_validate(document)
    planned = {fid for fid, kind in intake.plan.items() if FollowUpKind(kind) in RE_PLANNED_KINDS}
    new_plan = [
        item
        for item in plan_check_ins(request, parse_instant(intake.submitted_at), not_before=now)
        if item.id in planned
    ]
    if not table.record_early_action(
        intake, attributes={"decision_expected_by": date, "decision_changed_at": iso_utc(now)}
    ):
        return None
    return {
        "interview_id": intake.interview_id,
        "decision_expected_by": date,
        "follow_ups": [
            {"id": item.id, "kind": str(item.kind), "to": item.to, "due_at": iso_utc(item.due_at)} for item in new_plan
        ],
    }


@dataclass(frozen=True)
class EarlyActions:
    """An interview as the planner stores it, once the actions that reached its intake first are applied."""

    document: dict[str, Any]
    follow_ups: list[PlannedFollowUp]
    statuses: dict[str, FollowUpStatus] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)


def apply_early_actions(
    intake: Intake | None,
    document: Mapping[str, Any],
    follow_ups: Sequence[PlannedFollowUp],
    submitted_at: datetime,
) -> EarlyActions:
    """Apply a decision date and an outcome recorded on the intake before the interview was stored."""
    early = EarlyActions(document=dict(document), follow_ups=list(follow_ups))
    if intake is None:
        return early
    if intake.decision_expected_by:
        from followup.domain.cadence import plan_check_ins

        changed_at = parse_instant(intake.decision_changed_at) if intake.decision_changed_at else submitted_at
        changed = dict(document)
        changed["next_steps"] = dict(changed.get("next_steps") or {}) | {
            "decision_expected_by": intake.decision_expected_by
        }
        request = InterviewRequest.model_validate(changed)
        planned = {item.id for item in follow_ups if FollowUpKind(item.kind) in RE_PLANNED_KINDS}
        replanned = {
            item.id: item for item in plan_check_ins(request, submitted_at, not_before=changed_at) if item.id in planned
        }
        early = EarlyActions(
            document=request.to_document(),
            follow_ups=[replanned.get(item.id, item) for item in follow_ups],
            timeline=[
                TimelineEntry(
                    at=changed_at,
                    event="decision_date_changed",
                    detail=f"decision expected by {intake.decision_expected_by}; "
                    f"{len(replanned)} follow-ups re-planned",
                )
            ],
        )
    if intake.outcome:
        at = parse_instant(intake.outcome_at) if intake.outcome_at else submitted_at
        selects = outcome_selects(intake.outcome)
        reason = outcome_reason(intake.outcome)
        stopped = [item.id for item in early.follow_ups if selects(item.kind)]
        detail = intake.outcome + (f" — {len(stopped)} pending follow-ups cancelled" if stopped else "")
        early = EarlyActions(
            document=early.document,
            follow_ups=early.follow_ups,
            statuses={fid: FollowUpStatus.CANCELLED for fid in stopped},
            reasons={fid: reason for fid in stopped},
            attributes={"outcome": intake.outcome, "outcome_at": at.isoformat(), "status": "closed"}
            | ({"outcome_note": intake.outcome_note} if intake.outcome_note else {}),
            timeline=[
                *early.timeline,
                TimelineEntry(at=at, event="outcome", detail=detail),
                *(
                    TimelineEntry(at=at, event="cancelled", detail=f"{fid} (outcome)", follow_up_id=fid)
                    for fid in stopped
                ),
            ],
        )
    return early


def find(bundle: InterviewBundle, follow_up_id: str) -> FollowUpRecord | None:
    return next((r for r in bundle.follow_ups if r.follow_up_id == follow_up_id), None)
