"""Shared test fixtures: fake AWS credentials, a guard that fails any non-loopback connection, real-shaped events
from `events/`, and one Lambda context."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

# Every AWS call of the integration suite checked against the functions' roles (tests/integration/least_privilege.py).
pytest_plugins = ("tests.integration.least_privilege",)

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
EXAMPLES = ROOT / "examples"

# Never real AWS: fake credentials before any boto3 import can pick up real ones.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "InterviewFollowupTest",
        "POWERTOOLS_SERVICE_NAME": "followup",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(address: Any) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if host not in _LOOPBACK and not host.startswith("127."):
            raise RuntimeError(f"test tried to reach {host!r}: tests may only talk to 127.0.0.1")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check_address(address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


def load_event(relative: str) -> dict[str, Any]:
    """A real-shaped event from events/, e.g. load_event("api/post-interview.json")."""
    data: dict[str, Any] = json.loads((EVENTS / relative).read_text())
    return data


def load_example(name: str = "interview.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


@pytest.fixture
def sample_interview() -> dict[str, Any]:
    return load_example("interview.json")


@pytest.fixture
def panel_interview() -> dict[str, Any]:
    return load_example("interview-panel.json")
