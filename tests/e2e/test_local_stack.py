"""End to end: `followup run` as a subprocess, driven over HTTP only (and the `followup` CLI against it)."""

from __future__ import annotations

import copy
import email
import email.header
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import load_example
from tests.e2e.conftest import RunningStack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

NEW_YORK = ZoneInfo("America/New_York")
HOSTILE_TOPIC = "<script>alert(1)</script>"


def _now(stack: RunningStack) -> datetime:
    return datetime.fromisoformat(stack.get("/_local/clock").json()["now"].replace("Z", "+00:00"))


def _move_to_tuesday_evening(stack: RunningStack) -> datetime:
    """Put the clock on the next Tuesday 21:00 UTC (16:00 New York), so "2 days later" is two weekdays later."""
    now = _now(stack)
    target = now.replace(hour=21, minute=0, second=0, microsecond=0) + timedelta(days=(1 - now.weekday()) % 7)
    if target < now:
        target += timedelta(days=7)
    assert stack.advance((target - now).total_seconds()).status == 200
    return _now(stack)


def _interview_that_just_ended(now: datetime) -> dict[str, Any]:
    """The contract's sample, ended an hour ago in New York, no holiday calendar (weekends only)."""
    payload = copy.deepcopy(load_example("interview.json"))
    ended = (now - timedelta(hours=1)).astimezone(NEW_YORK).replace(microsecond=0)
    payload["interview"]["started_at"] = (ended - timedelta(hours=2)).isoformat()
    payload["interview"]["ended_at"] = ended.isoformat()
    payload["next_steps"]["decision_expected_by"] = (ended + timedelta(days=10)).date().isoformat()
    del payload["company"]["country"]
    payload["interviewers"][0]["topics"].insert(0, HOSTILE_TOPIC)
    return payload


def _schedule_names(stack: RunningStack) -> set[str]:
    reply = stack.get("/_local/schedules")
    assert reply.status == 200
    return {item["Name"] for item in reply.json()["Schedules"]}


def _outbox_for(stack: RunningStack, interview_id: str) -> list[dict[str, Any]]:
    messages = stack.get("/_local/outbox").json()
    return [message for message in messages if message["tags"].get("interview_id") == interview_id]


def test_startup_prints_the_form_link_the_api_key_and_the_webhook_secret(stack: RunningStack) -> None:
    output = stack.output()
    assert f"{stack.url}/form?key={stack.form_key}" in output
    assert stack.api_key in output
    assert stack.webhook_secret in output
    assert "What next" in output


