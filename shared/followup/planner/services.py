"""PlannerFunction's composition root: the planner built once per cold start, forgotten by `reset()`."""

from __future__ import annotations

from functools import cache

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.scheduler import FollowUpScheduler, ScheduleTarget
from followup.adapters.suppression import is_suppressed
from followup.core import aws
from followup.core.config import PlannerSettings, load_settings
from followup.workflow.planning import Planner


@cache
def services() -> Planner:
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
    dynamodb = aws.client("dynamodb")
    return Planner(
        table,
        scheduler,
        settings.retention_days,
        suppressed=lambda addresses: is_suppressed(dynamodb, settings.table_name, addresses),
    )


def reset() -> None:
    services.cache_clear()
