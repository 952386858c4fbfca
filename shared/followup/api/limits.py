"""Checks on a valid interview that need the clock, so they live here and not in the (clock-free) domain layer; each
answers in the contract's 422 shape with the field path, like pydantic's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING

from followup.api.errors import ApiError
from followup.api.schemas import ErrorField
from followup.domain.candidates import is_default
from followup.domain.models import InterviewRequest, Plan

if TYPE_CHECKING:
    from followup.adapters.candidates import CandidateTable
    from followup.core.config import ApiSettings

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


def daily_charge(
    owner: str, candidates: CandidateTable, settings: ApiSettings
) -> Callable[[Plan, datetime], None] | None:
    """What a new interview of `owner` costs against their day: one interview and every email it plans. None for the
    default candidate (the deployment's own, not limited). The callable raises a 429 with `Retry-After` (seconds to
    the next UTC midnight) and counts nothing when either limit would be passed."""
    if is_default(owner):
        return None

    def charge(plan: Plan, now: datetime) -> None:
        midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time.min, tzinfo=UTC)
        if not candidates.spend_daily(
            owner,
            day=now.astimezone(UTC).date().isoformat(),
            interviews=1,
            emails=len(plan.follow_ups),
            max_interviews=settings.candidate_daily_interviews,
            max_emails=settings.candidate_daily_emails,
            expires_at=midnight + timedelta(days=1),
        ):
            retry_after = max(1, int((midnight - now).total_seconds()))
            raise ApiError(
                429,
                "daily_limit",
                f"today's limit is reached ({settings.candidate_daily_interviews} interviews or "
                f"{settings.candidate_daily_emails} planned emails a day); it resets at midnight UTC",
                headers={"Retry-After": str(retry_after)},
            )

    return charge
