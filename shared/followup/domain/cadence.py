"""The cadence policy: which follow-ups an interview gets, when each one is due, and why then.

Pure functions of the request, the submission instant and a `CadencePolicy`: no I/O and no clock (the caller
passes `submitted_at`, the planner's "now"), so the same input always yields the same plan.

Vocabulary (docs/timing.md has the whole policy):
- *working day*: a day of the recipient's own calendar (`followup.domain.calendar`): not their country's weekend
  (the `holidays` package knows each country's: Friday-Saturday in Saudi Arabia) and not a public holiday of their
  country and subdivision. The recipient is the interviewer (their own country, else the company's) for messages
  to the company, and the candidate (their own country, else the company's) for the candidate's reminders.
- *send window*: `preferences.send_window` (default 09:00-17:00) as `[start, end)` of the recipient's local wall
  clock, on their working days (`followup.domain.window`).
- A thank-you keeps to working days rather than to "within 24 hours": a Saturday or holiday send reads as automated.
Every due time is an aware UTC instant, scheduled as that instant (never as a local wall time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from followup.core.text import WEEKDAYS
from followup.domain.calendar import WorkingCalendar, candidate_calendar, interviewer_calendar
from followup.domain.kinds import FollowUpKind, spec
from followup.domain.models import InterviewRequest, Plan, PlannedFollowUp, SkippedStep
from followup.domain.timing_words import day_words, days_between, days_off_words, when_words
from followup.domain.window import Window, ceil_to, local_instant

__all__ = [
    "DEFAULT_POLICY",
    "CadencePolicy",
    "local_instant",
    "plan_check_ins",
    "plan_follow_ups",
    "recipient_window",
    "thank_you_due_at",
    "thank_you_timing",
]

_FIVE_MINUTES = timedelta(minutes=5)


@dataclass(frozen=True)
class CadencePolicy:
    """Every timing default of the cadence (docs/timing.md); override any field."""

    thank_you_min_delay: timedelta = timedelta(hours=2)
    panel_stagger: timedelta = timedelta(minutes=6)
    check_in_time: time = time(10, 0)
    check_in_working_days_without_date: int = 7
    check_in_after_thank_you_working_days: int = 2
    nudge_spacing_working_days: int = 5
    final_spacing_working_days: int = 7
    handwritten_reminder_time: time = time(19, 0)
    domestic_post_working_days: int = 3
    international_post_working_days: tuple[int, int] = (7, 10)
    handwritten_margin_working_days: int = 2
    linkedin_delay: timedelta = timedelta(hours=24)
    min_lead_after_submission: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.thank_you_min_delay < timedelta(days=1):
            raise ValueError("thank_you_min_delay must be at least 0 and less than a day")
        if self.panel_stagger < timedelta(0) or self.min_lead_after_submission < timedelta(0):
            raise ValueError("panel_stagger and min_lead_after_submission must not be negative")
        low, high = self.international_post_working_days
        if not 0 <= low <= high or self.domestic_post_working_days < 0:
            raise ValueError("post transit must be a non-negative (low, high) range of working days")


DEFAULT_POLICY = CadencePolicy()


def recipient_window(request: InterviewRequest, follow_up: PlannedFollowUp) -> Window:
    """The send window of a planned follow-up's recipient: an interviewer's calendar for messages to the company,
    the candidate's for their own reminders; in the follow-up's timezone."""
    if follow_up.interviewer_index is not None:
        calendar = interviewer_calendar(request, follow_up.interviewer_index)
    else:
        calendar = candidate_calendar(request)
    if spec(follow_up.kind).waits_out_year_end:
        calendar = calendar.for_nudges()
    return _window(request, follow_up.timezone, calendar)


def _window(request: InterviewRequest, tz: str, calendar: WorkingCalendar) -> Window:
    window = request.preferences.send_window
    return Window(window.start_time, window.end_time, tz, calendar)


def _earliest(submitted_at: datetime, policy: CadencePolicy) -> datetime:
    return ceil_to(submitted_at.astimezone(UTC) + policy.min_lead_after_submission, _FIVE_MINUTES)


# --- thank-yous ---------------------------------------------------------------------------------------------------


def thank_you_timing(
    request: InterviewRequest, index: int, submitted_at: datetime, policy: CadencePolicy = DEFAULT_POLICY
) -> tuple[datetime, str | None]:
    """When interviewer `index`'s thank-you is due (aware UTC) and, when it is not the day of the interview, why.

    In the interviewer's timezone and working days: `floor = end + thank_you_min_delay`, rounded up to 5 minutes,
    and never before `submitted_at + min_lead_after_submission`. The thank-you goes at the first instant >= floor
    inside the send window on a working day, plus `index x panel_stagger` kept inside that window:
    - the same day when that still fits (Friday 14:00 -> Friday 16:00);
    - otherwise the opening of the next working day's window, however long after the end that is (Friday 15:30 ->
      Monday 09:00; the Wednesday before Thanksgiving, 16:00 -> the Friday after): working day wins over 24 hours.
    """
    tz = request.interviewer_timezone(index)
    window = _window(request, tz, interviewer_calendar(request, index))
    offset = index * policy.panel_stagger
    end = request.interview.ended_at.astimezone(UTC)
    floor = ceil_to(end + policy.thank_you_min_delay, _FIVE_MINUTES)
    earliest = _earliest(submitted_at, policy)
    due = window.next_slot(max(floor, earliest), offset)
    return due, _thank_you_reason(window, end, due, late=window.next_slot(floor, offset) < due)


def thank_you_due_at(
    request: InterviewRequest, index: int, submitted_at: datetime, policy: CadencePolicy = DEFAULT_POLICY
) -> datetime:
    """When interviewer `index`'s thank-you is due (aware UTC); see `thank_you_timing`."""
    return thank_you_timing(request, index, submitted_at, policy)[0]


