"""The local stack defends itself like a server on a developer's machine must (hardening round two, problem 9):
only its own loopback `Host`, no cross-site state changes on `/_local/`, bounded and timed-out connections, private
files, activity lines without personal data, quiet disconnects, and the webhook signature window in real time."""

from __future__ import annotations

import json
import socket
import stat
import struct
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_example
from tests.e2e.conftest import RunningStack, start_stack, stop_stack

pytestmark = pytest.mark.e2e

PERSONAL = ("Grace", "Hopper", "grace@ae.example", "Ada", "Lovelace", "ada@example.com", "Alan", "alan@ae.example")


def _now(stack: RunningStack) -> datetime:
    return datetime.fromisoformat(stack.get("/_local/clock").json()["now"].replace("Z", "+00:00"))


def _advance(stack: RunningStack, seconds: float, headers: dict[str, str]) -> Any:
    return stack.request("POST", "/_local/clock/advance", json.dumps({"seconds": seconds}).encode(), headers)


# -- who may talk to the stack ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",  # DNS rebinding: the attacker's name resolved to 127.0.0.1
        "evil.example:{port}",
        "127.0.0.1",  # the right address on the wrong (default) port
        "127.0.0.1:1",
        "localhost.evil.example:{port}",
        "",
    ],
)
def test_a_request_for_another_host_is_refused_on_every_route(stack: RunningStack, host: str) -> None:
    before = _now(stack)
    forged = {"Host": host.format(port=stack.port)}

    answers = [
        stack.get("/_local/clock", forged),
        stack.get("/_local/outbox", forged),
        stack.get("/openapi.json", forged),
        _advance(stack, 86400, {**forged, "Content-Type": "application/json"}),
    ]

    assert [answer.status for answer in answers] == [421] * 4
    assert {answer.json()["error"]["code"] for answer in answers} == {"misdirected_request"}
    assert _now(stack) < before + timedelta(seconds=30)  # the clock did not move


def test_the_stacks_own_loopback_names_are_answered(stack: RunningStack) -> None:
    for host in (f"127.0.0.1:{stack.port}", f"localhost:{stack.port}", f"LOCALHOST:{stack.port}"):
        assert stack.get("/_local/clock", {"Host": host}).status == 200, host


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # a sandboxed frame or a file:// page
        {"Origin": "http://127.0.0.1:1"},  # another local port is another origin
        {"Origin": "http://localhost.evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_cross_site_state_change_on_a_local_route_is_refused(stack: RunningStack, headers: dict[str, str]) -> None:
    before = _now(stack)
    outbox = stack.get("/_local/outbox").json()

    moved = _advance(stack, 86400, {"Content-Type": "application/json", **headers})
    feedback = stack.post_json("/_local/feedback", {"event": "bounce", "message_id": "x"}, headers)

    assert (moved.status, feedback.status) == (403, 403)
    assert moved.json()["error"]["code"] == "forbidden_origin"
    assert _now(stack) < before + timedelta(seconds=30)
    assert stack.get("/_local/outbox").json() == outbox


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data"],
)
def test_a_local_json_route_refuses_what_a_web_form_can_send(stack: RunningStack, content_type: str | None) -> None:
    # A page's <form> posts these across sites without asking first; the body may still look like JSON.
    before = _now(stack)
    headers = {} if content_type is None else {"Content-Type": content_type}

    moved = _advance(stack, 86400, headers)
    feedback = stack.request("POST", "/_local/feedback", b'{"event":"bounce","message_id":"x"}', headers)

    assert (moved.status, feedback.status) == (415, 415)
    assert moved.json()["error"]["code"] == "unsupported_media_type"
    assert _now(stack) < before + timedelta(seconds=30)


def test_the_stacks_own_origin_and_json_are_accepted(stack: RunningStack) -> None:
    for origin in (stack.url, f"http://localhost:{stack.port}"):
        moved = _advance(stack, 1, {"Content-Type": "Application/JSON; charset=utf-8", "Origin": origin})
        assert moved.status == 200, moved.text
    assert _advance(stack, 1, {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}).status == 200


def test_local_answers_are_not_for_other_sites_to_embed(stack: RunningStack) -> None:
    for path in ("/_local/outbox", "/_local/outbox.html", "/_local/clock"):
        headers = stack.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cross-origin-resource-policy"] == "same-origin"


# -- the webhook signature window is real time ------------------------------------------------------------------


def test_a_webhook_signed_with_real_time_is_accepted_after_the_clock_moved(stack: RunningStack) -> None:
    # Given the virtual clock two days further than it was (and days away from real time already)
    assert stack.advance(2 * 86400).status == 200
    body = json.dumps(load_example("interview-panel.json")).encode()
    json_type = {"Content-Type": "application/json"}

    # When an integration signs with real time, as a sender outside the stack does
    accepted = stack.request("POST", "/interviews", body, {**json_type, **stack.signed(body)})

    # Then it is accepted; a signature made with the virtual time, or 10 minutes old, is outside the window
    assert accepted.status == 202, accepted.text
    virtual = stack.request("POST", "/interviews", body, {**json_type, **stack.signed(body, at=stack.now_epoch())})
    assert virtual.status == 401
    assert "300 second window" in virtual.json()["error"]["message"]
    stale = stack.request("POST", "/interviews", body, {**json_type, **stack.signed(body, at=int(time.time()) - 600)})
    assert stale.status == 401


# -- files and output -------------------------------------------------------------------------------------------


