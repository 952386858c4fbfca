"""The planner: it alone writes follow-up plans and owns their schedules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools import Logger

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.records import StoreOutcome, TimelineEntry, natural_key
from followup.adapters.scheduler import FollowUpScheduler, schedule_name
from followup.core import clock
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
from followup.workflow.lifecycle import EarlyActions, apply_early_actions

logger = Logger(child=True)

HOLD_SUFFIX = "-hold"


def retention_deadline(follow_ups: list[PlannedFollowUp], submitted_at: datetime, retention_days: int) -> datetime:
    """DynamoDB TTL: the interview is kept `retention_days` after its last planned follow-up."""
    last = max([item.due_at for item in follow_ups] + [submitted_at])
    return last + timedelta(days=retention_days)


def hold_schedule_name(interview_id: str, follow_up_id: str) -> str:
    return schedule_name(interview_id, follow_up_id) + HOLD_SUFFIX


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
    ) -> None:
        self._table = table
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
        times. One interview per natural key: a second interview for the same key is refused. Actions that reached
        the interview's intake first (the 202 gap) are applied (`apply_early_actions`); a tombstone stores nothing.
        """
        interview_id = event.interview_id
        submitted_at = event.submitted_at
        request = InterviewRequest.model_validate(event.interview)
        skipped = event.skipped
        timeline = [
            TimelineEntry(at=submitted_at, event="submitted", detail=f"{len(event.follow_ups)} follow-ups planned")
        ]
        timeline += [
            TimelineEntry(at=submitted_at, event="skipped", detail=f"{step.kind}: {step.reason}") for step in skipped
        ]
        blocked = self._suppressed({item.to.lower() for item in event.follow_ups})
        held = {item.id: FollowUpStatus.SUPPRESSED for item in event.follow_ups if item.to.lower() in blocked}
        timeline += [
            TimelineEntry(
                at=submitted_at,
                event="suppressed",
                detail=f"{follow_up_id}: the recipient's address bounced or complained before",
                follow_up_id=follow_up_id,
            )
            for follow_up_id in held
        ]
        outcome, early = self._store(event, timeline, held)
        if outcome is StoreOutcome.DELETED or outcome is StoreOutcome.KEY_TAKEN:
            logger.info("interview not stored", extra={"interview_id": interview_id, "reason": str(outcome)})
            return PlanningResult(interview_id=interview_id, stored=False, schedules_created=0)
        overrides = held | early.statuses
        to_schedule = [item for item in early.follow_ups if item.id not in overrides]
        if outcome is StoreOutcome.ALREADY_STORED:
            # Schedule what is still scheduled, at its stored time (a republished event may carry another plan).
            bundle = self._table.load_interview(interview_id)
            to_schedule = [
                record.planned()
                for record in (bundle.follow_ups if bundle else [])
                if record.status == FollowUpStatus.SCHEDULED
            ]
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
        key = natural_key(event.interview)
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
            )
            if outcome is not StoreOutcome.INTAKE_CHANGED:
                return outcome, early
        raise RuntimeError(f"the intake of {event.interview_id} kept changing; the event will be retried")

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
        moved = 0
        for item in event.follow_ups:
            if not self._table.reschedule(interview_id, item, document=document):
                continue  # sent, cancelled or claimed meanwhile: nothing to move
            self.delete_schedules(interview_id, [item.id])
            self._schedule(interview_id, request, item)
            moved += 1
        logger.info("follow-ups re-planned", extra={"interview_id": interview_id, "moved": moved})
        return moved

    def schedule_approved(self, event: FollowUpApproved) -> int:
        """An approved draft: schedule its real send for the next minute (its first schedule has fired)."""
        interview_id, follow_up_id = event.interview_id, event.follow_up_id
        due = event.due_at
        due = (due + timedelta(minutes=1)).replace(second=0, microsecond=0).astimezone(UTC)
        self._scheduler.delete(hold_schedule_name(interview_id, follow_up_id))
        return int(
            self._scheduler.create(
                schedule_name(interview_id, follow_up_id),
                due_at=due,
                payload=SchedulePayload(interview_id=interview_id, follow_up_id=follow_up_id),
            )
        )
