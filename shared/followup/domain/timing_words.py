"""Plain words for a due time and why it is then: "goes Monday morning (23 Nov, 09:00 their time): the interview
ended too late for Friday's send window". Read by the 202's warnings, the preview, the plan page and the approval
page; pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from followup.core.text import WEEKDAYS
from followup.domain.calendar import DEFAULT_WEEKEND, WorkingCalendar, weekday_list
from followup.domain.window import zone

__all__ = ["day_words", "days_between", "days_off_words", "part_of_day", "when_words"]


def day_words(day: date) -> str:
    """'Thursday 26 Nov'."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b}"


def part_of_day(local: datetime) -> str:
    hour = local.hour
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    return "evening" if 17 <= hour < 22 else "night"


def when_words(instant: datetime, tz: str, *, whose: str = "their") -> str:
    """'Monday morning (23 Nov, 09:00 their time)'."""
    local = instant.astimezone(zone(tz))
    return f"{WEEKDAYS[local.weekday()]} {part_of_day(local)} ({local.day} {local:%b}, {local:%H:%M} {whose} time)"


def days_off_words(calendar: WorkingCalendar, days: Iterable[date]) -> str | None:
    """Why these days were skipped, naming what a reader would not guess: each public holiday on a weekday, and a
    weekend that is not Saturday-Sunday. None when only an ordinary weekend was skipped."""
    holidays: list[str] = []
    unusual_weekend: set[int] = set()
    breaks: dict[str, list[date]] = {}
    for day in days:
        season = calendar.seasonal_break(day)
        if season is not None:  # one phrase for the whole break, not each of its holidays
            breaks.setdefault(season, []).append(day)
            continue
        if calendar.is_weekend(day):  # a holiday at the weekend is not why the day was skipped
            weekend = calendar.weekend(day.year)
            if weekend != DEFAULT_WEEKEND:
                unusual_weekend |= weekend
            continue
        name = calendar.holiday(day)
        if name is not None:
            holidays.append(f"{day_words(day)} is {name}")
    parts = [f"{name} ({_span(found)})" for name, found in breaks.items()] + holidays
    if unusual_weekend:
        verb = "is" if len(unusual_weekend) == 1 else "are"
        parts.append(f"{weekday_list(unusual_weekend)} {verb} the weekend in {calendar.label}")
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _span(days: list[date]) -> str:
    """'24 Dec to 1 Jan' for the days of a break that were skipped."""
    first, last = min(days), max(days)
    return f"{first.day} {first:%b}" if first == last else f"{first.day} {first:%b} to {last.day} {last:%b}"


def days_between(first: date, last: date) -> list[date]:
    """Every day in [first, last)."""
    return [first + timedelta(days=n) for n in range((last - first).days)]
