"""Authentication of the JSON routes (issue 5, item 5): every missing, wrong, stale or forged credential → 401 and
nothing written; comparisons are constant-time; no secret, and no raw email address, ever reaches a log line."""

from __future__ import annotations

import ast
import base64
import hmac
import inspect
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from followup.api import auth as followup_auth
from followup.api.auth import sign
from followup.core import aws
from followup_local.cloud import LocalCloud, in_process_cloud
from tests.conftest import load_example
from tests.integration.conftest import SUBMITTED_AT

pytestmark = pytest.mark.integration

SAMPLE = load_example("interview.json")
SAMPLE_BODY = json.dumps(SAMPLE).encode()
OTHER_BODY = json.dumps({**SAMPLE, "position": {"title": "Principal Data Engineer"}}).encode()
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
KNOWN_ID = "0" * 22


class Writes:
    """Counts everything a request could leave behind: items, schedules, bus events, emails."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud
        self.put_events = 0

        def count(**_: Any) -> None:
            self.put_events += 1

        aws.client("events").meta.events.register(
            "before-call.events.PutEvents", count, unique_id="authentication-put-events"
        )

    def snapshot(self) -> dict[str, int]:
        physical = self.cloud.provisioned.physical
        dynamodb = self.cloud.session.client("dynamodb", region_name=self.cloud.provisioned.region)
        return {
            "follow_up_items": dynamodb.scan(TableName=physical["FollowUpTable"], Select="COUNT")["Count"],
            "idempotency_items": dynamodb.scan(TableName=physical["IdempotencyTable"], Select="COUNT")["Count"],
            "schedules": len(self.cloud.scheduler.list_schedules(GroupName=physical["ScheduleGroup"])["Schedules"]),
            "bus_events": self.put_events,
            "emails": len(self.cloud.outbox.messages),
        }


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """One deployment for this module (overrides the function-scoped one): every check here compares before/after."""
    with in_process_cloud(SUBMITTED_AT) as deployed:
        yield deployed


@pytest.fixture(scope="module")
def writes(cloud: LocalCloud) -> Writes:
    return Writes(cloud)


def _now(cloud: LocalCloud) -> int:
    return int(cloud.clock.now().timestamp())


def _post(
    cloud: LocalCloud, headers: dict[str, str], body: bytes = SAMPLE_BODY, path: str = "/interviews"
) -> tuple[int, dict[str, Any]]:
    status, _, data = cloud.http("POST", path, body=body, headers={"content-type": "application/json", **headers})
    return status, json.loads(data)


HeaderFactory = Callable[[LocalCloud], dict[str, str]]


def _signed(secret: Callable[[LocalCloud], str], *, skew: int = 0, body: bytes = SAMPLE_BODY) -> HeaderFactory:
    return lambda cloud: {"x-followup-signature": sign(secret(cloud), body, _now(cloud) + skew)}


def _secret(cloud: LocalCloud) -> str:
    return cloud.webhook_secret


def _valid_digest(cloud: LocalCloud) -> str:
    return sign(cloud.webhook_secret, SAMPLE_BODY, _now(cloud)).split("v1=", 1)[1]


REJECTED: dict[str, HeaderFactory] = {
    "missing": lambda cloud: {},
    "empty-authorization": lambda cloud: {"authorization": ""},
    "wrong-bearer": lambda cloud: {"authorization": "Bearer not-the-api-key"},
    "bearer-with-webhook-secret": lambda cloud: {"authorization": f"Bearer {cloud.webhook_secret}"},
    "bearer-key-prefix": lambda cloud: {"authorization": f"Bearer {cloud.api_key[:-1]}"},
    "bearer-key-extended": lambda cloud: {"authorization": f"Bearer {cloud.api_key}x"},
    "bearer-without-token": lambda cloud: {"authorization": "Bearer"},
    "scheme-basic": lambda cloud: {
        "authorization": "Basic " + base64.b64encode(f"u:{cloud.api_key}".encode()).decode()
    },
    "scheme-token": lambda cloud: {"authorization": f"Token {cloud.api_key}"},
    "key-without-scheme": lambda cloud: {"authorization": cloud.api_key},
    "signature-expired-400s": _signed(_secret, skew=-400),
    "signature-future-400s": _signed(_secret, skew=400),
    "signature-expired-301s": _signed(_secret, skew=-301),
    "signature-future-301s": _signed(_secret, skew=301),
    "signature-other-secret": _signed(lambda cloud: "forged-secret"),
    "signature-with-api-key-as-secret": _signed(lambda cloud: cloud.api_key),
    "signature-over-other-body": _signed(_secret, body=OTHER_BODY),
    "signature-malformed-garbage": lambda cloud: {"x-followup-signature": "garbage"},
    "signature-empty-parts": lambda cloud: {"x-followup-signature": "t=,v1="},
    "signature-without-timestamp": lambda cloud: {"x-followup-signature": f"v1={_valid_digest(cloud)}"},
    "signature-without-digest": lambda cloud: {"x-followup-signature": f"t={_now(cloud)}"},
    "signature-timestamp-not-a-number": lambda cloud: {"x-followup-signature": f"t=now,v1={_valid_digest(cloud)}"},
    "signature-negative-timestamp": lambda cloud: {
        "x-followup-signature": f"t=-{_now(cloud)},v1={_valid_digest(cloud)}"
    },
    "signature-millisecond-timestamp": lambda cloud: {
        "x-followup-signature": sign(cloud.webhook_secret, SAMPLE_BODY, _now(cloud) * 1000)
    },
    "signature-space-separated": lambda cloud: {
        "x-followup-signature": sign(cloud.webhook_secret, SAMPLE_BODY, _now(cloud)).replace(",", " ")
    },
    "signature-truncated-digest": lambda cloud: {
        "x-followup-signature": f"t={_now(cloud)},v1={_valid_digest(cloud)[:32]}"
    },
    "signature-digest-not-hex": lambda cloud: {"x-followup-signature": f"t={_now(cloud)},v1={'z' * 64}"},
    "signature-v0-scheme": lambda cloud: {"x-followup-signature": f"t={_now(cloud)},v0={_valid_digest(cloud)}"},
    "wrong-bearer-and-valid-signature": lambda cloud: {
        "authorization": "Bearer not-the-api-key",
        "x-followup-signature": sign(cloud.webhook_secret, SAMPLE_BODY, _now(cloud)),
    },
}


@pytest.mark.parametrize("name", list(REJECTED))
def test_bad_credentials_get_401_and_write_nothing(cloud: LocalCloud, writes: Writes, name: str) -> None:
    # Given an otherwise valid submission
    before = writes.snapshot()

    # When it carries this credential
    status, body = _post(cloud, REJECTED[name](cloud))

    # Then it is refused without a hint of which part was wrong beyond the message, and nothing is written
    assert status == 401, body
    assert body["error"]["code"] == "unauthorized"
    assert body["error"]["fields"] == []
    assert writes.snapshot() == before


def test_valid_bearer_with_a_forged_signature_is_refused(cloud: LocalCloud, writes: Writes) -> None:
    before = writes.snapshot()
    headers = {
        "authorization": f"Bearer {cloud.api_key}",
        "x-followup-signature": sign("forged-secret", SAMPLE_BODY, _now(cloud)),
    }
    status, body = _post(cloud, headers)
    assert status == 401, body
    assert writes.snapshot() == before


@pytest.mark.parametrize("skew", [-300, -299, 0, 299, 300])
def test_signature_inside_the_300_second_window_is_accepted(cloud: LocalCloud, skew: int) -> None:
    status, body = _post(cloud, {"x-followup-signature": sign(cloud.webhook_secret, SAMPLE_BODY, _now(cloud) + skew)})
    assert status == 202, body


def test_rotated_secret_is_accepted_when_any_v1_matches(cloud: LocalCloud) -> None:
    now = _now(cloud)
    old = sign("previous-secret", SAMPLE_BODY, now).split("v1=", 1)[1]
    header = f"{sign(cloud.webhook_secret, SAMPLE_BODY, now)},v1={old}"
    status, body = _post(cloud, {"x-followup-signature": header})
    assert status == 202, body


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type"),
    [
        ("POST", "/preview", SAMPLE_BODY, "application/json"),
        ("GET", f"/interviews/{KNOWN_ID}", b"", ""),
        ("POST", f"/interviews/{KNOWN_ID}/outcome", b'{"outcome": "offer"}', "application/json"),
        ("PATCH", f"/interviews/{KNOWN_ID}", b'{"decision_expected_by": "2026-12-10"}', "application/json"),
        ("DELETE", f"/interviews/{KNOWN_ID}", b"", ""),
        # Authentication comes before any parsing: a stranger learns nothing about the body's rules
        ("POST", "/interviews", b"{not json", "application/json"),
        ("POST", "/interviews", b"{}", "application/json"),
        ("POST", "/interviews", SAMPLE_BODY, "text/plain"),
        ("POST", "/interviews", b"", "application/json"),
    ],
    ids=[
        "preview",
        "get-interview",
        "outcome",
        "patch",
        "delete",
        "malformed-json",
        "invalid-fields",
        "wrong-content-type",
        "empty-body",
    ],
)
def test_every_json_route_requires_credentials_before_anything_else(
    cloud: LocalCloud, writes: Writes, method: str, path: str, body: bytes, content_type: str
) -> None:
    before = writes.snapshot()
    headers = {"content-type": content_type} if content_type else {}
    status, _, data = cloud.http(method, path, body=body, headers=headers)
    assert status == 401, data
    assert json.loads(data)["error"]["code"] == "unauthorized"
    assert writes.snapshot() == before


def test_secret_comparisons_use_hmac_compare_digest(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a spy on the constant-time comparison
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(followup_auth.hmac, "compare_digest", spy)

    # When a Bearer request and a signed request arrive
    assert _post(cloud, {"authorization": f"Bearer {cloud.api_key}"})[0] == 202
    bearer_calls = len(compared)
    assert _post(cloud, {"x-followup-signature": sign(cloud.webhook_secret, SAMPLE_BODY, _now(cloud))})[0] == 202

    # Then both credentials were checked with compare_digest
    assert bearer_calls >= 1
    assert len(compared) > bearer_calls
    assert any(cloud.api_key.encode() in (a, b) or cloud.api_key in (a, b) for a, b in compared[:bearer_calls])


def test_auth_module_never_compares_values_with_equality() -> None:
    """`==` on a secret leaks its prefix through timing; only comparisons against literals are allowed."""
    tree = ast.parse(inspect.getsource(followup_auth))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            operands = [node.left, *node.comparators]
            assert any(isinstance(operand, ast.Constant) for operand in operands), ast.unparse(node)
    source = inspect.getsource(followup_auth)
    assert source.count("hmac.compare_digest(") >= 2


@pytest.fixture
def captured_logs(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], str]]:
    """Everything written during the test: stdout/stderr, the service logger's formatted lines, and std logging."""
    from followup.core.observability import logger as service_logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(service_logger.registered_formatter)
    service_logger.addHandler(handler)
    previous_level = service_logger.log_level
    service_logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="followup")
    try:
        yield lambda: "\n".join((*capfd.readouterr(), stream.getvalue(), caplog.text))
    finally:
        service_logger.setLevel(previous_level)
        service_logger.removeHandler(handler)


