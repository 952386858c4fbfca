"""PlannerFunction's logic behind its entry point: dispatch by event type to the planner."""

from __future__ import annotations

from typing import Any

from followup.domain.events import (
    DecisionDateChanged,
    FollowUpApproved,
    FollowUpsRescheduled,
    FollowUpsStopped,
    InterviewDeleted,
    InterviewOutcomeRecorded,
    InterviewSubmitted,
    UnknownEventError,
    parse_bus_event,
)
from followup.planner.services import services

__all__ = ["UnknownEventError", "handle_bus_event"]


def handle_bus_event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    planner = services()
    event = parse_bus_event(detail_type, detail)
    interview_id = event.interview_id
    if isinstance(event, InterviewSubmitted):
        result = planner.store_and_schedule(event)
        return {"interview_id": result.interview_id, "stored": result.stored, "schedules": result.schedules_created}
    if isinstance(event, InterviewOutcomeRecorded | FollowUpsStopped | InterviewDeleted):
        deleted = planner.delete_schedules(interview_id, event.follow_up_ids)
        return {"interview_id": interview_id, "schedules_deleted": deleted}
    if isinstance(event, DecisionDateChanged | FollowUpsRescheduled):
        return {"interview_id": interview_id, "rescheduled": planner.reschedule(event)}
    if isinstance(event, FollowUpApproved):
        return {"interview_id": interview_id, "schedules": planner.schedule_approved(event)}
    raise UnknownEventError(f"no planner step for {detail_type!r}")
