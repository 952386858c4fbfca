"""Unit tests of the cadence policy (shared/followup/cadence.py): pure functions, no network, no AWS."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from followup.domain.cadence import (
    DEFAULT_POLICY,
    CadencePolicy,
    business_days_after,
    is_business_day,
    local_instant,
    next_slot_in_window,
    plan_check_ins,
    plan_follow_ups,
    thank_you_due_at,
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


# --- calendar helpers ---------------------------------------------------------------------------------------------


def test_business_days_skip_weekends_and_public_holidays() -> None:
    assert not is_business_day(date(2026, 11, 26), "US")  # Thanksgiving
    assert is_business_day(date(2026, 11, 27), "US")  # the day after is not a federal holiday
    assert not is_business_day(date(2026, 12, 25), "GB")
    assert not is_business_day(date(2026, 12, 28), "GB")  # Boxing Day (observed): the 26th is a Saturday
    assert is_business_day(date(2026, 12, 28), "US")
    assert is_business_day(date(2026, 12, 25), None)  # no country: weekends only
    assert not is_business_day(date(2026, 11, 28), None)


def test_business_days_after_counts_forward_and_backward() -> None:
    assert business_days_after(date(2026, 11, 25), 1, "US") == date(2026, 11, 27)
    assert business_days_after(date(2026, 12, 24), 1, "GB") == date(2026, 12, 29)
    assert business_days_after(date(2026, 11, 27), -1, "US") == date(2026, 11, 25)
    assert business_days_after(date(2026, 11, 20), 1, None) == date(2026, 11, 23)
    assert business_days_after(date(2026, 11, 21), 0, "US") == date(2026, 11, 21)


def test_local_instant_handles_dst_gap_and_overlap() -> None:
    # 09:00 is never in a gap, but the conversion must be right for every wall time.
    assert local_instant(date(2027, 3, 14), time(9), NY) == datetime(2027, 3, 14, 13, tzinfo=UTC)
    assert local_instant(date(2027, 3, 13), time(9), NY) == datetime(2027, 3, 13, 14, tzinfo=UTC)
    # 02:30 does not exist on spring-forward day: it lands just after the gap (03:30 EDT).
    assert local_instant(date(2027, 3, 14), time(2, 30), NY) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    # 01:30 happens twice on fall-back day: fold=0 takes the first (EDT).
    assert local_instant(date(2026, 11, 1), time(1, 30), NY) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_next_slot_in_window_keeps_the_stagger_inside_a_window() -> None:
    friday_late = datetime(2026, 11, 20, 16, 55, tzinfo=ZoneInfo(NY))
    slot = next_slot_in_window(friday_late, NY, time(9), time(17), "US", offset=timedelta(minutes=12))
    assert slot.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(2026, 11, 23, 9, 12)
    any_day = next_slot_in_window(
        friday_late, NY, time(9), time(17), "US", offset=timedelta(minutes=12), business_days_only=False
    )
    assert any_day.astimezone(ZoneInfo(NY)).replace(tzinfo=None) == datetime(2026, 11, 21, 9, 12)


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


def test_friday_afternoon_goes_out_saturday_morning_to_keep_24_hours() -> None:
    # Given a Friday 15:00 interview: Monday 09:00 would be 66 h later
    request = build(**ended("2026-11-20T15:00"))
    # When planned
    thank_you = by_id(plan_at_end(request))["thank_you-0"]
    # Then the 24 h rule wins over the weekday rule: Saturday at the window's start
    assert wall(thank_you) == datetime(2026, 11, 21, 9, 0)
    assert thank_you.due_at - end_of(request) <= timedelta(hours=24)


def test_us_thanksgiving_and_the_day_after() -> None:
    # Wednesday morning before Thanksgiving: same day
    assert wall(by_id(plan_at_end(build(**ended("2026-11-25T10:00"))))["thank_you-0"]) == datetime(2026, 11, 25, 12)
    # Wednesday afternoon: Friday 09:00 is 42 h away, so Thanksgiving morning (24 h fallback)
    assert wall(by_id(plan_at_end(build(**ended("2026-11-25T15:00"))))["thank_you-0"]) == datetime(2026, 11, 26, 9)
    # On Thanksgiving morning itself: no same-day send on a holiday; Friday is a business day within 24 h
    assert wall(by_id(plan_at_end(build(**ended("2026-11-26T10:00"))))["thank_you-0"]) == datetime(2026, 11, 27, 9)
    # Thanksgiving 08:00: Friday 09:00 is 25 h away, so a few hours later the same day is the only fit
    assert wall(by_id(plan_at_end(build(**ended("2026-11-26T08:00"))))["thank_you-0"]) == datetime(2026, 11, 26, 10)
    # The day after Thanksgiving is an ordinary Friday: afternoon -> Saturday to keep 24 h
    assert wall(by_id(plan_at_end(build(**ended("2026-11-27T14:00"))))["thank_you-0"]) == datetime(2026, 11, 28, 9)


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
    # Then the next business morning (Tue 29th, after Christmas and Boxing Day observed) is > 24 h away,
    # so the thank-you falls back to Christmas morning, and the check-in counts only business days
    assert wall(plan["thank_you-0"]) == datetime(2026, 12, 25, 9)
    # 7 business days after Thu 24 Dec, skipping 25, 28 Dec and 1 Jan: Thu 7 Jan at 10:00 GMT
    assert wall(plan["check_in"]) == datetime(2027, 1, 7, 10)
    # The 23rd afternoon gets the 24th morning, an ordinary business day
    dec_23 = build(**london, **ended("2026-12-23T15:00", LONDON))
    assert wall(by_id(plan_at_end(dec_23))["thank_you-0"]) == datetime(2026, 12, 24, 9)


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


def test_fall_back_sunday_morning_is_still_nine_oclock() -> None:
    # Saturday 14:00 EDT -> Sunday 1 Nov 2026 (the 25-hour day) at 09:00 EST, 20 h later
    thank_you = by_id(plan_at_end(build(**ended("2026-10-31T14:00"))))["thank_you-0"]
    assert wall(thank_you) == datetime(2026, 11, 1, 9)
    assert thank_you.due_at == datetime(2026, 11, 1, 14, tzinfo=UTC)


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
    assert wall(by_id(plan_follow_ups(request, submitted))["thank_you-0"]) == datetime(2026, 11, 18, 10, 15)


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


def test_late_weekend_submission_keeps_24_hours_when_a_weekend_window_allows() -> None:
    # Friday 15:00 interview submitted Saturday 10:00: Monday would break 24 h, Saturday 10:15 keeps it
    request = build(**ended("2026-11-20T15:00"))
    submitted = datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo(NY))
    assert wall(by_id(plan_follow_ups(request, submitted))["thank_you-0"]) == datetime(2026, 11, 21, 10, 15)


def test_policy_is_configurable() -> None:
    request = build(**ended("2026-11-17T09:00"))
    policy = CadencePolicy(thank_you_min_delay=timedelta(hours=3), check_in_time=time(11))
    plan = by_id(plan_at_end(request, policy))
    assert wall(plan["thank_you-0"]) == datetime(2026, 11, 17, 12)
    assert plan["check_in"].local_due_at().time() == time(11)
    with pytest.raises(ValueError, match="thank_you_min_delay"):
        CadencePolicy(thank_you_min_delay=timedelta(hours=30))


def test_naive_submission_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        plan_follow_ups(build(), datetime(2026, 11, 24, 20))


# --- check-ins and final ------------------------------------------------------------------------------------------


def test_check_in_follows_the_decision_date_by_one_business_day() -> None:
    # Given the example: interview Tue 24 Nov, decision expected Fri 4 Dec
    plan = by_id(plan_at_end(build()))
    # Then the check-in is Mon 7 Dec 10:00 and the final 5 business days later, to the primary contact
    assert wall(plan["check_in"]) == datetime(2026, 12, 7, 10)
    assert wall(plan["final"]) == datetime(2026, 12, 14, 10)
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
    plan = by_id(plan_at_end(build(preferences={"max_follow_ups": 3})))
    assert wall(plan["check_in"]) == datetime(2026, 12, 7, 10)
    assert wall(plan["check_in-2"]) == datetime(2026, 12, 14, 10)
    assert plan["check_in-2"].kind is FollowUpKind.CHECK_IN
    assert wall(plan["final"]) == datetime(2026, 12, 21, 10)


def test_plan_check_ins_after_a_patch_is_never_due_before_now() -> None:
    # Given a decision date patched to one already past, on 10 Dec at 12:00 UTC
    request = build(next_steps={"decision_expected_by": "2026-12-01"})
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    # When only the check-ins are re-planned
    items = plan_check_ins(request, end_of(request), not_before=now)
    # Then the check-in is that same day's 10:00 New York (15:00 UTC), still after now, and the final follows
    assert [item.id for item in items] == ["check_in", "final"]
    assert wall(items[0]) == datetime(2026, 12, 10, 10)
    assert wall(items[1]) == datetime(2026, 12, 17, 10)
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
    assert "2 business days" in skipped.reason


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


def test_linkedin_reminder_outside_the_window_moves_to_the_next_business_slot() -> None:
    # The example ends Tue 20:00 London; Wed 20:00 is after hours, Thu is Thanksgiving (company US): Fri 09:00
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
    # Without samples: the next business day at 10:00 candidate-local (Thursday is Thanksgiving in the US)
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


# --- property test ------------------------------------------------------------------------------------------------

ZONES = [NY, LONDON, "America/Los_Angeles", "Asia/Kolkata", "Australia/Sydney", "UTC"]
WINDOW_START, WINDOW_END = time(9), time(17)


def _oracle_business_day(day: date, country: str | None) -> bool:
    # Independent of the module: straight from the holidays package.
    return day.weekday() < 5 and (country is None or day not in holidays.country_holidays(country, years=day.year))


def _in_business_window(item: PlannedFollowUp, country: str | None) -> bool:
    local = item.local_due_at()
    return _oracle_business_day(local.date(), country) and WINDOW_START <= local.time() < WINDOW_END


def _next_business_morning(end: datetime, tz: str, country: str | None, offset: timedelta) -> datetime:
    day = end.astimezone(ZoneInfo(tz)).date() + timedelta(days=1)
    while not _oracle_business_day(day, country):
        day += timedelta(days=1)
    return datetime.combine(day, WINDOW_START, tzinfo=ZoneInfo(tz)) + offset


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    end=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31, 23, 59)),
    zones=st.lists(st.sampled_from(ZONES), min_size=1, max_size=3),
    company_zone=st.sampled_from(ZONES),
    country=st.sampled_from(["US", "GB", None]),
    max_follow_ups=st.integers(min_value=0, max_value=3),
    decision_in_days=st.one_of(st.none(), st.integers(min_value=-10, max_value=30)),
    submitted_after_minutes=st.integers(min_value=0, max_value=60),
)
def test_property_thank_yous_keep_2_to_24_hours_and_nudges_keep_business_windows(
    end: datetime,
    zones: list[str],
    company_zone: str,
    country: str | None,
    max_follow_ups: int,
    decision_in_days: int | None,
    submitted_after_minutes: int,
) -> None:
    # Given a random end instant, panel zones, company calendar and a prompt submission (within an hour)
    end = end.replace(second=0, microsecond=0, tzinfo=UTC)
    decision = None if decision_in_days is None else (end.date() + timedelta(days=decision_in_days)).isoformat()
    request = build(
        company={"timezone": company_zone, "country": country},
        interview={"started_at": None, "ended_at": end.isoformat()},
        interviewers=[interviewer(n, tz) for n, tz in enumerate(zones)],
        next_steps={"decision_expected_by": decision},
        preferences={"max_follow_ups": max_follow_ups},
    )
    submitted = end + timedelta(minutes=submitted_after_minutes)
    # When planned
    plan = plan_follow_ups(request, submitted)
    items = by_id(plan)
    # Then every instant is aware UTC and after the submission's lead time
    for item in plan.follow_ups:
        assert item.due_at.utcoffset() == timedelta(0)
        assert item.due_at >= submitted + DEFAULT_POLICY.min_lead_after_submission
    # And every thank-you is 2-24 h after the end; outside a business window only when the next
    # business morning would break the 24 h promise
    for index, tz in enumerate(zones):
        thank_you = items[f"thank_you-{index}"]
        assert timedelta(hours=2) <= thank_you.due_at - end <= timedelta(hours=24)
        if not _in_business_window(thank_you, country):
            offset = index * DEFAULT_POLICY.panel_stagger
            assert _next_business_morning(end, tz, country, offset) - end > timedelta(hours=24)
    # And every other nudge is on a business day inside the window, in order, after the primary's thank-you
    nudges = [items[i] for i in ("check_in", "check_in-2", "final") if i in items]
    assert len(nudges) == {0: 0, 1: 1, 2: 2, 3: 3}[max_follow_ups]
    previous = items[f"thank_you-{request.primary_contact_index}"].due_at
    for nudge in nudges:
        assert _in_business_window(nudge, country)
        assert nudge.due_at > previous
        previous = nudge.due_at


@settings(max_examples=100, deadline=None)
@given(
    end=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31, 23, 59)),
    tz=st.sampled_from(ZONES),
    country=st.sampled_from(["US", "GB", None]),
    late_minutes=st.integers(min_value=0, max_value=4 * 24 * 60),
)
def test_property_late_submissions_never_schedule_before_the_submission(
    end: datetime, tz: str, country: str | None, late_minutes: int
) -> None:
    # Given a submission up to four days after the interview
    end = end.replace(second=0, microsecond=0, tzinfo=UTC)
    request = build(
        company={"timezone": tz, "country": country},
        interview={"started_at": None, "ended_at": end.isoformat()},
        interviewers=[interviewer(0, tz)],
    )
    submitted = end + timedelta(minutes=late_minutes)
    # When planned
    thank_you = by_id(plan_follow_ups(request, submitted))["thank_you-0"]
    # Then it is never before the submission's lead time nor within 2 h of the end; beyond 24 h only when the
    # submission came too late for any in-window slot within 24 h, and then in a business window
    assert thank_you.due_at >= submitted + timedelta(minutes=15)
    assert thank_you.due_at - end >= timedelta(hours=2)
    if thank_you.due_at - end > timedelta(hours=24):
        assert submitted + timedelta(minutes=15) > end + timedelta(hours=2)
        assert _in_business_window(thank_you, country)