@pytest.mark.slow
def test_bearer_submission_is_sent_when_the_clock_passes_its_due_time(stack: RunningStack) -> None:
    # Given a Tuesday evening and an interview that ended an hour ago in New York
    now = _move_to_tuesday_evening(stack)
    payload = _interview_that_just_ended(now)

    # When it is submitted with the API key
    accepted = stack.post_json("/interviews", payload, stack.bearer())

    # Then it is accepted with its plan, stored, and has one pending schedule per follow-up
    assert accepted.status == 202, accepted.text
    body = accepted.json()
    interview_id = body["interview_id"]
    planned = {item["id"]: item for item in body["follow_ups"]}
    assert {"thank_you-0", "check_in", "final"} <= set(planned)
    view = stack.get(f"/interviews/{interview_id}", stack.bearer())
    assert view.status == 200
    assert {item["id"]: item["status"] for item in view.json()["follow_ups"]} == dict.fromkeys(planned, "scheduled")
    expected_schedules = {f"{interview_id}-{follow_up_id}" for follow_up_id in planned}
    assert expected_schedules <= _schedule_names(stack)
    thank_you_due = datetime.fromisoformat(planned["thank_you-0"]["due_at"].replace("Z", "+00:00"))
    assert thank_you_due.astimezone(NEW_YORK).hour == 9  # the next business morning in New York

    # When two days pass
    advanced = stack.advance(2 * 86400)

    # Then the thank-you went to Grace, once, copied to the candidate, and its schedule is gone
    assert advanced.status == 200
    assert advanced.json()["fired"] >= 1
    sent = _outbox_for(stack, interview_id)
    thank_yous = [message for message in sent if message["tags"]["kind"] == "thank_you"]
    assert [message["to"] for message in thank_yous] == [["Grace Hopper <grace@ae.example>"]]
    mail = thank_yous[0]
    assert mail["bcc"] == []
    # The candidate's own copy, with the manage link the interviewer's mail never carries
    messages = stack.get("/_local/outbox").json()
    (copy,) = [m for m in messages if m["tags"].get("copy_of_interview") == interview_id]
    assert copy["to"] == ["Ada Lovelace <ada@example.com>"]
    assert copy["tags"]["copy_of"] == "thank_you-0"
    assert mail["text"] in copy["text"]
    assert f"{stack.url}/panel/m/" in copy["text"]
    assert "/panel/m/" not in mail["text"]
    assert mail["headers"]["X-Followup-Interview"] == interview_id
    assert mail["sent_at"] == planned["thank_you-0"]["due_at"]
    assert f"{interview_id}-thank_you-0" not in _schedule_names(stack)
    view = stack.get(f"/interviews/{interview_id}", stack.bearer()).json()
    state = {item["id"]: item for item in view["follow_ups"]}
    assert state["thank_you-0"]["status"] == "sent"
    assert state["thank_you-0"]["message_id"] == mail["message_id"]
    assert state["check_in"]["status"] == "scheduled"

    # And it is readable by a person, escaped, and as an .eml file
    page = stack.get("/_local/outbox.html")
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "With thanks – Senior Data Engineer at Analytical Engines" in page.text
    assert HOSTILE_TOPIC not in page.text
    assert "&lt;script&gt;" in page.text
    eml = stack.get(f"/_local/outbox/{mail['message_id']}.eml")
    assert eml.status == 200
    parsed = email.message_from_bytes(eml.body)
    subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"])))
    assert subject == "With thanks – Senior Data Engineer at Analytical Engines"
    assert (stack.workdir / ".local" / "outbox" / f"{mail['message_id']}.eml").is_file()

    # When the rest of the plan comes due
    stack.advance(60 * 86400)

    # Then every follow-up was sent exactly once and no schedule is left
    sent_ids = [message["tags"].get("follow_up_id") for message in _outbox_for(stack, interview_id)]
    assert sorted(sent_ids) == sorted(planned)
    assert stack.get("/_local/schedules").json() == {"Schedules": []}


def test_signed_webhook_submission_is_accepted(stack: RunningStack) -> None:
    body = json.dumps(load_example("interview-panel.json")).encode()

    reply = stack.request("POST", "/interviews", body, {"Content-Type": "application/json", **stack.signed(body)})

    assert reply.status == 202, reply.text
    interview_id = reply.json()["interview_id"]
    assert stack.get(f"/interviews/{interview_id}", stack.bearer()).status == 200


def test_a_bad_signature_is_refused_and_writes_nothing(stack: RunningStack) -> None:
    body = json.dumps(load_example("interview.json")).encode()
    schedules_before = _schedule_names(stack)
    forged = {"X-Followup-Signature": f"t={stack.now_epoch()},v1={'0' * 64}", "Content-Type": "application/json"}

    reply = stack.request("POST", "/interviews", body, forged)

    assert reply.status == 401
    assert reply.json()["error"]["code"] == "unauthorized"
    assert _schedule_names(stack) == schedules_before


@pytest.mark.parametrize(
    "body",
    [
        b'{"seconds": -60}',
        b'{"seconds": "2d"}',
        b'{"seconds": true}',
        b'{"seconds": null}',
        b"[60]",
        b"not json",
        b"",
    ],
)
def test_the_clock_never_moves_backwards_or_by_nonsense(stack: RunningStack, body: bytes) -> None:
    before = _now(stack)

    reply = stack.request("POST", "/_local/clock/advance", body, {"Content-Type": "application/json"})

    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_advance"
    assert error["fields"][0]["field"] == "seconds"
    assert before <= _now(stack) < before + timedelta(seconds=30)


