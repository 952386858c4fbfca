"""The follow-up table's item codec: keys, the records read back, and the conversion to and from DynamoDB's
attribute values. `followup.adapters.dynamodb` holds the operations.

One partition per interview (`pk = IV#<id>`) holds the interview item (`sk = #INTERVIEW`), one item per follow-up
(`FU#<follow-up id>`) and the timeline (`TL#…`); a sent message is indexed under `MSG#<SES MessageId>`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from followup.domain.kinds import FollowUpKind
from followup.domain.models import PlannedFollowUp

INTERVIEW_SK = "#INTERVIEW"
FOLLOW_UP_PREFIX = "FU#"
TIMELINE_PREFIX = "TL#"

# Scheduler fires within about a minute of the due time; anything earlier than this is not that schedule's delivery.
EARLY_TOLERANCE = timedelta(minutes=5)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def interview_pk(interview_id: str) -> str:
    return f"IV#{interview_id}"


def message_pk(ses_message_id: str) -> str:
    return f"MSG#{ses_message_id}"


def find_by_message_id_key(ses_message_id: str) -> dict[str, Any]:
    """Key of the index item written when a message is sent: its interview and follow-up."""
    return {"pk": {"S": message_pk(ses_message_id)}, "sk": {"S": INTERVIEW_SK}}


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: str
    detail: str = ""
    follow_up_id: str | None = None


@dataclass(frozen=True)
class FollowUpRecord:
    """A follow-up as stored: the plan plus its delivery state and the interview it belongs to."""

    interview_id: str
    follow_up_id: str
    kind: str
    to: str
    to_name: str
    timezone: str
    due_at: str
    status: str
    interviewer_index: int | None
    document: dict[str, Any]
    message_id: str | None = None
    claimed_at: str | None = None
    attempts: int = 0
    reason: str | None = None
    approved: bool = False
    hold_until: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> FollowUpRecord:
        values = from_item(item)
        index = values.get("interviewer_index")
        return cls(
            interview_id=str(values["interview_id"]),
            follow_up_id=str(values["follow_up_id"]),
            kind=str(values["kind"]),
            to=str(values["to"]),
            to_name=str(values.get("to_name", "")),
            timezone=str(values["timezone"]),
            due_at=str(values["due_at"]),
            status=str(values["status"]),
            interviewer_index=None if index is None else int(index),
            document=json.loads(values["document"]) if "document" in values else {},
            message_id=values.get("message_id"),
            claimed_at=values.get("claimed_at"),
            attempts=int(values.get("attempts", 0)),
            reason=values.get("reason"),
            approved=bool(values.get("approved", False)),
            hold_until=values.get("hold_until"),
            raw=values,
        )

    def planned(self) -> PlannedFollowUp:
        return PlannedFollowUp(
            id=self.follow_up_id,
            kind=FollowUpKind(self.kind),
            to=self.to,
            to_name=self.to_name,
            timezone=self.timezone,
            due_at=datetime.fromisoformat(self.due_at),
            interviewer_index=self.interviewer_index,
        )


@dataclass(frozen=True)
class InterviewBundle:
    interview: dict[str, Any]
    follow_ups: list[FollowUpRecord]
    timeline: list[dict[str, Any]]


@dataclass(frozen=True)
class ClaimResult:
    """Outcome of a claim: the claimed record, or why nothing was claimed (the item as it was)."""

    record: FollowUpRecord | None
    current_status: str | None

    @property
    def claimed(self) -> bool:
        return self.record is not None
