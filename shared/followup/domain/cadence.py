"""The cadence policy: which follow-ups an interview gets, and when each one is due.

Pure functions of the request, the submission instant and a `CadencePolicy`: no I/O and no clock (the caller
passes `submitted_at`, the planner's "now"), so the same input always yields the same plan.

Vocabulary used below:
- *business day*: Monday-Friday and not a public holiday of `company.country` (weekends only without a country).
- *send window*: `preferences.send_window` (default 09:00-17:00) as a half-open interval [start, end) of the
  recipient's local wall clock, on business days only.
- Local wall times become instants with `datetime.combine(day, t, tzinfo=ZoneInfo(tz))` (fold=0): an ambiguous
  time (DST fall-back) takes its first occurrence, a non-existent one (spring-forward gap) lands just after the gap.

Why one module of this length: the calendar, the send window and every step's rule are one policy read top to
bottom; each section is a few short functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from followup.domain.kinds import FollowUpKind
from followup.domain.models import InterviewRequest, Plan, PlannedFollowUp, SkippedStep

__all__ = [
    "DEFAULT_POLICY",
    "CadencePolicy",
    "business_days_after",
    "is_business_day",
    "local_instant",
    "next_slot_in_window",
    "plan_check_ins",
    "plan_follow_ups",
    "thank_you_due_at",
]

_ROUNDING = timedelta(minutes=5)
# Holidays are never long enough to leave this many consecutive days without a business day.
_MAX_SEARCH_DAYS = 60


@dataclass(frozen=True)
class CadencePolicy:
    """Every timing default of the cadence (docs/timing.md); override any field."""

    thank_you_min_delay: timedelta = timedelta(hours=2)
    thank_you_max_delay: timedelta = timedelta(hours=24)
    morning_cutoff: time = time(12, 0)
    panel_stagger: timedelta = timedelta(minutes=6)
    check_in_time: time = time(10, 0)
    check_in_business_days_without_date: int = 7
    final_after_check_in_business_days: int = 5
    second_check_in_after_business_days: int = 5
    handwritten_reminder_time: time = time(19, 0)
    postal_transit_business_days: int = 3
    handwritten_margin_business_days: int = 2
    linkedin_delay: timedelta = timedelta(hours=24)
    min_lead_after_submission: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.thank_you_min_delay <= self.thank_you_max_delay:
            raise ValueError("thank_you_min_delay must be between 0 and thank_you_max_delay")
        if self.panel_stagger < timedelta(0) or self.min_lead_after_submission < timedelta(0):
            raise ValueError("panel_stagger and min_lead_after_submission must not be negative")


DEFAULT_POLICY = CadencePolicy()


# --- calendar helpers -------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_business_day(day: date, country: str | None) -> bool:
    """Monday-Friday and not a public holiday of `country` (ISO alpha-2); with no country, weekends only."""
    if day.weekday() >= 5:
        return False
    return country is None or day not in _holiday_dates(country, day.year)


def business_days_after(day: date, n: int, country: str | None) -> date:
    """The `n`-th business day after `day` (`day` itself not counted); negative `n` counts backwards, 0 is `day`."""
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if is_business_day(day, country):
            remaining -= 1
    return day


def local_instant(day: date, wall: time, tz: str) -> datetime:
    """The aware UTC instant at which the wall clock in `tz` shows `wall` on `day` (fold=0, see module doc)."""
    return datetime.combine(day, wall.replace(fold=0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _ceil_to_step(at: datetime) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    remainder = (at - epoch) % _ROUNDING
    return at if not remainder else at + (_ROUNDING - remainder)


def _floor_to_step(at: datetime) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return at - (at - epoch) % _ROUNDING


@dataclass(frozen=True)
class _Window:
    start: time
    end: time
    tz: str
    country: str | None

    @property
    def length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def slot_on(self, day: date, earliest: datetime, offset: timedelta) -> datetime | None:
        """`max(earliest, window start) + offset` on `day` if that is still before the window closes."""
        opens, closes = local_instant(day, self.start, self.tz), local_instant(day, self.end, self.tz)
        candidate = max(earliest, opens) + offset
        return candidate if candidate < closes else None


def _window_for(request: InterviewRequest, tz: str) -> _Window:
    window = request.preferences.send_window
    return _Window(window.start_time, window.end_time, tz, request.company.country)


def next_slot_in_window(
    earliest: datetime,
    tz: str,
    window_start: time,
    window_end: time,
    country: str | None,
    *,
    offset: timedelta = timedelta(0),
    business_days_only: bool = True,
) -> datetime:
    """The first instant >= `earliest` inside the send window of `tz`, plus `offset` kept inside the same window.

    The offset (a panel stagger) moves a slot later without leaving its window: when it would spill past the
    window's end the slot moves to the next window, so staggered messages never collapse onto one opening minute.
    """
    window = _Window(window_start, window_end, tz, country)
    # An offset as long as the window could never fit; cap it so a slot always exists.
    offset = min(offset, window.length - timedelta(minutes=1))
    day = earliest.astimezone(ZoneInfo(tz)).date()
    for _ in range(_MAX_SEARCH_DAYS):
        if not business_days_only or is_business_day(day, country):
            slot = window.slot_on(day, earliest, offset)
            if slot is not None:
                return slot
        day += timedelta(days=1)
    raise ValueError(f"no send-window slot within {_MAX_SEARCH_DAYS} days of {earliest.isoformat()}")


# --- thank-yous ---------------------------------------------------------------------------------------------------


def thank_you_due_at(
    request: InterviewRequest, index: int, submitted_at: datetime, policy: CadencePolicy = DEFAULT_POLICY
) -> datetime:
    """When interviewer `index`'s thank-you is due (aware UTC). The rule, in the interviewer's local time:

    Let `end` be the interview's end, `d0` its local date, `floor = end + thank_you_min_delay` rounded up to the
    next 5 minutes, and `stagger = index x panel_stagger` (added inside a window, see `next_slot_in_window`).
    The first rule that yields a time wins:

    1. Same day: `end` is on a business day before `morning_cutoff` -> `max(floor, window start) + stagger` on
       `d0`, if that is before the window closes.
    2. Next business morning: the first business day after `d0`, at `max(floor, window start) + stagger`,
       if that is <= `end + thank_you_max_delay` (24 h).
    3. 24 h fallback, next calendar day: `d0 + 1` at `max(floor, window start) + stagger` (weekend or holiday
       or not: the 24 h promise wins over the weekday rule), if <= `end + 24 h` and inside that day's window.
    4. 24 h fallback, same day: `max(floor, window start) + stagger` on `d0`, whatever the day or the window end,
       capped at `end + 24 h` rounded down to 5 minutes. Only reached when the end is shortly before the window
       opens (e.g. 08:00 on a holiday eve, or a Sunday morning across a DST change): a few hours later on the same
       day is the only time that keeps both the 2 h minimum and the 24 h maximum.

    Finally, never earlier than `submitted_at + min_lead_after_submission` (rounded up to 5 minutes): a late
    submission takes the next business in-window slot from then if it is still within 24 h of the end, else the
    next in-window slot of any day within 24 h, else the next business in-window slot even beyond 24 h (it is
    still planned; the API warns).
    """
    tz = request.interviewer_timezone(index)
    window = _window_for(request, tz)
    offset = min(index * policy.panel_stagger, window.length - timedelta(minutes=1))
    end = request.interview.ended_at.astimezone(UTC)
    latest = end + policy.thank_you_max_delay
    floor = _ceil_to_step(end + policy.thank_you_min_delay)
    local_end = end.astimezone(ZoneInfo(tz))
    d0 = local_end.date()

    due = _rule_based_thank_you(window, d0, local_end.time(), floor, latest, offset, policy)

    earliest = _ceil_to_step(submitted_at.astimezone(UTC) + policy.min_lead_after_submission)
    if due < earliest:
        due = _late_thank_you(window, earliest, latest, offset)
    return due


def _rule_based_thank_you(
    window: _Window,
    d0: date,
    local_end_time: time,
    floor: datetime,
    latest: datetime,
    offset: timedelta,
    policy: CadencePolicy,
) -> datetime:
    if local_end_time < policy.morning_cutoff and is_business_day(d0, window.country):
        same_day = window.slot_on(d0, floor, offset)
        if same_day is not None:
            return same_day
    next_business = window.slot_on(business_days_after(d0, 1, window.country), floor, offset)
    if next_business is not None and next_business <= latest:
        return next_business
    next_calendar = window.slot_on(d0 + timedelta(days=1), floor, offset)
    if next_calendar is not None and next_calendar <= latest:
        return next_calendar
    same_day_any = max(floor, local_instant(d0, window.start, window.tz)) + offset
    return min(same_day_any, _floor_to_step(latest))


def _late_thank_you(window: _Window, earliest: datetime, latest: datetime, offset: timedelta) -> datetime:
    business = next_slot_in_window(earliest, window.tz, window.start, window.end, window.country, offset=offset)
    if business <= latest:
        return business
    any_day = next_slot_in_window(
        earliest, window.tz, window.start, window.end, window.country, offset=offset, business_days_only=False
    )
    return any_day if any_day <= latest else business


# --- check-ins ----------------------------------------------------------------------------------------------------


def _in_window_time(wall: time, window: _Window) -> time:
    # A custom send window may exclude the default 10:00: then the window's opening is the polite equivalent.
    return wall if window.start <= wall < window.end else window.start


def plan_check_ins(
    request: InterviewRequest,
    submitted_at: datetime,
    *,
    not_before: datetime | None = None,
    policy: CadencePolicy = DEFAULT_POLICY,
) -> list[PlannedFollowUp]:
    """The check-in, second check-in and final to the primary contact (ids `check_in`, `check_in-2`, `final`).

    Used alone when the decision date changes (PATCH): `not_before` is the current time and nothing is due
    earlier than it plus `min_lead_after_submission`. Days are business days of `company.country` at
    `check_in_time` (or the window's start when a custom window excludes it) in the primary contact's timezone:
    - `check_in` (max_follow_ups >= 1): `decision_expected_by` + 1 business day; without a date, 7 business days
      after the interview's local end date; never earlier than 2 business days after that contact's thank-you
      (which also covers a decision date already in the past).
    - `check_in-2` (max_follow_ups == 3): 5 business days after `check_in`.
    - `final` (max_follow_ups >= 2): 5 business days after the last check-in. Then stop.
    """
    count = request.preferences.max_follow_ups
    if count < 1:
        return []
    index = request.primary_contact_index
    person = request.interviewers[index]
    tz = request.interviewer_timezone(index)
    zone = ZoneInfo(tz)
    window = _window_for(request, tz)
    country = window.country
    wall = _in_window_time(policy.check_in_time, window)

    thank_you_day = thank_you_due_at(request, index, submitted_at, policy).astimezone(zone).date()
    decision = request.next_steps.decision_expected_by
    if decision is not None:
        day = business_days_after(decision, 1, country)
    else:
        end_day = request.interview.ended_at.astimezone(zone).date()
        day = business_days_after(end_day, policy.check_in_business_days_without_date, country)
    day = max(day, business_days_after(thank_you_day, 2, country))
    if not_before is not None:
        earliest = not_before.astimezone(UTC) + policy.min_lead_after_submission
        while local_instant(day, wall, tz) < earliest or not is_business_day(day, country):
            day += timedelta(days=1)

    steps: list[tuple[str, FollowUpKind, date]] = [("check_in", FollowUpKind.CHECK_IN, day)]
    if count == 3:
        day = business_days_after(day, policy.second_check_in_after_business_days, country)
        steps.append(("check_in-2", FollowUpKind.CHECK_IN, day))
    if count >= 2:
        day = business_days_after(day, policy.final_after_check_in_business_days, country)
        steps.append(("final", FollowUpKind.FINAL, day))
    return [
        PlannedFollowUp(
            id=step_id,
            kind=kind,
            to=str(person.email),
            to_name=person.name,
            timezone=tz,
            due_at=local_instant(step_day, wall, tz),
            interviewer_index=index,
        )
        for step_id, kind, step_day in steps
    ]


# --- the candidate's own reminders --------------------------------------------------------------------------------


def _fmt(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _candidate_reminders(
    request: InterviewRequest, submitted_at: datetime, policy: CadencePolicy
) -> tuple[list[PlannedFollowUp], list[SkippedStep]]:
    tz = request.candidate_timezone()
    zone = ZoneInfo(tz)
    window = _window_for(request, tz)
    country = window.country
    end = request.interview.ended_at.astimezone(UTC)
    interview_day = end.astimezone(zone).date()
    # A reminder about an interview that has not ended yet, or due before the planner ran, would be noise.
    earliest = _ceil_to_step(max(submitted_at.astimezone(UTC), end) + policy.min_lead_after_submission)
    prefs = request.preferences
    planned: list[tuple[str, FollowUpKind, datetime]] = []
    skipped: list[SkippedStep] = []

    if prefs.handwritten_note:
        posted = business_days_after(interview_day, 1, country)
        arrives = business_days_after(posted, policy.postal_transit_business_days, country)
        decision = request.next_steps.decision_expected_by
        margin = policy.handwritten_margin_business_days
        if decision is not None and arrives > business_days_after(decision, -margin, country):
            skipped.append(
                SkippedStep(
                    kind=FollowUpKind.REMINDER_HANDWRITTEN_NOTE,
                    reason=(
                        f"A card posted on {_fmt(posted)} would arrive around {_fmt(arrives)} "
                        f"({policy.postal_transit_business_days} business days in the post), less than {margin} "
                        f"business days before the decision expected by {_fmt(decision)}."
                    ),
                )
            )
        else:
            evening = local_instant(interview_day, policy.handwritten_reminder_time, tz)
            planned.append(
                ("reminder_handwritten_note", FollowUpKind.REMINDER_HANDWRITTEN_NOTE, max(evening, earliest))
            )

    if prefs.linkedin:
        if any(person.linkedin_url is not None for person in request.interviewers):
            after = max(_ceil_to_step(end + policy.linkedin_delay), earliest)
            due = next_slot_in_window(after, tz, window.start, window.end, country)
            planned.append(("reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN, due))
        else:
            skipped.append(
                SkippedStep(
                    kind=FollowUpKind.REMINDER_LINKEDIN,
                    reason="No interviewer has a LinkedIn profile URL, so there is no one to connect with.",
                )
            )

    if not prefs.work_samples and request.interview.stage != "phone_screen":
        wall = _in_window_time(policy.check_in_time, window)
        due = local_instant(business_days_after(interview_day, 1, country), wall, tz)
        if due < earliest:
            due = next_slot_in_window(earliest, tz, window.start, window.end, country)
        planned.append(("reminder_work_samples", FollowUpKind.REMINDER_WORK_SAMPLES, due))

    follow_ups = [
        PlannedFollowUp(
            id=step_id,
            kind=kind,
            to=str(request.candidate.email),
            to_name=request.candidate.name,
            timezone=tz,
            due_at=due,
        )
        for step_id, kind, due in planned
    ]
    return follow_ups, skipped


# --- the whole plan -----------------------------------------------------------------------------------------------


def plan_follow_ups(request: InterviewRequest, submitted_at: datetime, policy: CadencePolicy = DEFAULT_POLICY) -> Plan:
    """Every follow-up of one interview, sorted by due time then id, plus the steps skipped and why.

    `submitted_at` is the planner's current instant (aware); nothing is due earlier than it plus
    `min_lead_after_submission`. See `thank_you_due_at`, `plan_check_ins` and the module doc for the rules.
    """
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        raise ValueError("submitted_at must be timezone-aware")
    follow_ups = [
        PlannedFollowUp(
            id=f"thank_you-{index}",
            kind=FollowUpKind.THANK_YOU,
            to=str(person.email),
            to_name=person.name,
            timezone=request.interviewer_timezone(index),
            due_at=thank_you_due_at(request, index, submitted_at, policy),
            interviewer_index=index,
        )
        for index, person in enumerate(request.interviewers)
    ]
    follow_ups += plan_check_ins(request, submitted_at, policy=policy)
    reminders, skipped = _candidate_reminders(request, submitted_at, policy)
    follow_ups += reminders
    follow_ups.sort(key=lambda item: (item.due_at, item.id))
    return Plan(follow_ups=follow_ups, skipped=skipped)
