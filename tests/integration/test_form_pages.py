"""The form's pages as a newcomer meets them: how they may be cached (Back keeps what was typed), the error summary
after a 422, the plan in words, and the way in at `GET /`."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from followup_local.cloud import LocalCloud

pytestmark = pytest.mark.integration

FORM = "application/x-www-form-urlencoded"

VALID = {
    "candidate.name": "Ada Lovelace",
    "candidate.email": "ada@example.com",
    "candidate.timezone": "Europe/London",
    "company.name": "Analytical Engines Ltd",
    "company.timezone": "America/New_York",
    "company.country": "US",
    "position.title": "Senior Data Engineer",
    "interview.ended_at": "2026-11-24T15:00",
    "interviewers[0].name": "Grace Hopper",
    "interviewers[0].email": "grace@ae.example",
}


def post_form(cloud: LocalCloud, fields: dict[str, str]) -> tuple[int, dict[str, str], str]:
    body = urlencode({"key": cloud.form_key, **fields}).encode()
    status, headers, page = cloud.http("POST", "/form", body=body, headers={"content-type": FORM})
    return status, headers, page.decode()


def test_the_form_may_be_kept_by_the_browser_for_back_and_nothing_else_is(cloud: LocalCloud) -> None:
    # The form page and its re-renders (422, preview): private to this browser, revalidated before reuse, so Back
    # shows it as typed (no-store made Back to a 422 "Confirm Form Resubmission" and the empty form a new token)
    status, headers, _ = cloud.http("GET", f"/form?key={cloud.form_key}")
    assert status == 200
    assert headers["cache-control"] == "private, no-cache"
    status, headers, _ = post_form(cloud, {**VALID, "interviewers[0].email": "grace-at-ae.example"})
    assert status == 422
    assert headers["cache-control"] == "private, no-cache"
    status, headers, _ = post_form(cloud, {**VALID, "action": "preview"})
    assert status == 200
    assert headers["cache-control"] == "private, no-cache"

    # Everything else stays no-store: the redirect, the plan (live statuses), a refused key
    status, headers, _ = post_form(cloud, VALID)
    assert status == 303
    assert headers["cache-control"] == "no-store"
    status, headers, _ = cloud.http("GET", headers["location"])
    assert status == 200
    assert headers["cache-control"] == "no-store"
    status, headers, _ = cloud.http("GET", "/form?key=wrong")
    assert status == 403
    assert headers["cache-control"] == "no-store"


def test_no_field_of_the_form_opts_out_of_being_restored_on_back(cloud: LocalCloud) -> None:
    # autocomplete="off" makes Chromium skip a field when it restores a form on Back
    _, _, page = cloud.http("GET", f"/form?key={cloud.form_key}")
    assert not re.search(rb'autocomplete="off"', page)
