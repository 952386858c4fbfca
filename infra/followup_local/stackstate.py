"""`.local/stack.json`: how the tools find a running local stack (`followup run`, `make run`).

The stack writes it once it is up (mode 0600: it holds the secrets) and removes it when it stops:

    {"version": 2, "pid": 4242, "url": "http://127.0.0.1:3000",
     "api_key": "...", "webhook_secret": "...", "form_key": "...",
     "aws_endpoint": "http://127.0.0.1:41234",        # the embedded AWS (moto server) on loopback
     "region": "us-east-1", "account_id": "123456789012", "stack_name": "followup-local",
     "parameters": {"SenderEmail": "...", ...},          # the template parameters it was provisioned with
     "physical": {"FollowUpTable": "...", ...},          # physical names / queue URLs by logical id
     "arns": {"FollowUpTable": "arn:aws:dynamodb:...", ...},
     "functions": {"ApiFunction": {"TABLE_NAME": "...", ...}, ...}}   # each function's resolved Environment

`followup submit` reads the secrets; `followup invoke` runs a handler in-process against the stack's embedded AWS
(the same state as the stack); `followup sam-env` turns it into `sam local invoke --env-vars`. A file whose process is
gone, or whose stack does not answer, is stale: the tools say so and carry on without it.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

STATE_FILE = Path(".local") / "stack.json"
STATE_VERSION = 2
PROBE_TIMEOUT_SECONDS = 3.0
# The template parameters whose value names an SSM SecureString, and the secret each holds (see provision.py).
SECRET_PARAMETERS = {
    "ApiKeyParameterName": "api_key",
    "WebhookSecretParameterName": "webhook_secret",
    "FormKeyParameterName": "form_key",
}


class StackStateError(Exception):
    """The state file exists but does not lead to a running stack; the message says why."""


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise StackStateError(f"{where} is not an object of strings")
    return dict(value)


@dataclass(frozen=True)
class StackState:
    """A running local stack as its state file describes it."""

    path: Path
    pid: int
    url: str
    api_key: str
    webhook_secret: str
    form_key: str
    aws_endpoint: str
    region: str
    account_id: str
    stack_name: str
    parameters: dict[str, str] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)
    functions: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def secrets(self) -> dict[str, str]:
        """The placeholders' values (`followup invoke`): api_key, form_key, webhook_secret."""
        return {"api_key": self.api_key, "form_key": self.form_key, "webhook_secret": self.webhook_secret}

    @classmethod
    def from_json(cls, path: Path, data: Any) -> StackState:
        if not isinstance(data, Mapping):
            raise StackStateError(f"{path} is not a JSON object")
        if data.get("version") != STATE_VERSION or not data.get("aws_endpoint"):
            raise StackStateError(
                f"{path} was written by an older `followup run` (no embedded AWS endpoint in it): restart the stack"
            )
        try:
            functions = data["functions"]
            if not isinstance(functions, Mapping):
                raise StackStateError("functions is not an object")
            return cls(
                path=path,
                pid=int(data["pid"]),
                url=str(data["url"]).rstrip("/"),
                api_key=str(data["api_key"]),
                webhook_secret=str(data["webhook_secret"]),
                form_key=str(data["form_key"]),
                aws_endpoint=str(data["aws_endpoint"]).rstrip("/"),
                region=str(data["region"]),
                account_id=str(data["account_id"]),
                stack_name=str(data["stack_name"]),
                parameters=_strings(data["parameters"], "parameters"),
                physical=_strings(data["physical"], "physical"),
                arns=_strings(data["arns"], "arns"),
                functions={str(k): _strings(v, f"functions.{k}") for k, v in functions.items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StackStateError(f"{path} lacks or mangles {exc}: restart the stack") from None


def read_state(path: Path) -> StackState:
    """The state file at `path`; FileNotFoundError when there is none, StackStateError when it is unusable."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StackStateError(f"{path} is not valid JSON ({exc.msg})") from None
    return StackState.from_json(path, data)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts: it exists)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stack_clock(state: StackState, timeout: float = PROBE_TIMEOUT_SECONDS) -> datetime:
    """The running stack's virtual clock (`GET /_local/clock`); StackStateError when it does not answer."""
    request = urllib.request.Request(f"{state.url}/_local/clock", headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the stack's own loopback URL
            now = json.loads(response.read())["now"]
        return datetime.fromisoformat(str(now).replace("Z", "+00:00"))
    except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StackStateError(f"the stack in {state.path} does not answer on {state.url} ({reason})") from None


@dataclass(frozen=True)
class RunningStack:
    """A stack found running: its state and its virtual clock when it was found."""

    state: StackState
    now: datetime


def find_running_stack(path: Path | None = None) -> tuple[RunningStack | None, str | None]:
    """(the running stack, None); (None, why not) when a state file exists but leads nowhere; (None, None) when
    there is no state file at all."""
    path = path or STATE_FILE
    try:
        state = read_state(path)
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot read {path}: {exc}"
    except StackStateError as exc:
        return None, str(exc)
    if not process_alive(state.pid):
        return None, f"{path} is stale: its stack (process {state.pid}) is no longer running"
    try:
        now = stack_clock(state)
    except StackStateError as exc:
        return None, str(exc)
    return RunningStack(state=state, now=now), None
