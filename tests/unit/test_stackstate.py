"""How the tools find a running local stack through `.local/stack.json` (followup_local.stackstate), and the moto
server's SendEmail tap that feeds the stack's outbox from any process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from followup_local.server import SEND_EMAIL_PATH, SendEmailTap
from followup_local.stackstate import (
    STATE_VERSION,
    StackState,
    StackStateError,
    find_running_stack,
    process_alive,
    read_state,
)


def _state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "version": STATE_VERSION,
        "pid": os.getpid(),
        "url": "http://127.0.0.1:1/",
        "api_key": "key",
        "webhook_secret": "hook",
        "form_key": "form",
        "aws_endpoint": "http://127.0.0.1:2",
        "region": "us-east-1",
        "account_id": "123456789012",
        "stack_name": "followup-local",
        "parameters": {"LogLevel": "WARNING"},
        "physical": {"FollowUpTable": "followup-local-FollowUpTable"},
        "arns": {"FollowUpTable": "arn:aws:dynamodb:us-east-1:123456789012:table/followup-local-FollowUpTable"},
        "functions": {"ApiFunction": {"TABLE_NAME": "followup-local-FollowUpTable"}},
    }
    state.update(overrides)
    return state


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_a_state_file_reads_into_what_the_tools_need(tmp_path: Path) -> None:
    state = read_state(_write(tmp_path, _state()))

    assert isinstance(state, StackState)
    assert state.url == "http://127.0.0.1:1"
    assert state.secrets == {"api_key": "key", "form_key": "form", "webhook_secret": "hook"}
    assert state.functions["ApiFunction"]["TABLE_NAME"] == "followup-local-FollowUpTable"


def test_a_state_file_of_an_older_stack_asks_for_a_restart(tmp_path: Path) -> None:
    older = {key: value for key, value in _state().items() if key in ("pid", "url", "api_key", "webhook_secret")}

    with pytest.raises(StackStateError, match="older `followup run`"):
        read_state(_write(tmp_path, older))


@pytest.mark.parametrize(
    "data",
    ["not json", [], _state(functions=[]), _state(physical={"A": 1}), _state(pid="x")],
    ids=["not-json", "not-object", "functions-list", "physical-number", "pid-text"],
)
def test_a_mangled_state_file_is_refused_with_a_reason(tmp_path: Path, data: Any) -> None:
    with pytest.raises(StackStateError):
        read_state(_write(tmp_path, data))


def test_no_state_file_means_no_stack_and_nothing_to_say(tmp_path: Path) -> None:
    assert find_running_stack(tmp_path / "absent.json") == (None, None)


def test_a_state_file_whose_process_is_gone_is_stale(tmp_path: Path) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(finished.stdout)
    assert not process_alive(pid)

    running, why_not = find_running_stack(_write(tmp_path, _state(pid=pid)))

    assert running is None
    assert why_not is not None
    assert "stale" in why_not


def test_a_state_file_whose_stack_does_not_answer_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running, why_not = find_running_stack(_write(tmp_path, _state(url=f"http://127.0.0.1:{port}")))

    assert running is None
    assert why_not is not None
    assert "does not answer" in why_not


# -- the SendEmail tap ------------------------------------------------------------------------------------------


def _app(status: str, answer: dict[str, Any]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["seen_body"] = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(answer).encode()]

    return app


def _call(app: Any, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    raw = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    answer = b"".join(app(environ, lambda status, headers, exc_info=None: None))
    return environ, answer


def test_the_tap_hands_every_accepted_send_email_to_the_outbox_and_moto_still_reads_the_body() -> None:
    seen: list[tuple[dict[str, Any], str]] = []
    tap = SendEmailTap(lambda request, message_id: seen.append((request, message_id)))
    request = {"FromEmailAddress": "a@b.example", "EmailTags": [{"Name": "kind", "Value": "thank_you"}]}

    environ, answer = _call(tap.wrap(_app("200 OK", {"MessageId": "m-1"})), SEND_EMAIL_PATH, request)

    assert seen == [(request, "m-1")]
    assert json.loads(environ["seen_body"]) == request
    assert json.loads(answer) == {"MessageId": "m-1"}


def test_the_tap_ignores_refused_sends_and_other_requests() -> None:
    seen: list[Any] = []
    tap = SendEmailTap(lambda request, message_id: seen.append(message_id))

    _call(tap.wrap(_app("400 Bad Request", {"message": "not verified"})), SEND_EMAIL_PATH, {"FromEmailAddress": "x"})
    _call(tap.wrap(_app("200 OK", {"MessageId": "m-2"})), "/v2/email/identities", {"EmailIdentity": "x"})

    assert seen == []
