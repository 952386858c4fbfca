"""Unit tests of the working-day calendar and the send window (shared/followup/domain/calendar.py, window.py)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from followup.domain.calendar import (
    WorkingCalendar,
    candidate_calendar,
    company_calendar,
    interviewer_calendar,
)
from followup.domain.models import InterviewRequest
from followup.domain.window import Window, ceil_to, local_instant
from tests.conftest import load_example

NY, LONDON = "America/New_York", "Europe/London"
US, GB = WorkingCalendar("US"), WorkingCalendar("GB")


# --- working days -------------------------------------------------------------------------------------------------


def test_working_days_skip_weekends_and_public_holidays() -> None:
    assert not US.is_working_day(date(2026, 11, 26))  # Thanksgiving
    assert US.is_working_day(date(2026, 11, 27))  # the day after is not a federal holiday
    assert not GB.is_working_day(date(2026, 12, 25))
    assert not GB.is_working_day(date(2026, 12, 28))  # Boxing Day (observed): the 26th is a Saturday
    assert US.is_working_day(date(2026, 12, 28))
    assert WorkingCalendar().is_working_day(date(2026, 12, 25))  # no country: weekends only
    assert not WorkingCalendar().is_working_day(date(2026, 11, 28))


def test_working_days_after_counts_forward_and_backward() -> None:
    assert US.working_days_after(date(2026, 11, 25), 1) == date(2026, 11, 27)
    assert GB.working_days_after(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert US.working_days_after(date(2026, 11, 27), -1) == date(2026, 11, 25)
    assert WorkingCalendar().working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 23)
    assert US.working_days_after(date(2026, 11, 21), 0) == date(2026, 11, 21)
    assert US.working_days_between(date(2026, 11, 25), date(2026, 11, 30)) == 2  # Fri 27, Mon 30
    assert US.next_working_day(date(2026, 11, 26)) == date(2026, 11, 27)
    assert US.next_working_day(date(2026, 11, 27)) == date(2026, 11, 27)


def test_each_country_has_its_own_weekend() -> None:
    # Saudi Arabia and Israel rest Friday-Saturday: Sunday is a working day, Friday is not
    for code in ("SA", "IL"):
        calendar = WorkingCalendar(code)
        assert calendar.weekend(2026) == frozenset({4, 5})
        assert not calendar.is_working_day(date(2026, 11, 13))  # Friday
        assert not calendar.is_working_day(date(2026, 11, 14))  # Saturday
        assert calendar.is_working_day(date(2026, 11, 15))  # Sunday
    # Straight from the holidays package, never a hand table
    assert WorkingCalendar("IR").weekend(2026) == frozenset(holidays.country_holidays("IR", years=2026).weekend)
    assert US.weekend(2026) == frozenset({5, 6})


def test_weekend_workdays_declared_by_a_country_are_working_days() -> None:
    # China moves working days onto weekends around its long holidays; the package lists them
    china = holidays.country_holidays("CN", years=2026)
    make_up = sorted(day for day in china.weekend_workdays if day.year == 2026)
    assert make_up, "the holidays package lists China's make-up working days"
    assert all(WorkingCalendar("CN").is_working_day(day) for day in make_up)
    assert all(day.weekday() >= 5 for day in make_up)


def test_regional_holidays_follow_the_subdivision() -> None:
    family_day = date(2026, 2, 16)  # Ontario's Family Day; not a holiday in Quebec
    assert not WorkingCalendar("CA", "ON").is_working_day(family_day)
    assert WorkingCalendar("CA", "QC").is_working_day(family_day)
    assert WorkingCalendar("CA", "ON").holiday(family_day) == "Family Day"
    # Karnataka Rajyotsava is Karnataka's alone; Easter Monday is New South Wales's, not the whole of Australia's
    assert WorkingCalendar("IN", "KA").holiday(date(2026, 11, 1)) == "Karnataka Rajyotsava"
    assert WorkingCalendar("IN").holiday(date(2026, 11, 1)) is None
    assert not WorkingCalendar("AU", "NSW").is_working_day(date(2026, 4, 6))


def test_why_off_names_the_holiday_or_the_weekend() -> None:
    assert US.why_off(date(2026, 11, 26)) == "Thanksgiving Day"
    assert US.why_off(date(2026, 11, 28)) == "the weekend"
    assert US.why_off(date(2026, 11, 27)) is None
    assert WorkingCalendar("SA").label == "Saudi Arabia"
    assert WorkingCalendar("CA", "ON").label == "CA-ON"


def test_calendars_are_cached_per_country_subdivision_and_year() -> None:
    from followup.domain import calendar as module

    module._year.cache_clear()
    for _ in range(3):
        WorkingCalendar("CA", "ON").is_working_day(date(2026, 2, 16))
        WorkingCalendar("CA", "ON").is_working_day(date(2026, 7, 1))
    assert module._year.cache_info().misses == 1
    WorkingCalendar("CA", "ON").is_working_day(date(2027, 2, 15))
    WorkingCalendar("CA", "QC").is_working_day(date(2027, 2, 15))
    assert module._year.cache_info().misses == 3


def test_the_domain_imports_holidays_lazily() -> None:
    # Importing the cadence must not import the holidays package (~0.25 s of a cold start)
    import subprocess

    code = "import sys, followup.domain.cadence, followup.domain.out_of_office; print('holidays' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- whose calendar -----------------------------------------------------------------------------------------------


def _request(**changes: object) -> InterviewRequest:
    payload = load_example("interview.json")
    for key, value in changes.items():
        payload[key] = value
    return InterviewRequest.model_validate(payload)


def test_an_interviewer_uses_their_own_country_else_the_companys() -> None:
    base = load_example("interview.json")
    grace = base["interviewers"][0]
    request = _request(
        company={**base["company"], "subdivision": "NY"},
        interviewers=[
            grace,
            {"name": "Alan Turing", "email": "alan@ae.example", "country": "GB", "subdivision": "SCT"},
            {"name": "Ann Other", "email": "ann@ae.example", "subdivision": "CA"},
        ],
    )
    assert company_calendar(request) == WorkingCalendar("US", "NY")
    assert interviewer_calendar(request, 0) == WorkingCalendar("US", "NY")
    assert interviewer_calendar(request, 1) == WorkingCalendar("GB", "SCT")
    assert interviewer_calendar(request, 2) == WorkingCalendar("US", "CA")


def test_the_candidate_uses_their_own_country_else_the_companys() -> None:
    base = load_example("interview.json")
    assert candidate_calendar(_request()) == WorkingCalendar("US")
    singapore = _request(candidate={**base["candidate"], "country": "SG", "timezone": "Asia/Singapore"})
    assert candidate_calendar(singapore) == WorkingCalendar("SG")


# --- local time and the send window -------------------------------------------------------------------------------


def test_local_instant_handles_dst_gap_and_overlap() -> None:
    assert local_instant(date(2027, 3, 14), time(9), NY) == datetime(2027, 3, 14, 13, tzinfo=UTC)
    assert local_instant(date(2027, 3, 13), time(9), NY) == datetime(2027, 3, 13, 14, tzinfo=UTC)
    # 02:30 does not exist on spring-forward day: it comes out shifted past the gap (03:30 EDT)
    assert local_instant(date(2027, 3, 14), time(2, 30), NY) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    # 01:30 happens twice on fall-back day: fold picks the occurrence
    assert local_instant(date(2026, 11, 1), time(1, 30), NY) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert local_instant(date(2026, 11, 1), time(1, 30), NY, fold=1) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_ceil_to_rounds_up_to_the_step() -> None:
    at = datetime(2026, 11, 24, 20, 1, 5, tzinfo=UTC)
    assert ceil_to(at, timedelta(minutes=5)) == datetime(2026, 11, 24, 20, 5, tzinfo=UTC)
    assert ceil_to(at, timedelta(minutes=1)) == datetime(2026, 11, 24, 20, 2, tzinfo=UTC)
    assert ceil_to(at.replace(minute=5, second=0), timedelta(minutes=5)) == at.replace(minute=5, second=0)


def test_next_slot_keeps_the_stagger_inside_a_window_on_working_days() -> None:
    window = Window(time(9), time(17), NY, US)
    friday_late = datetime(2026, 11, 20, 16, 55, tzinfo=ZoneInfo(NY))
    slot = window.next_slot(friday_late, timedelta(minutes=12))
    assert slot.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(2026, 11, 23, 9, 12)
    # Inside the window, the slot is the earliest instant itself
    tuesday = datetime(2026, 11, 24, 11, 7, tzinfo=ZoneInfo(NY))
    assert window.next_slot(tuesday) == tuesday
    # Thanksgiving is skipped
    wednesday_evening = datetime(2026, 11, 25, 18, 0, tzinfo=ZoneInfo(NY))
    assert window.next_slot(wednesday_evening).astimezone(ZoneInfo(NY)).day == 27


def test_a_window_over_the_repeated_hour_reads_right_on_both_occurrences() -> None:
    # A 01:00-02:00 window on New York's fall-back night, with a calendar where Sunday is a working day
    window = Window(time(1), time(2), NY, WorkingCalendar("IL"))  # Sunday is a working day in Israel
    sunday = date(2026, 11, 1)
    first = window.next_slot(local_instant(sunday, time(0), NY))
    assert first == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    # Earliest in the second 01:xx hour (01:10 EST): still inside the window by the wall clock
    second = window.next_slot(datetime(2026, 11, 1, 6, 10, tzinfo=UTC))
    assert second == datetime(2026, 11, 1, 6, 10, tzinfo=UTC)
    assert window.fits(second)
    # A window 01:30-02:00 and an earliest at 01:10 EST: the slot is the second 01:30, never 01:10
    narrow = Window(time(1, 30), time(2), NY, WorkingCalendar("IL"))
    slot = narrow.next_slot(datetime(2026, 11, 1, 6, 10, tzinfo=UTC))
    assert slot == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert narrow.fits(slot)


def test_a_window_inside_the_spring_forward_gap_is_empty_that_day() -> None:
    window = Window(time(2), time(3), NY, WorkingCalendar("IL"))
    slot = window.next_slot(datetime(2027, 3, 14, 5, 0, tzinfo=UTC))  # Sun 14 Mar 2027, 00:00 EST
    assert slot.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(2027, 3, 15, 2, 0)
    assert window.fits(slot)


def test_at_wall_time_keeps_the_wall_time_on_a_later_working_day() -> None:
    window = Window(time(9), time(17), NY, US)
    due = window.at_wall_time(date(2026, 11, 26), time(10))  # Thanksgiving -> Friday 10:00
    assert due.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(2026, 11, 27, 10)
    later = window.at_wall_time(date(2026, 11, 27), time(10), earliest=datetime(2026, 11, 27, 16, tzinfo=UTC))
    assert later.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(2026, 11, 30, 10)
    # A wall time outside a custom window is the window's opening
    custom = Window(time(13), time(16), NY, US)
    assert custom.at_wall_time(date(2026, 11, 24), time(10)).astimezone(ZoneInfo(NY)).hour == 13


@pytest.mark.parametrize("tz", [NY, LONDON, "Australia/Sydney", "Asia/Jerusalem", "Africa/Cairo"])
def test_every_slot_of_a_year_fits_its_window(tz: str) -> None:
    # Every hour of 2026 as the earliest time, with narrow windows around DST changes: the slot always reads
    # as inside the window on a working day, never earlier than asked
    calendar = WorkingCalendar("IL" if tz == "Asia/Jerusalem" else "EG" if tz == "Africa/Cairo" else "US")
    for start, end in ((time(0), time(3)), (time(1), time(2)), (time(23), time(23, 59))):
        window = Window(start, end, tz, calendar)
        at = datetime(2026, 1, 1, tzinfo=UTC)
        while at.year == 2026:
            slot = window.next_slot(at, timedelta(minutes=6))
            assert slot >= at
            assert window.fits(slot), (tz, start, at, slot)
            at += timedelta(hours=7)
