"""Checks on a valid interview that need the clock, so they live here and not in the (clock-free) domain layer; each
answers in the contract's 422 shape with the field path, like pydantic's own."""

from __future__ import annotations

from datetime import datetime, timedelta

from followup.api.errors import ApiError
from followup.api.schemas import ErrorField
from followup.domain.models import InterviewRequest

# A real upcoming interview can be entered ahead (the thank-you is then planned after it); an end date further out
# is a typo (2099 for 2026) that would plan a thank-you for decades later.
MAX_DAYS_AHEAD = 60


def far_future_problems(request: InterviewRequest, now: datetime) -> list[ErrorField]:
    """What is wrong with the interview's timing as of `now` (empty when nothing is)."""
    ended = request.interview.ended_at
    if ended - now > timedelta(days=MAX_DAYS_AHEAD):
        return [
            ErrorField(
                field="interview.ended_at",
                message=f"is more than {MAX_DAYS_AHEAD} days in the future; check the year, "
                "or submit the interview closer to its date",
            )
        ]
    return []


def check_timing(request: InterviewRequest, now: datetime) -> None:
    """Raise the contract's 422 when the interview ends more than 60 days after `now`."""
    problems = far_future_problems(request, now)
    if problems:
        raise ApiError(422, "invalid_fields", "some fields are invalid", problems)