def _thank_you_reason(window: Window, end: datetime, due: datetime, *, late: bool) -> str | None:
    end_day, due_day = window.local(end).date(), window.local(due).date()
    if due_day == end_day:
        return None
    goes = f"goes {when_words(due, window.tz)}"
    if late:
        return f"{goes}: the first time in their send window on a working day after the plan was made"
    calendar = window.calendar
    weekday = WEEKDAYS[end_day.weekday()]
    if calendar.is_working_day(end_day):
        closing = calendar.closes_at(end_day)
        why: str | None = (
            f"offices there close at {closing:%H:%M} on {day_words(end_day)}"
            if closing is not None and closing < window.end
            else f"the interview ended too late for {weekday}'s send window"
        )
        skipped = days_off_words(calendar, days_between(end_day + timedelta(days=1), due_day))
    else:
        skipped = days_off_words(calendar, days_between(end_day, due_day))
        why = None if skipped else f"the interview was on a {weekday}, not a working day there"
    return f"{goes}: " + ", and ".join(part for part in (why, skipped) if part)


# --- check-ins ----------------------------------------------------------------------------------------------------


def plan_check_ins(
    request: InterviewRequest,
    submitted_at: datetime,
    *,
    not_before: datetime | None = None,
    policy: CadencePolicy = DEFAULT_POLICY,
) -> list[PlannedFollowUp]:
    """The check-in, second check-in and final to the primary contact (ids `check_in`, `check_in-2`, `final`).

    Used alone when the decision date changes (PATCH): `not_before` is the current time and nothing is due
    earlier than it plus `min_lead_after_submission`. Days are working days of the primary contact's calendar, at
    `check_in_time` (or the window's start when a custom window excludes it) in their timezone:
    - `check_in` (max_follow_ups >= 1): the first working day after `decision_expected_by`; without a date, 7
      working days after the interview's local end date; never earlier than 2 working days after that contact's
      thank-you (which also covers a decision date already in the past).
    - `check_in-2` (max_follow_ups == 3): at least 5 working days after `check_in`.
    - `final` (max_follow_ups >= 2): at least 7 working days after the nudge before it. Then stop.
    """
    count = request.preferences.max_follow_ups
    if count < 1:
        return []
    index = request.primary_contact_index
    person = request.interviewers[index]
    tz = request.interviewer_timezone(index)
    # Check-ins and finals wait out the contact's year-end break (all three kinds here do: asserted by the registry).
    window = _window(request, tz, interviewer_calendar(request, index).for_nudges())
    calendar = window.calendar
    wall = policy.check_in_time

    thank_you_day = window.local(thank_you_due_at(request, index, submitted_at, policy)).date()
    decision = request.next_steps.decision_expected_by
    if decision is not None:
        natural = decision + timedelta(days=1)
        day = calendar.working_days_after(decision, 1)
    else:
        natural = window.local(request.interview.ended_at).date()
        day = natural = calendar.working_days_after(natural, policy.check_in_working_days_without_date)
    after_thank_you = calendar.working_days_after(thank_you_day, policy.check_in_after_thank_you_working_days)
    earliest = None if not_before is None else not_before.astimezone(UTC) + policy.min_lead_after_submission
    due = window.at_wall_time(max(day, after_thank_you), wall, earliest)
    reason = _check_in_reason(window, due, natural, day, after_thank_you, decision)
    if decision is None and reason is None:
        reason = _break_reason(window, window.local(request.interview.ended_at).date(), due)
    steps: list[tuple[str, FollowUpKind, datetime, str | None]] = [("check_in", FollowUpKind.CHECK_IN, due, reason)]
    if count == 3:
        previous = window.local(due).date()
        due = window.at_wall_time(calendar.working_days_after(previous, policy.nudge_spacing_working_days), wall)
        steps.append(("check_in-2", FollowUpKind.CHECK_IN, due, _break_reason(window, previous, due)))
    if count >= 2:
        previous = window.local(due).date()
        due = window.at_wall_time(calendar.working_days_after(previous, policy.final_spacing_working_days), wall)
        steps.append(("final", FollowUpKind.FINAL, due, _break_reason(window, previous, due)))
    return [
        PlannedFollowUp(
            id=step_id,
            kind=kind,
            to=str(person.email),
            to_name=person.name,
            timezone=tz,
            due_at=step_due,
            interviewer_index=index,
            reason=step_reason,
        )
        for step_id, kind, step_due, step_reason in steps
    ]


