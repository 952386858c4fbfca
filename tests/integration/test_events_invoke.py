"""Every real-shaped event in events/ runs through `followup invoke` on a fresh local state, without an error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from followup_local import cli
from followup_local.template import load_template
from tests.conftest import EVENTS

pytestmark = pytest.mark.integration

# events/<folder>/ holds the events of one function (CONTRACT §6).
FUNCTION_BY_FOLDER = {
    "api": "ApiFunction",
    "planner": "PlannerFunction",
    "sender": "SenderFunction",
    "feedback": "FeedbackFunction",
}
EVENT_FILES = sorted(EVENTS.glob("*/*.json"))


def test_every_function_folder_has_an_event() -> None:
    functions = set(load_template().function_ids())
    for folder, logical_id in FUNCTION_BY_FOLDER.items():
        if logical_id in functions:
            assert list((EVENTS / folder).glob("*.json")), f"events/{folder}/ has no event for {logical_id}"


def _invoke(logical_id: str, path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    # --fresh: the contract's "fresh local state", whether or not a `make run` stack runs in this checkout.
    code = cli.main(["invoke", logical_id, "-e", str(path), "--fresh"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


@pytest.mark.parametrize("path", EVENT_FILES, ids=[str(path.relative_to(EVENTS)) for path in EVENT_FILES])
def test_event_runs_cleanly_through_followup_invoke(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logical_id = FUNCTION_BY_FOLDER.get(path.parent.name)
    if logical_id is None:
        pytest.fail(f"events/{path.parent.name}/ does not name a function folder ({sorted(FUNCTION_BY_FOLDER)})")
    if logical_id not in load_template().function_ids():
        pytest.skip(f"{logical_id} is not in template.yaml yet")

    code, result, notes = _invoke(logical_id, path, capsys)

    assert code == cli.EXIT_OK, notes
    assert not (isinstance(result, dict) and "errorType" in result), result
    if logical_id == "ApiFunction":
        assert result["statusCode"] < 400, result
    if isinstance(result, dict) and "batchItemFailures" in result:
        assert result["batchItemFailures"] == [], notes
    assert "does not exist in this fresh local state" not in notes


# Whatever the hour the command runs: in New York's working hours (the planner keeps the thank-you due now), in its
# evening and on a Saturday (the planner moves it to the next working morning, and the event is delivered then).
@pytest.mark.parametrize(
    "started", ["2026-12-01T15:00:00+00:00", "2026-12-01T23:30:00+00:00", "2026-12-05T12:00:00+00:00", None]
)
def test_the_sender_event_sends_its_thank_you_after_seeding_the_interview(
    started: str | None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime

    from followup_local import cloud as local_cloud

    if started is not None:
        real = local_cloud.VirtualClock
        at = datetime.fromisoformat(started)
        monkeypatch.setattr(local_cloud, "VirtualClock", lambda start=None: real(start or at))
    code, result, notes = _invoke("SenderFunction", EVENTS / "sender" / "due-thank-you.json", capsys)

    assert code == cli.EXIT_OK
    assert result == {"batchItemFailures": []}
    assert "seeded from events/planner/interview-submitted.json" in notes
    assert "sent thank_you to Grace Hopper <grace@ae.example>" in notes


def test_api_placeholders_become_this_runs_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    code, result, _ = _invoke("ApiFunction", EVENTS / "api" / "post-interview-signed.json", capsys)

    assert code == cli.EXIT_OK
    assert result["statusCode"] == 202
    assert json.loads(result["body"])["status"] == "scheduled"


def test_a_referenced_interview_with_no_seed_is_reported_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = json.loads((EVENTS / "api" / "get-interview.json").read_text())
    event["pathParameters"]["id"] = "0123456789abcdef012345"
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/interviews/0123456789abcdef012345"
    path = tmp_path / "get-unknown.json"
    path.write_text(json.dumps(event))

    code, result, notes = _invoke("ApiFunction", path, capsys)

    assert code == cli.EXIT_OK
    assert result["statusCode"] == 404
    assert "interview 0123456789abcdef012345 does not exist in this fresh local state" in notes
