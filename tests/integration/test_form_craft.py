"""The form asks for what makes good sentences (salutation, the name one goes by, short names, achievements) and
shows, beside each field, what a preview had to leave out and how to write it."""

from __future__ import annotations

import html
from urllib.parse import urlencode

import pytest

from followup_local.cloud import LocalCloud

pytestmark = pytest.mark.integration


def _post(cloud: LocalCloud, fields: dict[str, str]) -> tuple[int, str]:
    body = urlencode({"key": cloud.form_key, **fields}).encode()
    status, _, page = cloud.http(
        "POST", "/form", body=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    return status, html.unescape(page.decode())


BASE = {
    "candidate.name": "Nguyễn Minh Anh",
    "candidate.preferred_name": "Minh Anh",
    "candidate.email": "minhanh@example.com",
    "candidate.timezone": "Asia/Ho_Chi_Minh",
    "company.name": "Tata Consultancy Services Private Limited",
    "company.short_name": "TCS",
    "company.country": "IN",
    "company.subdivision": "KA",
    "company.timezone": "Asia/Kolkata",
    "position.title": "Senior Software Engineer, Payments Platform",
    "position.short_title": "Senior Software Engineer",
    "interview.ended_at": "2026-11-24T15:00",
    "interviewers[0].name": "Dr. Priya Raghavan",
    "interviewers[0].salutation": "Dr. Raghavan",
    "interviewers[0].email": "priya@tcs.example",
    "interviewers[0].topics": "the UPI payment flow\nAsked me why I left my last job?",
    "highlights.achievements": "I cut settlement latency from 4 seconds to 300 ms",
    "preferences.tone": "formal",
}


def test_a_preview_shows_what_was_left_out_beside_its_field(cloud: LocalCloud) -> None:
    # When a person previews an interview with one topic written as a question
    status, page = _post(cloud, {**BASE, "action": "preview"})

    # Then the preview uses the salutation, the short names and the achievement...
    assert status == 200, page[:500]
    assert "Dear Dr. Raghavan," in page
    assert "TCS" in page
    assert "I cut settlement latency from 4 seconds to 300 ms." in page
    assert "the UPI payment flow" in page
    # ...and beside the topics field says the question was left out, and how to write it instead
    note = page.split('id="f-interviewers-0-topics-note"', 1)[1].split("</p>", 1)[0]
    assert "left out of the messages" in note
    assert "reads as a question" in note
    messages = [block.split("</article>", 1)[0] for block in page.split('<article class="message">')[1:]]
    assert messages
    assert not [m for m in messages if "Asked me why" in m]  # never pasted into a rendered message


def test_the_new_fields_reach_the_stored_interview(cloud: LocalCloud) -> None:
    body = urlencode({"key": cloud.form_key, **BASE, "action": "submit"}).encode()
    status, headers, _ = cloud.http(
        "POST", "/form", body=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 303
    interview_id = headers["location"].split("/form/done/", 1)[1].split("?", 1)[0]

    status, view = cloud.api("GET", f"/interviews/{interview_id}")

    assert status == 200, view
    document = view["interview"]["document"] if "document" in view["interview"] else view["interview"]
    assert document["candidate"]["preferred_name"] == "Minh Anh"
    assert document["interviewers"][0]["salutation"] == "Dr. Raghavan"
    assert document["company"]["short_name"] == "TCS"
    assert document["company"]["subdivision"] == "KA"
    assert document["position"]["short_title"] == "Senior Software Engineer"
    assert document["highlights"]["achievements"] == [
        {"text": "I cut settlement latency from 4 seconds to 300 ms", "topics": []}
    ]
