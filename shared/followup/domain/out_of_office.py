"""The out-of-office rule: when an auto-reply says someone is away, their next nudge waits for their return.

The next pending nudge moves to the first working day after the stated return date (5 working days from today when
no date is stated) at the check-in hour in its recipient's timezone; later nudges to the same person keep the
cadence's spacing after it (a second check-in 5 working days, the final 7). Working days are the recipient's own
(`recipient_calendar`: the interviewer's country and subdivision, else the company's). Pure: the caller passes
today's date and the pending nudges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from followup.domain.cadence import DEFAULT_POLICY, local_instant
from followup.domain.calendar import WorkingCalendar

__all__ = [
    "MONTH_FIRST_COUNTRIES",
    "OUT_OF_OFFICE_DEFAULT_BUSINESS_DAYS",
    "Nudge",
    "postponed_nudges",
    "recipient_calendar",
    "return_day",
]

OUT_OF_OFFICE_DEFAULT_BUSINESS_DAYS = 5
# Countries that write 12/07 for December 7; everywhere else it is 12 July.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "FM", "MH", "PW"})


@dataclass(frozen=True)
class Nudge:
    """A pending nudge as the rule sees it."""

    follow_up_id: str
    to: str
    due_at: datetime
    timezone: str


CalendarLike = WorkingCalendar | str | None


def _calendar(calendar: CalendarLike) -> WorkingCalendar:
    # A bare country code (or None) is that country's calendar without a subdivision.
    return calendar if isinstance(calendar, WorkingCalendar) else WorkingCalendar(calendar)


def recipient_calendar(document: Mapping[str, Any], address: str) -> WorkingCalendar:
    """The working days of the interviewer at `address` in a stored interview document (their own country and
    subdivision, else the company's); the company's calendar for an address that is not an interviewer's."""
    company = document.get("company") or {}
    country, subdivision = company.get("country"), company.get("subdivision")
    for person in document.get("interviewers") or []:
        if str(person.get("email", "")).strip().lower() != address.strip().lower():
            continue
        own = person.get("country")
        if own is not None and own != country:
            return WorkingCalendar(own, person.get("subdivision"))
        return WorkingCalendar(country, person.get("subdivision") or subdivision)
    return WorkingCalendar(country, subdivision)


def return_day(returns: date | None, today: date, calendar: CalendarLike) -> date:
    """The day the first nudge may go: the working day after the stated return, else 5 working days on."""
    working = _calendar(calendar)
    if returns is not None:
        return working.working_days_after(returns, 1)
    return working.working_days_after(today, OUT_OF_OFFICE_DEFAULT_BUSINESS_DAYS)


def nudge_wall_time(document: Mapping[str, Any]) -> time:
    """10:00 local, or the send window's start when a custom window excludes 10:00."""
    wall = DEFAULT_POLICY.check_in_time
    window = (document.get("preferences") or {}).get("send_window") or {}
    try:
        start = time.fromisoformat(window.get("start", "09:00"))
        end = time.fromisoformat(window.get("end", "17:00"))
    except (TypeError, ValueError):
        return wall
    return wall if start <= wall < end else start


def postponed_nudges(
    first: Nudge, nudges: Sequence[Nudge], day: date, calendar: CalendarLike, wall: time
) -> list[tuple[Nudge, datetime]]:
    """The new due time of `first` and, to keep the cadence, of the later nudges to the same person (each at
    least the cadence's spacing in working days after the one before: 7 before the final, else 5). Only nudges that
    actually move are returned."""
    working = _calendar(calendar)
    new_due = local_instant(day, wall, first.timezone)
    if new_due <= first.due_at:
        return []
    moves = [(first, new_due)]
    previous_day = day
    for nudge in nudges:
        if nudge.follow_up_id == first.follow_up_id or nudge.to.strip().lower() != first.to.strip().lower():
            continue
        if nudge.due_at <= first.due_at:
            continue
        spacing = (
            DEFAULT_POLICY.final_spacing_working_days
            if nudge.follow_up_id == "final"
            else DEFAULT_POLICY.nudge_spacing_working_days
        )
        earliest_day = working.working_days_after(previous_day, spacing)
        earliest = local_instant(earliest_day, wall, nudge.timezone)
        if earliest > nudge.due_at:
            moves.append((nudge, earliest))
            previous_day = earliest_day
        else:
            previous_day = nudge.due_at.astimezone(ZoneInfo(nudge.timezone)).date()
    return moves