def _break_reason(window: Window, counted_from: date, due: datetime) -> str | None:
    """A nudge counted in working days from `counted_from` whose count skipped the recipient's year-end break: it
    is later than a reader would guess, so say why. None when no break day was skipped."""
    skipped = [
        day for day in days_between(counted_from, window.local(due).date()) if window.calendar.seasonal_break(day)
    ]
    words = days_off_words(window.calendar, skipped)
    return f"goes {when_words(due, window.tz)}: {words} does not count as working days" if words else None


def _check_in_reason(
    window: Window, due: datetime, natural: date, day: date, after_thank_you: date, decision: date | None
) -> str | None:
    """Why the check-in is not on the day one would guess: days off after that day, or a decision date too close
    to (or before) the thank-you. None otherwise (a re-plan after now is its own explanation)."""
    due_day = window.local(due).date()
    goes = f"goes {when_words(due, window.tz)}"
    if due_day == day and day > natural:
        skipped = days_off_words(window.calendar, days_between(natural, day))
        return f"{goes}: {skipped}" if skipped else None
    if decision is not None and due_day == after_thank_you > day:
        return f"{goes}: the decision expected by {day_words(decision)} leaves too little time after the thank-you"
    return None


# --- the candidate's own reminders --------------------------------------------------------------------------------


def _post_route(request: InterviewRequest, policy: CadencePolicy) -> tuple[int, int, str]:
    """Working days a card takes to the slowest recipient: international when the candidate's country differs
    from an interviewer's (an unknown country counts as domestic), else domestic."""
    home = request.candidate.country or request.company.country
    countries = {interviewer_calendar(request, index).country for index in range(len(request.interviewers))}
    abroad = sorted(country for country in countries if country is not None and country != home)
    if home is not None and abroad:
        low, high = policy.international_post_working_days
        return low, high, f"international post from {home} to {', '.join(abroad)}"
    return policy.domestic_post_working_days, policy.domestic_post_working_days, "domestic post"


def _handwritten_note(
    request: InterviewRequest, interview_day: date, calendar: WorkingCalendar, policy: CadencePolicy
) -> SkippedStep | None:
    """The reason to skip the handwritten-note reminder, or None to keep it: a card posted the next working day
    must arrive (at the slow end of its route's transit) `handwritten_margin_working_days` before the decision."""
    decision = request.next_steps.decision_expected_by
    if decision is None:
        return None
    low, high, route = _post_route(request, policy)
    posted = calendar.working_days_after(interview_day, 1)
    recipients = interviewer_calendar(request, request.primary_contact_index)
    arrives = recipients.working_days_after(posted, high)
    margin = policy.handwritten_margin_working_days
    if arrives <= recipients.working_days_after(decision, -margin):
        return None
    transit = f"{low}-{high}" if low != high else f"{high}"
    return SkippedStep(
        kind=FollowUpKind.REMINDER_HANDWRITTEN_NOTE,
        reason=(
            f"A card posted on {_fmt(posted)} would arrive around {_fmt(arrives)} ({transit} working days by "
            f"{route}), less than {margin} working days before the decision expected by {_fmt(decision)}."
        ),
    )


