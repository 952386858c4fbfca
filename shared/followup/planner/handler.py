"""PlannerFunction's logic behind its entry point: dispatch by event type to the planner."""

from __future__ import annotations

from typing import Any

from followup.planner.services import services
from followup.workflow.lifecycle import (
    DECISION_DATE_CHANGED,
    FOLLOW_UP_APPROVED,
    FOLLOW_UPS_RESCHEDULED,
    FOLLOW_UPS_STOPPED,
    INTERVIEW_DELETED,
    INTERVIEW_OUTCOME_RECORDED,
    INTERVIEW_SUBMITTED,
)


class UnknownEventError(ValueError):
    """The rule delivered an event type this planner does not handle (a template/code mismatch)."""


def handle_bus_event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    planner = services()
    interview_id = str(detail.get("interview_id", ""))
    if detail_type == INTERVIEW_SUBMITTED:
        result = planner.store_and_schedule(detail)
        return {"interview_id": result.interview_id, "stored": result.stored, "schedules": result.schedules_created}
    if detail_type in (INTERVIEW_OUTCOME_RECORDED, FOLLOW_UPS_STOPPED, INTERVIEW_DELETED):
        deleted = planner.delete_schedules(interview_id, detail.get("follow_up_ids", []))
        return {"interview_id": interview_id, "schedules_deleted": deleted}
    if detail_type in (DECISION_DATE_CHANGED, FOLLOW_UPS_RESCHEDULED):
        return {"interview_id": interview_id, "rescheduled": planner.reschedule(detail)}
    if detail_type == FOLLOW_UP_APPROVED:
        return {"interview_id": interview_id, "schedules": planner.schedule_approved(detail)}
    raise UnknownEventError(f"unhandled event type {detail_type!r}")
