"""Unit tests of the cadence policy (shared/followup/domain/cadence.py): pure functions, no network, no AWS.

The working-day calendar and the send window have their own tests (test_calendar.py); the properties over random
interviews are in test_cadence_properties.py."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from followup.domain.cadence import (
    DEFAULT_POLICY,
    CadencePolicy,
    plan_check_ins,
    plan_follow_ups,
    thank_you_due_at,
    thank_you_timing,
)
from followup.domain.models import FollowUpKind, InterviewRequest, Plan, PlannedFollowUp

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "interview.json"
NY, LONDON = "America/New_York", "Europe/London"


# --- builders -----------------------------------------------------------------------------------------------------


@cache
def _base() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def _deep_update(target: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value
    return target


def build(**changes: Any) -> InterviewRequest:
    """The example interview with `changes` deep-merged in (lists replace lists)."""
    return InterviewRequest.model_validate(_deep_update(copy.deepcopy(_base()), changes))


def ended(local: str, tz: str = NY) -> dict[str, Any]:
    """An `interview` patch ending at the naive ISO wall time `local` in `tz` (start one hour earlier)."""
    end = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))
    return {"interview": {"started_at": (end - timedelta(hours=1)).isoformat(), "ended_at": end.isoformat()}}


def interviewer(n: int, tz: str | None = NY, **extra: Any) -> dict[str, Any]:
    person: dict[str, Any] = {"name": f"Interviewer {n}", "email": f"person{n}@ae.example", **extra}
    if tz is not None:
        person["timezone"] = tz
    return person


def end_of(request: InterviewRequest) -> datetime:
    return request.interview.ended_at.astimezone(UTC)


def plan_at_end(request: InterviewRequest, policy: CadencePolicy = DEFAULT_POLICY) -> Plan:
    """Plan as if the candidate submitted the moment the interview ended."""
    return plan_follow_ups(request, end_of(request), policy)


def by_id(plan: Plan) -> dict[str, PlannedFollowUp]:
    return {item.id: item for item in plan.follow_ups}


def wall(item: PlannedFollowUp) -> datetime:
    """The recipient-local due time, naive, for readable assertions."""
    return item.local_due_at().replace(tzinfo=None)


# --- thank-yous ---------------------------------------------------------------------------------------------------


def test_morning_interview_gets_a_same_day_thank_you_two_hours_later() -> None:
    # Given an interview ending at 10:03 New York time on a Tuesday
    request = build(**ended("2026-11-17T10:03"))
    # When planned
    thank_you = by_id(plan_at_end(request))["thank_you-0"]
    # Then it leaves the same day, 2 h later rounded up to 5 minutes, inside the window
    assert wall(thank_you) == datetime(2026, 11, 17, 12, 5)
    assert thank_you.due_at - end_of(request) >= timedelta(hours=2)


def test_early_morning_interview_waits_for_the_window_to_open() -> None:
    thank_you = by_id(plan_at_end(build(**ended("2026-11-17T06:30"))))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 17, 9, 0)


def test_late_morning_interview_whose_plus_two_hours_leaves_the_window_goes_next_morning() -> None:
    request = build(**ended("2026-11-17T11:30"), preferences={"send_window": {"start": "09:00", "end": "13:00"}})
    assert wall(by_id(plan_at_end(request))["thank_you-0"]) == datetime(2026, 11, 18, 9, 0)


def test_afternoon_interview_gets_the_next_business_morning() -> None:
    thank_you = by_id(plan_at_end(build(**ended("2026-11-17T15:00"))))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 18, 9, 0)


def test_friday_1530_goes_monday_morning_working_day_wins_over_24_hours() -> None:
    # Given a Friday 15:30 interview: 17:30 is past Friday's window, and Saturday is not a working day
    request = build(**ended("2026-11-20T15:30"))
    # When planned
    thank_you = by_id(plan_at_end(request))["thank_you-0"]
    # Then Monday at the window's opening, 65.5 h later, and the plan says why in plain words
    assert wall(thank_you) == datetime(2026, 11, 23, 9, 0)
    assert thank_you.due_at - end_of(request) > timedelta(hours=24)
    assert thank_you.reason == (
        "goes Monday morning (23 Nov, 09:00 their time): the interview ended too late for Friday's send window"
    )


def test_friday_1400_goes_at_1600_the_same_day() -> None:
    thank_you = by_id(plan_at_end(build(**ended("2026-11-20T14:00"))))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 20, 16, 0)
    assert thank_you.reason is None


def test_us_thanksgiving_eve_and_the_day_after() -> None:
    # Wednesday morning before Thanksgiving: same day
    assert wall(by_id(plan_at_end(build(**ended("2026-11-25T10:00"))))["thank_you-0"]) == datetime(2026, 11, 25, 12)
    # Wednesday 15:00 and 16:00: too late for Wednesday's window, Thursday is Thanksgiving: the Friday after
    for end in ("2026-11-25T15:00", "2026-11-25T16:00"):
        thank_you = by_id(plan_at_end(build(**ended(end))))["thank_you-0"]
        assert wall(thank_you) == datetime(2026, 11, 27, 9)
        assert thank_you.reason is not None
        assert "Thursday 26 Nov is Thanksgiving Day" in thank_you.reason
    # On Thanksgiving itself, morning or not: never on the holiday, Friday 09:00
    assert wall(by_id(plan_at_end(build(**ended("2026-11-26T10:00"))))["thank_you-0"]) == datetime(2026, 11, 27, 9)
    assert wall(by_id(plan_at_end(build(**ended("2026-11-26T08:00"))))["thank_you-0"]) == datetime(2026, 11, 27, 9)
    # The day after Thanksgiving is an ordinary Friday: 14:00 -> 16:00 the same day
    assert wall(by_id(plan_at_end(build(**ended("2026-11-27T14:00"))))["thank_you-0"]) == datetime(2026, 11, 27, 16)


def test_us_check_in_skips_thanksgiving() -> None:
    # Given a decision expected on the day before Thanksgiving
    request = build(**ended("2026-11-16T10:00"), next_steps={"decision_expected_by": "2026-11-25"})
    # When planned, Then the check-in is the next business day: Friday, not Thursday
    assert wall(by_id(plan_at_end(request))["check_in"]) == datetime(2026, 11, 27, 10)


def test_uk_bank_holidays_are_skipped_for_a_gb_company() -> None:
    # Given a London company and interviewer, interview on Christmas Eve afternoon
    london = {"company": {"timezone": LONDON, "country": "GB"}, "interviewers": [interviewer(0, LONDON)]}
    christmas_eve = build(**london, **ended("2026-12-24T15:00", LONDON), next_steps={"decision_expected_by": None})
    # When planned
    plan = by_id(plan_at_end(christmas_eve))
    # Then the thank-you waits for the next working morning, Tue 29th (after Christmas and Boxing Day observed),
    # and the check-in counts only working days
    assert wall(plan["thank_you-0"]) == datetime(2026, 12, 29, 9)
    # 7 working days after Thu 24 Dec, and the Christmas and New Year break (24 Dec to 1 Jan) is not working days
    # for a check-in: Mon 4 Jan is the first, Tue 12 Jan the seventh, at 10:00 GMT
    assert wall(plan["check_in"]) == datetime(2027, 1, 12, 10)
    assert plan["check_in"].reason is not None
    assert plan["check_in"].reason == (
        "goes Tuesday morning (12 Jan, 10:00 their time): the Christmas and New Year break (24 Dec to 1 Jan) does "
        "not count as working days"
    )
    # The 23rd afternoon gets the 24th morning, an ordinary business day
    dec_23 = build(**london, **ended("2026-12-23T15:00", LONDON))
    assert wall(by_id(plan_at_end(dec_23))["thank_you-0"]) == datetime(2026, 12, 24, 9)


def _decided_by(day: str, tz: str, country: str, **company: Any) -> dict[str, PlannedFollowUp]:
    where = {"company": {"timezone": tz, "country": country, **company}, "interviewers": [interviewer(0, tz)]}
    request = build(
        **where,
        **ended("2026-12-01T15:00", tz),
        next_steps={"decision_expected_by": day},
        preferences={"max_follow_ups": 2},
    )
    return by_id(plan_at_end(request))


@pytest.mark.parametrize(
    ("tz", "country", "decision", "check_in", "final"),
    [
        # Decision on Wed 23 Dec: the US and Argentina wait out 24 Dec-1 Jan, the final counts from January
        pytest.param(NY, "US", "2026-12-23", date(2027, 1, 4), date(2027, 1, 13), id="US"),
        pytest.param(
            "America/Argentina/Buenos_Aires", "AR", "2026-12-23", date(2027, 1, 4), date(2027, 1, 13), id="AR"
        ),
        # Japan's companies close 29 Dec-3 Jan: 28 Dec is a working day; the final counts from 4 Jan and skips
        # Coming of Age Day (11 Jan)
        pytest.param("Asia/Tokyo", "JP", "2026-12-25", date(2026, 12, 28), date(2027, 1, 13), id="JP"),
        # India has a Christmas holiday but no year-end break: the check-in goes on Thu 24 Dec
        pytest.param("Asia/Kolkata", "IN", "2026-12-23", date(2026, 12, 24), date(2027, 1, 5), id="IN"),
    ],
)
def test_check_ins_and_finals_wait_out_the_recipients_year_end_break(
    tz: str, country: str, decision: str, check_in: date, final: date
) -> None:
    plan = _decided_by(decision, tz, country)
    assert wall(plan["check_in"]).date() == check_in
    assert wall(plan["final"]).date() == final
    # Whichever was moved across a break says why (the US and Argentina: the check-in; Japan: the final)
    reasons = {key: plan[key].reason or "" for key in ("check_in", "final")}
    moved = {key for key, reason in reasons.items() if " break " in reason or " holiday period " in reason}
    assert moved == {"US": {"check_in"}, "AR": {"check_in"}, "JP": {"final"}, "IN": set()}[country]


def test_a_thank_you_is_not_held_for_the_year_end_break() -> None:
    # Interview on Mon 28 Dec in New York: the interviewer was at work, the thank-you goes the next morning
    where = {"company": {"timezone": NY, "country": "US"}, "interviewers": [interviewer(0, NY)]}
    plan = by_id(plan_at_end(build(**where, **ended("2026-12-28T15:00", NY))))
    assert wall(plan["thank_you-0"]).date() == date(2026, 12, 29)


@pytest.mark.parametrize(
    ("tz", "country", "end", "thank_you"),
    [
        # Heiligabend: the office closes at noon, so end + 2 h (12:30) waits for Monday 28 Dec (25, 26 are holidays)
        pytest.param("Europe/Berlin", "DE", "2026-12-24T10:30", datetime(2026, 12, 28, 9), id="DE-afternoon"),
        # Before noon it still goes that morning
        pytest.param("Europe/Berlin", "DE", "2026-12-24T09:00", datetime(2026, 12, 24, 11), id="DE-morning"),
        # New Year's Eve in São Paulo: not after noon either; 1 Jan is a holiday, then the weekend
        pytest.param("America/Sao_Paulo", "BR", "2026-12-31T11:00", datetime(2027, 1, 4, 9), id="BR-31-Dec"),
        # Japan keeps no Christmas Eve half day
        pytest.param("Asia/Tokyo", "JP", "2026-12-24T13:00", datetime(2026, 12, 24, 15), id="JP"),
    ],
)
def test_nothing_goes_on_the_afternoon_of_christmas_eve_or_new_years_eve_where_offices_close_at_noon(
    tz: str, country: str, end: str, thank_you: datetime
) -> None:
    where = {"company": {"timezone": tz, "country": country}, "interviewers": [interviewer(0, tz)]}
    plan = by_id(plan_at_end(build(**where, **ended(end, tz))))
    assert wall(plan["thank_you-0"]) == thank_you
    if end == "2026-12-24T10:30":
        assert plan["thank_you-0"].reason == (
            "goes Monday morning (28 Dec, 09:00 their time): offices there close at 12:00 on Thursday 24 Dec, and "
            "Friday 25 Dec is Christmas Day"
        )


def test_an_interviewer_abroad_keeps_their_own_countrys_break() -> None:
    # A Tokyo company, the contact in London: the London contact's break (24 Dec-1 Jan) decides
    london = interviewer(0, LONDON, country="GB")
    request = build(
        company={"timezone": "Asia/Tokyo", "country": "JP"},
        interviewers=[london],
        **ended("2026-12-01T15:00", "Asia/Tokyo"),
        next_steps={"decision_expected_by": "2026-12-23"},
    )
    assert wall(by_id(plan_at_end(request))["check_in"]).date() == date(2027, 1, 4)


DST_CHANGES = [
    pytest.param(NY, "US", date(2026, 11, 1), id="US-fall-2026-11-01"),
    pytest.param(NY, "US", date(2027, 3, 14), id="US-spring-2027-03-14"),
    pytest.param(LONDON, "GB", date(2026, 10, 25), id="UK-fall-2026-10-25"),
    pytest.param(LONDON, "GB", date(2027, 3, 28), id="UK-spring-2027-03-28"),
]


@pytest.mark.parametrize(("tz", "country", "change"), DST_CHANGES)
def test_local_wall_clock_is_exact_on_both_sides_of_a_dst_change(tz: str, country: str, change: date) -> None:
    # Given the same company in `tz`, one interview the week before the change and one the week after
    base = {"company": {"timezone": tz, "country": country}, "interviewers": [interviewer(0, tz)]}
    before = build(
        **base,
        **ended((change - timedelta(days=10)).isoformat() + "T15:00", tz),
        next_steps={"decision_expected_by": (change - timedelta(days=4)).isoformat()},
    )
    after = build(**base, **ended((change + timedelta(days=2)).isoformat() + "T15:00", tz))
    # When both are planned
    plan_before, plan_after = by_id(plan_at_end(before)), by_id(plan_at_end(after))
    # Then thank-yous leave at 09:00 local and check-ins/finals at 10:00 local, whatever the UTC offset
    thank_you_before, thank_you_after = plan_before["thank_you-0"], plan_after["thank_you-0"]
    assert thank_you_before.local_due_at().time() == time(9) == thank_you_after.local_due_at().time()
    assert thank_you_before.local_due_at().date() < change < thank_you_after.local_due_at().date()
    assert thank_you_before.local_due_at().utcoffset() != thank_you_after.local_due_at().utcoffset()
    check_in, final = plan_before["check_in"], plan_before["final"]
    assert check_in.local_due_at().time() == time(10) == final.local_due_at().time()
    assert check_in.local_due_at().date() < change < final.local_due_at().date()
    assert check_in.local_due_at().utcoffset() != final.local_due_at().utcoffset()


def test_fall_back_weekend_monday_morning_is_nine_oclock_est() -> None:
    # Saturday 14:00 EDT -> not Sunday 1 Nov 2026 (the 25-hour day, not a working day): Monday 09:00 EST
    thank_you = by_id(plan_at_end(build(**ended("2026-10-31T14:00"))))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 2, 9)
    assert thank_you.due_at == datetime(2026, 11, 2, 14, tzinfo=UTC)
    assert thank_you.reason is not None
    assert "the interview was on a Saturday" in thank_you.reason


def test_multi_timezone_panel_gets_each_local_window_and_a_stagger() -> None:
    # Given a New York and a London interviewer, interview ending 10:00 New York (15:00 London) on a Tuesday
    request = build(**ended("2026-11-17T10:00"), interviewers=[interviewer(0, NY), interviewer(1, LONDON)])
    # When planned
    plan = by_id(plan_at_end(request))
    # Then New York gets a same-day morning slot and London, whose afternoon it was, its next morning + 6 min
    assert plan["thank_you-0"].timezone == NY
    assert wall(plan["thank_you-0"]) == datetime(2026, 11, 17, 12, 0)
    assert plan["thank_you-1"].timezone == LONDON
    assert wall(plan["thank_you-1"]) == datetime(2026, 11, 18, 9, 6)
    assert plan["thank_you-1"].interviewer_index == 1


def test_panel_in_one_timezone_is_staggered() -> None:
    request = build(**ended("2026-11-17T15:00"), interviewers=[interviewer(n) for n in range(3)])
    due = [by_id(plan_at_end(request))[f"thank_you-{n}"].due_at for n in range(3)]
    assert [d - due[0] for d in due] == [timedelta(0), timedelta(minutes=6), timedelta(minutes=12)]


def test_interviewer_without_timezone_uses_the_company_timezone() -> None:
    request = build(**ended("2026-11-17T15:00"), interviewers=[interviewer(0, None)])
    assert by_id(plan_at_end(request))["thank_you-0"].timezone == NY


def test_custom_send_window_moves_thank_yous_and_check_ins() -> None:
    # Given a 13:00-16:00 window
    window = {"send_window": {"start": "13:00", "end": "16:00"}}
    morning = build(**ended("2026-11-17T09:00"), preferences=window)
    afternoon = build(**ended("2026-11-17T15:00"), preferences=window)
    # Then a morning interview waits for 13:00 the same day, an afternoon one gets 13:00 the next day
    assert wall(by_id(plan_at_end(morning))["thank_you-0"]) == datetime(2026, 11, 17, 13)
    plan = by_id(plan_at_end(afternoon))
    assert wall(plan["thank_you-0"]) == datetime(2026, 11, 18, 13)
    # And the 10:00 check-in, outside this window, moves to the window's start
    assert plan["check_in"].local_due_at().time() == time(13)


def test_late_submission_within_24_hours_sends_soon_after_submission() -> None:
    request = build(**ended("2026-11-17T15:00"))
    submitted = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo(NY))
    thank_you = by_id(plan_follow_ups(request, submitted))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 18, 10, 15)
    assert thank_you.reason is not None
    assert "after the plan was made" in thank_you.reason


def test_late_submission_past_24_hours_is_still_planned_in_the_next_window() -> None:
    # Given an interview submitted 26.5 h after it ended, after that day's window closed
    request = build(**ended("2026-11-17T15:00"))
    submitted = datetime(2026, 11, 18, 17, 30, tzinfo=ZoneInfo(NY))
    # When planned
    plan = by_id(plan_follow_ups(request, submitted))
    # Then the thank-you takes the next in-window slot (Thu 09:00), beyond 24 h, and is still planned
    thank_you = plan["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 19, 9)
    assert thank_you.due_at - end_of(request) > timedelta(hours=24)
    # And everything is due after the submission
    assert all(item.due_at >= submitted + timedelta(minutes=15) for item in plan.values())


def test_late_weekend_submission_waits_for_the_next_working_morning() -> None:
    # Friday 15:00 interview submitted Saturday 10:00: never on the weekend, Monday 09:00
    request = build(**ended("2026-11-20T15:00"))
    submitted = datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo(NY))
    thank_you = by_id(plan_follow_ups(request, submitted))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 23, 9, 0)
    assert thank_you.reason is not None
    assert "Friday's send window" in thank_you.reason


def test_policy_is_configurable() -> None:
    request = build(**ended("2026-11-17T09:00"))
    policy = CadencePolicy(thank_you_min_delay=timedelta(hours=3), check_in_time=time(11))
    plan = by_id(plan_at_end(request, policy))
    assert wall(plan["thank_you-0"]) == datetime(2026, 11, 17, 12)
    assert plan["check_in"].local_due_at().time() == time(11)
    with pytest.raises(ValueError, match="thank_you_min_delay"):
        CadencePolicy(thank_you_min_delay=timedelta(hours=30))
    # The nudge spacing is configurable too
    spaced = by_id(plan_at_end(request, CadencePolicy(final_spacing_working_days=3)))
    assert wall(spaced["final"]) == datetime(2026, 12, 10, 10)


def test_naive_submission_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_follow_ups(build(), datetime(2026, 11, 24, 20))


# --- the recipient's own working days ------------------------------------------------------------------------------

SYDNEY, RIYADH, TORONTO, MONTREAL, TOKYO, BENGALURU, SINGAPORE = (
    "Australia/Sydney",
    "Asia/Riyadh",
    "America/Toronto",
    "America/Montreal",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Singapore",
)


def elsewhere(tz: str, country: str, subdivision: str | None = None, **changes: Any) -> InterviewRequest:
    """The example interview at a company in `tz`/`country`, one interviewer there, ending at `changes['end']`."""
    company: dict[str, Any] = {"timezone": tz, "country": country}
    if subdivision is not None:
        company["subdivision"] = subdivision
    end = changes.pop("end")
    return build(
        company=company,
        interviewers=[interviewer(0, tz, linkedin_url="https://www.linkedin.com/in/a", primary_contact=True)],
        **ended(end, tz),
        **changes,
    )


def test_good_friday_and_easter_monday_in_new_south_wales() -> None:
    # Thursday 2 Apr 2026 15:00 in Sydney: Friday is Good Friday, Monday Easter Monday -> Tuesday 09:00
    request = elsewhere(SYDNEY, "AU", "NSW", end="2026-04-02T15:00", next_steps={"decision_expected_by": "2026-04-17"})
    thank_you = by_id(plan_at_end(request))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 4, 7, 9)
    assert thank_you.reason == (
        "goes Tuesday morning (7 Apr, 09:00 their time): the interview ended too late for Thursday's send window, "
        "and Friday 3 Apr is Good Friday and Monday 6 Apr is Easter Monday"
    )


def test_riyadh_thursday_afternoon_goes_sunday_the_saudi_weekend_is_friday_saturday() -> None:
    request = elsewhere(RIYADH, "SA", end="2026-11-12T15:00")  # Thursday
    plan = by_id(plan_at_end(request))
    assert wall(plan["thank_you-0"]) == datetime(2026, 11, 15, 9)  # Sunday, a working day in Saudi Arabia
    assert plan["thank_you-0"].reason is not None
    assert "Friday and Saturday are the weekend in Saudi Arabia" in plan["thank_you-0"].reason
    # Nothing to the company ever goes on a Friday or a Saturday
    for item in plan.values():
        if item.interviewer_index is not None:
            assert item.local_due_at().weekday() not in (4, 5), item
    # And a Sunday-morning interview gets its thank-you the same Sunday
    sunday = by_id(plan_at_end(elsewhere(RIYADH, "SA", end="2026-11-15T10:00")))["thank_you-0"]
    assert wall(sunday) == datetime(2026, 11, 15, 12)


def test_ontario_family_day_versus_quebec() -> None:
    # Friday 13 Feb 2026 15:00: Monday 16 Feb is Family Day in Ontario, an ordinary Monday in Quebec
    decision = {"next_steps": {"decision_expected_by": "2026-02-13"}}
    ontario = by_id(plan_at_end(elsewhere(TORONTO, "CA", "ON", end="2026-02-13T15:00", **decision)))
    quebec = by_id(plan_at_end(elsewhere(MONTREAL, "CA", "QC", end="2026-02-13T15:00", **decision)))
    assert wall(ontario["thank_you-0"]) == datetime(2026, 2, 17, 9)
    assert "Monday 16 Feb is Family Day" in (ontario["thank_you-0"].reason or "")
    assert wall(quebec["thank_you-0"]) == datetime(2026, 2, 16, 9)
    # The check-in after Friday's decision: the first working day after it, each province's own
    assert wall(quebec["check_in"]) == datetime(2026, 2, 18, 10)  # 2 working days after Monday's thank-you
    assert wall(ontario["check_in"]) == datetime(2026, 2, 19, 10)


def test_showa_day_in_tokyo_and_guru_nanaks_birthday_in_bengaluru() -> None:
    tokyo = by_id(plan_at_end(elsewhere(TOKYO, "JP", end="2026-04-28T15:00")))["thank_you-0"]
    assert wall(tokyo) == datetime(2026, 4, 30, 9)
    assert "Wednesday 29 Apr is Showa Day" in (tokyo.reason or "")
    bengaluru = by_id(plan_at_end(elsewhere(BENGALURU, "IN", "KA", end="2026-11-23T15:00")))["thank_you-0"]
    assert wall(bengaluru) == datetime(2026, 11, 25, 9)
    assert "Guru Nanak's Birthday" in (bengaluru.reason or "")


def test_an_interviewer_working_elsewhere_keeps_their_own_holidays() -> None:
    # A US company; one interviewer in New York, one working in London (country GB): Friday 28 Aug 2026 14:00 NY.
    # Monday 31 Aug is England's Summer Bank Holiday, not a US one.
    request = build(
        **ended("2026-08-28T14:00"),
        interviewers=[interviewer(0, NY), interviewer(1, LONDON, country="GB", subdivision="ENG")],
    )
    plan = by_id(plan_at_end(request))
    assert wall(plan["thank_you-0"]) == datetime(2026, 8, 28, 16)
    assert wall(plan["thank_you-1"]) == datetime(2026, 9, 1, 9, 6)  # 19:00 London Friday -> Tuesday + stagger
    assert "Monday 31 Aug is Late Summer Bank Holiday" in (plan["thank_you-1"].reason or "")


def test_the_candidates_reminders_follow_the_candidates_own_calendar() -> None:
    # A Singapore candidate interviewing with a Sydney company over Easter 2026: Good Friday is a holiday in both,
    # Easter Monday only in Australia. The LinkedIn reminder (24 h later, Friday in Singapore) goes Monday.
    candidate = {"timezone": SINGAPORE, "country": "SG"}
    request = elsewhere(
        SYDNEY, "AU", "NSW", end="2026-04-02T14:00", candidate=candidate, next_steps={"decision_expected_by": None}
    )
    plan = plan_at_end(request)
    linkedin = by_id(plan)["reminder_linkedin"]
    assert linkedin.timezone == SINGAPORE
    assert wall(linkedin) == datetime(2026, 4, 6, 9)
    assert linkedin.reason == "goes Monday morning (6 Apr, 09:00 your time): Friday 3 Apr is Good Friday"


def test_handwritten_note_transit_depends_on_the_route() -> None:
    # Singapore -> Sydney is international post (7-10 working days): with the decision Fri 17 Apr it cannot
    # arrive 2 working days before, so it is skipped with the reason
    candidate = {"timezone": SINGAPORE, "country": "SG"}
    decision = {"decision_expected_by": "2026-04-17"}
    abroad = plan_at_end(
        elsewhere(SYDNEY, "AU", "NSW", end="2026-04-02T14:00", candidate=candidate, next_steps=decision)
    )
    assert "reminder_handwritten_note" not in by_id(abroad)
    [skipped] = [step for step in abroad.skipped if step.kind is FollowUpKind.REMINDER_HANDWRITTEN_NOTE]
    assert "7-10 working days by international post from SG to AU" in skipped.reason
    assert "Fri 17 Apr 2026" in skipped.reason
    # A Sydney candidate posting domestically (3 working days) is in time
    local = {"timezone": SYDNEY, "country": "AU", "subdivision": "NSW"}
    domestic = plan_at_end(elsewhere(SYDNEY, "AU", "NSW", end="2026-04-02T14:00", candidate=local, next_steps=decision))
    assert wall(by_id(domestic)["reminder_handwritten_note"]) == datetime(2026, 4, 2, 19)
    # And with a decision three weeks out, the international card is in time too
    later = plan_at_end(
        elsewhere(
            SYDNEY,
            "AU",
            "NSW",
            end="2026-04-02T14:00",
            candidate=candidate,
            next_steps={"decision_expected_by": "2026-04-30"},
        )
    )
    assert "reminder_handwritten_note" in by_id(later)


def test_a_check_in_moved_by_a_holiday_says_so() -> None:
    # Decision expected the day before Thanksgiving: the check-in goes Friday, and the plan names the holiday
    request = build(**ended("2026-11-16T10:00"), next_steps={"decision_expected_by": "2026-11-25"})
    check_in = by_id(plan_at_end(request))["check_in"]
    assert check_in.reason == "goes Friday morning (27 Nov, 10:00 their time): Thursday 26 Nov is Thanksgiving Day"


def test_thank_you_timing_matches_the_plan() -> None:
    request = build(**ended("2026-11-20T15:30"))
    due, reason = thank_you_timing(request, 0, end_of(request))
    item = by_id(plan_at_end(request))["thank_you-0"]
    assert (due, reason) == (item.due_at, item.reason)


# --- check-ins and final ------------------------------------------------------------------------------------------


def test_check_in_follows_the_decision_date_by_one_working_day() -> None:
    # Given the example: interview Tue 24 Nov, decision expected Fri 4 Dec
    plan = by_id(plan_at_end(build()))
    # Then the check-in is Mon 7 Dec 10:00 and the final 7 working days later, to the primary contact
    assert wall(plan["check_in"]) == datetime(2026, 12, 7, 10)
    assert wall(plan["final"]) == datetime(2026, 12, 16, 10)
    assert plan["check_in"].to == "grace@ae.example"
    assert plan["check_in"].kind is FollowUpKind.CHECK_IN
    assert plan["final"].kind is FollowUpKind.FINAL


def test_check_in_without_a_decision_date_is_seven_business_days_after() -> None:
    # 7 business days after Tue 24 Nov, Thanksgiving skipped: Fri 4 Dec
    plan = by_id(plan_at_end(build(next_steps={"decision_expected_by": None})))
    assert wall(plan["check_in"]) == datetime(2026, 12, 4, 10)


def test_past_decision_date_still_waits_two_business_days_after_the_thank_you() -> None:
    # Given a decision date already in the past
    plan = by_id(plan_at_end(build(next_steps={"decision_expected_by": "2026-11-01"})))
    # Then the check-in is 2 business days after the thank-you (Wed 25 Nov -> Fri 27, Mon 30)
    assert wall(plan["thank_you-0"]) == datetime(2026, 11, 25, 9)
    assert wall(plan["check_in"]) == datetime(2026, 11, 30, 10)
    assert plan["check_in"].reason == (
        "goes Monday morning (30 Nov, 10:00 their time): the decision expected by Sunday 1 Nov leaves too little "
        "time after the thank-you"
    )
    # An ordinary check-in needs no explanation
    assert by_id(plan_at_end(build()))["check_in"].reason is None


def test_check_in_goes_to_the_primary_contact_in_their_timezone() -> None:
    request = build(interviewers=[interviewer(0, NY), interviewer(1, LONDON, primary_contact=True)])
    plan = by_id(plan_at_end(request))
    assert plan["check_in"].to == "person1@ae.example"
    assert plan["check_in"].interviewer_index == 1
    assert plan["check_in"].timezone == LONDON
    assert wall(plan["check_in"]) == datetime(2026, 12, 7, 10)


@pytest.mark.parametrize(
    ("max_follow_ups", "expected"),
    [(0, []), (1, ["check_in"]), (2, ["check_in", "final"]), (3, ["check_in", "check_in-2", "final"])],
)
def test_max_follow_ups_controls_the_touches_after_the_thank_you(max_follow_ups: int, expected: list[str]) -> None:
    plan = plan_at_end(build(preferences={"max_follow_ups": max_follow_ups}))
    nudges = [item.id for item in plan.follow_ups if item.kind in (FollowUpKind.CHECK_IN, FollowUpKind.FINAL)]
    assert nudges == expected
    assert [item.id for item in plan.follow_ups if item.kind is FollowUpKind.THANK_YOU] == ["thank_you-0"]


def test_three_follow_ups_space_the_second_check_in_and_the_final() -> None:
    # Successive nudges at least 5 working days apart, the final at least 7 after the nudge before it
    plan = by_id(plan_at_end(build(preferences={"max_follow_ups": 3})))
    assert wall(plan["check_in"]) == datetime(2026, 12, 7, 10)
    assert wall(plan["check_in-2"]) == datetime(2026, 12, 14, 10)
    assert plan["check_in-2"].kind is FollowUpKind.CHECK_IN
    assert wall(plan["final"]) == datetime(2026, 12, 23, 10)


def test_plan_check_ins_after_a_patch_is_never_due_before_now() -> None:
    # Given a decision date patched to one already past, on 10 Dec at 12:00 UTC
    request = build(next_steps={"decision_expected_by": "2026-12-01"})
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    # When only the check-ins are re-planned
    items = plan_check_ins(request, end_of(request), not_before=now)
    # Then the check-in is that same day's 10:00 New York (15:00 UTC), still after now, and the final follows
    # 7 working days later
    assert [item.id for item in items] == ["check_in", "final"]
    assert wall(items[0]) == datetime(2026, 12, 10, 10)
    assert wall(items[1]) == datetime(2026, 12, 21, 10)
    # And with now after that day's 10:00 the check-in moves to the next business day
    later = plan_check_ins(request, end_of(request), not_before=datetime(2026, 12, 11, 15, 0, tzinfo=UTC))
    assert wall(later[0]) == datetime(2026, 12, 14, 10)


def test_plan_check_ins_matches_the_full_plan() -> None:
    request = build(preferences={"max_follow_ups": 3})
    full = [
        item for item in plan_at_end(request).follow_ups if item.kind in (FollowUpKind.CHECK_IN, FollowUpKind.FINAL)
    ]
    assert plan_check_ins(request, end_of(request)) == full


# --- the candidate's reminders ------------------------------------------------------------------------------------


def test_handwritten_note_reminder_is_kept_when_a_card_can_arrive_in_time() -> None:
    # Given an interview ending 10:00 New York (15:00 London, the candidate's zone), decision Fri 4 Dec
    request = build(**ended("2026-11-24T10:00"))
    # When planned
    plan = plan_at_end(request)
    reminder = by_id(plan)["reminder_handwritten_note"]
    # Then the candidate is reminded that evening at 19:00 their time
    assert reminder.to == "ada@example.com"
    assert reminder.timezone == LONDON
    assert reminder.interviewer_index is None
    assert wall(reminder) == datetime(2026, 11, 24, 19)
    assert plan.skipped == []


def test_handwritten_note_reminder_after_the_evening_is_soon_after_submission() -> None:
    # The example ends 20:00 London: the evening has passed, so 15 minutes after the submission
    request = build()
    reminder = by_id(plan_at_end(request))["reminder_handwritten_note"]
    assert reminder.due_at == end_of(request) + timedelta(minutes=15)


def test_handwritten_note_is_skipped_with_the_dates_when_the_card_would_be_late() -> None:
    # Given a decision expected Tue 1 Dec, a card posted Wed 25 Nov arrives around Tue 1 Dec
    request = build(next_steps={"decision_expected_by": "2026-12-01"})
    # When planned
    plan = plan_at_end(request)
    # Then no reminder, and a skipped step whose reason names the dates
    assert "reminder_handwritten_note" not in by_id(plan)
    [skipped] = plan.skipped
    assert skipped.kind is FollowUpKind.REMINDER_HANDWRITTEN_NOTE
    assert "Wed 25 Nov 2026" in skipped.reason
    assert "Tue 1 Dec 2026" in skipped.reason
    assert "2 working days" in skipped.reason
    assert "3 working days by domestic post" in skipped.reason


def test_handwritten_note_without_a_decision_date_is_kept() -> None:
    assert "reminder_handwritten_note" in by_id(plan_at_end(build(next_steps={"decision_expected_by": None})))


def test_no_handwritten_note_when_not_asked() -> None:
    plan = plan_at_end(build(preferences={"handwritten_note": False}))
    assert "reminder_handwritten_note" not in by_id(plan)
    assert plan.skipped == []


def test_linkedin_reminder_is_24_hours_later_in_the_candidates_window() -> None:
    # Interview ends Tue 17 Nov 15:00 London: 24 h later is Wed 15:00 London, inside the window
    request = build(**ended("2026-11-17T15:00", LONDON))
    reminder = by_id(plan_at_end(request))["reminder_linkedin"]
    assert wall(reminder) == datetime(2026, 11, 18, 15)
    assert reminder.to == "ada@example.com"


def test_linkedin_reminder_outside_the_window_moves_to_the_next_working_slot() -> None:
    # The example ends Tue 20:00 London; Wed 20:00 is after hours, Thu is Thanksgiving (a candidate without a
    # country of their own keeps the company's, US, calendar): Fri 09:00
    assert wall(by_id(plan_at_end(build()))["reminder_linkedin"]) == datetime(2026, 11, 27, 9)


def test_linkedin_without_any_profile_url_is_skipped_with_a_reason() -> None:
    plan = plan_at_end(build(interviewers=[interviewer(0, NY, primary_contact=True)]))
    assert "reminder_linkedin" not in by_id(plan)
    [skipped] = plan.skipped
    assert skipped.kind is FollowUpKind.REMINDER_LINKEDIN
    assert "LinkedIn" in skipped.reason


def test_no_linkedin_reminder_when_not_asked() -> None:
    plan = plan_at_end(build(preferences={"linkedin": False}))
    assert "reminder_linkedin" not in by_id(plan)
    assert plan.skipped == []


def test_work_samples_reminder_only_when_none_were_given() -> None:
    # Given samples: they go into the thank-yous, no reminder
    assert "reminder_work_samples" not in by_id(plan_at_end(build()))
    # Without samples: the next working day at 10:00 candidate-local (Thursday is Thanksgiving in the US)
    reminder = by_id(plan_at_end(build(preferences={"work_samples": []})))["reminder_work_samples"]
    assert wall(reminder) == datetime(2026, 11, 25, 10)
    assert reminder.timezone == LONDON
    assert reminder.kind is FollowUpKind.REMINDER_WORK_SAMPLES
    # And a phone screen never asks for work samples
    screen = build(preferences={"work_samples": []}, interview={"stage": "phone_screen"})
    assert "reminder_work_samples" not in by_id(plan_at_end(screen))


# --- the plan as a whole ------------------------------------------------------------------------------------------


def test_plan_is_sorted_aware_utc_and_deterministic() -> None:
    # Given a panel with every reminder on
    request = build(
        interviewers=[interviewer(0, NY, linkedin_url="https://www.linkedin.com/in/a"), interviewer(1, LONDON)],
        preferences={"work_samples": [], "max_follow_ups": 3},
        next_steps={"decision_expected_by": None},
    )
    # When planned twice
    first, second = plan_at_end(request), plan_at_end(request)
    # Then the same plan, sorted by (due_at, id), every instant aware UTC
    assert first == second
    assert first.model_dump(mode="json") == second.model_dump(mode="json")
    assert [(i.due_at, i.id) for i in first.follow_ups] == sorted((i.due_at, i.id) for i in first.follow_ups)
    assert {i.id for i in first.follow_ups} == {
        "thank_you-0",
        "thank_you-1",
        "check_in",
        "check_in-2",
        "final",
        "reminder_handwritten_note",
        "reminder_linkedin",
        "reminder_work_samples",
    }
    for item in first.follow_ups:
        assert item.due_at.tzinfo is UTC
        assert item.due_at.second == 0
        assert item.due_at.microsecond == 0


def test_thank_you_due_at_matches_the_plan() -> None:
    request = build(interviewers=[interviewer(0, NY), interviewer(1, LONDON)])
    plan = by_id(plan_at_end(request))
    for index in range(2):
        assert thank_you_due_at(request, index, end_of(request)) == plan[f"thank_you-{index}"].due_at


# --- approved drafts and late plans (send_slots) ------------------------------------------------------------------


def test_an_approved_draft_goes_now_inside_the_window_else_the_next_working_morning() -> None:
    from followup.domain.send_slots import next_send_slot

    request = build(**ended("2026-11-16T15:00"))
    thank_you = by_id(plan_at_end(request))["thank_you-0"]
    # Approved at 11:20:30 on a Tuesday: the next whole minute
    at = datetime(2026, 11, 17, 11, 20, 30, tzinfo=ZoneInfo(NY))
    assert next_send_slot(request, thank_you, at).astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(
        2026, 11, 17, 11, 21
    )
    # Approved at 23:30: Wednesday 09:00, never at night
    night = datetime(2026, 11, 17, 23, 30, tzinfo=ZoneInfo(NY))
    assert next_send_slot(request, thank_you, night).astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(
        2026, 11, 18, 9, 0
    )
    # Approved on Wednesday 25 Nov at 23:30: Thanksgiving is skipped, Friday 09:00
    eve = datetime(2026, 11, 25, 23, 30, tzinfo=ZoneInfo(NY))
    assert next_send_slot(request, thank_you, eve).astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(
        2026, 11, 27, 9, 0
    )
    # The candidate's evening reminder is not held to the window
    note = by_id(plan_at_end(build(**ended("2026-11-24T10:00"))))["reminder_handwritten_note"]
    assert next_send_slot(request, note, night) == datetime(2026, 11, 18, 4, 30, tzinfo=UTC)


def test_approval_concerns_in_plain_words() -> None:
    from followup.domain.send_slots import approval_concern

    request = build(**ended("2026-11-16T15:00"), next_steps={"decision_expected_by": "2026-11-18"})
    plan = by_id(plan_at_end(request))
    thank_you = plan["thank_you-0"]
    before = datetime(2026, 11, 18, 14, tzinfo=UTC)
    after = datetime(2026, 11, 19, 14, tzinfo=UTC)
    assert approval_concern(request, thank_you, before) is None
    concern = approval_concern(request, thank_you, after)
    assert concern is not None
    assert concern.startswith("The decision was expected by Wednesday 18 Nov: this thank-you would go Thursday")
    # Without a decision date, more than 5 working days after the interview is an afterthought
    undated = build(**ended("2026-11-16T15:00"), next_steps={"decision_expected_by": None})
    late = datetime(2026, 11, 25, 14, tzinfo=UTC)  # Wed 25 Nov: 7 working days after Mon 16
    assert "afterthought" in (approval_concern(undated, thank_you, late) or "")
    assert approval_concern(undated, thank_you, datetime(2026, 11, 20, 14, tzinfo=UTC)) is None
    # A check-in approved after the final to the same person is planned: that comes first
    check_in, final = plan["check_in"], plan["final"]
    concern = approval_concern(request, check_in, final.due_at + timedelta(hours=1), [final])
    assert concern is not None
    assert concern.startswith("The final check-in to Grace Hopper is planned for")
