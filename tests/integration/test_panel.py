"""The control panel on moto: sign-in by emailed link (once, 15 minutes), the session cookie, CSRF on every POST,
the interview page's outcome and decision-date actions, settings, and isolation between candidates' sessions."""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from followup_local.cloud import LocalCloud
from tests.conftest import load_example

pytestmark = pytest.mark.integration

FORM = {"content-type": "application/x-www-form-urlencoded"}
SIGN_IN_LINK = re.compile(r"/panel/in/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)")
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def _candidate(cloud: LocalCloud, name: str, email: str) -> dict[str, Any]:
    status, body = cloud.api(
        "POST",
        "/candidates",
        {"name": name, "email": email, "timezone": "Europe/Paris"},
        headers={"authorization": f"Bearer {cloud.operator_key}"},
    )
    assert status == 201, body
    return body


def _submit(cloud: LocalCloud, candidate: dict[str, Any], n: int = 0) -> str:
    payload = copy.deepcopy(load_example("interview.json"))
    payload.pop("candidate")
    payload["position"]["title"] += f" {n}"
    status, body = cloud.api(
        "POST", "/interviews", payload, headers={"authorization": f"Bearer {candidate['api_key']}"}
    )
    assert status == 202, body
    return str(body["interview_id"])


def _post(cloud: LocalCloud, path: str, fields: dict[str, str], cookie: str | None = None) -> tuple[int, dict, str]:
    headers = {**FORM, **({"cookie": cookie} if cookie else {})}
    status, response_headers, data = cloud.http("POST", path, body=urlencode(fields).encode(), headers=headers)
    return status, response_headers, data.decode()


def _get(cloud: LocalCloud, path: str, cookie: str | None = None) -> tuple[int, dict, str]:
    status, headers, data = cloud.http("GET", path, headers={"cookie": cookie} if cookie else {})
    return status, headers, data.decode()


def _statuses(cloud: LocalCloud, interview_id: str, auth: dict[str, str]) -> dict[str, str]:
    return {
        f["id"]: f["status"] for f in cloud.api("GET", f"/interviews/{interview_id}", headers=auth)[1]["follow_ups"]
    }


def _sign_in(cloud: LocalCloud, email: str) -> str:
    """Ask for a link, open it from the outbox, press the button: the session cookie."""
    before = len(cloud.outbox.messages)
    status, _, page = _post(cloud, "/panel/sign-in", {"email": email})
    assert status == 200
    assert "Check your email" in page
    mails = cloud.outbox.as_json()[before:]
    assert len(mails) == 1
    assert mails[0]["to"] == [email]
    token = SIGN_IN_LINK.search(mails[0]["text"]).group(1)  # type: ignore[union-attr]
    status, _, page = _get(cloud, f"/panel/in/{token}")
    assert status == 200
    assert "Sign in" in page
    status, headers, _ = _post(cloud, f"/panel/in/{token}", {})
    assert status == 303
    assert headers["location"] == "/panel"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/panel" in cookie
    return cookie.split(";", 1)[0]


