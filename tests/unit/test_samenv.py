"""`followup sam-env`'s pure parts: SAM's --env-vars document from a running stack's state, and the ready events.
The whole command against a running stack is in tests/e2e/test_sam_env.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from followup.api.auth import verify_signature
from followup_local.samenv import SamEnvError, container_endpoint, env_vars, ready_events
from followup_local.stackstate import StackState
from followup_local.template import load_template
from tests.conftest import EVENTS

TEMPLATE = load_template()


def _state(functions: dict[str, dict[str, str]] | None = None) -> StackState:
    if functions is None:
        functions = {
            fid: {name: f"{fid}-{name}" for name in TEMPLATE.function(fid).environment}
            for fid in TEMPLATE.function_ids()
        }
    return StackState(
        path=Path("stack.json"),
        pid=1,
        url="http://127.0.0.1:3000",
        api_key="the-api-key",
        webhook_secret="the-webhook-secret",
        form_key="the form/key",
        aws_endpoint="http://127.0.0.1:41234",
        region="us-east-1",
        account_id="123456789012",
        stack_name="followup-local",
        functions=functions,
    )


def test_the_endpoint_keeps_its_port_and_takes_the_containers_host() -> None:
    assert container_endpoint("http://127.0.0.1:41234", "host.docker.internal") == "http://host.docker.internal:41234"
    assert container_endpoint("http://127.0.0.1:41234/", "127.0.0.1") == "http://127.0.0.1:41234/"


def test_every_function_gets_exactly_the_variables_its_template_environment_declares() -> None:
    document = env_vars(_state(), TEMPLATE, host="host.docker.internal")

    assert set(document) == {"Parameters", *TEMPLATE.function_ids()}
    assert document["Parameters"] == {"AWS_ENDPOINT_URL": "http://host.docker.internal:41234"}
    for logical_id in TEMPLATE.function_ids():
        declared = TEMPLATE.function(logical_id).environment
        variables = document[logical_id]
        assert set(variables) == set(declared), logical_id
        assert variables["AWS_ENDPOINT_URL"] == "http://host.docker.internal:41234"
        assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"  # the template's default, not the stack's WARNING
        assert variables["TABLE_NAME"] == f"{logical_id}-TABLE_NAME"
        assert all(isinstance(value, str) for value in variables.values())


def test_the_log_level_can_be_chosen() -> None:
    document = env_vars(_state(), TEMPLATE, host="h", log_level="debug")

    assert {document[fid]["POWERTOOLS_LOG_LEVEL"] for fid in TEMPLATE.function_ids()} == {"DEBUG"}


def test_a_stack_started_before_the_template_changed_is_asked_to_restart() -> None:
    state = _state()
    missing_function = _state({fid: env for fid, env in state.functions.items() if fid != "SenderFunction"})
    missing_variable = _state(
        {fid: {k: v for k, v in env.items() if k != "TABLE_NAME"} for fid, env in state.functions.items()}
    )

    with pytest.raises(SamEnvError, match="restart"):
        env_vars(missing_function, TEMPLATE, host="h")
    with pytest.raises(SamEnvError, match="restart"):
        env_vars(missing_variable, TEMPLATE, host="h")


def _walk_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _walk_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _walk_strings(item)]
    return [value] if isinstance(value, str) else []


def test_ready_events_carry_the_stacks_secrets_and_a_real_signature() -> None:
    now = int(datetime.now(UTC).timestamp())
    events = ready_events(EVENTS, _state().secrets, now)

    assert {str(path) for path in events} == {str(path.relative_to(EVENTS)) for path in EVENTS.glob("*/*.json")}
    for path, event in events.items():
        text = json.dumps(event)
        assert "${" not in text, path
        assert "%24%7B" not in text.upper(), path
    assert events[Path("api/post-interview.json")]["headers"]["authorization"] == "Bearer the-api-key"
    assert events[Path("api/get-form.json")]["queryStringParameters"] == {"key": "the form/key"}
    assert events[Path("api/post-form.json")]["body"].startswith("key=the%20form%2Fkey&")  # percent-encoded there
    signed = events[Path("api/post-interview-signed.json")]
    header = signed["headers"]["x-followup-signature"]
    verify_signature(header, signed["body"].encode(), "the-webhook-secret", now=datetime.fromtimestamp(now, UTC))
    assert all("${" not in text for event in events.values() for text in _walk_strings(event))
