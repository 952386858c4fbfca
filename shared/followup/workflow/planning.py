"""The planner: it alone writes follow-up plans and owns their schedules.

No schedule is ever written for a time already past. When the planner runs late (EventBridge retries, a backlog, an
approval read after a delay), a due time that has passed becomes "as soon as possible": the first minute from now
that is inside the recipient's send window on one of their working days (`followup.domain.send_slots`), which is a
minute from now whenever now is inside it. The stored follow-up moves with it, and the timeline says so
(`planned_late`). An approved draft goes at the next such slot (now when inside the window, the next working morning
when approved at night).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.records import InterviewBundle, StoreOutcome, TimelineEntry, natural_key
from followup.adapters.scheduler import FollowUpScheduler, schedule_name
from followup.core import clock
from followup.core.text import iso_utc
from followup.domain.events import (
    EXPIRE_REVIEW,
    DecisionDateChanged,
    FollowUpApproved,
    FollowUpsRescheduled,
    InterviewSubmitted,
    SchedulePayload,
)
from followup.domain.kinds import FollowUpKind
from followup.domain.models import FollowUpStatus, InterviewRequest, PlannedFollowUp
from followup.domain.send_slots import ASAP_LEAD, is_in_window, next_send_slot
from followup.workflow.lifecycle import EarlyActions, apply_early_actions

logger = Logger(child=True)

HOLD_SUFFIX = "-hold"


def retention_deadline(follow_ups: list[PlannedFollowUp], submitted_at: datetime, retention_days: int) -> datetime:
    """DynamoDB TTL: the interview is kept `retention_days` after its last planned follow-up."""
    last = max([item.due_at for item in follow_ups] + [submitted_at])
    return last + timedelta(days=retention_days)


def hold_schedule_name(interview_id: str, follow_up_id: str) -> str:
    return schedule_name(interview_id, follow_up_id) + HOLD_SUFFIX


def not_in_the_past(
    request: InterviewRequest, follow_ups: Iterable[PlannedFollowUp], now: datetime
) -> tuple[list[PlannedFollowUp], list[TimelineEntry]]:
    """The follow-ups with every due time already past (or within `ASAP_LEAD` of now) moved to as soon as possible,
    and one `planned_late` timeline entry per follow-up moved."""
    kept: list[PlannedFollowUp] = []
    moved: list[TimelineEntry] = []
    for item in follow_ups:
        if item.due_at >= now + ASAP_LEAD:
            kept.append(item)
            continue
        due = next_send_slot(request, item, now + ASAP_LEAD)
        kept.append(item.model_copy(update={"due_at": due, "reason": None}))
        moved.append(
            TimelineEntry(
                at=now,
                event="planned_late",
                detail=(
                    f"{item.id}: was due {iso_utc(item.due_at)}, already past when it was planned; "
                    f"goes as soon as possible, {iso_utc(due)}"
                ),
                follow_up_id=item.id,
            )
        )
    return kept, moved


def _timing_entries(
    follow_ups: Iterable[PlannedFollowUp], at: datetime, *, replanned: bool = False
) -> list[TimelineEntry]:
    """Why a follow-up goes when it does, when not obvious: read back by the interview's view and plan page. A
    re-planned follow-up without a reason gets an empty one, which clears the reason it had."""
    return [
        TimelineEntry(at=at, event="timing", detail=f"{item.id}: {item.reason or ''}".rstrip(), follow_up_id=item.id)
        for item in follow_ups
        if item.reason or replanned
    ]


def _expires_at(bundle: InterviewBundle, now: datetime) -> datetime:
    raw = bundle.interview.get("expires_at")
    return datetime.fromtimestamp(int(raw), tz=now.tzinfo) if raw is not None else now + timedelta(days=180)


def needs_review(request: InterviewRequest, follow_up: PlannedFollowUp) -> bool:
    """Review mode holds the messages to the company for the candidate's approval; their own reminders go as is."""
    return request.preferences.mode == "review" and FollowUpKind(follow_up.kind).is_nudge


@dataclass(frozen=True)
class PlanningResult:
    interview_id: str
    stored: bool
    schedules_created: int