def _full_run(cloud: LocalCloud) -> None:
    """Accepted and refused requests of both kinds, then every follow-up sent."""
    sent_before = len(cloud.outbox.messages)
    assert _post(cloud, {"authorization": f"Bearer {cloud.api_key}"})[0] == 202
    signature = sign(cloud.webhook_secret, OTHER_BODY, _now(cloud))
    assert _post(cloud, {"x-followup-signature": signature}, body=OTHER_BODY)[0] == 202
    assert _post(cloud, {"authorization": f"Bearer {cloud.api_key}x"})[0] == 401
    assert _post(cloud, {"x-followup-signature": sign(cloud.webhook_secret, OTHER_BODY, _now(cloud))})[0] == 401
    assert _post(cloud, {"authorization": f"Bearer {cloud.api_key}"}, path="/preview")[0] == 200
    assert _post(cloud, {"authorization": f"Bearer {cloud.api_key}"}, body=b"{}")[0] == 422
    cloud.advance(40 * 86400)
    assert len(cloud.outbox.messages) - sent_before >= 8


def test_logs_of_a_full_run_hold_no_secret_and_no_raw_email(
    cloud: LocalCloud, captured_logs: Callable[[], str]
) -> None:
    # Given a full run: accepted and refused requests of both kinds, then every follow-up sent
    _full_run(cloud)

    # When everything it logged is read back
    output = captured_logs()

    # Then the capture really saw the service's log lines, from the API and from the sender
    assert "request rejected" in output
    assert '"message":"sent"' in output.replace(" ", "")
    # And no secret appears in them
    for name, secret in {
        "api key": cloud.api_key,
        "webhook secret": cloud.webhook_secret,
        "form key": cloud.form_key,
    }.items():
        assert secret not in output, f"the {name} appears in the logs"
    # And no raw email address either (the formatter redacts them)
    leaked = sorted({match for match in EMAIL.findall(output) if not match.endswith("amazonaws.com")})
    assert leaked == [], leaked[:10]
