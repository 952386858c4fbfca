"""Response shapes of the HTTP API; they also document it in `/openapi.json`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorField(BaseModel):
    field: str
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[ErrorField] = Field(default_factory=list)


class ErrorBody(BaseModel):
    error: ErrorDetail


class FollowUpSummary(BaseModel):
    id: str
    kind: str
    to: str
    due_at: str = Field(description="UTC instant, ISO 8601")


class SubmissionResponse(BaseModel):
    interview_id: str
    status: str
    follow_ups: list[FollowUpSummary]
    warnings: list[str] = Field(default_factory=list)
    duplicate: bool = Field(
        default=False,
        description="true when this interview (same candidate, company, position and interview.ended_at) was "
        "submitted before: interview_id and follow_ups are the existing interview's",
    )


class FollowUpState(FollowUpSummary):
    status: str
    message_id: str | None = None
    local_due_at: str | None = Field(default=None, description="due time in the recipient's timezone")
    reason: str | None = None


class TimelineItem(BaseModel):
    at: str
    event: str
    detail: str = ""


class InterviewView(BaseModel):
    interview: dict[str, Any]
    follow_ups: list[FollowUpState]
    timeline: list[TimelineItem]


class ListedInterview(BaseModel):
    interview_id: str
    company: str
    position: str
    status: str = Field(
        description="active, paused, closed (an outcome ended it) or planning (accepted, not stored yet)"
    )
    outcome: str | None = None
    next_due_at: str | None = Field(description="UTC instant of the next pending follow-up, null when none")


class InterviewList(BaseModel):
    interviews: list[ListedInterview]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class CandidateView(BaseModel):
    candidate_id: str
    profile: dict[str, Any]
    created_at: str
    updated_at: str


class ListedCandidate(BaseModel):
    candidate_id: str
    name: str
    created_at: str


class CandidateList(BaseModel):
    candidates: list[ListedCandidate]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


class CandidateCredentials(BaseModel):
    candidate_id: str
    api_key: str = Field(description="shown once: Authorization: Bearer <api_key>")
    webhook_secret: str = Field(description="shown once: sign with it and send k=<candidate_id> in the header")
    form_url: str = Field(description="shown once: the candidate's own form")


class CandidateCreated(CandidateCredentials):
    profile: dict[str, Any]


class PauseResponse(BaseModel):
    interview_id: str
    follow_up_ids: list[str] = Field(description="the follow-ups paused (or resumed) by this request")


class OutcomeResponse(BaseModel):
    interview_id: str
    outcome: str
    cancelled: list[str]


class ReplanResponse(BaseModel):
    interview_id: str
    decision_expected_by: str
    follow_ups: list[FollowUpSummary]


class PreviewMessage(BaseModel):
    id: str
    kind: str
    to: str
    due_at: str
    local_due_at: str
    candidate_local_due_at: str
    subject: str
    text: str
    html: str
    findings: list[dict[str, Any]] = Field(default_factory=list)


class PreviewResponse(BaseModel):
    follow_ups: list[PreviewMessage]
    warnings: list[str]


def error_body(code: str, message: str, fields: list[ErrorField] | None = None) -> dict[str, Any]:
    return ErrorBody(error=ErrorDetail(code=code, message=message, fields=fields or [])).model_dump()
