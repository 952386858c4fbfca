"""The local stack: the whole pipeline in one process, no AWS account, no Docker (`followup run`, `make run`).

- a moto server on loopback, provisioned from template.yaml; this process's boto3 clients (the handlers' too) reach
  it through `AWS_ENDPOINT_URL`, with fake credentials so nothing can ever reach real AWS;
- a `LocalCloud` (event router, scheduler emulator, queue poller, outbox) on a virtual clock; the outbox is fed by a
  tap in front of the moto server, so a SendEmail from another process on the same embedded AWS (`followup invoke`,
  `sam local invoke` with `followup sam-env`'s environment) shows in it too;
- an HTTP gateway on 127.0.0.1:PORT: each request becomes an API Gateway v2 event for the template route it
  matches, plus the local-only routes under `/_local/` (clock, schedules, outbox, SES feedback);
- a background thread that, once a second of real time, fires due schedules and drains the queues.

The gateway answers only its own loopback origin: a request whose `Host` is not `127.0.0.1:PORT` (or
`localhost:PORT`) is refused (DNS rebinding), and a state-changing `/_local/` request with a foreign `Origin`, a
cross-site fetch or a non-JSON body is refused (a web page's form or fetch cannot move the clock or fake feedback).
Every connection has a socket timeout and a deadline for its request, and a bounded number of them is served at
once, so stalled or trickling clients cannot hold threads. Files under `.local/` are readable by this user only,
and the activity lines name messages by id, never by person or address.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import secrets
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, TextIO
from urllib.parse import urlsplit

from followup_local.cloud import LocalCloud, OutboxMessage, VirtualClock, with_endpoint
from followup_local.feedback import (
    SENDING_DETAIL_TYPES,
    FeedbackRequest,
    FeedbackRequestError,
    new_inbound_message_id,
    parse_feedback_request,
    receipt_event,
    reply_message,
    sending_event_detail,
)
from followup_local.outbox_page import eml_filename, make_private, render_outbox_page, write_eml
from followup_local.stackstate import STATE_FILE, STATE_VERSION

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 3000
REGION = "us-east-1"
TICK_SECONDS = 1.0
# API Gateway's own payload limit; ApiFunction applies the contract's 256 KiB after it.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
# Far enough for any plan (the last follow-up is weeks away), small enough for datetime arithmetic.
MAX_ADVANCE_SECONDS = 10 * 366 * 86400
OUTBOX_DIR = Path(".local") / "outbox"
# A client that sends nothing for this long is disconnected; a whole request (line, headers, body) must arrive within
# REQUEST_DEADLINE_FACTOR times it, so a client trickling bytes cannot hold a thread either.
SOCKET_TIMEOUT_SECONDS = 10.0
REQUEST_DEADLINE_FACTOR = 3
# Connections served at once (one thread each); more wait briefly for a free slot, then get a 503.
MAX_CONNECTIONS = 32
SLOT_WAIT_SECONDS = 0.5
# Replies reach FeedbackFunction through the inbound bucket of this (never resolvable) domain: POST /_local/feedback.
LOCAL_INBOUND_DOMAIN = "replies.followup.local"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sent with every /_local/ answer: not to be embedded, framed or sniffed by another site.
LOCAL_RESPONSE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-resource-policy": "same-origin",
    "referrer-policy": "no-referrer",
}
SECRET_ENVIRONMENT = {
    "ApiKeyParameterName": "FOLLOWUP_API_KEY",
    "WebhookSecretParameterName": "FOLLOWUP_WEBHOOK_SECRET",
    "FormKeyParameterName": "FOLLOWUP_FORM_KEY",
    "OperatorKeyParameterName": "FOLLOWUP_OPERATOR_KEY",
}
# Variables that could point boto3 at a real account or another endpoint: never inherited by the local stack.
_AWS_VARIABLES_TO_DROP = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CONFIG_FILE")

log = logging.getLogger("followup.local")


@dataclass
class StackOptions:
    """How `followup run` starts the stack (flags and environment, already resolved)."""

    port: int = DEFAULT_PORT
    api_key: str | None = None
    webhook_secret: str | None = None
    form_key: str | None = None
    operator_key: str | None = None
    clock_start: datetime | None = None
    log_level: str = "WARNING"
    outbox_dir: Path = OUTBOX_DIR
    state_file: Path | None = STATE_FILE
    tick_seconds: float = TICK_SECONDS
    socket_timeout: float = SOCKET_TIMEOUT_SECONDS
    max_connections: int = MAX_CONNECTIONS
    out: TextIO = field(default_factory=lambda: sys.stdout)


def error_json(code: str, message: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The contract's error body."""
    return {"error": {"code": code, "message": message, "fields": fields or []}}


