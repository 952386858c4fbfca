"""Typed event contracts: every real-shaped event in events/ parses into its model, every model survives the trip
through JSON, and an unknown detail-type is an error."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from followup.domain.events import (
    BUS_EVENTS,
    FollowUpApproved,
    InterviewSubmitted,
    SchedulePayload,
    UnknownEventError,
    parse_bus_event,
)
from followup.domain.kinds import FollowUpKind
from followup.domain.models import PlannedFollowUp

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize("path", sorted((EVENTS / "planner").glob("*.json")), ids=lambda p: p.name)
def test_every_planner_event_file_parses_into_its_model(path: Path) -> None:
    envelope = json.loads(path.read_text())
    event = parse_bus_event(envelope["detail-type"], envelope["detail"])
    assert type(event) is BUS_EVENTS[envelope["detail-type"]]
    assert event.interview_id == envelope["detail"]["interview_id"]


@pytest.mark.parametrize("path", sorted((EVENTS / "sender").glob("*.json")), ids=lambda p: p.name)
def test_every_schedule_payload_in_the_sender_events_parses(path: Path) -> None:
    for record in json.loads(path.read_text())["Records"]:
        payload = SchedulePayload.model_validate_json(record["body"])
        assert payload.follow_up_id


def test_a_submitted_event_survives_json_with_its_instants_in_utc() -> None:
    follow_up = PlannedFollowUp(
        id="thank_you-0",
        kind=FollowUpKind.THANK_YOU,
        to="grace@example.com",
        to_name="Grace Hopper",
        timezone="America/New_York",
        due_at=datetime(2026, 11, 24, 22, 0, tzinfo=UTC),
        interviewer_index=0,
    )
    event = InterviewSubmitted(
        interview_id="a" * 22,
        submitted_at=datetime(2026, 11, 24, 21, 0, 5, 123456, tzinfo=UTC),
        interview={"company": {"name": "X"}},
        follow_ups=[follow_up],
    )
    detail = json.loads(json.dumps(event.detail()))
    assert detail["submitted_at"] == "2026-11-24T21:00:05Z"
    assert parse_bus_event(InterviewSubmitted.DETAIL_TYPE, detail).follow_ups == [follow_up]


def test_an_approval_keeps_its_instant() -> None:
    event = FollowUpApproved(
        interview_id="b" * 22, follow_up_id="check_in", due_at=datetime(2027, 1, 4, 15, tzinfo=UTC)
    )
    assert event.detail() == {"interview_id": "b" * 22, "follow_up_id": "check_in", "due_at": "2027-01-04T15:00:00Z"}


def test_an_unknown_detail_type_is_an_error() -> None:
    with pytest.raises(UnknownEventError):
        parse_bus_event("InterviewTeleported", {"interview_id": "x"})


def test_the_schedule_payload_refuses_an_unknown_action() -> None:
    with pytest.raises(ValueError, match="action"):
        SchedulePayload.model_validate({"interview_id": "x", "follow_up_id": "y", "action": "explode"})
