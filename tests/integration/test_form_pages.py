"""The form's pages as a newcomer meets them: how they may be cached (Back keeps what was typed), the error summary
after a 422, the plan in words, and the way in at `GET /`."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
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


class _Elements(HTMLParser):
    """Every element with an id, by id (its tag and attributes), and the error summary's links in order."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, tuple[str, dict[str, str | None]]] = {}
        self.summary: dict[str, str | None] | None = None
        self.summary_links: list[str] = []
        self._in_summary = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.by_id[str(attributes["id"])] = (tag, attributes)
        if attributes.get("id") == "error-summary":
            self.summary = attributes
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a":
            self.summary_links.append(str(attributes.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if self._in_summary and tag == "div":
            self._in_summary -= 1


def parsed(page: str) -> _Elements:
    elements = _Elements()
    elements.feed(page)
    return elements


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"interviewers[0].email": "grace-at-ae.example"}, ["f-interviewers-0-email"]),
        ({"company.name": "", "candidate.email": "ada"}, ["f-candidate-email", "f-company-name"]),
        ({"company.timezone": "Mars/Olympus", "preferences.max_follow_ups": "9"},
         ["f-company-timezone", "f-preferences-max-follow-ups"]),
        ({"interview.started_at": "2026-11-24T16:00", "preferences.send_window.start": "18:00"},
         ["f-interview-started-at", "f-preferences-send-window-start"]),
        # the model's error about the list as a whole lands on the field to change: the second, repeated email
        ({"interviewers[1].name": "Alan Turing", "interviewers[1].email": "Grace@ae.example"},
         ["f-interviewers-1-email"]),
        ({"interviewers[0].name": "", "interviewers[0].email": "", "interviewers[0].title": "CTO"},
         ["f-interviewers-0-name", "f-interviewers-0-email"]),
    ],
)  # fmt: skip
def test_a_422_marks_each_bad_field_and_the_focused_summary_links_to_it(
    cloud: LocalCloud, changes: dict[str, str], fields: list[str]
) -> None:
    # When the form is posted with these mistakes
    status, _, page = post_form(cloud, {**VALID, **changes})

    # Then it comes back with a summary that takes focus and links to each bad field...
    assert status == 422, page[:300]
    elements = parsed(page)
    assert elements.summary is not None
    assert elements.summary["role"] == "alert"
    assert elements.summary["tabindex"] == "-1"
    assert "autofocus" in elements.summary
    assert sorted(link.removeprefix("#") for link in elements.summary_links) == sorted(fields)
    # ...and each of them is marked invalid and described by its error, which sits beside it
    for field in fields:
        tag, attributes = elements.by_id[field]
        assert tag in ("input", "select", "textarea"), field
        assert attributes.get("aria-invalid") == "true", field
        assert f"{field}-error" in str(attributes.get("aria-describedby")), field
        assert f"{field}-error" in elements.by_id, field


SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def test_only_a_form_just_opened_carries_the_zone_script_and_the_csp_allows_only_it(cloud: LocalCloud) -> None:
    # The form just opened: one inline script, allowed by its hash and by nothing broader
    _, headers, body = cloud.http("GET", f"/form?key={cloud.form_key}")
    page = body.decode()
    (script,) = SCRIPT.findall(page)
    assert "resolvedOptions().timeZone" in script
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"].split("script-src", 1)[1].split(";", 1)[0]

    # A form sent back (422, preview) shows what was submitted: a blank zone stays blank, no script fills it
    for fields in ({**VALID, "candidate.email": "ada"}, {**VALID, "action": "preview"}):
        _, _, page = post_form(cloud, fields)
        assert not SCRIPT.search(page)


# -- 7. the way in ----------------------------------------------------------------------------------------------------


def test_the_root_is_a_page_with_the_way_in(cloud: LocalCloud) -> None:
    # When a person opens the API's address on the local stack
    status, headers, body = cloud.http("GET", "/", headers={"host": "127.0.0.1:3000"})

    # Then they read what this is, to open the form link they were given, where the local stack printed it, and
    # where the JSON API is described
    page = body.decode()
    assert status == 200, page[:300]
    assert headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in page
    assert "<h1>Interview follow-ups</h1>" in page
    assert "Open the form link you were given" in page
    assert '<a href="/openapi.json">' in page
    assert "printed the form link" in page
    assert '<a href="/_local/outbox.html">' in page
    assert cloud.form_key not in page  # the way to the form, never the key itself

    # On AWS (any other host) the local stack's part is left out
    status, _, body = cloud.http("GET", "/", headers={"host": "abc123.execute-api.eu-west-1.amazonaws.com"})
    assert status == 200
    assert "Open the form link you were given" in body.decode()
    assert "local stack" not in body.decode()
    assert "/_local/" not in body.decode()


def test_unknown_paths_stay_json_404_and_the_root_takes_only_get(cloud: LocalCloud) -> None:
    for path in ("/nope", "/index.html", "/form/x/y"):
        status, headers, body = cloud.http("GET", path)
        assert status == 404, path
        assert headers["content-type"].startswith("application/json"), path
        assert b'"not_found"' in body, path
    status, headers, body = cloud.http("POST", "/", body=b"{}", headers={"content-type": "application/json"})
    assert status == 405
    assert headers["allow"] == "GET"
    assert b'"method_not_allowed"' in body


# -- 5. the plan page says what happened in words ----------------------------------------------------------------------


def _cells(page: str, label: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", " ", cell).strip() for cell in re.findall(rf'data-label="{label}"[^>]*>(.*?)</td>', page)
    ]


def test_the_plan_page_says_what_happened_in_words(cloud: LocalCloud) -> None:
    # Given an interview planned through the form, its thank-you sent, then a rejection recorded
    status, headers, _ = post_form(cloud, VALID)
    assert status == 303
    plan = headers["location"]
    interview_id = plan.split("/form/done/", 1)[1].split("?", 1)[0]
    cloud.advance(18 * 3600)
    status, body = cloud.api("POST", f"/interviews/{interview_id}/outcome", {"outcome": "rejected"})
    assert status == 200, body

    # When the candidate opens the plan page
    status, _, raw = cloud.http("GET", plan)

    # Then each follow-up's state is in words: sent, or stopped because of the rejection — never a status code
    page = raw.decode()
    assert status == 200
    statuses = dict(zip(_cells(page, "Message"), _cells(page, "Status"), strict=True))
    assert statuses["Thank-you"] == "Sent"
    assert statuses["Check-in"] == statuses["Final check-in"] == "Stopped: rejected"
    assert "cancelled" not in page
    assert "outcome: rejected" not in page
    assert "Outcome recorded: rejected." in page
