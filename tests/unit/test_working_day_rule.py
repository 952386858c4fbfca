"""A message to the company due on a weekend or public holiday of its recipient breaks a hard rule."""

from __future__ import annotations

from datetime import UTC, datetime

from followup.domain.kinds import FollowUpKind
from followup.domain.models import InterviewRequest, PlannedFollowUp
from followup.messages.lint import lint_message, recipients_working_day
from followup.messages.render import render_follow_up
from tests.conftest import load_example


def _thank_you(request: InterviewRequest, due: datetime) -> PlannedFollowUp:
    person = request.interviewers[0]
    return PlannedFollowUp(
        id="thank_you-0",
        kind=FollowUpKind.THANK_YOU,
        to=str(person.email),
        to_name=person.name,
        timezone="America/New_York",
        due_at=due,
        interviewer_index=0,
    )


def test_thanksgiving_and_a_saturday_are_not_working_days_in_new_york() -> None:
    request = InterviewRequest.model_validate(load_example("interview.json"))
    working = recipients_working_day(request)
    for due, expected in (
        (datetime(2026, 11, 25, 14, 0, tzinfo=UTC), True),  # Wednesday
        (datetime(2026, 11, 26, 14, 0, tzinfo=UTC), False),  # Thanksgiving Day
        (datetime(2026, 11, 28, 14, 0, tzinfo=UTC), False),  # Saturday
    ):
        follow_up = _thank_you(request, due)
        findings = lint_message(request, follow_up, render_follow_up(request, follow_up), working_day=working)
        assert ("non_working_day" in {f.rule for f in findings}) is not expected, due