class Planner:
    def __init__(
        self,
        table: FollowUpTable,
        scheduler: FollowUpScheduler,
        retention_days: int,
        suppressed: Callable[[set[str]], set[str]] = lambda _: set(),
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._table = table
        self._now = now
        self._scheduler = scheduler
        self._retention_days = retention_days
        # Addresses that bounced or complained before: their follow-ups are stored `suppressed`, never scheduled.
        self._suppressed = suppressed

    def _schedule(self, interview_id: str, request: InterviewRequest, item: PlannedFollowUp) -> int:
        created = int(
            self._scheduler.create(
                schedule_name(interview_id, item.id),
                due_at=item.due_at,
                payload=SchedulePayload(interview_id=interview_id, follow_up_id=item.id),
            )
        )
        if needs_review(request, item):
            # The draft goes out at the due time; without an answer by then + hold, the message is dropped.
            created += self._scheduler.create(
                hold_schedule_name(interview_id, item.id),
                due_at=item.due_at + timedelta(hours=request.preferences.review_hold_hours),
                payload=SchedulePayload(interview_id=interview_id, follow_up_id=item.id, action=EXPIRE_REVIEW),
            )
        return created

    def store_and_schedule(self, event: InterviewSubmitted) -> PlanningResult:
        """Persist a submitted interview with its plan, then create one schedule per follow-up.

        Idempotent: a redelivered event finds the interview stored (the transaction's condition fails, nothing is
        written) and re-creates only the schedules still missing for follow-ups still scheduled, at their stored
        times (any already past goes as soon as possible, recorded in the timeline). One interview per natural key: a
        second interview for the same key is refused. Actions that reached the interview's intake first (the 202 gap)
        are applied (`apply_early_actions`); a tombstone stores nothing. A due time already past when the planner
        runs goes as soon as possible (module doc), recorded in the timeline.
        """
        interview_id = event.interview_id
        submitted_at = event.submitted_at
        request = InterviewRequest.model_validate(event.interview)
        # The suppression check is the first AWS call (the cold-start benchmark stops there).
        blocked = self._suppressed({item.to.lower() for item in event.follow_ups})
        held = {item.id: FollowUpStatus.SUPPRESSED for item in event.follow_ups if item.to.lower() in blocked}
        now = self._now()
        follow_ups, late = not_in_the_past(request, event.follow_ups, now)
        event = event.model_copy(update={"follow_ups": follow_ups})
        skipped = event.skipped
        timeline = [
            TimelineEntry(at=submitted_at, event="submitted", detail=f"{len(event.follow_ups)} follow-ups planned")
        ]
        timeline += [
            TimelineEntry(at=submitted_at, event="skipped", detail=f"{step.kind}: {step.reason}") for step in skipped
        ]
        timeline += _timing_entries(follow_ups, submitted_at)
        timeline += [
            TimelineEntry(
                at=submitted_at,
                event="suppressed",
                detail=f"{follow_up_id}: the recipient's address bounced or complained before",
                follow_up_id=follow_up_id,
            )
            for follow_up_id in held
        ]
        timeline += [entry for entry in late if entry.follow_up_id not in held]
        outcome, early = self._store(event, timeline, held)
        if outcome is StoreOutcome.DELETED or outcome is StoreOutcome.KEY_TAKEN:
            logger.info("interview not stored", extra={"interview_id": interview_id, "reason": str(outcome)})
            return PlanningResult(interview_id=interview_id, stored=False, schedules_created=0)
        overrides = held | early.statuses
        to_schedule = [item for item in early.follow_ups if item.id not in overrides]
        if outcome is StoreOutcome.ALREADY_STORED:
            # Schedule what is still scheduled, at its stored time (a republished event may carry another plan);
            # a time already past goes as soon as possible.
            bundle = self._table.load_interview(interview_id)
            wanted = {
                record.follow_up_id
                for record in (bundle.follow_ups if bundle else [])
                if record.status == FollowUpStatus.SCHEDULED
            }
            to_schedule = self._still_scheduled(interview_id, request, wanted, now)
            logger.info("interview already stored; re-checking schedules", extra={"interview_id": interview_id})
        created = sum(self._schedule(interview_id, request, item) for item in to_schedule)
        logger.info(
            "interview planned",
            extra={"interview_id": interview_id, "follow_ups": len(early.follow_ups), "schedules_created": created},
        )
        return PlanningResult(
            interview_id=interview_id, stored=outcome is StoreOutcome.STORED, schedules_created=created
        )

    def _store(
        self, event: InterviewSubmitted, timeline: list[TimelineEntry], held: dict[str, FollowUpStatus]
    ) -> tuple[StoreOutcome, EarlyActions]:
        """The one transaction, redone while an action reaches the intake between our read and our write."""
        key = natural_key(event.interview, event.candidate_id)
        for _ in range(5):
            intake = self._table.load_intake(event.interview_id)
            early = apply_early_actions(intake, event.interview, event.follow_ups, event.submitted_at)
            if intake is not None and intake.deleted:
                return StoreOutcome.DELETED, early
            outcome = self._table.store_interview(
                interview_id=event.interview_id,
                submitted_at=event.submitted_at,
                document=early.document,
                follow_ups=early.follow_ups,
                timeline=timeline + early.timeline,
                expires_at=retention_deadline(early.follow_ups, event.submitted_at, self._retention_days),
                status_overrides=held | early.statuses,
                reasons=early.reasons,
                attributes=early.attributes,
                natural_key=key,
                intake=intake,
                guard_intake=True,
                now=clock.now(),
                owner=event.candidate_id,
            )
            if outcome is not StoreOutcome.INTAKE_CHANGED:
                return outcome, early
        raise RuntimeError(f"the intake of {event.interview_id} kept changing; the event will be retried")

    def _still_scheduled(
        self, interview_id: str, request: InterviewRequest, wanted: set[str], now: datetime
    ) -> list[PlannedFollowUp]:
        """A redelivered event: the stored follow-ups still `scheduled`, at their stored times, any time already
        past moved to as soon as possible (stored, and recorded in the timeline)."""
        bundle = self._table.load_interview(interview_id)
        if bundle is None:
            return []
        stored = [
            record.planned()
            for record in bundle.follow_ups
            if record.status == FollowUpStatus.SCHEDULED and record.follow_up_id in wanted
        ]
        items, late = not_in_the_past(request, stored, now)
        return self._store_moves(interview_id, bundle, items, late, now)

    def _store_moves(
        self,
        interview_id: str,
        bundle: InterviewBundle,
        items: list[PlannedFollowUp],
        late: list[TimelineEntry],
        now: datetime,
    ) -> list[PlannedFollowUp]:
        """Write the new due time of each follow-up moved to as soon as possible (dropping any no longer pending),
        then their timeline entries."""
        if not late:
            return items
        moved = {entry.follow_up_id for entry in late}
        document: dict[str, Any] = bundle.interview["document"]
        kept = [
            item
            for item in items
            if item.id not in moved or self._table.reschedule(interview_id, item, document=document)
        ]
        ids = {item.id for item in kept}
        self._table.append_timeline(
            interview_id, [entry for entry in late if entry.follow_up_id in ids], _expires_at(bundle, now)
        )
        return kept

    def delete_schedules(self, interview_id: str, follow_up_ids: Iterable[str]) -> int:
        """Cancel: delete each follow-up's schedule (and its review hold) by name; gone already is fine."""
        deleted = 0
        for follow_up_id in follow_up_ids:
            deleted += self._scheduler.delete(schedule_name(interview_id, follow_up_id))
            deleted += self._scheduler.delete(hold_schedule_name(interview_id, follow_up_id))
        logger.info("schedules deleted", extra={"interview_id": interview_id, "deleted": deleted})
        return deleted

    def reschedule(self, event: DecisionDateChanged | FollowUpsRescheduled) -> int:
        """Move still-scheduled follow-ups to new times: update the item, then delete + create the schedule
        (never UpdateSchedule, which resets every field it is not given)."""
        interview_id = event.interview_id
        bundle = self._table.load_interview(interview_id)
        if bundle is None:
            return 0
        document = event.interview or bundle.interview["document"]
        request = InterviewRequest.model_validate(document)
        now = self._now()
        follow_ups, late = not_in_the_past(request, event.follow_ups, now)
        moved: list[PlannedFollowUp] = []
        for item in follow_ups:
            if not self._table.reschedule(interview_id, item, document=document):
                continue  # sent, cancelled or claimed meanwhile: nothing to move
            self.delete_schedules(interview_id, [item.id])
            self._schedule(interview_id, request, item)
            moved.append(item)
        moved_ids = {item.id for item in moved}
        entries = _timing_entries(moved, now, replanned=True)
        entries += [entry for entry in late if entry.follow_up_id in moved_ids]
        if entries:
            self._table.append_timeline(interview_id, entries, _expires_at(bundle, now))
        logger.info("follow-ups re-planned", extra={"interview_id": interview_id, "moved": len(moved)})
        return len(moved)

    def schedule_approved(self, event: FollowUpApproved) -> int:
        """An approved draft (its first schedule has fired): schedule the real send at `event.due_at`, the slot the
        approval page announced, or, when that is past or outside the recipient's window (a late planner; an
        event carrying the approval instant), at the next in-window working-day slot from now. The stored
        follow-up's due time moves with it; nothing is scheduled for a follow-up no longer pending."""
        interview_id, follow_up_id = event.interview_id, event.follow_up_id
        bundle = self._table.load_interview(interview_id)
        record = next((r for r in (bundle.follow_ups if bundle else []) if r.follow_up_id == follow_up_id), None)
        if bundle is None or record is None or record.status != FollowUpStatus.SCHEDULED:
            logger.info("approved follow-up no longer pending", extra={"interview_id": interview_id})
            return 0
        request = InterviewRequest.model_validate(record.document)
        planned = record.planned()
        now = self._now()
        due = event.due_at
        if due < now + ASAP_LEAD or not is_in_window(request, planned, due):
            due = next_send_slot(request, planned, max(due, now + ASAP_LEAD))
        moved = planned.model_copy(update={"due_at": due})
        if not self._table.reschedule(interview_id, moved, document=record.document):
            return 0
        self._scheduler.delete(hold_schedule_name(interview_id, follow_up_id))
        return int(
            self._scheduler.create(
                schedule_name(interview_id, follow_up_id),
                due_at=due,
                payload=SchedulePayload(interview_id=interview_id, follow_up_id=follow_up_id),
            )
        )
