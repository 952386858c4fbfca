"""`compose_copy`: the candidate's own copy of a message sent in their name, read as the candidate would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from followup.adapters.records import FollowUpRecord
from followup.adapters.ses import OutgoingEmail
from followup.domain.models import InterviewRequest
from followup.sender.send import SenderIdentity, compose_copy
from tests.conftest import load_example

IDENTITY = SenderIdentity(email="followups@example.net", name="Interview Follow-ups")
MANAGE = "https://followups.example.net/panel/m/abc.def"


def _request(**candidate: Any) -> InterviewRequest:
    payload = load_example("interview.json")
    payload["candidate"].update(candidate)
    return InterviewRequest.model_validate(payload)


def _record(timezone: str, to_name: str = "Grace Hopper", to: str = "grace@ae.example") -> FollowUpRecord:
    return FollowUpRecord(
        interview_id="iv1",
        follow_up_id="thank_you-0",
        kind="thank_you",
        to=to,
        to_name=to_name,
        timezone=timezone,
        due_at="2026-12-01T09:02:00Z",
        status="sent",
        interviewer_index=0,
        document={},
    )


def _sent(subject: str = "Thank you — Senior Data Engineer interview") -> OutgoingEmail:
    return OutgoingEmail(
        from_address="Ada Lovelace <followups@example.net>",
        to=["Grace Hopper <grace@ae.example>"],
        subject=subject,
        text="Hi Grace,\n\nThank you for your time today.\n\nAda\n",
        html="<p>Hi Grace,</p><p>Thank you for your time today.</p><p>Ada</p>",
    )


SENT_AT = datetime(2026, 12, 1, 9, 2, tzinfo=UTC)


def test_the_copy_says_to_whom_and_when_in_the_recipients_time_and_the_candidates() -> None:
    copy = compose_copy(
        _record("Europe/Berlin"),
        _request(timezone="America/New_York", country="US"),
        _sent(),
        IDENTITY,
        sent_at=SENT_AT,
        manage_url=MANAGE,
    )
    first_line = copy.text.splitlines()[0]
    assert first_line == (
        "Sent in your name to Grace Hopper <grace@ae.example> on Tuesday, December 1, 10:02 CET "
        "(04:02 EST for you). Replies come to you."
    )
    assert copy.to == ["Ada Lovelace <ada@example.com>"]
    assert copy.from_address == "Interview Follow-ups <followups@example.net>"
    assert copy.subject == "Sent: Thank you — Senior Data Engineer interview"
    assert MANAGE in copy.text
    assert f'href="{MANAGE}"' in copy.html
    # The message as it went: its headers, then its text, unchanged
    assert "From: Ada Lovelace <followups@example.net>\nTo: Grace Hopper <grace@ae.example>\n" in copy.text
    assert copy.text.endswith(_sent().text)
    assert copy.html.endswith(_sent().html)
    assert copy.tags == {"copy_of_interview": "iv1", "copy_of": "thank_you-0", "kind": "copy"}
    assert "interview_id" not in copy.tags


def test_one_time_when_the_candidate_and_the_recipient_share_a_zone() -> None:
    copy = compose_copy(
        _record("Europe/London"),
        _request(timezone="Europe/London", country="GB"),
        _sent(),
        IDENTITY,
        sent_at=SENT_AT,
        manage_url=MANAGE,
    )
    assert "on Tuesday 1 December, 09:02 GMT. Replies" in copy.text
    assert "for you)" not in copy.text.splitlines()[0]


def test_names_and_subjects_are_escaped_in_html_and_kept_to_one_line() -> None:
    copy = compose_copy(
        _record("UTC", to_name="<b>Grace</b>"),
        _request(),
        _sent(subject="Thank you — " + "very long role title " * 6),
        IDENTITY,
        sent_at=SENT_AT,
        manage_url=MANAGE + '"><script>',
    )
    assert "<b>Grace</b>" not in copy.html
    assert "&lt;b&gt;Grace&lt;/b&gt;" in copy.html
    assert "<script>" not in copy.html
    assert len(copy.subject) <= 70
    assert copy.subject.endswith("…")
    assert "\n" not in copy.subject


def test_the_candidates_own_date_when_it_is_another_day_for_them() -> None:
    copy = compose_copy(
        _record("Asia/Tokyo"),
        _request(timezone="America/Los_Angeles", country="US"),
        _sent(),
        IDENTITY,
        sent_at=datetime(2026, 12, 1, 1, 30, tzinfo=UTC),
        manage_url=MANAGE,
    )
    assert "on Tuesday, December 1, 10:30 JST (Monday, November 30, 17:30 PST for you)." in copy.text
