"""Properties of the cadence over random interviews (hypothesis, derandomized): countries with different weekends,
subdivisions, send windows, panels working in other countries, submission instants, and ends near DST changes in
several zones.

The working-day oracle here reads the `holidays` package directly, independently of followup.domain.calendar.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.domain.cadence import DEFAULT_POLICY, plan_follow_ups
from followup.domain.kinds import FollowUpKind
from followup.domain.models import InterviewRequest, PlannedFollowUp

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "interview.json"
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)

# (timezone, country, subdivision): Saturday-Sunday weekends with regional holidays, Friday-Saturday weekends
# (Saudi Arabia, Israel, Egypt), a Friday-only weekend (Iran), and zones with DST changes (New York, London, Sydney,
# Jerusalem, Cairo, Toronto, Santiago).
PLACES = [
    ("America/New_York", "US", None),
    ("America/New_York", "US", "NY"),
    ("America/Los_Angeles", "US", "CA"),
    ("Europe/London", "GB", None),
    ("Europe/London", "GB", "SCT"),
    ("Australia/Sydney", "AU", "NSW"),
    ("America/Toronto", "CA", "ON"),
    ("America/Montreal", "CA", "QC"),
    ("Asia/Riyadh", "SA", None),
    ("Asia/Jerusalem", "IL", None),
    ("Africa/Cairo", "EG", None),
    ("Asia/Tehran", "IR", None),
    ("Asia/Tokyo", "JP", None),
    ("Asia/Kolkata", "IN", "KA"),
    ("America/Santiago", "CL", None),
    ("UTC", None, None),
]
WINDOWS = [
    ("09:00", "17:00"),
    ("08:30", "18:00"),
    ("13:00", "16:00"),
    ("07:00", "10:00"),
    ("00:00", "04:00"),
    ("01:00", "02:00"),
    ("22:00", "23:59"),
]
# DST changes near which interviews end (the sweep's nights and more).
CHANGES = [
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York fall-back
    datetime(2027, 3, 14, 7, tzinfo=UTC),  # New York spring-forward
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # London fall-back
    datetime(2027, 3, 28, 1, tzinfo=UTC),  # London spring-forward
    datetime(2026, 4, 4, 16, tzinfo=UTC),  # Sydney fall-back
    datetime(2026, 10, 3, 16, tzinfo=UTC),  # Sydney spring-forward
    datetime(2026, 10, 24, 23, tzinfo=UTC),  # Jerusalem fall-back
    datetime(2026, 10, 29, 21, tzinfo=UTC),  # Cairo fall-back (last Thursday of October)
]


@cache
def _base() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


@cache
def _oracle_year(country: str, subdivision: str | None, year: int) -> tuple[frozenset[date], set[int], set[date]]:
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return frozenset(calendar), set(calendar.weekend), set(calendar.weekend_workdays)


def working_day(day: date, country: str | None, subdivision: str | None) -> bool:
    if country is None:
        return day.weekday() < 5
    off_days, weekend, weekend_workdays = _oracle_year(country, subdivision, day.year)
    if day.weekday() in weekend and day not in weekend_workdays:
        return False
    return day not in off_days


def working_days_between(start: date, end: date, country: str | None, subdivision: str | None) -> int:
    """Working days in (start, end]."""
    return sum(working_day(start + timedelta(days=n), country, subdivision) for n in range(1, (end - start).days + 1))


def _recipient(request: InterviewRequest, item: PlannedFollowUp) -> tuple[str | None, str | None]:
    """(country, subdivision) of a follow-up's recipient, from the payload's rules."""
    company = request.company
    if item.interviewer_index is None:
        if request.candidate.country is not None:
            return request.candidate.country, request.candidate.subdivision
        return company.country, company.subdivision
    person = request.interviewers[item.interviewer_index]
    if person.country is not None and person.country != company.country:
        return person.country, person.subdivision
    return company.country, person.subdivision or company.subdivision


def _in_window(request: InterviewRequest, item: PlannedFollowUp) -> bool:
    window = request.preferences.send_window
    local = item.due_at.astimezone(ZoneInfo(item.timezone))
    return window.start_time <= local.time() < window.end_time


def _ceil5(at: datetime) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    remainder = (at - epoch) % timedelta(minutes=5)
    return at if not remainder else at + (timedelta(minutes=5) - remainder)


places = st.sampled_from(PLACES)
ends = st.one_of(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 20)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC)
    ),
    st.tuples(st.sampled_from(CHANGES), st.integers(min_value=-72 * 12, max_value=24 * 12)).map(
        lambda c: c[0] + timedelta(minutes=5 * c[1])
    ),
)


@st.composite
def interviews(draw: st.DrawFn) -> tuple[InterviewRequest, datetime]:
    tz, country, subdivision = draw(places)
    end = draw(ends)
    panel = []
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        person: dict[str, Any] = {"name": f"Interviewer {n}", "email": f"person{n}@co.example"}
        if draw(st.booleans()):  # working elsewhere: their own zone and calendar
            other_tz, other_country, other_subdivision = draw(places)
            person["timezone"] = other_tz
            if other_country is not None:
                person["country"] = other_country
                if other_subdivision is not None:
                    person["subdivision"] = other_subdivision
        panel.append(person)
    panel[draw(st.integers(min_value=0, max_value=len(panel) - 1))]["primary_contact"] = True
    panel[0]["linkedin_url"] = "https://www.linkedin.com/in/someone"
    candidate = copy.deepcopy(_base()["candidate"])
    candidate_tz, candidate_country, candidate_subdivision = draw(places)
    candidate["timezone"] = candidate_tz
    if candidate_country is not None and draw(st.booleans()):
        candidate["country"] = candidate_country
        if candidate_subdivision is not None:
            candidate["subdivision"] = candidate_subdivision
    start, stop = draw(st.sampled_from(WINDOWS))
    decision_days = draw(st.one_of(st.none(), st.integers(min_value=-5, max_value=30)))
    decision = None if decision_days is None else (end.date() + timedelta(days=decision_days)).isoformat()
    document = copy.deepcopy(_base())
    document.update(
        {
            "candidate": candidate,
            "company": {"name": "Company", "timezone": tz, **({"country": country} if country else {})},
            "interview": {"stage": "onsite", "ended_at": end.isoformat()},
            "interviewers": panel,
            "next_steps": {"decision_expected_by": decision},
        }
    )
    if subdivision is not None:
        document["company"]["subdivision"] = subdivision
    document["preferences"].update(
        {
            "send_window": {"start": start, "end": stop},
            "max_follow_ups": draw(st.integers(min_value=0, max_value=3)),
            "linkedin": draw(st.booleans()),
            "handwritten_note": draw(st.booleans()),
            "work_samples": [] if draw(st.booleans()) else ["https://example.com/work"],
        }
    )
    late = draw(st.one_of(st.integers(min_value=0, max_value=90), st.integers(min_value=0, max_value=4 * 24 * 60)))
    return InterviewRequest.model_validate(document), end + timedelta(minutes=late)


@PROPERTY_SETTINGS
@given(case=interviews())
def test_every_message_to_the_company_is_due_on_a_working_day_of_its_recipient_inside_the_window(
    case: tuple[InterviewRequest, datetime],
) -> None:
    request, submitted = case
    plan = plan_follow_ups(request, submitted)
    for item in plan.follow_ups:
        # Every instant is aware UTC, after the submission's lead time, on the minute
        assert item.due_at.utcoffset() == timedelta(0)
        assert item.due_at >= submitted + DEFAULT_POLICY.min_lead_after_submission
        assert item.due_at.second == item.due_at.microsecond == 0
        if item.kind is FollowUpKind.REMINDER_HANDWRITTEN_NOTE:
            continue  # an evening reminder to the candidate, outside the window by design
        country, subdivision = _recipient(request, item)
        local = item.due_at.astimezone(ZoneInfo(item.timezone))
        assert working_day(local.date(), country, subdivision), (item, country, subdivision)
        assert _in_window(request, item), item


@PROPERTY_SETTINGS
@given(case=interviews())
def test_thank_yous_are_at_least_two_hours_after_and_the_same_day_whenever_the_rule_allows(
    case: tuple[InterviewRequest, datetime],
) -> None:
    request, submitted = case
    plan = {item.id: item for item in plan_follow_ups(request, submitted).follow_ups}
    window = request.preferences.send_window
    length = datetime.combine(date.min, window.end_time) - datetime.combine(date.min, window.start_time)
    end = request.interview.ended_at.astimezone(UTC)
    for index in range(len(request.interviewers)):
        item = plan[f"thank_you-{index}"]
        zone = ZoneInfo(item.timezone)
        country, subdivision = _recipient(request, item)
        assert item.due_at - end >= DEFAULT_POLICY.thank_you_min_delay
        offset = min(index * DEFAULT_POLICY.panel_stagger, length - timedelta(minutes=1))
        start = max(
            _ceil5(end + DEFAULT_POLICY.thank_you_min_delay),
            _ceil5(submitted.astimezone(UTC) + DEFAULT_POLICY.min_lead_after_submission),
        )
        first_day, due_day = start.astimezone(zone).date(), item.local_due_at().date()
        # Same day whenever the rule allows: the first possible day is a working day and the slot fits its window
        opens = datetime.combine(first_day, window.start_time, tzinfo=zone).astimezone(UTC)
        candidate = (max(start, opens) + offset).astimezone(zone)
        if (
            working_day(first_day, country, subdivision)
            and candidate.date() == first_day
            and window.start_time <= candidate.time() < window.end_time
        ):
            assert due_day == first_day, (item, candidate)
            assert item.due_at == candidate.astimezone(UTC), (item, candidate)
        # Never later than needed: no working day between the first possible day and the one it goes on, and on a
        # later day it is that day's opening (+ the stagger)
        between = [first_day + timedelta(days=n) for n in range(1, (due_day - first_day).days)]
        assert not any(working_day(day, country, subdivision) for day in between), (item, between)
        if due_day > first_day:
            expected = (datetime.combine(date.min, window.start_time) + offset).time()
            assert item.local_due_at().time() == expected, item


@PROPERTY_SETTINGS
@given(case=interviews())
def test_nudges_keep_their_spacing_in_working_days_and_their_count(case: tuple[InterviewRequest, datetime]) -> None:
    request, submitted = case
    plan = {item.id: item for item in plan_follow_ups(request, submitted).follow_ups}
    nudges = [plan[i] for i in ("check_in", "check_in-2", "final") if i in plan]
    count = request.preferences.max_follow_ups
    assert len(nudges) == count
    expected = {0: [], 1: ["check_in"], 2: ["check_in", "final"], 3: ["check_in", "check_in-2", "final"]}[count]
    assert [n.id for n in nudges] == expected
    if not nudges:
        return
    primary = request.primary_contact_index
    thank_you = plan[f"thank_you-{primary}"]
    country, subdivision = _recipient(request, nudges[0])
    previous_day = thank_you.local_due_at().date()
    assert working_days_between(previous_day, nudges[0].local_due_at().date(), country, subdivision) >= 2
    decision = request.next_steps.decision_expected_by
    if decision is not None:
        assert nudges[0].local_due_at().date() > decision
    for before, after in itertools.pairwise(nudges):
        spacing = (
            DEFAULT_POLICY.final_spacing_working_days
            if after.id == "final"
            else DEFAULT_POLICY.nudge_spacing_working_days
        )
        gap = working_days_between(before.local_due_at().date(), after.local_due_at().date(), country, subdivision)
        assert gap >= spacing, (before, after, gap)
        assert all(n.to == nudges[0].to for n in nudges)


@PROPERTY_SETTINGS
@given(case=interviews())
def test_the_candidates_reminders_keep_the_candidates_own_working_days(case: tuple[InterviewRequest, datetime]) -> None:
    request, submitted = case
    end = request.interview.ended_at.astimezone(UTC)
    for item in plan_follow_ups(request, submitted).follow_ups:
        if item.interviewer_index is not None:
            continue
        assert item.timezone == request.candidate_timezone()
        assert item.due_at >= end
        if item.kind is FollowUpKind.REMINDER_LINKEDIN:
            assert item.due_at - end >= DEFAULT_POLICY.linkedin_delay
