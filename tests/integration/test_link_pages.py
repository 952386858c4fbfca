"""The one-click pages as the candidate reads them: each names the company and the recipient and shows the message
the action concerns (or the follow-ups it stops), states are in words, and a link already used says so when opened —
GET still changes nothing."""

from __future__ import annotations

import html
import re

import pytest

from followup_local.cloud import LocalCloud
from tests.integration.test_lifecycle import _draft_links, _review_payload, _statuses

pytestmark = pytest.mark.integration

COMPANY = "Analytical Engines Ltd"
RECIPIENT = "Grace Hopper <grace@ae.example>"


def _open(cloud: LocalCloud, method: str, token: str) -> tuple[int, dict[str, str], str]:
    status, headers, page = cloud.http(method, f"/a/{token}")
    return status, headers, html.unescape(page.decode())


def _draft(cloud: LocalCloud) -> tuple[str, dict[str, str], str]:
    """A review-mode interview whose thank-you draft went to the candidate: its id, links and the draft's text."""
    status, accepted = cloud.api("POST", "/interviews", _review_payload())
    assert status == 202, accepted
    cloud.advance(18 * 3600)
    (draft,) = [m for m in cloud.outbox.follow_ups() if m["tags"]["kind"] == "draft"]
    message = draft["text"].split("\n---\n\n", 1)[1].split("\n\nActions:", 1)[0].strip()
    return accepted["interview_id"], _draft_links(cloud, "thank_you-0"), message


def test_the_approve_page_names_company_and_recipient_and_shows_the_draft(cloud: LocalCloud) -> None:
    interview_id, links, message = _draft(cloud)

    # When the candidate opens the approve link
    status, headers, page = _open(cloud, "GET", links["approve"])

    # Then the page names the company and the recipient, says the state in words and shows the draft as sent
    assert status == 200
    assert COMPANY in page
    assert RECIPIENT in page
    assert "Waiting for your approval" in page
    assert "awaiting_approval" not in page
    assert message in page
    assert "Actions:" not in page  # the draft's own links are not repeated
    assert page.index(message) < page.index('<form method="post"')  # read it, then decide
    # And nothing changed; the page cannot be framed by another site
    assert _statuses(cloud, interview_id)["thank_you-0"] == "awaiting_approval"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]

    # When they approve it, the answer says so about the same message
    status, _, page = _open(cloud, "POST", links["approve"])
    assert status == 200
    assert "Approved" in page
    assert f"thank-you to Grace Hopper at {COMPANY} will be sent" in page
    assert RECIPIENT in page
    assert message in page


def test_an_approve_link_opened_after_use_says_it_was_used_what_was_done_and_when(cloud: LocalCloud) -> None:
    interview_id, links, message = _draft(cloud)
    assert _open(cloud, "POST", links["approve"])[0] == 200
    cloud.advance(180)
    assert _statuses(cloud, interview_id)["thank_you-0"] == "sent"

    # When the candidate opens the same link again (GET, as from the email)
    status, _, page = _open(cloud, "GET", links["approve"])

    # Then it says it was used, when (their time: London), and what that did — and offers no button
    assert status == 200
    assert "This link was already used" in page
    assert "It was used on Wed 25 Nov 2026, 15:00 GMT: <strong>Approved</strong>" in page
    assert f"thank-you to Grace Hopper at {COMPANY} will be sent" in page
    assert message in page
    assert "<form" not in page
    assert "<button" not in page
    # And GET still changed nothing: one message to Grace
    assert len([m for m in cloud.outbox.follow_ups() if m["to"] == [RECIPIENT]]) == 1


def test_the_stop_page_lists_what_stops_and_the_result_says_what_stopped(cloud: LocalCloud) -> None:
    interview_id, links, _ = _draft(cloud)

    # When the candidate opens the stop link: the follow-ups that would stop, by name, recipient and time
    status, _, page = _open(cloud, "GET", links["stop"])
    assert status == 200
    assert COMPANY in page
    assert "These follow-ups stop:" in page
    assert "<li>Thank-you to Grace Hopper, due Wed 25 Nov 2026," in page
    assert "<li>Check-in to Grace Hopper, due " in page
    assert "<li>Final check-in to Grace Hopper, due " in page
    assert set(_statuses(cloud, interview_id).values()) == {"awaiting_approval", "scheduled"}

    # When they press it: what stopped, in words
    status, _, page = _open(cloud, "POST", links["stop"])
    assert status == 200
    assert f"3 pending follow-ups were cancelled for your interview at {COMPANY}" in page
    assert "<li>Check-in to Grace Hopper — Stopped by you</li>" in page
    assert "cancelled</li>" not in page

    # And opened again, the link says it was used for that
    status, _, page = _open(cloud, "GET", links["stop"])
    assert "This link was already used" in page
    assert "<strong>Stopped</strong>" in page
    assert "<button" not in page


def test_the_skip_pages_show_the_draft_and_a_used_skip_link_says_so(cloud: LocalCloud) -> None:
    interview_id, links, message = _draft(cloud)
    status, _, page = _open(cloud, "GET", links["skip"])
    assert status == 200
    assert RECIPIENT in page
    assert COMPANY in page
    assert message in page

    status, _, page = _open(cloud, "POST", links["skip"])
    assert "Skipped" in page
    assert f"thank-you to Grace Hopper at {COMPANY} will not be sent" in page
    assert message in page
    assert _statuses(cloud, interview_id)["thank_you-0"] == "cancelled"

    status, _, page = _open(cloud, "GET", links["skip"])
    assert "This link was already used" in page
    assert "<strong>Skipped</strong>" in page
    # The approve link of the skipped draft, opened now, shows its state in words
    status, _, page = _open(cloud, "GET", links["approve"])
    assert re.search(r"<dt>Status now</dt><dd>Skipped by you</dd>", page)
