"""EventBridge Scheduler adapter: one one-time schedule per follow-up, targeting the send queue.

Names are deterministic (`<interview>-<follow-up>`), so creating twice is a no-op (`ConflictException`) and
cancelling is a delete by name.

Every `at()` is the UTC instant, read with `ScheduleExpressionTimezone` UTC. A local wall time would be ambiguous in
a DST fall-back hour (Scheduler runs it once, at the first occurrence: a follow-up due at the second one fires an
hour early, the claim refuses it as not due, the one-time schedule deletes itself and the follow-up is lost) and
missing in a spring-forward gap (Scheduler skips it). The cadence computes in local time; the schedule is in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from followup.domain.events import SchedulePayload

if TYPE_CHECKING:
    from mypy_boto3_scheduler.client import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.type_defs import TargetTypeDef

# Scheduler keeps retrying a failed delivery to SQS for up to a day before it goes to the schedule DLQ.
RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def schedule_name(interview_id: str, follow_up_id: str) -> str:
    return f"{interview_id}-{follow_up_id}"


SCHEDULE_TIMEZONE = "UTC"
_MINUTE = timedelta(minutes=1)


def at_expression(due_at: datetime) -> str:
    """`at(yyyy-mm-ddThh:mm:ss)` of the UTC instant (`ScheduleExpressionTimezone` UTC), rounded up to the whole
    minute: Scheduler fires within the minute it names, so a schedule never fires before its follow-up is due."""
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValueError("due_at must be timezone-aware")
    utc = due_at.astimezone(UTC)
    if utc.second or utc.microsecond:
        utc = utc.replace(second=0, microsecond=0) + _MINUTE
    return f"at({utc:%Y-%m-%dT%H:%M:%S})"


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

    def create(self, name: str, *, due_at: datetime, payload: SchedulePayload) -> bool:
        """Create the schedule at the UTC instant `due_at`; False when it already exists (a redelivered event),
        which is success."""
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
                ScheduleExpression=at_expression(due_at),
                ScheduleExpressionTimezone=SCHEDULE_TIMEZONE,
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
