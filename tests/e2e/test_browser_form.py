"""A person at the web form, in headless Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]


def _fill_interview(page: Any, *, second_email: str) -> None:
    """What a candidate types: themselves, the company, the interview and two interviewers."""
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your email").fill("ada@example.com")
    page.get_by_label("Your time zone").fill("Europe/London")
    page.locator("#f-company-name").fill("Analytical Engines Ltd")
    page.get_by_label("Position").fill("Senior Data Engineer")
    page.get_by_label("Company time zone").fill("America/New_York")
    page.get_by_label("Stage").select_option("onsite")
    page.get_by_label("Started").fill("2026-11-24T13:00")
    page.get_by_label("Ended").fill("2026-11-24T15:00")
    page.locator("#f-interviewers-0-name").fill("Grace Hopper")
    page.locator("#f-interviewers-0-email").fill("grace@ae.example")
    page.locator("#f-interviewers-0-topics").fill("moving nightly batch ETL to streaming\non-call rotation")
    page.locator("#f-primary-contact-0").check()
    page.locator("#f-interviewers-1-name").fill("Alan Turing")
    page.locator("#f-interviewers-1-email").fill(second_email)
    page.locator("#f-interviewers-1-timezone").fill("Europe/London")
    page.locator("#f-interviewers-1-topics").fill("testing stream processors")
    page.get_by_label("Skills to mention").fill("Kafka\ndbt")
    page.get_by_label("Decision expected by").fill("2026-12-04")


def test_a_person_submits_two_interviewers_and_sees_the_plan(stack: RunningStack, page: Any) -> None:
    # Given the form opened from the printed link
    page.goto(f"{stack.url}/form?key={stack.form_key}")
    assert page.title() == "Plan your interview follow-ups"

    # When they fill it in for two interviewers and schedule
    _fill_interview(page, second_email="alan@ae.example")
    page.get_by_role("button", name="Schedule follow-ups").click()

    # Then they land on the plan: a thank-you to each interviewer and the check-ins, with local send times
    page.wait_for_url("**/form/done/**")
    assert page.get_by_role("heading", name="Your follow-ups are planned").is_visible()
    rows = page.locator("tbody tr")
    texts = [rows.nth(index).inner_text() for index in range(rows.count())]
    assert sum("Thank-you" in text and "grace@ae.example" in text for text in texts) == 1
    assert sum("Thank-you" in text and "alan@ae.example" in text for text in texts) == 1
    assert any("Check-in" in text for text in texts)
    assert any("America/New_York" in text for text in texts)
    assert any("Europe/London" in text for text in texts)


def test_an_invalid_email_is_shown_beside_its_field_with_the_other_values_kept(stack: RunningStack, page: Any) -> None:
    # Given the form
    page.goto(f"{stack.url}/form?key={stack.form_key}")
    schedules_before = stack.get("/_local/schedules").json()["Schedules"]

    # When the second interviewer's email is not an email
    _fill_interview(page, second_email="alan-at-ae.example")
    page.get_by_role("button", name="Schedule follow-ups").click()

    # Then the form comes back with the error right beside that field, and nothing was scheduled
    page.wait_for_load_state()
    error = page.locator("#f-interviewers-1-email-error")
    assert error.is_visible()
    assert "email" in error.inner_text()
    field = page.locator("#f-interviewers-1-email")
    assert field.get_attribute("aria-invalid") == "true"
    assert "f-interviewers-1-email-error" in (field.get_attribute("aria-describedby") or "")
    assert page.get_by_role("alert").is_visible()
    assert stack.get("/_local/schedules").json()["Schedules"] == schedules_before

    # And every typed value is still there, the wrong one included
    assert field.input_value() == "alan-at-ae.example"
    assert page.get_by_label("Your name").input_value() == "Ada Lovelace"
    assert page.locator("#f-interviewers-0-email").input_value() == "grace@ae.example"
    assert (
        page.locator("#f-interviewers-0-topics").input_value()
        == "moving nightly batch ETL to streaming\non-call rotation"
    )
    assert page.get_by_label("Ended").input_value() == "2026-11-24T15:00"
    assert page.locator("#f-primary-contact-0").is_checked()
    assert page.get_by_label("Stage").input_value() == "onsite"

    # When they correct it and preview instead of scheduling
    field.fill("alan@ae.example")
    page.get_by_role("button", name="Preview messages").click()

    # Then they read the messages, and still nothing is scheduled
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Preview: nothing has been scheduled yet").is_visible()
    previews = page.locator("article.message")
    assert previews.count() >= 3  # a thank-you to each interviewer, then the check-ins
    assert "Hi Alan," in previews.all_inner_texts()[0] + previews.all_inner_texts()[1]
    assert stack.get("/_local/schedules").json()["Schedules"] == schedules_before
