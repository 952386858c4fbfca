"""Schedules in UTC: the adapter's `at()` expressions and the local stack's reading of them (both forms), across
DST changes. A local wall time is ambiguous in a fall-back hour and missing in a spring-forward gap; a UTC one is
neither."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from followup.adapters.scheduler import FollowUpScheduler, ScheduleTarget, at_expression
from followup.domain.events import SchedulePayload
from followup_local.cloud import NEVER, SkippedLocalTime, parse_at_expression, schedule_fires_at

NY = ZoneInfo("America/New_York")


def test_at_expression_is_the_utc_instant() -> None:
    # 09:00 New York in November is 14:00 UTC; the zone of the input does not matter
    assert at_expression(datetime(2026, 11, 25, 9, tzinfo=NY)) == "at(2026-11-25T14:00:00)"
    assert at_expression(datetime(2026, 11, 25, 14, tzinfo=UTC)) == "at(2026-11-25T14:00:00)"


def test_both_occurrences_of_a_repeated_hour_get_distinct_expressions() -> None:
    first = datetime(2026, 11, 1, 1, 30, tzinfo=NY)  # EDT, 05:30 UTC
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)  # EST, 06:30 UTC
    assert at_expression(first) == "at(2026-11-01T05:30:00)"
    assert at_expression(second) == "at(2026-11-01T06:30:00)"


def test_at_expression_rounds_up_to_the_minute_and_refuses_naive_times() -> None:
    assert at_expression(datetime(2026, 11, 25, 14, 0, 1, tzinfo=UTC)) == "at(2026-11-25T14:01:00)"
    assert at_expression(datetime(2026, 11, 25, 14, 0, 0, 1, tzinfo=UTC)) == "at(2026-11-25T14:01:00)"
    with pytest.raises(ValueError, match="timezone-aware"):
        at_expression(datetime(2026, 11, 25, 14))


class _RecordingClient:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create_schedule(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"ScheduleArn": "arn:aws:scheduler:us-east-1:123456789012:schedule/g/" + kwargs["Name"]}


def test_the_adapter_creates_utc_schedules() -> None:
    client = _RecordingClient()
    scheduler = FollowUpScheduler(client, "group", ScheduleTarget("arn:q", "arn:role", "arn:dlq"))  # type: ignore[arg-type]
    due = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)
    assert scheduler.create("iv-thank_you-0", due_at=due, payload=SchedulePayload(interview_id="iv", follow_up_id="t"))
    [call] = client.calls
    assert call["ScheduleExpression"] == "at(2026-11-01T06:30:00)"
    assert call["ScheduleExpressionTimezone"] == "UTC"
    assert call["ActionAfterCompletion"] == "DELETE"


# --- the local stack's scheduler emulator -------------------------------------------------------------------------


def test_the_emulator_reads_utc_at_expressions_exactly() -> None:
    assert parse_at_expression("at(2026-11-01T06:30:00)", "UTC") == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert parse_at_expression("at(2026-11-01T06:30:00)", None) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    schedule = {"ScheduleExpression": "at(2026-11-01T06:30:00)"}  # no timezone: UTC, as Scheduler
    assert schedule_fires_at(schedule) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_the_emulator_reads_a_repeated_local_time_as_its_first_occurrence_like_scheduler() -> None:
    # Scheduler runs a schedule at a repeated wall time once: at the first 01:30 (EDT)
    fires = parse_at_expression("at(2026-11-01T01:30:00)", "America/New_York")
    assert fires == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    # ... so a follow-up due at the second 01:30 (EST, 06:30 UTC) written as a local time would fire an hour early
    assert datetime(2026, 11, 1, 6, 30, tzinfo=UTC) - fires == timedelta(hours=1)
    # Ordinary local times are read in their zone
    assert parse_at_expression("at(2026-11-25T09:00:00)", "America/New_York") == datetime(2026, 11, 25, 14, tzinfo=UTC)


def test_the_emulator_never_fires_a_local_time_in_a_spring_forward_gap_like_scheduler() -> None:
    with pytest.raises(SkippedLocalTime):
        parse_at_expression("at(2027-03-14T02:30:00)", "America/New_York")
    with pytest.raises(SkippedLocalTime):
        parse_at_expression("at(2027-03-28T01:15:00)", "Europe/London")
    skipped = {"ScheduleExpression": "at(2027-03-14T02:30:00)", "ScheduleExpressionTimezone": "America/New_York"}
    assert schedule_fires_at(skipped) == NEVER
    # The same instant written in UTC fires
    assert schedule_fires_at({"ScheduleExpression": "at(2027-03-14T07:30:00)", "ScheduleExpressionTimezone": "UTC"})


def test_the_emulator_refuses_what_is_not_an_at_expression() -> None:
    for expression in ("rate(5 minutes)", "cron(0 9 * * ? *)", "at(2026-11-01 06:30)"):
        with pytest.raises(ValueError, match="not a one-time at"):
            parse_at_expression(expression, "UTC")