def iso(instant: datetime) -> str:
    """UTC instant as `2026-11-24T21:00:00Z`."""
    from datetime import UTC

    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def use_embedded_aws(endpoint_url: str | None) -> None:
    """Point this process's boto3 at the embedded AWS, with fake credentials (real ones must never be used)."""
    for name in _AWS_VARIABLES_TO_DROP:
        os.environ.pop(name, None)
    for name in [key for key in os.environ if key.startswith("AWS_ENDPOINT_URL")]:
        os.environ.pop(name)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_CONFIG_FILE": os.devnull,
            # X-Ray has no daemon here; metrics would print an EMF blob per invocation.
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url


def real_now() -> datetime:
    """Real time, whatever the virtual clock says (what an integration outside the stack signs with)."""
    return datetime.now(UTC)


def measure_signatures_in_real_time() -> Callable[[], None]:
    """The webhook signature window against real time, everything else on the virtual clock (CONTRACT §2).

    On AWS the function's clock is real time, so ApiFunction measures `|now − t|` with `clock.now()`; here that clock
    is virtual, and a signature made with real time after `clock advance` would be refused. This swaps the instant
    the API's guard gives the signature check for real time — through the guard's `signature_now` hook when it has
    one, else by wrapping the `authenticate` it calls. Returns the undo.
    """
    from followup.api import guards

    hook = getattr(guards, "signature_now", None)
    if callable(hook):
        setattr(guards, "signature_now", real_now)  # noqa: B010 - the hook is not in every version of the guard
        return lambda: setattr(guards, "signature_now", hook)
    original: Callable[..., Any] = getattr(guards, "authenticate")  # noqa: B009 - not re-exported by the module

    def authenticate(*args: Any, **kwargs: Any) -> Any:
        if "now" in kwargs:
            kwargs["now"] = real_now()
        return original(*args, **kwargs)

    setattr(guards, "authenticate", authenticate)  # noqa: B010 - see above
    return lambda: setattr(guards, "authenticate", original)


