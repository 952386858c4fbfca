"""Addresses and dates on the whole chain (hardening round two, items 7 and 8): an internationalised domain is stored
and sent as punycode; an interview ending 60+ days ahead is a 422 naming `interview.ended_at`, while a real upcoming
interview can still be entered ahead of time."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from followup_local.cloud import LocalCloud
from tests.conftest import load_example
from tests.integration.conftest import SUBMITTED_AT

pytestmark = pytest.mark.integration

PUNYCODE = "grace@xn--bcher-kva.example"


def test_an_internationalised_domain_is_stored_and_sent_as_punycode(cloud: LocalCloud) -> None:
    # Given an interviewer whose address has a Unicode domain
    payload = load_example("interview.json")
    payload["interviewers"][0]["email"] = "grace@bücher.example"

    # When it is submitted and the thank-you comes due
    status, accepted = cloud.api("POST", "/interviews", payload)
    assert status == 202, accepted
    cloud.advance(18 * 3600)

    # Then the plan, the stored interview and the sent email all use the punycode form
    assert {f["to"] for f in accepted["follow_ups"] if f["kind"] == "thank_you"} == {PUNYCODE}
    view = cloud.api("GET", f"/interviews/{accepted['interview_id']}")[1]
    assert view["interview"]["interviewers"][0]["email"] == PUNYCODE
    thank_you = next(m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "thank_you")
    assert thank_you["to"] == [f"Grace Hopper <{PUNYCODE}>"]
    assert "bücher" not in json.dumps(cloud.outbox.follow_ups())


def test_a_non_ascii_mailbox_name_is_a_422_naming_the_field(cloud: LocalCloud) -> None:
    payload = load_example("interview.json")
    payload["interviewers"][0]["email"] = "grâce@ae.example"
    status, body = cloud.api("POST", "/interviews", payload)
    assert status == 422, body
    field = body["error"]["fields"][0]
    assert field["field"] == "interviewers[0].email"
    assert "SES cannot send" in field["message"]
    assert cloud.pending_schedules() == []


@pytest.mark.parametrize("days_ahead", [61, 365 * 73])
def test_an_interview_ending_more_than_60_days_ahead_is_refused(cloud: LocalCloud, days_ahead: int) -> None:
    payload = load_example("interview.json")
    ended = SUBMITTED_AT + timedelta(days=days_ahead)
    payload["interview"]["started_at"] = (ended - timedelta(hours=1)).isoformat()
    payload["interview"]["ended_at"] = ended.isoformat()
    for path in ("/interviews", "/preview"):
        status, body = cloud.api("POST", path, payload)
        assert status == 422, body
        assert [f["field"] for f in body["error"]["fields"]] == ["interview.ended_at"]
    assert cloud.pending_schedules() == []


def test_a_real_upcoming_interview_can_be_entered_ahead(cloud: LocalCloud) -> None:
    # Given an interview that ends in 59 days
    payload = load_example("interview.json")
    ended = SUBMITTED_AT + timedelta(days=59)
    payload["interview"]["started_at"] = (ended - timedelta(hours=1)).isoformat()
    payload["interview"]["ended_at"] = ended.isoformat()
    payload["next_steps"]["decision_expected_by"] = (ended + timedelta(days=10)).date().isoformat()

    # Then it is accepted and its thank-you is planned after the interview, not before
    status, accepted = cloud.api("POST", "/interviews", payload)
    assert status == 202, accepted
    thank_you = next(f for f in accepted["follow_ups"] if f["kind"] == "thank_you")
    assert thank_you["due_at"] > ended.isoformat().replace("+00:00", "Z")


def test_the_form_shows_the_far_future_error_beside_the_end_field(cloud: LocalCloud) -> None:
    from followup_local.cloud import form_encode

    fields = {
        "key": cloud.form_key,
        "candidate.name": "Ada Lovelace",
        "candidate.email": "ada@example.com",
        "company.name": "Analytical Engines Ltd",
        "company.timezone": "America/New_York",
        "position.title": "Senior Data Engineer",
        "interview.ended_at": "2099-11-24T15:00",
        "interviewers[0].name": "Grace Hopper",
        "interviewers[0].email": "grace@ae.example",
    }
    status, _, page = cloud.http(
        "POST", "/form", body=form_encode(fields), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 422
    assert b"more than 60 days in the future" in page
    assert cloud.pending_schedules() == []
