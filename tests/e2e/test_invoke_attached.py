"""`followup invoke` while a local stack runs: the handler runs in the invoking process against the stack's embedded
AWS (found through the stack's `.local/stack.json`), so what it does is the stack's state, seen over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from followup_local.outbox_page import eml_filename
from tests.conftest import EVENTS
from tests.e2e.conftest import RunningStack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

# After the sample interview's thank-you was due (Wed 2026-11-25 14:00 UTC) and inside its recipient's send window
# (10:00 in New York): the planner moves it to a minute from now, within the sender's early tolerance, so it goes.
CLOCK_START = "2026-11-25T15:00:00Z"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("attached"), clock_start=CLOCK_START)
    try:
        yield running
    finally:
        stop_stack(running)


def invoke(stack: RunningStack, logical_id: str, event: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`followup invoke` run where the stack runs (its .local/stack.json is found there)."""
    return subprocess.run(
        [sys.executable, "-m", "followup_local.cli", "invoke", logical_id, "-e", str(event), *extra],
        cwd=stack.workdir,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _renamed_company(tmp_path: Path, name: str) -> Path:
    """events/api/post-interview-signed.json for another company (one interview per natural key per stack)."""
    event = json.loads((EVENTS / "api" / "post-interview-signed.json").read_text())
    body = json.loads(event["body"])
    body["company"]["name"] = name
    event["body"] = json.dumps(body)
    path = tmp_path / "post-interview-signed.json"
    path.write_text(json.dumps(event))
    return path


def _outbox(stack: RunningStack) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = stack.get("/_local/outbox").json()
    return messages


def test_an_api_event_writes_into_the_running_stacks_state(stack: RunningStack, tmp_path: Path) -> None:
    done = invoke(stack, "ApiFunction", _renamed_company(tmp_path, "Attached Engines Ltd"))

    assert done.returncode == 0, done.stderr
    assert f"against the running local stack {stack.url}" in done.stderr
    response = json.loads(done.stdout)
    assert response["statusCode"] == 202, response  # the placeholder signature, made with real time, is accepted
    interview_id = json.loads(response["body"])["interview_id"]
    # The stack answers for it over HTTP: same tables; the planner already scheduled its follow-ups.
    reply = stack.get(f"/interviews/{interview_id}", headers=stack.bearer())
    assert reply.status == 200, reply.text
    assert {item["status"] for item in reply.json()["follow_ups"]} <= {"scheduled", "sent"}
    assert any(interview_id in json.dumps(schedule) for schedule in stack.get("/_local/schedules").json()["Schedules"])


def test_a_sender_event_sends_once_into_the_stacks_outbox(stack: RunningStack) -> None:
    done = invoke(stack, "SenderFunction", EVENTS / "sender" / "due-thank-you.json")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"batchItemFailures": []}
    assert "seeded from events/planner/interview-submitted.json" in done.stderr
    # Sent by this invocation (or, had its schedule fired first, by the stack): once, in the stack's outbox.
    thanks = [
        message
        for message in _outbox(stack)
        if message["tags"].get("kind") == "thank_you"
        and message["tags"].get("interview_id") == "01a20f5bbc805eedc0ffee"
    ]
    assert len(thanks) == 1, thanks
    assert thanks[0]["to"] == ["Grace Hopper <grace@ae.example>"]


def test_a_send_from_another_process_reaches_the_stacks_outbox(stack: RunningStack) -> None:
    import boto3

    state = json.loads((stack.workdir / ".local" / "stack.json").read_text())
    sesv2 = boto3.client(
        "sesv2",
        region_name=state["region"],
        endpoint_url=state["aws_endpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    sent = sesv2.send_email(
        FromEmailAddress=state["parameters"]["SenderEmail"],
        Destination={"ToAddresses": ["someone@example.com"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Tapped"},
                "Body": {"Text": {"Data": "hello"}},
                "Headers": [{"Name": "X-Followup-Kind", "Value": "test"}],
            }
        },
        EmailTags=[{"Name": "kind", "Value": "tap_test"}],
    )

    record = next(message for message in _outbox(stack) if message["message_id"] == sent["MessageId"])
    assert record["subject"] == "Tapped"
    assert record["headers"] == {"X-Followup-Kind": "test"}
    assert record["tags"] == {"kind": "tap_test"}
    assert (stack.workdir / ".local" / "outbox" / eml_filename(sent["MessageId"])).is_file()


def test_fresh_ignores_the_running_stack(stack: RunningStack) -> None:
    done = invoke(stack, "ApiFunction", EVENTS / "api" / "get-form.json", "--fresh")

    assert done.returncode == 0, done.stderr
    assert "against the running local stack" not in done.stderr
    assert json.loads(done.stdout)["statusCode"] == 200


def test_a_stale_state_file_is_said_and_a_fresh_state_used(tmp_path: Path) -> None:
    (tmp_path / ".local").mkdir()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = {
        **dict.fromkeys(("url", "api_key", "webhook_secret", "form_key", "aws_endpoint"), "http://127.0.0.1:9"),
        **{"version": 2, "pid": int(finished.stdout), "region": "us-east-1", "account_id": "123456789012"},
        **{"stack_name": "followup-local", "parameters": {}, "physical": {}, "arns": {}, "functions": {}},
    }
    (tmp_path / ".local" / "stack.json").write_text(json.dumps(stale))

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "followup_local.cli",
            "invoke",
            "ApiFunction",
            "-e",
            str(EVENTS / "api" / "get-form.json"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )

    assert done.returncode == 0, done.stderr
    assert "is stale" in done.stderr
    assert "using a fresh embedded AWS" in done.stderr
    assert json.loads(done.stdout)["statusCode"] == 200
