"""The local stack as a user runs it: `followup run` in a subprocess on a free loopback port, driven over HTTP only.

One stack per test module (module-scoped fixture); known secrets come in through the environment, and the virtual
clock starts an hour after the contract's sample interview ended (Tue 2026-11-24 15:00 New York) unless a module
asks otherwise.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from followup.api.auth import sign

ROOT = Path(__file__).resolve().parents[2]
CLOCK_START = "2026-11-24T21:00:00Z"
STARTUP_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


@dataclass
class RunningStack:
    """A `followup run` subprocess and what a client needs to talk to it."""

    url: str
    port: int
    api_key: str
    webhook_secret: str
    form_key: str
    operator_key: str
    workdir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Reply:
        """One HTTP request, redirects not followed (303s are asserted as such)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return self.request("GET", path, headers=headers)

    def post_json(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})})

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def signed(self, body: bytes, *, at: int | None = None) -> dict[str, str]:
        """A webhook signature made with real time (the signer is outside the stack, CONTRACT §2), or at `at`."""
        return {"X-Followup-Signature": sign(self.webhook_secret, body, int(time.time()) if at is None else at)}

    def now_epoch(self) -> int:
        from datetime import datetime

        now = self.get("/_local/clock").json()["now"]
        return int(datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp())

    def advance(self, seconds: float) -> Reply:
        return self.post_json("/_local/clock/advance", {"seconds": seconds})

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_stack(
    workdir: Path, *, clock_start: str | None = CLOCK_START, port: int | None = None, arguments: Sequence[str] = ()
) -> RunningStack:
    """Start `followup run` (with extra `arguments`) and wait until its gateway answers; fail with its output if it
    dies first."""
    port = port or free_port()
    secrets = {
        "FOLLOWUP_API_KEY": f"e2e-api-key-{port}",
        "FOLLOWUP_WEBHOOK_SECRET": f"e2e-webhook-secret-{port}",
        "FOLLOWUP_FORM_KEY": f"e2e-form-key-{port}",
        "FOLLOWUP_OPERATOR_KEY": f"e2e-operator-key-{port}",
    }
    environment = {**os.environ, **secrets, "PYTHONUNBUFFERED": "1"}
    environment.pop("FOLLOWUP_CLOCK_START", None)
    command = [sys.executable, "-m", "followup_local.cli", "run", "--port", str(port)]
    if clock_start:
        command += ["--clock-start", clock_start]
    command += list(arguments)
    log = workdir / "stack.log"
    # Output to a file, never a pipe nobody reads: a full pipe would block the stack.
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=workdir, env=environment, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    stack = RunningStack(
        url=f"http://127.0.0.1:{port}",
        port=port,
        api_key=secrets["FOLLOWUP_API_KEY"],
        webhook_secret=secrets["FOLLOWUP_WEBHOOK_SECRET"],
        form_key=secrets["FOLLOWUP_FORM_KEY"],
        operator_key=secrets["FOLLOWUP_OPERATOR_KEY"],
        workdir=workdir,
        log=log,
        process=process,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"followup run exited with {process.returncode}:\n{stack.output()}")
        try:
            if stack.get("/_local/clock").status == 200 and "ready on" in stack.output():
                return stack
        except OSError:
            pass
        time.sleep(0.1)
    stop_stack(stack)
    raise RuntimeError(f"followup run was not ready within {STARTUP_TIMEOUT_SECONDS} s:\n{stack.output()}")


def stop_stack(stack: RunningStack) -> int | None:
    """SIGTERM, as Ctrl-C or a service manager would; the stack must stop by itself, promptly."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            stack.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait(timeout=5)
    return stack.process.returncode


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        stop_stack(running)


# -- headless Chromium (Debian's /usr/bin/chromium driven by Playwright; its own browser download does not work) ----

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Any, **options: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, **options)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (`make test` installs it as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    launched = launch_chromium(playwright)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    try:
        yield opened
    finally:
        context.close()
