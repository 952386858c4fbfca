"""The out-of-office rule: when an auto-reply says someone is away, their next nudge waits for their return.

The next pending nudge moves to the stated return date + 1 business day at the check-in hour in its recipient's
timezone (5 business days from today when no date is stated); later nudges to the same person keep the cadence's
spacing after it. Pure: the caller passes today's date and the pending nudges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from followup.domain.cadence import DEFAULT_POLICY, business_days_after, local_instant

__all__ = ["MONTH_FIRST_COUNTRIES", "OUT_OF_OFFICE_DEFAULT_BUSINESS_DAYS", "Nudge", "postponed_nudges", "return_day"]

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


def return_day(returns: date | None, today: date, country: str | None) -> date:
    """The day the first nudge may go: the business day after the stated return, else 5 business days on."""
    if returns is not None:
        return business_days_after(returns, 1, country)
    return business_days_after(today, OUT_OF_OFFICE_DEFAULT_BUSINESS_DAYS, country)


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
    first: Nudge, nudges: Sequence[Nudge], day: date, country: str | None, wall: time
) -> list[tuple[Nudge, datetime]]:
    """The new due time of `first` and, to keep the cadence, of the later nudges to the same person (each at
    least the final's spacing in business days after the one before). Only nudges that actually move are
    returned."""
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
        earliest_day = business_days_after(previous_day, DEFAULT_POLICY.final_after_check_in_business_days, country)
        earliest = local_instant(earliest_day, wall, nudge.timezone)
        if earliest > nudge.due_at:
            moves.append((nudge, earliest))
            previous_day = earliest_day
        else:
            previous_day = nudge.due_at.astimezone(ZoneInfo(nudge.timezone)).date()
    return moves