def test_local_routes_answer_in_their_documented_shapes(stack: RunningStack) -> None:
    clock = stack.get("/_local/clock")
    assert clock.status == 200
    assert datetime.fromisoformat(clock.json()["now"].replace("Z", "+00:00")).tzinfo is not None
    assert isinstance(stack.get("/_local/outbox").json(), list)
    assert isinstance(stack.get("/_local/schedules").json()["Schedules"], list)
    missing = stack.get("/_local/nothing-here")
    assert missing.status == 404
    assert missing.json()["error"]["code"] == "not_found"
    unknown = stack.get("/no/such/route")
    assert unknown.status == 404
    assert unknown.json()["error"]["code"] == "not_found"


def test_the_form_needs_its_key_and_a_valid_post_redirects_to_the_plan(stack: RunningStack) -> None:
    assert stack.get("/form").status == 403
    assert stack.get("/form?key=wrong").status == 403
    page = stack.get(f"/form?key={stack.form_key}")
    assert page.status == 200
    assert '<label for="f-candidate-email">' in page.text

    fields = {
        "key": stack.form_key,
        "candidate.name": "Ada Lovelace",
        "candidate.email": "ada@example.com",
        "company.name": "Analytical Engines Ltd",
        "company.timezone": "America/New_York",
        "position.title": "Senior Data Engineer",
        "interview.ended_at": "2026-11-24T15:00",
        "interviewers[0].name": "Grace Hopper",
        "interviewers[0].email": "grace@ae.example",
        "interviewers[0].topics": "moving nightly batch ETL to streaming",
    }
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = stack.request("POST", "/form", urlencode(fields).encode(), form)

    assert reply.status == 303
    location = reply.headers["location"]
    assert location.startswith("/form/done/")
    plan = stack.get(location)
    assert plan.status == 200
    assert "Thank-you" in plan.text
    assert "Grace Hopper" in plan.text


def _followup(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "followup_local.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_cli_submits_advances_and_reads_the_outbox_of_a_running_stack(stack: RunningStack, tmp_path: Path) -> None:
    interview = tmp_path / "interview.json"
    interview.write_text(json.dumps(load_example("interview.json")))

    submitted = _followup("submit", str(interview), "--url", stack.url, "--secret", stack.webhook_secret)
    assert submitted.returncode == 0, submitted.stderr
    assert json.loads(submitted.stdout)["status"] == "scheduled"

    advanced = _followup("clock", "advance", "1h30m", "--url", stack.url)
    assert advanced.returncode == 0, advanced.stderr
    assert advanced.stdout.startswith("clock now ")

    outbox = _followup("outbox", "--url", stack.url, "--json")
    assert outbox.returncode == 0, outbox.stderr
    assert isinstance(json.loads(outbox.stdout), list)

    wrong_secret = _followup("submit", str(interview), "--url", stack.url, "--secret", "not-the-secret")
    assert wrong_secret.returncode == 1
    assert "401" in wrong_secret.stderr

    # A created candidate submits with their own secret: the signature names them (k=), the interview is theirs.
    created = stack.post_json(
        "/candidates",
        {"name": "Alice Moreau", "email": "alice@example.org", "timezone": "Europe/Paris"},
        {"Authorization": f"Bearer {stack.operator_key}"},
    ).json()
    theirs = _followup(
        "submit",
        str(interview),
        "--url",
        stack.url,
        "--secret",
        created["webhook_secret"],
        "--candidate",
        created["candidate_id"],
    )
    assert theirs.returncode == 0, theirs.stderr
    interview_id = json.loads(theirs.stdout)["interview_id"]
    assert stack.get(f"/interviews/{interview_id}", {"Authorization": f"Bearer {created['api_key']}"}).status == 200
    assert stack.get(f"/interviews/{interview_id}", stack.bearer()).status == 404


@pytest.mark.slow
def test_the_stack_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    running = start_stack(tmp_path, clock_start=None)
    state_file = tmp_path / ".local" / "stack.json"
    assert json.loads(state_file.read_text())["url"] == running.url
    started = datetime.now(UTC)

    code = stop_stack(running)

    assert code == 0, running.output()
    assert (datetime.now(UTC) - started).total_seconds() < 10
    assert "stopping" in running.output()
    assert not state_file.exists()
