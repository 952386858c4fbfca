"""Working days: each person's own calendar, from the `holidays` package (never a hand-kept table of holidays; the
one hand-kept list is the year-end break no package records, `YEAR_END_BREAKS`, with its half days).

A *working day* of a calendar is a day that is not that country's weekend (the package knows each country's
weekend days: Saturday-Sunday in most, Friday-Saturday in Saudi Arabia or Israel, Friday alone in Iran; and the
weekend days some countries declare working days, such as China's make-up days) and not one of its public holidays,
with the regional holidays of a subdivision (a Canadian province, a US or Indian state, an Australian state...).
Without a country, Monday-Friday are working days.

Whose calendar: an interviewer's is their own `country`/`subdivision` when given, else the company's; the candidate's
is their own when given, else the company's.

Pure and cached: a country's year is built once per (country, subdivision, year), and the `holidays` package (and
through it each country's module) is imported on first use, not at cold start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple

from followup.core.text import WEEKDAYS
from followup.domain.models import InterviewRequest

__all__ = [
    "DEFAULT_WEEKEND",
    "WorkingCalendar",
    "candidate_calendar",
    "company_calendar",
    "country_name",
    "interviewer_calendar",
    "weekday_list",
]

# Saturday and Sunday (date.weekday() numbers): the weekend without a country.
DEFAULT_WEEKEND = frozenset({5, 6})
# No calendar has this many consecutive days off; a search that runs longer is a bug, not a long holiday.
_MAX_DAYS_OFF = 60


@dataclass(frozen=True)
class YearEndBreak:
    """Days around the new year when offices of a country run on a skeleton staff, although most of them are not
    public holidays: a check-in sent then sits unread under everything else until January. Dates are inclusive and
    wrap the year end (from `start` in December to `end` in January)."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]
    countries: frozenset[str]

    def covers(self, day: date) -> bool:
        return (day.month, day.day) >= self.start or (day.month, day.day) <= self.end


# Christmas Eve to New Year's Day where Christmas is the year's main break (Europe, the Americas, Oceania, southern
# Africa, the Philippines); Japan's 年末年始 (29 December to 3 January, when companies close). Countries whose long
# break is elsewhere in the year (Lunar New Year, Eid, Nowruz) or whose public holidays already cover it (Russia's
# 1-8 January) are not listed: their holiday calendars speak for them.
_CHRISTMAS_BREAK_COUNTRIES = frozenset(
    {
        # Europe
        *("AD", "AL", "AT", "BA", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GR"),
        *("HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "ME", "MK", "MT", "NL", "NO", "PL", "PT"),
        *("RO", "RS", "SE", "SI", "SK", "SM", "UA", "VA"),
        # the Americas
        *("AG", "AR", "BB", "BO", "BR", "BS", "BZ", "CA", "CL", "CO", "CR", "DO", "EC", "GT", "GY", "HN", "JM"),
        *("MX", "NI", "PA", "PE", "PR", "PY", "SR", "SV", "TT", "US", "UY", "VE"),
        # Oceania, southern Africa, Asia
        *("AU", "NZ", "FJ", "PG", "ZA", "NA", "BW", "LS", "SZ", "PH"),
    }
)
# Christmas Eve and New Year's Eve where Christmas is the main break: offices that open at all close at noon, so no
# message goes in the afternoon (any kind: a thank-you at 12:15 on Heiligabend finds nobody).
_HALF_DAYS = frozenset({(12, 24), (12, 31)})
HALF_DAY_CLOSE = time(12, 0)
YEAR_END_BREAKS = (
    YearEndBreak(
        "the Christmas and New Year break",
        (12, 24),
        (1, 1),
        _CHRISTMAS_BREAK_COUNTRIES,
    ),
    YearEndBreak("the New Year holiday period", (12, 29), (1, 3), frozenset({"JP"})),
)


class _Year(NamedTuple):
    holidays: Mapping[date, str]
    weekend: frozenset[int]
    weekend_workdays: frozenset[date]


@lru_cache(maxsize=1024)
def _year(country: str, subdivision: str | None, year: int) -> _Year:
    import holidays  # on first use: importing the package costs ~0.25 s of a cold start

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return _Year(
        holidays=MappingProxyType(dict(calendar)),
        weekend=frozenset(calendar.weekend),
        weekend_workdays=frozenset(day for day in calendar.weekend_workdays if day.year == year),
    )


@lru_cache(maxsize=64)
def country_name(code: str) -> str:
    """'Saudi Arabia' for 'SA', from the `holidays` registry's class names; the code itself when not found."""
    from holidays import registry

    for entry in registry.COUNTRIES.values():
        if entry[1] == code:
            return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0])
    return code


