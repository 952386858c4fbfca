"""Two candidates at their control panels, in headless Chromium against the local stack: the operator creates them;
each signs in by the emailed link, submits an interview through their own form, changes the wording of a pending
thank-you and reports an outcome — with the keyboard where a person would, axe-core on every page they see (no
serious or critical violation), screenshots at desktop width and at 390 px, and the other candidate's pages 404."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import RunningStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SIGN_IN_LINK = re.compile(r"(/panel/in/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")
# Where the screenshots go for a person to look at (the test's own folder unless FOLLOWUP_SCREENSHOTS says).
SCREENSHOTS_ENV = "FOLLOWUP_SCREENSHOTS"


@pytest.fixture(scope="module")
def axe() -> Path:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"axe-core is missing at {AXE}: `make test` installs it (make system-deps)")
        pytest.skip(f"axe-core is missing at {AXE}: run `make system-deps`")
    return AXE


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": item["id"], "impact": item["impact"], "nodes": [node["target"] for node in item["nodes"]][:3]}
        for item in results["violations"]
        if item["impact"] in ("serious", "critical")
    ]


class Visit:
    """A candidate's browser: every page it lands on is checked with axe and photographed at two widths."""

    def __init__(self, page: Any, shots: Path, who: str) -> None:
        self.page = page
        self.shots = shots
        self.who = who
        self.checked: list[str] = []
        self.violations: dict[str, list[dict[str, Any]]] = {}

    def check(self, name: str) -> None:
        self.page.wait_for_load_state()
        found = axe_violations(self.page)
        if found:
            self.violations[name] = found
        self.checked.append(name)
        self.page.screenshot(path=str(self.shots / f"{self.who}-{name}-desktop.png"), full_page=True)
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": 390, "height": 844})
        self.page.screenshot(path=str(self.shots / f"{self.who}-{name}-390.png"), full_page=True)
        overflow = self.page.evaluate("() => document.documentElement.scrollWidth")
        self.page.set_viewport_size(size)
        assert overflow <= 390, f"{name}: {overflow} px wide at a 390 px screen"


def _create(stack: RunningStack, name: str, email: str) -> dict[str, Any]:
    reply = stack.post_json(
        "/candidates",
        {"name": name, "email": email, "timezone": "Europe/Paris", "country": "FR"},
        {"Authorization": f"Bearer {stack.operator_key}"},
    )
    assert reply.status == 201, reply.body
    return dict(reply.json())


def _sign_in_link(stack: RunningStack, email: str) -> str:
    outbox = stack.get("/_local/outbox").json()
    mails = [mail for mail in outbox if mail["to"] == [email] and mail["subject"] == "Your sign-in link"]
    assert mails, [mail["subject"] for mail in outbox]
    found = SIGN_IN_LINK.search(mails[-1]["text"])
    assert found
    return found.group(1)


def _journey(stack: RunningStack, visit: Visit, candidate: dict[str, Any], email: str, company: str) -> str:
    page = visit.page
    # Sign in with the keyboard only: type the address, Enter; open the emailed link; Tab to the button, Enter.
    page.goto(f"{stack.url}/panel")
    visit.check("sign-in")
    page.get_by_label("Your email").focus()
    page.keyboard.type(email)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Check your email" in page.content()
    page.goto(stack.url + _sign_in_link(stack, email))
    visit.check("sign-in-confirm")
    page.keyboard.press("Tab")
    with page.expect_navigation(url="**/panel"):
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="My interviews").is_visible()
    visit.check("my-interviews-empty")

    # Their own form, already knowing who they are.
    form_path = urlsplit(candidate["form_url"])
    page.goto(f"{stack.url}{form_path.path}?{form_path.query}")
    assert page.get_by_label("Your name").input_value() == candidate["profile"]["name"]
    page.locator("#f-company-name").fill(company)
    page.get_by_label("Position").fill("Data Engineer")
    page.get_by_label("Ended").fill("2026-11-24T15:00")
    page.locator("#f-interviewers-0-name").fill("Ingrid Berg")
    page.locator("#f-interviewers-0-email").fill("ingrid@fjord.example")
    page.locator("#f-interviewers-0-topics").fill("the move to event-driven billing")
    page.get_by_label("Decision expected by").fill("2026-12-04")
    page.get_by_role("button", name="Schedule follow-ups").click()
    page.wait_for_url("**/form/done/**")
    interview_id = page.url.split("/form/done/")[1].split("?")[0]

    # The panel lists it; its page shows every message with its local time and text.
    page.goto(f"{stack.url}/panel")
    page.get_by_role("link", name=re.compile(company)).click()
    page.wait_for_url(f"**/panel/interviews/{interview_id}")
    visit.check("interview")
    # Change the thank-you's wording, by keyboard: follow the link, edit, Tab to Save, Enter.
    page.get_by_role("link", name="Change the wording of this message").first.click()
    visit.check("edit")
    text = page.get_by_label("Message")
    wording = text.input_value().replace("\n\n", "\n\nIt was a pleasure to meet you.\n\n", 1)
    assert wording != text.input_value()
    text.fill(wording)
    text.focus()
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Saved" in page.content()
    visit.check("edit-saved")
    page.get_by_role("link", name=re.compile("Back to")).click()
    assert "(your wording)" in page.content()

    # Report the outcome with the keyboard: focus the button, Enter.
    page.get_by_role("button", name="They said no").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Stopped: they said no" in page.content()
    visit.check("interview-stopped")
    page.goto(f"{stack.url}/panel/settings")
    visit.check("settings")
    return interview_id