def test_sent_mail_and_stack_state_are_private_and_activity_lines_name_no_one(stack: RunningStack) -> None:
    # Given a sent thank-you
    accepted = stack.post_json("/interviews", load_example("interview-panel.json"), stack.bearer())
    assert accepted.status == 202, accepted.text
    interview_id = accepted.json()["interview_id"]
    stack.advance(3 * 86400)
    sent = [m for m in stack.get("/_local/outbox").json() if m["tags"].get("interview_id") == interview_id]
    assert sent

    # Then .local/, its outbox and every .eml are this user's only, like the state file with its secrets
    local = stack.workdir / ".local"
    assert stat.S_IMODE(local.stat().st_mode) == 0o700
    assert stat.S_IMODE((local / "outbox").stat().st_mode) == 0o700
    assert stat.S_IMODE((local / "stack.json").stat().st_mode) == 0o600
    emls = list((local / "outbox").glob("*.eml"))
    assert {path.stem for path in emls} >= {m["message_id"] for m in sent}
    assert {stat.S_IMODE(path.stat().st_mode) for path in emls} == {0o600}

    # And the activity lines name messages by ids only: no name, address or subject
    output = stack.output()
    activity = [line for line in output.splitlines() if " sent " in line and interview_id in line]
    assert len(activity) >= len(sent)
    for line in activity:
        assert not [word for word in PERSONAL if word in line], line
    assert all(m["subject"] not in output for m in sent)


def _reset_on_close(connection: socket.socket) -> None:
    # SO_LINGER 0: close sends RST, as a browser tab that is closed mid-request does.
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def test_a_client_that_disconnects_mid_request_leaves_no_traceback(stack: RunningStack) -> None:
    body = json.dumps(load_example("interview.json")).encode()
    requests = [
        f"GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1:{stack.port}\r\n\r\n".encode(),
        f"GET /_local/outbox.html HTTP/1.1\r\nHost: 127.0.0.1:{stack.port}\r\n\r\n".encode(),
        (
            f"POST /preview HTTP/1.1\r\nHost: 127.0.0.1:{stack.port}\r\nAuthorization: Bearer {stack.api_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body,
    ]
    for _ in range(3):
        for request in requests:
            connection = socket.create_connection(("127.0.0.1", stack.port), timeout=5)
            connection.sendall(request)
            _reset_on_close(connection)
    # The stack keeps answering, and said nothing about the clients that left
    time.sleep(1.0)
    assert stack.get("/_local/clock").status == 200
    output = stack.output()
    assert "Traceback" not in output
    assert "BrokenPipeError" not in output
    assert "ConnectionResetError" not in output


# -- stalled and trickling clients ------------------------------------------------------------------------------

TIMEOUT_SECONDS = 1.0
MAX_CONNECTIONS = 16


@pytest.fixture(scope="module")
def tight_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack with a 1 s socket timeout (3 s to receive a request) and 16 connections at once."""
    running = start_stack(
        tmp_path_factory.mktemp("tight"),
        arguments=["--socket-timeout", str(TIMEOUT_SECONDS), "--max-connections", str(MAX_CONNECTIONS)],
    )
    try:
        yield running
    finally:
        stop_stack(running)


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise AssertionError("no thread count")


def _closed_by_server(connection: socket.socket, within: float) -> bool:
    """True when the server closes the connection (EOF or reset) within `within` seconds."""
    connection.settimeout(within)
    try:
        while connection.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


@pytest.mark.slow
def test_stalled_clients_are_dropped_and_hold_a_bounded_number_of_threads(tight_stack: RunningStack) -> None:
    stack = tight_stack
    assert stack.get("/_local/clock").status == 200
    baseline = _threads(stack.process.pid)

    # When 70 clients connect and stall (nothing, half a request line, headers without their end)
    stalled = []
    for number in range(70):
        connection = socket.create_connection(("127.0.0.1", stack.port), timeout=5)
        connection.sendall([b"", b"GET /_local/cl", b"GET /_local/clock HTTP/1.1\r\nHost: x\r\n"][number % 3])
        stalled.append(connection)
    time.sleep(0.5)
    peak = _threads(stack.process.pid)

    # Then they hold at most the connection limit in threads, a real client is still answered soon, and every
    # stalled connection is closed by the server
    assert peak <= baseline + MAX_CONNECTIONS + 4, (baseline, peak)
    deadline = time.monotonic() + 15
    status = None
    while time.monotonic() < deadline:
        try:
            status = stack.get("/_local/clock").status
        except OSError:
            status = None
        if status == 200:
            break
        time.sleep(0.2)
    assert status == 200
    assert all(_closed_by_server(connection, within=10) for connection in stalled)
    for connection in stalled:
        connection.close()
    time.sleep(TIMEOUT_SECONDS * 2)
    assert _threads(stack.process.pid) <= baseline + 4
    assert "Traceback" not in stack.output()


@pytest.mark.slow
def test_a_client_trickling_its_request_is_cut_off_at_the_request_deadline(tight_stack: RunningStack) -> None:
    # A byte every half second never trips the 1 s socket timeout, but the whole request must arrive within 3 s
    connection = socket.create_connection(("127.0.0.1", tight_stack.port), timeout=5)
    started = time.monotonic()
    request = f"GET /_local/clock HTTP/1.1\r\nHost: 127.0.0.1:{tight_stack.port}\r\nX-Slow: {'a' * 40}\r\n\r\n"
    cut_off = False
    for byte in request.encode():
        try:
            connection.sendall(bytes([byte]))
        except OSError:
            cut_off = True
            break
        time.sleep(0.5)
        if time.monotonic() - started > 3 * TIMEOUT_SECONDS + 1 and _closed_by_server(connection, within=0.01):
            cut_off = True
            break
    elapsed = time.monotonic() - started
    connection.close()
    assert cut_off
    assert elapsed < 3 * TIMEOUT_SECONDS + 3