def weekday_list(days: frozenset[int] | set[int]) -> str:
    """'Friday and Saturday', 'Friday', 'Saturday and Sunday': weekday numbers in plain words."""
    names = [WEEKDAYS[number] for number in sorted(days)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class WorkingCalendar:
    """The working days of one place: `country` (ISO 3166-1 alpha-2) and an optional `subdivision`."""

    country: str | None = None
    subdivision: str | None = None
    # Whether the country's year-end break (`YEAR_END_BREAKS`) counts as days off: on for check-ins and finals.
    year_end_break: bool = False

    def for_nudges(self) -> WorkingCalendar:
        """This calendar with its year-end break as days off (a check-in waits for January)."""
        return WorkingCalendar(self.country, self.subdivision, year_end_break=True)

    def closes_at(self, day: date) -> time | None:
        """When the working day ends early (noon on Christmas Eve and New Year's Eve where the Christmas break is
        kept), else None."""
        if self.country in _CHRISTMAS_BREAK_COUNTRIES and (day.month, day.day) in _HALF_DAYS:
            return HALF_DAY_CLOSE
        return None

    def seasonal_break(self, day: date) -> str | None:
        """The name of the year-end break `day` falls in, when this calendar keeps one, else None."""
        if not self.year_end_break or self.country is None:
            return None
        for season in YEAR_END_BREAKS:
            if self.country in season.countries and season.covers(day):
                return season.name
        return None

    @property
    def label(self) -> str:
        """'Saudi Arabia', 'CA-ON': how a reader names this calendar."""
        if self.country is None:
            return "Monday-Friday"
        return country_name(self.country) if self.subdivision is None else f"{self.country}-{self.subdivision}"

    def _data(self, day: date) -> _Year | None:
        return None if self.country is None else _year(self.country, self.subdivision, day.year)

    def weekend(self, year: int) -> frozenset[int]:
        """The weekday numbers (Monday = 0) of this calendar's weekend in `year`."""
        data = self._data(date(year, 1, 1))
        return DEFAULT_WEEKEND if data is None else data.weekend

    def is_weekend(self, day: date) -> bool:
        data = self._data(day)
        if data is None:
            return day.weekday() in DEFAULT_WEEKEND
        return day.weekday() in data.weekend and day not in data.weekend_workdays

    def holiday(self, day: date) -> str | None:
        """The public holiday's name on `day` (regional ones included), or None."""
        data = self._data(day)
        return None if data is None else data.holidays.get(day)

    def is_working_day(self, day: date) -> bool:
        return not self.is_weekend(day) and self.holiday(day) is None and self.seasonal_break(day) is None

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        for _ in range(_MAX_DAYS_OFF):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_DAYS_OFF} days of {day} in {self.label}")

    def working_days_after(self, day: date, n: int) -> date:
        """The `n`-th working day after `day` (`day` itself not counted); negative `n` counts backwards, 0 is
        `day`."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]: 1 from a working day to the next one."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def why_off(self, day: date) -> str | None:
        """Why `day` is not a working day, in plain words ('Thanksgiving Day', 'the weekend'), or None."""
        name = self.holiday(day)
        if name is not None:
            return name
        if self.is_weekend(day):
            return "the weekend"
        return self.seasonal_break(day)


def company_calendar(request: InterviewRequest) -> WorkingCalendar:
    return WorkingCalendar(request.company.country, request.company.subdivision)


def interviewer_calendar(request: InterviewRequest, index: int) -> WorkingCalendar:
    """Interviewer `index`'s working days: their own country (and subdivision) when given, else the company's; a
    subdivision given without a country is one of the company's country."""
    person, company = request.interviewers[index], request.company
    if person.country is not None and person.country != company.country:
        return WorkingCalendar(person.country, person.subdivision)
    return WorkingCalendar(company.country, person.subdivision or company.subdivision)


def candidate_calendar(request: InterviewRequest) -> WorkingCalendar:
    """The candidate's own working days (their reminders): their country when given, else the company's."""
    candidate = request.candidate
    if candidate.country is not None:
        return WorkingCalendar(candidate.country, candidate.subdivision)
    return company_calendar(request)