def test_two_candidates_each_steer_their_own_follow_ups_from_the_panel(
    stack: RunningStack, browser: Any, axe: Path, tmp_path: Path
) -> None:
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    alice = _create(stack, "Alice Moreau", "alice@example.org")
    bruno = _create(stack, "Bruno Silva", "bruno@example.org")
    # bypass_csp: the pages forbid scripts (CSP), and axe-core is one, injected by the test only.
    contexts = {
        who: browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True) for who in ("alice", "bruno")
    }
    try:
        visits = {who: Visit(context.new_page(), shots, who) for who, context in contexts.items()}
        for visit in visits.values():
            visit.page.set_default_timeout(30_000)
        alice_interview = _journey(stack, visits["alice"], alice, "alice@example.org", "Fjord Analytics")
        bruno_interview = _journey(stack, visits["bruno"], bruno, "bruno@example.org", "Sertão Data")

        # Each one's session sees the other's interview as missing, and their list holds only their own.
        for who, other in (("alice", bruno_interview), ("bruno", alice_interview)):
            page = visits[who].page
            response = page.goto(f"{stack.url}/panel/interviews/{other}")
            assert response.status == 404
            assert "Fjord" not in page.content() or who == "alice"
            page.goto(f"{stack.url}/panel")
            assert len(page.locator("ul.cards > li").all()) == 1

        # The edited wording is stored; the outcome stopped everything of each.
        for candidate, interview_id in ((alice, alice_interview), (bruno, bruno_interview)):
            view = stack.get(f"/interviews/{interview_id}", {"Authorization": f"Bearer {candidate['api_key']}"}).json()
            assert any(entry["event"] == "edited" for entry in view["timeline"])
            assert view["interview"]["outcome"] == "rejected"
            assert all(item["status"] in ("cancelled", "sent") for item in view["follow_ups"])

        problems = {f"{who}:{name}": found for who, visit in visits.items() for name, found in visit.violations.items()}
        assert problems == {}, json.dumps(problems, indent=1)
        assert len(visits["alice"].checked) >= 8
    finally:
        for context in contexts.values():
            context.close()


def test_every_other_page_has_no_serious_accessibility_violation(
    stack: RunningStack, browser: Any, axe: Path, tmp_path: Path
) -> None:
    """axe-core on the way in, the form (empty and sent back with errors), the plan page, a one-click link page
    (before and after use), the manage link's page and the local outbox."""
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        visit = Visit(context.new_page(), shots, "pages")
        page = visit.page
        page.set_default_timeout(30_000)
        page.goto(f"{stack.url}/")
        visit.check("home")
        page.goto(f"{stack.url}/form?key={stack.form_key}")
        visit.check("form")
        page.get_by_role("button", name="Schedule follow-ups").click()
        page.wait_for_load_state()
        visit.check("form-errors")
        submitted = stack.post_json(
            "/interviews", json.loads((ROOT / "examples" / "interview.json").read_text()), stack.bearer()
        )
        assert submitted.status == 202
        interview_id = submitted.json()["interview_id"]
        page.goto(f"{stack.url}/form/done/{interview_id}?key={stack.form_key}")
        visit.check("plan")
        stack.post_json("/_local/clock/advance", {"seconds": 3 * 86400})
        outbox = stack.get("/_local/outbox").json()
        reminder = next(mail for mail in outbox if "/a/" in mail["text"] and "/panel/m/" in mail["text"])
        done_link = re.search(r"(/a/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", reminder["text"]).group(1)  # type: ignore[union-attr]
        manage_link = re.search(r"(/panel/m/[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", reminder["text"]).group(1)  # type: ignore[union-attr]
        page.goto(stack.url + done_link)
        visit.check("link")
        with page.expect_navigation():
            page.get_by_role("button").first.click()
        visit.check("link-done")
        page.goto(stack.url + done_link)
        visit.check("link-used")
        page.goto(stack.url + manage_link)
        visit.check("manage")
        page.goto(f"{stack.url}/_local/outbox.html")
        visit.check("outbox")
        assert visit.violations == {}, json.dumps(visit.violations, indent=1)
        assert len(visit.checked) == 9
        # The check itself can fail: a page with an image and a button without names has critical violations.
        page.set_content('<html><body><img src="x.png"><button></button></body></html>')
        assert {item["id"] for item in axe_violations(page)} >= {"image-alt", "button-name"}
    finally:
        context.close()
