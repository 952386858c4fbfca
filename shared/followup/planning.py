"""The planner: it alone writes follow-up plans and owns their schedules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from followup.adapters.dynamodb import FollowUpTable, TimelineEntry
from followup.adapters.scheduler import FollowUpScheduler, schedule_name
from followup.models import FollowUpStatus, PlannedFollowUp, SkippedStep

logger = Logger(child=True)


def retention_deadline(follow_ups: list[PlannedFollowUp], submitted_at: datetime, retention_days: int) -> datetime:
    """DynamoDB TTL: the interview is kept `retention_days` after its last planned follow-up."""
    last = max([item.due_at for item in follow_ups] + [submitted_at])
    return last + timedelta(days=retention_days)


@dataclass(frozen=True)
class PlanningResult:
    interview_id: str
    stored: bool
    schedules_created: int


def store_and_schedule(
    detail: Mapping[str, Any],
    *,
    table: FollowUpTable,
    scheduler: FollowUpScheduler,
    retention_days: int,
) -> PlanningResult:
    """Persist a submitted interview with its plan, then create one schedule per follow-up.

    Idempotent: a redelivered event finds the interview stored (the transaction's condition fails, nothing is
    written) and re-creates only the schedules still missing for follow-ups still scheduled.
    """
    interview_id = str(detail["interview_id"])
    submitted_at = datetime.fromisoformat(str(detail["submitted_at"]))
    follow_ups = [PlannedFollowUp.model_validate(item) for item in detail["follow_ups"]]
    skipped = [SkippedStep.model_validate(item) for item in detail.get("skipped", [])]
    expires_at = retention_deadline(follow_ups, submitted_at, retention_days)
    timeline = [TimelineEntry(at=submitted_at, event="submitted", detail=f"{len(follow_ups)} follow-ups planned")]
    timeline += [
        TimelineEntry(at=submitted_at, event="skipped", detail=f"{step.kind}: {step.reason}") for step in skipped
    ]
    stored = table.store_planned_interview(
        interview_id=interview_id,
        submitted_at=submitted_at,
        document=detail["interview"],
        follow_ups=follow_ups,
        timeline=timeline,
        expires_at=expires_at,
    )
    to_schedule = follow_ups
    if not stored:
        bundle = table.load_interview(interview_id)
        still_scheduled = {
            record.follow_up_id for record in (bundle.follow_ups if bundle else []) if record.status == "scheduled"
        }
        to_schedule = [item for item in follow_ups if item.id in still_scheduled]
        logger.info("interview already stored; re-checking schedules", extra={"interview_id": interview_id})
    created = 0
    for item in to_schedule:
        created += scheduler.create(
            schedule_name(interview_id, item.id),
            due_at=item.due_at,
            timezone=item.timezone,
            payload={"interview_id": interview_id, "follow_up_id": item.id},
        )
    logger.info(
        "interview planned",
        extra={"interview_id": interview_id, "follow_ups": len(follow_ups), "schedules_created": created},
    )
    return PlanningResult(interview_id=interview_id, stored=stored, schedules_created=created)


__all__ = ["FollowUpStatus", "PlanningResult", "retention_deadline", "store_and_schedule"]