class LocalStack:
    """Embedded AWS + LocalCloud + HTTP gateway + ticker, started and stopped as one."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.cloud: LocalCloud | None = None
        self._moto: Any = None
        self._gateway: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._tick_error: str | None = None
        self._undo_real_time: Callable[[], None] | None = None
        self.port = options.port
        self.aws_endpoint = ""
        self.startup_seconds = 0.0

    # -- lifecycle -----------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def form_url(self) -> str:
        assert self.cloud is not None
        return f"{self.url}/form?key={self.cloud.form_key}"

    @property
    def hosts(self) -> frozenset[str]:
        """The `Host` values this stack answers: its own loopback address and port (and `localhost` on that port)."""
        return frozenset({f"{LOOPBACK}:{self.port}", f"localhost:{self.port}"})

    @property
    def origins(self) -> frozenset[str]:
        """The origins allowed to change state through `/_local/`: the stack's own pages."""
        return frozenset(f"http://{host}" for host in self.hosts)

    def start(self) -> None:
        """Bind the gateway first (a busy port fails fast), then embedded AWS, provisioning and the cloud."""
        started = time.perf_counter()
        self._gateway = _Gateway((LOOPBACK, self.options.port), self, max_connections=self.options.max_connections)
        self.port = int(self._gateway.server_address[1])

        import boto3

        from followup.core import clock as followup_clock
        from followup_local.functions import reset_handler_caches
        from followup_local.moto_imports import import_ssm_backend
        from followup_local.provision import provision
        from followup_local.template import load_template

        # moto logs every request through werkzeug; the stack prints its own one-line activity instead.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        import_ssm_backend()  # here, not in the server's first SSM request, and without moto's EC2
        self._moto = _TappedMotoServer(SendEmailTap(self._record_sent), ip_address=LOOPBACK, port=0)
        self._moto.start()
        host, moto_port = self._moto.get_host_and_port()
        endpoint = f"http://{host}:{moto_port}"
        self.aws_endpoint = endpoint
        use_embedded_aws(endpoint)

        template = load_template()
        session = boto3.session.Session(region_name=REGION)
        given = {
            logical_id: value
            for logical_id, value in {
                "ApiKeyParameterName": self.options.api_key,
                "WebhookSecretParameterName": self.options.webhook_secret,
                "FormKeyParameterName": self.options.form_key,
                "OperatorKeyParameterName": self.options.operator_key,
            }.items()
            if value
        }
        # Random per start when not given (the contract): never a well-known default key.
        given.setdefault("LinkSecretParameterName", secrets.token_urlsafe(24))
        provisioned = provision(
            session,
            endpoint_url=endpoint,
            template=template,
            parameters={
                "PublicBaseUrl": self.url,
                "LogLevel": self.options.log_level,
                "InboundDomain": LOCAL_INBOUND_DOMAIN,
            },
            secrets=given,
        )
        # Powertools names its loggers after POWERTOOLS_SERVICE_NAME when a module is imported: set the functions'
        # environment before the shared modules load, as Lambda does, or their logs go nowhere.
        for function_id in template.function_ids():
            os.environ.update(with_endpoint(provisioned.function_environment(function_id), endpoint))
        reset_handler_caches()
        self._undo_real_time = measure_signatures_in_real_time()
        clock = VirtualClock(self.options.clock_start)
        # The outbox is fed by the moto server's SendEmail tap: it sees this process's sends and everyone else's on
        # the same embedded AWS (`followup invoke`, `sam local invoke --env-vars` from `followup sam-env`).
        self.cloud = LocalCloud(session, provisioned, template, clock, endpoint_url=endpoint, capture_outbox=False)
        followup_clock.set_clock(clock)
        self.cloud.outbox.listeners.append(self._on_sent)
        self._prepare_outbox_dir()

        self._spawn("gateway", self._gateway.serve_forever)
        self._spawn("ticker", self._tick_forever)
        self._write_state_file()
        self.startup_seconds = time.perf_counter() - started

    def stop(self) -> None:
        """Stop the ticker, the gateway and the embedded AWS; remove the state file."""
        self._stopping.set()
        if self._gateway is not None:
            self._gateway.shutdown()
            self._gateway.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._moto is not None:
            with contextlib.suppress(Exception):  # already down: nothing left to stop
                self._moto.stop()
        if self._undo_real_time is not None:
            self._undo_real_time()
            self._undo_real_time = None
        state = self.options.state_file
        if state is not None:
            with contextlib.suppress(FileNotFoundError):
                if json.loads(state.read_text()).get("pid") == os.getpid():
                    state.unlink()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"followup-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _tick_forever(self) -> None:
        """Real time passes: fire what became due, route events and drain queues, like AWS would in the background."""
        assert self.cloud is not None
        while not self._stopping.wait(self.options.tick_seconds):
            try:
                self.cloud.run_until_idle()
            except Exception as exc:  # keep ticking; say it once rather than once a second
                summary = f"{type(exc).__name__}: {exc}"
                if summary != self._tick_error:
                    print(f"background work failed: {summary}", file=sys.stderr, flush=True)
                    self._tick_error = summary
            else:
                self._tick_error = None

    # -- outbox --------------------------------------------------------------------------------------------------

    def _prepare_outbox_dir(self) -> None:
        folder = self.options.outbox_dir
        make_private(folder)
        # A fresh stack has an empty outbox: stale .eml files from an earlier run would mislead.
        for stale in folder.glob("*.eml"):
            stale.unlink()

    def _record_sent(self, request: dict[str, Any], message_id: str) -> None:
        if self.cloud is not None:
            self.cloud.outbox.record(request, message_id)

    def _on_sent(self, message: OutboxMessage) -> None:
        record = message.to_json()
        try:
            write_eml(self.options.outbox_dir, record)
        except Exception as exc:  # the JSON outbox still has it; a bad .eml must not fail the send
            print(f"could not write {record['message_id']}.eml: {exc}", file=sys.stderr, flush=True)
        self._say(f"[{record['sent_at']}] sent {_describe(record)}")

    def _say(self, line: str) -> None:
        with contextlib.suppress(ValueError, OSError):  # stdout closed while stopping
            print(line, file=self.options.out, flush=True)

    # -- state file ----------------------------------------------------------------------------------------------

    def _write_state_file(self) -> None:
        """`.local/stack.json` (stackstate.py): how `followup submit`, `invoke` and `sam-env` find this stack."""
        path = self.options.state_file
        if path is None or self.cloud is None:
            return
        make_private(path.parent)
        provisioned = self.cloud.provisioned
        payload = {
            "version": STATE_VERSION,
            "pid": os.getpid(),
            "url": self.url,
            "api_key": self.cloud.api_key,
            "webhook_secret": self.cloud.webhook_secret,
            "form_key": self.cloud.form_key,
            "operator_key": self.cloud.operator_key,
            # What `followup invoke` and `followup sam-env` need to reach the same state (stackstate.py).
            "aws_endpoint": self.aws_endpoint,
            "region": provisioned.region,
            "account_id": provisioned.account_id,
            "stack_name": provisioned.stack_name,
            "parameters": provisioned.parameters,
            "physical": provisioned.physical,
            "arns": provisioned.arns,
            "functions": self.cloud.environments,
        }
        # Secrets inside: readable by this user only.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)  # an older file keeps its mode through O_TRUNC
        with os.fdopen(descriptor, "w") as handle:
            json.dump(payload, handle, indent=2)

    # -- local-only routes ---------------------------------------------------------------------------------------

    def local_route(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """`/_local/...`: the virtual clock, pending schedules, the outbox and SES feedback."""
        assert self.cloud is not None
        cloud = self.cloud
        route = urlsplit(path).path.rstrip("/") or "/"
        if route == "/_local/feedback":
            if method != "POST":
                return _json(405, error_json("method_not_allowed", "use POST"), {"allow": "POST"})
            return self._feedback_route(body)
        if route == "/_local/clock" and method in ("GET", "HEAD"):
            return _json(200, {"now": iso(cloud.clock.now())})
        if route == "/_local/clock/advance":
            if method != "POST":
                return _json(405, error_json("method_not_allowed", "use POST"), {"allow": "POST"})
            seconds, problem = _advance_seconds(body)
            if problem is not None:
                return _json(400, error_json("invalid_advance", problem, [{"field": "seconds", "message": problem}]))
            fired = cloud.advance(seconds)
            return _json(200, {"now": iso(cloud.clock.now()), "fired": fired})
        if route == "/_local/schedules" and method in ("GET", "HEAD"):
            return _json(200, {"Schedules": [_schedule_json(item, cloud) for item in cloud.pending_schedules()]})
        if route == "/_local/outbox" and method in ("GET", "HEAD"):
            return _json(200, cloud.outbox.as_json())
        if route == "/_local/outbox.html" and method in ("GET", "HEAD"):
            page = render_outbox_page(cloud.outbox.as_json(), iso(cloud.clock.now()))
            return 200, {"content-type": "text/html; charset=utf-8", "cache-control": "no-store"}, page.encode()
        if route.startswith("/_local/outbox/") and route.endswith(".eml") and method in ("GET", "HEAD"):
            wanted = route.removeprefix("/_local/outbox/")
            for record in cloud.outbox.as_json():
                if eml_filename(record["message_id"]) == wanted:
                    from followup_local.outbox_page import to_email_message

                    data = to_email_message(record).as_bytes()
                    return 200, {"content-type": "message/rfc822"}, data
        return _json(404, error_json("not_found", "no such local route"))

    def _feedback_route(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """`POST /_local/feedback`: what SES would deliver about an outbox message, through FeedbackFunction."""
        assert self.cloud is not None
        try:
            request = parse_feedback_request(body)
        except FeedbackRequestError as exc:
            return _json(422, error_json("invalid_fields", str(exc), exc.fields))
        record = next((r for r in self.cloud.outbox.as_json() if r["message_id"] == request.message_id), None)
        if record is None:
            problem = "no message with this message_id in the outbox"
            return _json(404, error_json("not_found", problem, [{"field": "message_id", "message": problem}]))
        try:
            answer = self._deliver_feedback(request, record)
        except FeedbackRequestError as exc:
            return _json(422, error_json("invalid_fields", str(exc), exc.fields))
        except LookupError as exc:
            return _json(409, error_json("replies_off", str(exc)))
        self._say(f"[{iso(self.cloud.clock.now())}] feedback {request.event} on message {request.message_id}")
        return _json(202, answer)

    def _deliver_feedback(self, request: FeedbackRequest, record: dict[str, Any]) -> dict[str, Any]:
        assert self.cloud is not None
        cloud = self.cloud
        provisioned = cloud.provisioned
        now = cloud.clock.now()
        answer: dict[str, Any] = {"event": request.event, "message_id": request.message_id}
        if request.event in SENDING_DETAIL_TYPES:
            detail_type = SENDING_DETAIL_TYPES[request.event]
            detail = sending_event_detail(
                request, record, now=now, account=provisioned.account_id, region=provisioned.region
            )
            answer["delivered_as"] = f"SES sending event '{detail_type}' on the default event bus"
            answer["results"] = cloud.deliver_ses_event(detail_type, detail)
            return answer
        domain = provisioned.parameters.get("InboundDomain", "")
        if not domain:
            raise LookupError("replies are off: start the stack with an InboundDomain")
        message, envelope = reply_message(request, record, now=now, inbound_domain=domain)
        ses_message_id = new_inbound_message_id()
        function_arn = f"arn:aws:lambda:{provisioned.region}:{provisioned.account_id}:function:FeedbackFunction"
        event = receipt_event(message, ses_message_id, envelope, now=now, function_arn=function_arn)
        answer["delivered_as"] = "inbound mail (receipt rule: S3 action, then Lambda action)"
        answer["results"] = [cloud.deliver_inbound_mail(message.as_bytes(), ses_message_id, event)]
        return answer


def _describe(record: dict[str, Any]) -> str:
    """A sent message for the activity line: its kind and ids only (no name, address or subject)."""
    tags = record.get("tags") or {}
    parts = [str(tags.get("kind", "message"))]
    if tags.get("follow_up_id") or tags.get("copy_of"):
        parts.append(str(tags.get("follow_up_id") or f"of {tags['copy_of']}"))
    interview_id = tags.get("interview_id") or tags.get("copy_of_interview")
    if interview_id:
        parts.append(f"of interview {interview_id}")
    parts.append(f"as message {record['message_id']}")
    return " ".join(parts)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body, default=str, separators=(",", ":"), ensure_ascii=False).encode()
    return status, {"content-type": "application/json", "cache-control": "no-store", **(headers or {})}, data


def _advance_seconds(body: bytes) -> tuple[float, str | None]:
    """`{"seconds": N}` with N a finite number ≥ 0: the clock never moves back."""
    try:
        payload = json.loads(body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        return 0.0, 'body must be JSON: {"seconds": N}'
    seconds = payload.get("seconds") if isinstance(payload, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        return 0.0, 'body must be {"seconds": N} with N a number of seconds'
    if seconds < 0:
        return 0.0, "the clock only moves forward: seconds must be ≥ 0"
    if seconds > MAX_ADVANCE_SECONDS:
        return 0.0, f"seconds must be at most {MAX_ADVANCE_SECONDS} (ten years)"
    return float(seconds), None


def _schedule_json(schedule: dict[str, Any], cloud: LocalCloud) -> dict[str, Any]:
    """A schedule as ListSchedules summarises it, plus the GetSchedule details and when the emulator fires it."""
    item = {key: (iso(value) if isinstance(value, datetime) else value) for key, value in schedule.items()}
    item.setdefault("State", "ENABLED")
    item["DueAt"] = iso(cloud._due_at(schedule))
    return item


SEND_EMAIL_PATH = "/v2/email/outbound-emails"  # SESv2 SendEmail (REST-JSON)


class SendEmailTap:
    """WSGI middleware in front of the embedded AWS: every SESv2 SendEmail that moto accepts reaches `sink` with the
    request as sent (moto keeps neither headers nor tags) and the MessageId moto answered, whichever process sent it.
    """

    def __init__(self, sink: Callable[[dict[str, Any], str], None]) -> None:
        self._sink = sink

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        def tapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != SEND_EMAIL_PATH:
                return app(environ, start_response)
            try:
                length = int(environ.get("CONTENT_LENGTH") or "")
            except ValueError:  # no length (botocore always sends one): not read here, moto reads it as it can
                return app(environ, start_response)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            status: list[str] = []

            def remember(status_line: str, headers: Any, exc_info: Any = None) -> Any:
                status.append(status_line)
                return start_response(status_line, headers, exc_info)

            chunks = list(app(environ, remember))
            self._deliver(body, b"".join(chunks), status[0] if status else "500")
            return chunks

        return tapped

    def _deliver(self, body: bytes, answer: bytes, status_line: str) -> None:
        if status_line[:1] != "2":
            return
        try:
            request = json.loads(body)
            message_id = json.loads(answer).get("MessageId")
        except (ValueError, AttributeError):
            return
        if isinstance(request, dict) and message_id:
            try:
                self._sink(request, str(message_id))
            except Exception:  # the send succeeded; a failing listener must not turn it into an error
                traceback.print_exc(file=sys.stderr)


class _TappedMotoServer:
    """moto's ThreadedMotoServer, with a SendEmailTap in front of its WSGI application."""

    def __init__(self, tap: SendEmailTap, *, ip_address: str, port: int) -> None:
        self._tap = tap
        self._address = (ip_address, port)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(*self._address, self._tap.wrap(app), True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="followup-moto", daemon=True)
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Gateway(ThreadingHTTPServer):
    daemon_threads = True
    # Stopping does not wait for connection threads (each ends by its socket timeout at the latest).
    block_on_close = False
    # A restart may bind the port again at once (connections of the last run linger in TIME_WAIT).
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], stack: LocalStack, *, max_connections: int = MAX_CONNECTIONS) -> None:
        self.stack = stack
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _GatewayHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """One thread per connection, at most `max_connections` at once; a connection that finds none free within
        SLOT_WAIT_SECONDS is answered 503 without being read."""
        if not self._slots.acquire(timeout=SLOT_WAIT_SECONDS):
            _answer_busy(request)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (browser tab closed, timeout) is not an error worth a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("client %s went away: %s", client_address, type(error).__name__)
            return
        super().handle_error(request, client_address)


def _answer_busy(request: socket.socket) -> None:
    body = json.dumps(error_json("busy", "too many connections; try again")).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
        f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with contextlib.suppress(OSError):
        request.settimeout(1.0)
        request.sendall(head.encode() + body)


class _DeadlineReader(io.RawIOBase):
    """The connection's reads: each waits at most the socket timeout, and a request at most its deadline."""

    def __init__(self, raw: Any, before_read: Callable[[], None]) -> None:
        super().__init__()
        self._raw = raw
        self._before_read = before_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._before_read()
        result: int | None = self._raw.readinto(buffer)
        return result

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _GatewayHandler(BaseHTTPRequestHandler):
    """HTTP → API Gateway v2 event → ApiFunction (or a `/_local/` route) → HTTP."""

    server: _Gateway
    protocol_version = "HTTP/1.1"
    server_version = "followup-local"
    _request_deadline: float | None = None

    def setup(self) -> None:
        super().setup()
        # No read or write waits longer than the socket timeout.
        self.connection.settimeout(self.server.stack.options.socket_timeout)
        # Every read goes through the request deadline (see _before_read).
        self.rfile.close()
        raw = self.connection.makefile("rb", buffering=0)
        self.rfile = io.BufferedReader(_DeadlineReader(raw, self._before_read))

    def _before_read(self) -> None:
        idle = self.server.stack.options.socket_timeout
        if self._request_deadline is None:
            self.connection.settimeout(idle)
            return
        remaining = self._request_deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self.connection.settimeout(min(idle, remaining))

    def handle_one_request(self) -> None:
        # The deadline covers waiting for the request line, the headers and the body; not the work or the answer.
        self._request_deadline = time.monotonic() + REQUEST_DEADLINE_FACTOR * self.server.stack.options.socket_timeout
        super().handle_one_request()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, …): HttpApi's `$default` route takes every method, and the function
        # answers 405 for the ones a path lacks.
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return lambda: self._dispatch(name[3:])
        raise AttributeError(name)

    def _dispatch(self, method: str) -> None:
        stack = self.server.stack
        local = self.path.startswith("/_local/") or self.path == "/_local"
        refusal = self._refusal(method, local)
        if refusal is not None:
            # Not read, not answered beyond the refusal: the connection closes.
            self.close_connection = True
            status, headers, data = refusal
            self._reply(status, {**headers, **(LOCAL_RESPONSE_HEADERS if local else {})}, data, method=method)
            return
        try:
            body = self._read_body()
        except _BodyError as exc:
            self._request_deadline = None
            self._reply(*_json(exc.status, error_json(exc.code, str(exc))), method=method)
            self.close_connection = True
            return
        self._request_deadline = None  # the request is in; the work and the answer take what they take
        self.connection.settimeout(stack.options.socket_timeout)
        try:
            if local:
                status, headers, data = stack.local_route(method, self.path, body)
                headers = {**headers, **LOCAL_RESPONSE_HEADERS}
            else:
                assert stack.cloud is not None
                headers_in = self._request_headers()
                # API Gateway answers HEAD from the GET route.
                status, headers, data = stack.cloud.http(
                    "GET" if method == "HEAD" else method, self.path, body=body, headers=headers_in
                )
        except Exception:
            # What API Gateway returns when the integration fails; the traceback is for the developer.
            traceback.print_exc(file=sys.stderr)
            status, headers, data = 500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}'
        self._reply(status, headers, data, method=method)

    def _refusal(self, method: str, local: bool) -> tuple[int, dict[str, str], bytes] | None:
        """Why this request must not be served, as the answer to give; None when it may be.

        - `Host` must be the stack's own (a DNS-rebound name reaches 127.0.0.1 with the attacker's host name);
        - the request target must be a path (no absolute-form URL naming another authority);
        - on `/_local/`, a state-changing request must not come from another origin or site, and must be JSON (a
          page's form can post text/plain, urlencoded or multipart across sites without asking).
        """
        stack = self.server.stack
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0].strip().lower().rstrip(".") not in stack.hosts:
            return _json(421, error_json("misdirected_request", f"this local stack answers only {stack.url}"))
        if not self.path.startswith("/"):
            return _json(400, error_json("malformed_request", "the request target must be a path"))
        if not local or method in SAFE_METHODS:
            return None
        origin = self.headers.get("Origin")
        if origin is not None and origin.strip().lower().rstrip("/") not in stack.origins:
            return _json(403, error_json("forbidden_origin", "local routes take no cross-origin state changes"))
        if self.headers.get("Sec-Fetch-Site", "").strip().lower() == "cross-site":
            return _json(403, error_json("forbidden_origin", "local routes take no cross-site state changes"))
        media_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            return _json(415, error_json("unsupported_media_type", "local routes take Content-Type: application/json"))
        return None

    def _request_headers(self) -> dict[str, str]:
        joined: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            # HTTP API v2 joins repeated headers with commas.
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        return joined

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            raise _BodyError(411, "length_required", "send a Content-Length; chunked bodies are not supported")
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            raise _BodyError(400, "malformed_request", "Content-Length is not a number") from None
        if length < 0:
            raise _BodyError(400, "malformed_request", "Content-Length is negative")
        if length > MAX_REQUEST_BYTES:
            raise _BodyError(413, "payload_too_large", f"body exceeds {MAX_REQUEST_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, headers: dict[str, str], data: bytes, *, method: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD" and data:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # One access line per request only in debug: the stack's own output stays readable.
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", self.address_string(), format % args)


class _BodyError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def banner(stack: LocalStack) -> str:
    """What `followup run` prints once the stack is up."""
    assert stack.cloud is not None
    cloud = stack.cloud
    clock_kind = "real time" if stack.options.clock_start is None else "started at the given time"
    lines = [
        f"followup local stack ready on {stack.url} (started in {stack.startup_seconds:.1f} s)",
        "",
        f"  Form         {stack.form_url}",
        f"  API key      {cloud.api_key}",
        f"  Webhook      {cloud.webhook_secret}",
        f"  Operator key {cloud.operator_key}  (POST /candidates: one deployment, many candidates)",
        f"  Outbox       {stack.url}/_local/outbox.html  (and {stack.options.outbox_dir}/*.eml)",
        f"  Clock        {iso(cloud.clock.now())} ({clock_kind}); {stack.url}/_local/clock",
        "",
        "What next: open the form link, submit an interview, run `.venv/bin/followup clock advance 2d`, "
        "then open the outbox.",
        "Ctrl-C stops the stack.",
    ]
    return "\n".join(lines)


def run(options: StackOptions) -> int:
    """Start the stack, print how to use it, and serve until SIGINT or SIGTERM. Returns the exit code."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = LocalStack(options)
    try:
        try:
            stack.start()
        except OSError as exc:
            if exc.errno in (98, 48):  # EADDRINUSE on Linux, macOS
                print(
                    f"port {options.port} on {LOOPBACK} is in use: is another `make run` running? "
                    "Stop it, or choose another port: PORT=3001 make run (or followup run --port 3001).",
                    file=sys.stderr,
                )
                return 1
            raise
        print(banner(stack), file=options.out, flush=True)
        while not stop.wait(0.5):
            pass
        print("stopping…", file=options.out, flush=True)
        return 0
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def secret_from_environment(logical_id: str) -> str | None:
    """The secret the operator set for this stack (FOLLOWUP_API_KEY, ...), or None for a random one."""
    return os.environ.get(SECRET_ENVIRONMENT[logical_id]) or None
