"""The `followup` command line: parsing, help, and clear errors with the documented exit codes."""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

import pytest

from followup_local import cli
from tests.conftest import EVENTS, EXAMPLES


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90m", 5400),
        ("2d", 172800),
        ("1h30m", 5400),
        ("45s", 45),
        ("1w", 604800),
        ("3600", 3600),
        ("1.5h", 5400),
        ("1d12h", 129600),
        ("0", 0),
    ],
)
def test_durations_are_read_the_way_people_write_them(text: str, seconds: float) -> None:
    assert cli.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["-1d", "2x", "d2", "1h 30m", "", "soon", "1h-30m"])
def test_a_bad_or_negative_duration_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli.parse_duration(text)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["invoke"],
        ["sam-env"],
        ["preview"],
        ["submit"],
        ["clock"],
        ["clock", "advance"],
        ["clock", "show"],
        ["outbox"],
    ],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([*command, "--help"])

    assert exited.value.code == 0
    assert "usage: followup" in capsys.readouterr().out


def test_without_a_command_it_shows_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([])

    assert exited.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_clock_advance_refuses_a_negative_duration(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["clock", "advance", "--", "-1d"])

    assert exited.value.code == 2
    assert "only moves forward" in capsys.readouterr().err


def test_invoke_names_the_functions_when_the_logical_id_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["invoke", "NoSuchFunction", "-e", str(EVENTS / "planner" / "interview-submitted.json")])

    assert code == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert "unknown function 'NoSuchFunction'" in error
    assert "ApiFunction" in error


def test_invoke_says_when_the_event_file_is_missing_or_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = cli.main(["invoke", "ApiFunction", "-e", str(tmp_path / "nope.json")])
    assert missing == cli.EXIT_USAGE
    assert "event file not found" in capsys.readouterr().err

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert cli.main(["invoke", "ApiFunction", "-e", str(broken)]) == cli.EXIT_USAGE
    assert "is not valid JSON" in capsys.readouterr().err


def test_preview_prints_the_plan_and_every_message_without_sending(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["preview", str(EXAMPLES / "interview.json"), "--now", "2026-11-24T21:00:00Z"])

    assert code == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "Plan for Ada Lovelace: Senior Data Engineer at Analytical Engines Ltd" in out
    assert "thank_you to grace@ae.example" in out
    # Grace's thank-you: Wed 09:00 in New York, 14:00 in London for the candidate
    assert "recipient's time  Wed 25 Nov 2026 09:00 EST (America/New_York)" in out
    assert "candidate's time  Wed 25 Nov 2026 14:00 GMT (Europe/London)" in out
    assert "Subject: With thanks – Senior Data Engineer at Analytical Engines" in out
    assert "moving nightly batch ETL to streaming" in out


def test_preview_json_is_the_preview_route_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["preview", str(EXAMPLES / "interview.json"), "--now", "2026-11-24T21:00:00Z", "--json"])

    assert code == cli.EXIT_OK
    preview = json.loads(capsys.readouterr().out)
    assert {"follow_ups", "warnings"} <= set(preview)
    assert {"kind", "to", "due_at", "subject", "text", "html"} <= set(preview["follow_ups"][0])


def test_preview_lists_each_invalid_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    interview = json.loads((EXAMPLES / "interview.json").read_text())
    interview["interviewers"][0]["email"] = "not-an-email"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(interview))

    code = cli.main(["preview", str(path)])

    assert code == cli.EXIT_USAGE
    assert "interviewers.0.email" in capsys.readouterr().err


def test_submit_without_a_secret_says_where_to_get_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FOLLOWUP_WEBHOOK_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)  # no .local/stack.json of a running stack here

    code = cli.main(["submit", str(EXAMPLES / "interview.json"), "--url", f"http://127.0.0.1:{_closed_port()}"])

    assert code == cli.EXIT_USAGE
    assert "FOLLOWUP_WEBHOOK_SECRET" in capsys.readouterr().err


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ["clock", "advance", "2d"],
        ["clock", "show"],
        ["outbox"],
        ["submit", str(EXAMPLES / "interview.json"), "--secret", "s"],
    ],
)
def test_an_unreachable_stack_asks_whether_make_run_is_running(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main([*command, "--url", f"http://127.0.0.1:{_closed_port()}"])

    assert code == cli.EXIT_FAILED
    assert "Is `make run` running?" in capsys.readouterr().err


def test_the_default_url_follows_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOLLOWUP_URL", raising=False)
    monkeypatch.setenv("PORT", "3210")
    assert cli.default_url() == "http://127.0.0.1:3210"
    monkeypatch.setenv("FOLLOWUP_URL", "http://127.0.0.1:4000")
    assert cli.default_url() == "http://127.0.0.1:4000"


def test_sam_env_without_a_running_stack_says_to_start_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .local/stack.json here

    code = cli.main(["sam-env"])

    assert code == cli.EXIT_FAILED
    assert "make run" in capsys.readouterr().err
    assert not (tmp_path / ".local" / "sam").exists()


def test_the_cli_finds_a_running_stack_on_another_port_from_its_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json as _json
    import os as _os

    from followup_local.cli import default_url

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOLLOWUP_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    assert default_url() == "http://127.0.0.1:3000"
    (tmp_path / ".local").mkdir()
    state = tmp_path / ".local" / "stack.json"
    state.write_text(_json.dumps({"pid": _os.getpid(), "url": "http://127.0.0.1:4123"}))
    assert default_url() == "http://127.0.0.1:4123"
    # A stack that is gone (its process ended) is not used; PORT and FOLLOWUP_URL still win.
    state.write_text(_json.dumps({"pid": 2**22 + 12345, "url": "http://127.0.0.1:4123"}))
    assert default_url() == "http://127.0.0.1:3000"
    monkeypatch.setenv("PORT", "5000")
    assert default_url() == "http://127.0.0.1:5000"
