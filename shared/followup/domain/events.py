"""The typed contracts of everything that crosses the bus or a schedule: one model per event detail, one place
for event names, and the payload a schedule hands the send queue.

Publishers build these models; consumers parse into them (`parse_bus_event`, `SchedulePayload.model_validate`),
so a field renamed on one side fails in the tests, not at 3 a.m.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_serializer, model_validator

from followup.core.text import iso_utc
from followup.domain.candidates import DEFAULT_CANDIDATE, interview_owner, may_belong_to
from followup.domain.models import PlannedFollowUp, SkippedStep

__all__ = [
    "BUS_EVENTS",
    "BusEvent",
    "DecisionDateChanged",
    "FollowUpApproved",
    "FollowUpsRescheduled",
    "FollowUpsStopped",
    "InterviewDeleted",
    "InterviewOutcomeRecorded",
    "InterviewSubmitted",
    "SchedulePayload",
    "UnknownEventError",
    "parse_bus_event",
]

EXPIRE_REVIEW = "expire_review"


class UnknownEventError(ValueError):
    """The rule delivered an event type no consumer handles (a template/code mismatch)."""


class BusEvent(BaseModel):
    """A detail published to the pipeline's bus; `DETAIL_TYPE` is its EventBridge `detail-type`."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)
    DETAIL_TYPE: ClassVar[str]

    interview_id: str

    def detail(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class InterviewSubmitted(BusEvent):
    DETAIL_TYPE: ClassVar[str] = "InterviewSubmitted"
    submitted_at: datetime
    interview: dict[
        str, Any
    ]  # the interview document (README "The HTTP API"), validated by the planner as `InterviewRequest`
    follow_ups: list[PlannedFollowUp]
    skipped: list[SkippedStep] = []
    # Whose interview it is (README "Many candidates"); events from before candidates existed are the default's.
    candidate_id: str = DEFAULT_CANDIDATE

    @field_serializer("submitted_at")
    def _instant(self, value: datetime) -> str:
        return iso_utc(value)

    @model_validator(mode="after")
    def _id_names_its_candidate(self) -> InterviewSubmitted:
        """An id that names a candidate (`interview_id_for`) names this one: never stored under someone else. (Ids
        that name no candidate are the default candidate's, or older ones, and tools' own.)"""
        if interview_owner(self.interview_id) is not None and not may_belong_to(self.interview_id, self.candidate_id):
            raise ValueError(f"interview id {self.interview_id!r} does not belong to candidate {self.candidate_id!r}")
        return self


class InterviewOutcomeRecorded(BusEvent):
    DETAIL_TYPE: ClassVar[str] = "InterviewOutcomeRecorded"
    outcome: str
    follow_up_ids: list[str]


class FollowUpsStopped(BusEvent):
    DETAIL_TYPE: ClassVar[str] = "FollowUpsStopped"
    follow_up_ids: list[str]


class InterviewDeleted(BusEvent):
    DETAIL_TYPE: ClassVar[str] = "InterviewDeleted"
    follow_up_ids: list[str]


class DecisionDateChanged(BusEvent):
    DETAIL_TYPE: ClassVar[str] = "DecisionDateChanged"
    interview: dict[str, Any]
    follow_ups: list[PlannedFollowUp]


class FollowUpsRescheduled(BusEvent):
    DETAIL_TYPE: ClassVar[str] = "FollowUpsRescheduled"
    follow_ups: list[PlannedFollowUp]
    reason: str = ""
    interview: dict[str, Any] | None = None


class FollowUpApproved(BusEvent):
    DETAIL_TYPE: ClassVar[str] = "FollowUpApproved"
    follow_up_id: str
    due_at: datetime

    @field_serializer("due_at")
    def _instant(self, value: datetime) -> str:
        return iso_utc(value)


BUS_EVENTS: dict[str, type[BusEvent]] = {
    model.DETAIL_TYPE: model
    for model in (
        InterviewSubmitted,
        InterviewOutcomeRecorded,
        FollowUpsStopped,
        InterviewDeleted,
        DecisionDateChanged,
        FollowUpsRescheduled,
        FollowUpApproved,
    )
}


def parse_bus_event(detail_type: str, detail: dict[str, Any]) -> BusEvent:
    """The typed event for an EventBridge `detail-type` and `detail`."""
    try:
        model = BUS_EVENTS[detail_type]
    except KeyError:
        raise UnknownEventError(f"unhandled event type {detail_type!r}") from None
    return model.model_validate(detail)


class SchedulePayload(BaseModel):
    """The `Input` of every one-time schedule: which follow-up is due, and what to do with it."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    interview_id: str
    follow_up_id: str
    action: Literal["expire_review"] | None = None