def _fmt(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _candidate_reminders(
    request: InterviewRequest, submitted_at: datetime, policy: CadencePolicy
) -> tuple[list[PlannedFollowUp], list[SkippedStep]]:
    tz = request.candidate_timezone()
    window = _window(request, tz, candidate_calendar(request))
    calendar = window.calendar
    end = request.interview.ended_at.astimezone(UTC)
    interview_day = window.local(end).date()
    # A reminder about an interview that has not ended yet, or due before the planner ran, would be noise.
    earliest = _earliest(max(submitted_at.astimezone(UTC), end), policy)
    prefs = request.preferences
    planned: list[tuple[str, FollowUpKind, datetime, str | None]] = []
    skipped: list[SkippedStep] = []

    if prefs.handwritten_note:
        late = _handwritten_note(request, interview_day, calendar, policy)
        if late is not None:
            skipped.append(late)
        else:
            evening = local_instant(interview_day, policy.handwritten_reminder_time, tz)
            planned.append(
                ("reminder_handwritten_note", FollowUpKind.REMINDER_HANDWRITTEN_NOTE, max(evening, earliest), None)
            )

    if prefs.linkedin:
        if any(person.linkedin_url is not None for person in request.interviewers):
            after = max(ceil_to(end + policy.linkedin_delay, _FIVE_MINUTES), earliest)
            due = window.next_slot(after)
            off = days_off_words(calendar, days_between(window.local(after).date(), window.local(due).date()))
            reason = f"goes {when_words(due, tz, whose='your')}: {off}" if off else None
            planned.append(("reminder_linkedin", FollowUpKind.REMINDER_LINKEDIN, due, reason))
        else:
            skipped.append(
                SkippedStep(
                    kind=FollowUpKind.REMINDER_LINKEDIN,
                    reason="No interviewer has a LinkedIn profile URL, so there is no one to connect with.",
                )
            )

    if not prefs.work_samples and request.interview.stage != "phone_screen":
        due = window.at_wall_time(calendar.working_days_after(interview_day, 1), policy.check_in_time)
        if due < earliest:
            due = window.next_slot(earliest)
        planned.append(("reminder_work_samples", FollowUpKind.REMINDER_WORK_SAMPLES, due, None))

    follow_ups = [
        PlannedFollowUp(
            id=step_id,
            kind=kind,
            to=str(request.candidate.email),
            to_name=request.candidate.name,
            timezone=tz,
            due_at=due,
            reason=reason,
        )
        for step_id, kind, due, reason in planned
    ]
    return follow_ups, skipped


# --- the whole plan -----------------------------------------------------------------------------------------------


def plan_follow_ups(request: InterviewRequest, submitted_at: datetime, policy: CadencePolicy = DEFAULT_POLICY) -> Plan:
    """Every follow-up of one interview, sorted by due time then id, plus the steps skipped and why.

    `submitted_at` is the planner's current instant (aware); nothing is due earlier than it plus
    `min_lead_after_submission`. See `thank_you_timing`, `plan_check_ins` and the module doc for the rules.
    """
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        raise ValueError("submitted_at must be timezone-aware")
    follow_ups = []
    for index, person in enumerate(request.interviewers):
        due, reason = thank_you_timing(request, index, submitted_at, policy)
        follow_ups.append(
            PlannedFollowUp(
                id=f"thank_you-{index}",
                kind=FollowUpKind.THANK_YOU,
                to=str(person.email),
                to_name=person.name,
                timezone=request.interviewer_timezone(index),
                due_at=due,
                interviewer_index=index,
                reason=reason,
            )
        )
    follow_ups += plan_check_ins(request, submitted_at, policy=policy)
    reminders, skipped = _candidate_reminders(request, submitted_at, policy)
    follow_ups += reminders
    follow_ups.sort(key=lambda item: (item.due_at, item.id))
    return Plan(follow_ups=follow_ups, skipped=skipped)
