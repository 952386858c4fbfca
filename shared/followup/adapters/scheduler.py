"""EventBridge Scheduler adapter: one one-time schedule per follow-up, targeting the send queue.

Names are deterministic (`<interview>-<follow-up>`), so creating twice is a no-op (`ConflictException`) and
cancelling is a delete by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from followup.domain.events import SchedulePayload

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.type_defs import TargetTypeDef

# Scheduler keeps retrying a failed delivery to SQS for up to a day before it goes to the schedule DLQ.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def schedule_name(interview_id: str, follow_up_id: str) -> str:
    return f"{interview_id}-{follow_up_id}"


def at_expression(due_at: datetime, timezone: str) -> str:
    """`at(...)` wall-clock time in the recipient's zone, the form Scheduler reads with ScheduleExpressionTimezone."""
    local = due_at.astimezone(ZoneInfo(timezone))
    return f"at({local:%Y-%m-%dT%H:%M:%S})"


@dataclass(frozen=True)
class ScheduleTarget:
    queue_arn: str
    role_arn: str
    dead_letter_arn: str


class FollowUpScheduler:
    def __init__(self, client: EventBridgeSchedulerClient, group_name: str, target: ScheduleTarget) -> None:
        self._client = client
        self._group = group_name
        self._target = target

    def create(self, name: str, *, due_at: datetime, timezone: str, payload: SchedulePayload) -> bool:
        """Create the schedule; False when it already exists (a redelivered event), which is success."""
        target: TargetTypeDef = {
            "Arn": self._target.queue_arn,
            "RoleArn": self._target.role_arn,
            "Input": payload.model_dump_json(exclude_none=True),
            "RetryPolicy": {
                "MaximumEventAgeInSeconds": RETRY_POLICY["MaximumEventAgeInSeconds"],
                "MaximumRetryAttempts": RETRY_POLICY["MaximumRetryAttempts"],
            },
            "DeadLetterConfig": {"Arn": self._target.dead_letter_arn},
        }
        try:
            self._client.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=at_expression(due_at, timezone),
                ScheduleExpressionTimezone=timezone,
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                State="ENABLED",
                Target=target,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConflictException":
                return False
            raise
        return True

    def delete(self, name: str) -> bool:
        """Delete by name; False when it was already gone (fired, or deleted before)."""
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False
            raise
        return True
