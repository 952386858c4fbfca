"""PlannerFunction's logic behind its entry point: dispatch by event type to the planning service."""

from __future__ import annotations

from functools import cache
from typing import Any

from followup import aws
from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.scheduler import FollowUpScheduler, ScheduleTarget
from followup.config import PlannerSettings, load_settings
from followup.planning import store_and_schedule
from followup.submission import INTERVIEW_SUBMITTED


@cache
def _services() -> tuple[PlannerSettings, FollowUpTable, FollowUpScheduler]:
    settings = load_settings(PlannerSettings)
    table = FollowUpTable(aws.client("dynamodb"), settings.table_name)
    scheduler = FollowUpScheduler(
        aws.client("scheduler"),
        settings.schedule_group_name,
        ScheduleTarget(
            queue_arn=settings.send_queue_arn,
            role_arn=settings.scheduler_role_arn,
            dead_letter_arn=settings.scheduler_dlq_arn,
        ),
    )
    return settings, table, scheduler


def reset_services() -> None:
    _services.cache_clear()


class UnknownEventError(ValueError):
    """The rule delivered an event type this planner does not handle (a template/code mismatch)."""


def handle_bus_event(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    settings, table, scheduler = _services()
    if detail_type == INTERVIEW_SUBMITTED:
        result = store_and_schedule(detail, table=table, scheduler=scheduler, retention_days=settings.retention_days)
        return {"interview_id": result.interview_id, "stored": result.stored, "schedules": result.schedules_created}
    raise UnknownEventError(f"unhandled event type {detail_type!r}")
