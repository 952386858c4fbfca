"""What a newcomer trips over on the pages, in headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
Back keeps what was typed, the time zones come from the browser, a bad submit takes focus to the error summary,
and every page fits a 390 px phone."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import load_example
from tests.e2e.conftest import RunningStack, launch_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]


def _fill_required(page: Any, *, position: str, interviewer_email: str) -> None:
    page.locator("#f-candidate-name").fill("Ada Lovelace")
    page.locator("#f-candidate-email").fill("ada@example.com")
    page.locator("#f-candidate-timezone").fill("Europe/London")
    page.locator("#f-company-name").fill("Analytical Engines Ltd")
    page.locator("#f-company-timezone").fill("America/New_York")
    page.locator("#f-position-title").fill(position)
    page.locator("#f-interview-ended-at").fill("2026-11-24T15:00")
    page.locator("#f-interviewers-0-name").fill("Grace Hopper")
    page.locator("#f-interviewers-0-email").fill(interviewer_email)


def _schedule(page: Any) -> None:
    page.get_by_role("button", name="Schedule follow-ups").click()
    page.wait_for_load_state()


# -- 3. Back keeps typed values -------------------------------------------------------------------------------------


def test_back_from_the_plan_shows_the_form_as_typed_with_its_token(stack: RunningStack, page: Any) -> None:
    # Given the form, filled in and scheduled
    page.goto(f"{stack.url}/form?key={stack.form_key}")
    token = page.locator("input[name=form_token]").input_value()
    _fill_required(page, position="Back Engineer 1", interviewer_email="grace@ae.example")
    page.locator("#f-highlights-skills").fill("Kafka\ndbt")
    _schedule(page)
    page.wait_for_url("**/form/done/**")

    # When they press Back (Playwright's Chromium has no back/forward cache: the page comes from the HTTP cache)
    page.go_back()

    # Then the form is the one they filled in: what they typed, and the same one-time token (submitting it again
    # lands on the same plan instead of meeting the natural key as a new form)
    assert page.locator("#f-candidate-name").input_value() == "Ada Lovelace"
    assert page.locator("#f-highlights-skills").input_value() == "Kafka\ndbt"
    assert page.locator("input[name=form_token]").input_value() == token


def test_back_to_a_form_sent_back_with_errors_shows_it_again(stack: RunningStack, page: Any) -> None:
    # Given a submission sent back with an error, corrected and then scheduled
    page.goto(f"{stack.url}/form?key={stack.form_key}")
    _fill_required(page, position="Back Engineer 2", interviewer_email="grace-at-ae.example")
    _schedule(page)
    assert page.title().startswith("Check the form")
    page.locator("#f-interviewers-0-email").fill("grace@ae.example")
    page.locator("#f-highlights-why-fit").fill("I have run exactly this migration")
    _schedule(page)
    page.wait_for_url("**/form/done/**")

    # When they press Back: that history entry is the answer to a POST
    page.go_back()  # with `Cache-Control: no-store` this was net::ERR_CACHE_MISS ("Confirm Form Resubmission")

    # Then the form is back with what they typed, the correction included
    assert page.locator("#f-candidate-name").input_value() == "Ada Lovelace"
    assert page.locator("#f-interviewers-0-email").input_value() == "grace@ae.example"
    assert page.locator("#f-highlights-why-fit").input_value() == "I have run exactly this migration"


# -- 2. errors: a red border on each bad field, focus on the summary --------------------------------------------------


def test_a_bad_submit_focuses_the_error_summary_and_outlines_the_bad_field_in_red(
    stack: RunningStack, page: Any
) -> None:
    # Given the form with a mistake in one interviewer's email
    page.goto(f"{stack.url}/form?key={stack.form_key}")
    _fill_required(page, position="Focus Engineer", interviewer_email="grace-at-ae.example")

    # When they schedule
    _schedule(page)

    # Then focus is on the summary at the top (a screen reader reads it; Tab goes to its links)...
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'error-summary'")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    # ...whose link leads to the field, drawn with the error colour, two pixels wide
    summary.get_by_role("link", name="Interviewer 1: email").click()
    assert page.evaluate("location.hash") == "#f-interviewers-0-email"
    field = page.locator("#f-interviewers-0-email")
    assert field.get_attribute("aria-invalid") == "true"
    border = field.evaluate("e => { const s = getComputedStyle(e); return [s.borderTopColor, s.borderTopWidth]; }")
    assert border == ["rgb(180, 35, 24)", "2px"]
    valid = page.locator("#f-candidate-name").evaluate("e => getComputedStyle(e).borderTopColor")
    assert valid != "rgb(180, 35, 24)"


# -- 1. the time zones come from the browser ---------------------------------------------------------------------------

ZONE_FIELDS = ("#f-candidate-timezone", "#f-company-timezone", "#f-interview-timezone")


@pytest.fixture(scope="module")
def tokyo_browser(playwright: Any) -> Iterator[Any]:
    """Chromium whose clock is in Tokyo (it honours TZ, as a laptop set to that zone would)."""
    launched = launch_chromium(playwright, env={**os.environ, "TZ": "Asia/Tokyo"})
    try:
        yield launched
    finally:
        launched.close()


def _open(browser: Any, url: str, **context_options: Any) -> Any:
    context = browser.new_context(**context_options)
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    opened.goto(url)
    return opened


def test_an_empty_form_takes_its_time_zones_from_the_browser(stack: RunningStack, tokyo_browser: Any) -> None:
    # When a person in Tokyo opens the form
    page = _open(tokyo_browser, f"{stack.url}/form?key={stack.form_key}")
    try:
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "Asia/Tokyo"

        # Then their zone, the company's and the interview's are Asia/Tokyo until they change them, and say why
        assert [page.locator(field).input_value() for field in ZONE_FIELDS] == ["Asia/Tokyo"] * 3
        assert "from this browser" in page.locator("#f-candidate-timezone-hint").inner_text()

        # And a form sent back with errors keeps what they submitted: a zone they emptied stays empty
        page.locator("#f-company-timezone").fill("")
        page.locator("#f-candidate-name").fill("Ada Lovelace")
        _schedule(page)
        assert page.title().startswith("Check the form")
        assert page.locator("#f-company-timezone").input_value() == ""
        assert page.locator("#f-candidate-timezone").input_value() == "Asia/Tokyo"
    finally:
        page.context.close()


def test_a_browser_zone_the_list_does_not_offer_is_not_filled_in(stack: RunningStack, playwright: Any) -> None:
    # A browser in UTC: "UTC" is not among the offered names, so nothing is filled in
    utc = launch_chromium(playwright, env={**os.environ, "TZ": "UTC"})
    try:
        page = _open(utc, f"{stack.url}/form?key={stack.form_key}")
        assert [page.locator(field).input_value() for field in ZONE_FIELDS] == ["", "", ""]
    finally:
        utc.close()


def test_without_javascript_the_form_still_works_with_the_zones_left_empty(
    stack: RunningStack, tokyo_browser: Any
) -> None:
    page = _open(tokyo_browser, f"{stack.url}/form?key={stack.form_key}", java_script_enabled=False)
    try:
        assert [page.locator(field).input_value() for field in ZONE_FIELDS] == ["", "", ""]
        _fill_required(page, position="No Script Engineer", interviewer_email="grace@ae.example")
        _schedule(page)
        page.wait_for_url("**/form/done/**")
        assert page.get_by_role("heading", name="Your follow-ups are planned").is_visible()
    finally:
        page.context.close()


# -- 6. every page fits a 390 px phone --------------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
LINK = re.compile(r"/a/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")


def test_every_page_fits_a_390_px_screen(stack: RunningStack, browser: Any) -> None:
    # Given a review-mode interview whose thank-you draft (with its links) and a reminder are in the outbox
    payload = load_example("interview.json")
    payload["position"]["title"] = "Phone-width Data Engineer"
    payload["preferences"]["mode"] = "review"
    accepted = stack.post_json("/interviews", payload, stack.bearer())
    assert accepted.status == 202, accepted.text
    interview_id = accepted.json()["interview_id"]
    assert stack.advance(18 * 3600).status == 200
    drafts = [m for m in stack.get("/_local/outbox").json() if m["tags"].get("interview_id") == interview_id]
    approve, _, stop = LINK.findall(next(m for m in drafts if m["tags"]["kind"] == "draft")["text"])
    pages = {
        "plan": f"/form/done/{interview_id}?key={stack.form_key}",
        "outbox": "/_local/outbox.html",
        "home": "/",
        "form": f"/form?key={stack.form_key}",
        "approve": f"/a/{approve}",
        "stop": f"/a/{stop}",
    }

    # When each is opened on a 390 px wide phone, nothing is wider than the screen
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        widths = {}
        for name, path in pages.items():
            page.goto(stack.url + path)
            widths[name] = page.evaluate("document.documentElement.scrollWidth")
            if name == "outbox":
                # and a header's value is not squeezed into a column beside its name: it takes the card's width
                narrowest = page.evaluate("Math.min(...[...document.querySelectorAll('dd')].map(e => e.clientWidth))")
                assert narrowest >= 300, narrowest
        # the form sent back with errors, too
        page.goto(stack.url + pages["form"])
        _schedule(page)
        widths["form sent back"] = page.evaluate("document.documentElement.scrollWidth")
    finally:
        context.close()
    assert widths == dict.fromkeys(widths, 390), widths