def test_sign_in_by_emailed_link_once_then_the_list_of_ones_own_interviews(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    interview_id = _submit(cloud, alice)
    cookie = _sign_in(cloud, "alice@example.org")
    status, _, page = _get(cloud, "/panel", cookie)
    assert status == 200
    assert "Analytical Engines" in page
    assert f"/panel/interviews/{interview_id}" in page
    assert "Next message:" in page
    # The link was used: it says so when opened, and pressing it again opens nothing.
    token = SIGN_IN_LINK.search(cloud.outbox.follow_ups()[-1]["text"]).group(1)  # type: ignore[union-attr]
    status, _, page = _get(cloud, f"/panel/in/{token}")
    assert status == 403
    assert "already used" in page
    status, headers, _ = _post(cloud, f"/panel/in/{token}", {})
    assert status == 403
    assert "set-cookie" not in headers


def test_an_unknown_address_gets_the_same_answer_and_no_mail(cloud: LocalCloud) -> None:
    status, _, page = _post(cloud, "/panel/sign-in", {"email": "nobody@example.org"})
    assert status == 200
    assert "Check your email" in page
    assert cloud.outbox.messages == []


def test_a_forged_or_expired_link_or_cookie_opens_nothing(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    _submit(cloud, alice)
    _post(cloud, "/panel/sign-in", {"email": "alice@example.org"})
    token = SIGN_IN_LINK.search(cloud.outbox.follow_ups()[-1]["text"]).group(1)  # type: ignore[union-attr]
    body, mac = token.split(".")
    assert _post(cloud, f"/panel/in/{body}.{mac[:-2]}AA", {})[0] == 403
    cloud.advance(16 * 60)
    status, _, page = _post(cloud, f"/panel/in/{token}", {})
    assert status == 403
    assert "expired" in page
    status, _, page = _get(cloud, "/panel", "fu_session=forged.value")
    assert status == 200
    assert "Email me a sign-in link" in page


def test_outcome_needs_the_csrf_token_and_then_stops_what_is_pending(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    interview_id = _submit(cloud, alice)
    cookie = _sign_in(cloud, "alice@example.org")
    status, _, page = _get(cloud, f"/panel/interviews/{interview_id}", cookie)
    assert status == 200
    assert "Thank-you" in page or "thank-you" in page.lower()
    assert "Read the message" in page
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    schedules = len(cloud.pending_schedules())
    # Without the token (a cross-site form, say): refused, nothing changed.
    status, _, _ = _post(cloud, f"/panel/interviews/{interview_id}/outcome", {"outcome": "rejected"}, cookie)
    assert status == 403
    assert len(cloud.pending_schedules()) == schedules
    status, headers, _ = _post(
        cloud, f"/panel/interviews/{interview_id}/outcome", {"outcome": "rejected", "csrf": csrf}, cookie
    )
    assert status == 303
    status, _, page = _get(cloud, headers["location"], cookie)
    assert "Stopped: they said no" in page
    assert "Recorded." in page
    # Each stopped message says why in the same words, never the stored reason ("outcome: rejected")
    assert "outcome: rejected" not in page
    assert not [s for s in cloud.pending_schedules() if s["Name"].startswith(interview_id)]


def test_the_decision_date_moves_the_check_in(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    interview_id = _submit(cloud, alice)
    cookie = _sign_in(cloud, "alice@example.org")
    page = _get(cloud, f"/panel/interviews/{interview_id}", cookie)[2]
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    auth = {"authorization": f"Bearer {alice['api_key']}"}
    before = {
        f["id"]: f["due_at"] for f in cloud.api("GET", f"/interviews/{interview_id}", headers=auth)[1]["follow_ups"]
    }
    status, _, _ = _post(
        cloud,
        f"/panel/interviews/{interview_id}/decision-date",
        {"decision_expected_by": "2026-12-18", "csrf": csrf},
        cookie,
    )
    assert status == 303
    after = {
        f["id"]: f["due_at"] for f in cloud.api("GET", f"/interviews/{interview_id}", headers=auth)[1]["follow_ups"]
    }
    assert after["check_in"] > before["check_in"]


def test_another_candidates_session_sees_none_of_it(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    _candidate(cloud, "Bruno Silva", "bruno@example.org")
    interview_id = _submit(cloud, alice)
    auth = {"authorization": f"Bearer {alice['api_key']}"}
    before = cloud.api("GET", f"/interviews/{interview_id}", headers=auth)[1]
    bruno_cookie = _sign_in(cloud, "bruno@example.org")
    base = f"/panel/interviews/{interview_id}"
    for path in (base, f"{base}/messages/thank_you-0"):
        status, _, page = _get(cloud, path, bruno_cookie)
        assert status == 404, path
        assert "Analytical" not in page
        assert "Grace" not in page
    csrf = CSRF.search(_get(cloud, "/panel", bruno_cookie)[2]).group(1)  # type: ignore[union-attr]
    schedules = len(cloud.pending_schedules())
    sent = len(cloud.outbox.messages)
    posts = (
        ("outcome", {"outcome": "rejected"}),
        ("decision-date", {"decision_expected_by": "2026-12-30"}),
        ("pause", {}),
        ("resume", {}),
        ("stop", {}),
        ("messages/thank_you-0", {"subject": "hijacked", "text": "hijacked"}),
        ("messages/thank_you-0/approve", {}),
        ("messages/thank_you-0/skip", {}),
    )
    for action, fields in posts:
        status, _, _ = _post(cloud, f"{base}/{action}", {**fields, "csrf": csrf}, bruno_cookie)
        assert status == 404, action
    # Nothing changed, nothing was sent, no schedule went; Bruno's list is empty.
    assert len(cloud.pending_schedules()) == schedules
    assert len(cloud.outbox.messages) == sent
    after = cloud.api("GET", f"/interviews/{interview_id}", headers=auth)[1]
    assert after["follow_ups"] == before["follow_ups"]
    assert after["timeline"] == before["timeline"]
    assert "Analytical" not in _get(cloud, "/panel", bruno_cookie)[2]


def test_settings_change_the_profile_with_errors_beside_the_field(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    cookie = _sign_in(cloud, "alice@example.org")
    page = _get(cloud, "/panel/settings", cookie)[2]
    assert 'value="Alice Moreau"' in page
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    fields = {"name": "Alice Moreau", "email": "alice@example.org", "timezone": "Mars/Base", "csrf": csrf}
    status, _, page = _post(cloud, "/panel/settings", fields, cookie)
    assert status == 422
    assert 'aria-invalid="true"' in page
    assert "Mars/Base" in page
    fields.update(timezone="Europe/Berlin", preferred_name="Ali")
    status, _, page = _post(cloud, "/panel/settings", fields, cookie)
    assert status == 200
    assert "Saved." in page
    profile = cloud.api(
        "GET", f"/candidates/{alice['candidate_id']}", headers={"authorization": f"Bearer {alice['api_key']}"}
    )[1]["profile"]
    assert profile["timezone"] == "Europe/Berlin"
    assert profile["preferred_name"] == "Ali"


def test_sign_out_ends_the_session_on_this_device(cloud: LocalCloud) -> None:
    _candidate(cloud, "Alice Moreau", "alice@example.org")
    cookie = _sign_in(cloud, "alice@example.org")
    csrf = CSRF.search(_get(cloud, "/panel", cookie)[2]).group(1)  # type: ignore[union-attr]
    status, headers, _ = _post(cloud, "/panel/sign-out", {"csrf": csrf}, cookie)
    assert status == 303
    assert "Max-Age=0" in headers["set-cookie"]


def test_an_edited_thank_you_is_what_goes_out_and_the_linter_reads_it_on_save(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    interview_id = _submit(cloud, alice)
    cookie = _sign_in(cloud, "alice@example.org")
    path = f"/panel/interviews/{interview_id}/messages/thank_you-0"
    status, _, page = _get(cloud, path, cookie)
    assert status == 200
    assert "Grace" in page  # the suggested wording, ready to change
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    # A placeholder left in: saved, and the check says it would hold the message.
    status, _, page = _post(
        cloud, path, {"csrf": csrf, "subject": "Thank you", "text": "Dear [NAME],\n\nThanks for today."}, cookie
    )
    assert status == 200
    assert "Saved" in page
    assert "Would hold the message" in page
    text = (
        "Dear Grace,\n\nThank you for walking me through the move from nightly batch ETL to streaming; "
        "the way the team runs its on-call rotation is exactly how I like to work.\n\n"
        "I led a 40-pipeline migration to streaming and would be glad to bring that to Analytical Engines.\n\n"
        "Best regards,\nAlice"
    )
    status, _, page = _post(cloud, path, {"csrf": csrf, "subject": "Thank you for today", "text": text}, cookie)
    assert status == 200
    assert "Saved" in page
    # The timeline names the message, not its id
    page = _get(cloud, f"/panel/interviews/{interview_id}", cookie)[2]
    assert "Edited: Thank-you to Grace Hopper: the candidate changed the wording" in page
    # Without the token nothing changes.
    assert _post(cloud, path, {"subject": "x", "text": "y"}, cookie)[0] == 403
    cloud.advance(2 * 86400)
    sent = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    assert len(sent) == 1
    assert sent[0]["subject"] == "Thank you for today"
    assert sent[0]["text"].startswith("Dear Grace,\n\nThank you for walking me through")
    assert "Best regards,\nAlice" in sent[0]["text"]
    assert "streaming" in sent[0]["html"]
    # Sent: it can no longer be changed (a new session: the first one ended after 12 hours).
    status, _, _ = _get(cloud, path, cookie)
    assert status == 303
    cookie = _sign_in(cloud, "alice@example.org")
    csrf = CSRF.search(_get(cloud, "/panel", cookie)[2]).group(1)  # type: ignore[union-attr]
    status, _, page = _get(cloud, path, cookie)
    assert status == 409
    assert _post(cloud, path, {"csrf": csrf, "subject": "late", "text": "late"}, cookie)[0] == 409


def test_an_edit_with_an_empty_subject_is_refused_beside_the_field(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    interview_id = _submit(cloud, alice)
    cookie = _sign_in(cloud, "alice@example.org")
    path = f"/panel/interviews/{interview_id}/messages/thank_you-0"
    csrf = CSRF.search(_get(cloud, path, cookie)[2]).group(1)  # type: ignore[union-attr]
    status, _, page = _post(cloud, path, {"csrf": csrf, "subject": " ", "text": "Hello"}, cookie)
    assert status == 422
    assert 'id="f-subject"' in page
    assert 'aria-invalid="true"' in page
    view = cloud.api("GET", f"/interviews/{interview_id}", headers={"authorization": f"Bearer {alice['api_key']}"})[1]
    assert not [entry for entry in view["timeline"] if entry["event"] == "edited"]


def test_review_mode_drafts_are_approved_or_skipped_from_the_panel_and_stop_all_stops_the_rest(
    cloud: LocalCloud,
) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    payload = copy.deepcopy(load_example("interview-panel.json"))
    payload.pop("candidate")
    payload["preferences"]["mode"] = "review"
    auth = {"authorization": f"Bearer {alice['api_key']}"}
    status, accepted = cloud.api("POST", "/interviews", payload, headers=auth)
    assert status == 202, accepted
    interview_id = accepted["interview_id"]
    cloud.advance(20 * 3600)  # the thank-you drafts reach the candidate for approval
    statuses = {
        f["id"]: f["status"] for f in cloud.api("GET", f"/interviews/{interview_id}", headers=auth)[1]["follow_ups"]
    }
    drafts = sorted(fid for fid, status in statuses.items() if status == "awaiting_approval")
    assert len(drafts) >= 2, statuses
    cookie = _sign_in(cloud, "alice@example.org")
    page = _get(cloud, f"/panel/interviews/{interview_id}", cookie)[2]
    assert "Approve and send" in page
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]
    base = f"/panel/interviews/{interview_id}"
    status, headers, _ = _post(cloud, f"{base}/messages/{drafts[0]}/approve", {"csrf": csrf}, cookie)
    assert status == 303
    assert headers["location"].endswith("done=approved")
    status, headers, _ = _post(cloud, f"{base}/messages/{drafts[1]}/skip", {"csrf": csrf}, cookie)
    assert status == 303
    assert headers["location"].endswith("done=skipped")
    statuses = _statuses(cloud, interview_id, auth)
    assert statuses[drafts[0]] == "scheduled"
    assert statuses[drafts[1]] == "cancelled"
    cloud.advance(3 * 86400)  # the approved one goes at the next good time for its recipient
    assert _statuses(cloud, interview_id, auth)[drafts[0]] == "sent"
    cookie = _sign_in(cloud, "alice@example.org")
    csrf = CSRF.search(_get(cloud, base, cookie)[2]).group(1)  # type: ignore[union-attr]
    status, headers, _ = _post(cloud, f"{base}/stop", {"csrf": csrf}, cookie)
    assert status == 303
    assert headers["location"].endswith("done=stopped")
    cloud.advance(60 * 86400)
    after = _statuses(cloud, interview_id, auth)
    assert after[drafts[0]] == "sent"
    assert all(status in ("sent", "cancelled") for status in after.values()), after
    assert not [s for s in cloud.pending_schedules() if s["Name"].startswith(interview_id)]


def test_the_manage_link_in_a_reminder_opens_the_panel_on_that_interview(cloud: LocalCloud) -> None:
    # The default candidate (the deployment's own credentials) has no account to sign in with: the link is the way.
    payload = load_example("interview.json")
    status, accepted = cloud.api("POST", "/interviews", payload)
    assert status == 202
    interview_id = accepted["interview_id"]
    cloud.advance(3 * 86400)
    reminders = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id", "").startswith("reminder_")]
    assert reminders
    found = re.search(r"/panel/m/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", reminders[0]["text"])
    assert found, reminders[0]["text"]
    assert "See, change or stop all your follow-ups" in reminders[0]["text"]
    # Never in what the interviewers receive.
    for mail in cloud.outbox.follow_ups():
        if mail["tags"].get("follow_up_id", "").startswith(("thank_you", "check_in", "final")):
            assert "/panel/m/" not in mail["text"]
            assert "/panel/m/" not in mail["html"]
    path = f"/panel/m/{found.group(1)}"
    status, _, page = _get(cloud, path)
    assert status == 200
    assert "Open my follow-ups" in page
    status, headers, _ = _post(cloud, path, {})
    assert status == 303
    assert headers["location"] == f"/panel/interviews/{interview_id}"
    cookie = headers["set-cookie"].split(";", 1)[0]
    status, _, page = _get(cloud, headers["location"], cookie)
    assert status == 200
    assert "Analytical Engines" in page
    # The list gives the next message in the candidate's own time (London), though the default candidate has no
    # profile to read it from
    status, _, page = _get(cloud, "/panel", cookie)
    assert status == 200
    next_line = re.search(r"Next message: ([^<]+)", page)
    assert next_line is not None, page
    assert next_line.group(1).strip().endswith("GMT")
    # A forged one opens nothing.
    assert _post(cloud, path[:-3] + "AAA", {})[0] == 403


def test_settings_say_whether_mail_goes_from_the_candidates_own_address(cloud: LocalCloud) -> None:
    _candidate(cloud, "Alice Moreau", "alice@example.org")
    cookie = _sign_in(cloud, "alice@example.org")
    page = _get(cloud, "/panel/settings", cookie)[2]
    assert "not a verified sender" in page
    cloud.session.client("ses", region_name="us-east-1").verify_email_identity(EmailAddress="alice@example.org")
    page = _get(cloud, "/panel/settings", cookie)[2]
    assert "from your own address, alice@example.org" in page


def test_pause_holds_every_scheduled_message_and_resume_sends_them_at_the_next_good_time(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    interview_id = _submit(cloud, alice)
    auth = {"authorization": f"Bearer {alice['api_key']}"}
    cookie = _sign_in(cloud, "alice@example.org")
    base = f"/panel/interviews/{interview_id}"
    csrf = CSRF.search(_get(cloud, base, cookie)[2]).group(1)  # type: ignore[union-attr]
    status, headers, _ = _post(cloud, f"{base}/pause", {"csrf": csrf}, cookie)
    assert status == 303
    assert headers["location"].endswith("done=paused")
    page = _get(cloud, headers["location"], cookie)[2]
    assert "Paused: nothing goes out until you resume" in page
    assert "Resume follow-ups" in page
    sent_before = len(cloud.outbox.messages)
    # The thank-you's time passes while paused: its schedule fires, nothing goes out.
    cloud.advance(2 * 86400)
    assert len(cloud.outbox.messages) == sent_before
    assert _statuses(cloud, interview_id, auth)["thank_you-0"] == "scheduled"
    cookie = _sign_in(cloud, "alice@example.org")
    csrf = CSRF.search(_get(cloud, base, cookie)[2]).group(1)  # type: ignore[union-attr]
    status, headers, _ = _post(cloud, f"{base}/resume", {"csrf": csrf}, cookie)
    assert status == 303
    assert headers["location"].endswith("done=resumed")
    # Resumed: the thank-you goes at the next good time (never a schedule in the past), once.
    schedules = [s for s in cloud.pending_schedules() if s["Name"].startswith(interview_id)]
    assert schedules
    cloud.advance(2 * 86400)
    thank_yous = [m for m in cloud.outbox.follow_ups() if m["tags"].get("follow_up_id") == "thank_you-0"]
    assert len(thank_yous) == 1
    assert _statuses(cloud, interview_id, auth)["thank_you-0"] == "sent"


def test_posts_from_another_site_are_refused_and_sign_in_links_are_capped_per_day(cloud: LocalCloud) -> None:
    alice = _candidate(cloud, "Alice Moreau", "alice@example.org")
    interview_id = _submit(cloud, alice)
    cookie = _sign_in(cloud, "alice@example.org")
    csrf = CSRF.search(_get(cloud, "/panel", cookie)[2]).group(1)  # type: ignore[union-attr]
    schedules = len(cloud.pending_schedules())
    for header in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}):
        status, _, _ = cloud.http(
            "POST",
            f"/panel/interviews/{interview_id}/outcome",
            body=urlencode({"outcome": "rejected", "csrf": csrf}).encode(),
            headers={**FORM, "cookie": cookie, **header},
        )
        assert status == 403
    assert len(cloud.pending_schedules()) == schedules
    # Asking again and again: at most 10 links a day reach the inbox (one went out above).
    before = len(cloud.outbox.messages)
    for _ in range(15):
        assert _post(cloud, "/panel/sign-in", {"email": "alice@example.org"})[0] == 200
    assert len(cloud.outbox.messages) - before == 9


def test_the_default_candidate_in_the_panel_gets_its_own_form_link_and_no_empty_settings(cloud: LocalCloud) -> None:
    status, accepted = cloud.api("POST", "/interviews", load_example("interview.json"))
    assert status == 202
    cloud.advance(3 * 86400)
    reminder = next(m for m in cloud.outbox.follow_ups() if "/panel/m/" in m["text"])
    token = re.search(r"/panel/m/([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)", reminder["text"]).group(1)  # type: ignore[union-attr]
    cookie = _post(cloud, f"/panel/m/{token}", {})[1]["set-cookie"].split(";", 1)[0]
    page = _get(cloud, "/panel", cookie)[2]
    assert f"/form?key={cloud.form_key}" in page
    assert accepted["interview_id"] in page
    status, _, page = _get(cloud, "/panel/settings", cookie)
    assert status == 200
    assert "no stored profile" in page
