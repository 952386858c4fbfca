"""`followup invoke <LogicalId> -e <event.json>`: one function's handler on one event, in-process. The Docker-free
twin of `sam local invoke`.

Where it runs:

- a local stack is running (`make run`, found through its `.local/stack.json`, see stackstate.py): against that
  stack's embedded AWS, so the handler sees and changes the same state as the stack (its tables, queues, schedules,
  secrets; what it sends shows in the stack's outbox), on the stack's virtual clock; nothing is provisioned;
- none is running, or `--fresh`: against a fresh embedded AWS (moto's `mock_aws`) provisioned from template.yaml.

The events in `events/` are valid for both tools. A few conveniences make them run cleanly on a fresh local state:

- placeholders: `${FOLLOWUP_API_KEY}`, `${FOLLOWUP_FORM_KEY}` and `${FOLLOWUP_WEBHOOK_SECRET}` anywhere in the
  event (also percent-encoded, as in a form body or a raw query string) become this run's secrets, and an
  `X-Followup-Signature: ${FOLLOWUP_SIGNATURE}` header becomes a fresh signature of the event's body. On AWS or
  under `sam local invoke` they stay literal, so the request is refused with 401/403, as it should be (`followup
  sam-env` writes copies with the running stack's real secrets and signatures for `sam local invoke`);
- seeding: an event that names an interview (an API path `/interviews/{id}`, `/form/done/{id}`, or a
  SenderFunction record) finds it created first from the planner event in `events/planner/` that carries the
  same `interview_id`, or from `--seed` files; otherwise it says clearly that the interview is absent.

After the handler returns, the bus events it put are delivered to the functions whose rules match (as AWS does
right away); schedules and queues are left to the running stack's clock, or to nobody on a fresh state.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

PLACEHOLDERS = {
    "${FOLLOWUP_API_KEY}": "api_key",
    "${FOLLOWUP_FORM_KEY}": "form_key",
    "${FOLLOWUP_WEBHOOK_SECRET}": "webhook_secret",
}
SIGNATURE_PLACEHOLDER = "${FOLLOWUP_SIGNATURE}"
SECRET_ENVIRONMENT = {
    "ApiKeyParameterName": "FOLLOWUP_API_KEY",
    "WebhookSecretParameterName": "FOLLOWUP_WEBHOOK_SECRET",
    "FormKeyParameterName": "FOLLOWUP_FORM_KEY",
}
# How long a seed may take to show up when the running stack, not this process, delivers it from the bus.
SEED_WAIT_SECONDS = 30.0


class InvokeError(Exception):
    """A usage problem (unknown function, unreadable event): reported in one line, exit code 2."""


@dataclass
class InvokeResult:
    """What the handler returned (or raised), for printing."""

    result: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def load_event_file(path: Path) -> Any:
    """The event as JSON, or an InvokeError saying what is wrong with the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvokeError(f"event file not found: {path}") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InvokeError(f"cannot read event file {path}: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvokeError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def substitute_placeholders(event: Any, secrets: dict[str, str]) -> Any:
    """Replace the documented placeholders (plain and percent-encoded) with this run's secrets."""
    text = json.dumps(event)
    for placeholder, name in PLACEHOLDERS.items():
        value = secrets[name]
        text = text.replace(placeholder, value)
        text = text.replace(quote(placeholder, safe=""), quote(value, safe=""))
        text = text.replace(quote(placeholder, safe="").lower(), quote(value, safe=""))
    return json.loads(text)


def sign_placeholder(event: Any, webhook_secret: str, now: int) -> Any:
    """An API event whose signature header is the placeholder gets a real signature of its own body."""
    from followup.api.auth import sign

    if not isinstance(event, dict) or not isinstance(event.get("headers"), dict):
        return event
    for name, value in list(event["headers"].items()):
        if name.lower() == "x-followup-signature" and value == SIGNATURE_PLACEHOLDER:
            body = event.get("body") or ""
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
            event["headers"][name] = sign(webhook_secret, raw, now)
    return event


def referenced_interviews(event: Any) -> list[str]:
    """Interview ids the event expects to exist (so they can be seeded first)."""
    ids: list[str] = []
    if not isinstance(event, dict):
        return ids
    if event.get("version") == "2.0" and "rawPath" in event:
        parameters = event.get("pathParameters") or {}
        if "id" in parameters:
            ids.append(str(parameters["id"]))
    for record in event.get("Records") or []:
        if isinstance(record, dict) and record.get("eventSource") == "aws:sqs":
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                body = json.loads(record.get("body") or "")
                if isinstance(body, dict) and body.get("interview_id"):
                    ids.append(str(body["interview_id"]))
    return list(dict.fromkeys(ids))


def planner_events(folder: Path) -> dict[str, Path]:
    """interview_id → the planner event in `folder` that submits it."""
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*.json")):
        with contextlib.suppress(OSError, ValueError):
            event = json.loads(path.read_text(encoding="utf-8"))
            detail = event.get("detail") if isinstance(event, dict) else None
            if isinstance(detail, dict) and detail.get("interview_id"):
                found.setdefault(str(detail["interview_id"]), path)
    return found


@contextlib.contextmanager
def _isolated_process_state() -> Iterator[None]:
    """The handlers and LocalCloud change os.environ and the global clock: put both back afterwards."""
    from followup.core import clock as followup_clock
    from followup_local.functions import reset_handler_caches

    saved_environment = dict(os.environ)
    saved_clock = followup_clock.get_clock()
    # No endpoint or profile may lead a "local" invocation to a real account.
    for name in [key for key in os.environ if key.startswith("AWS_ENDPOINT_URL")]:
        os.environ.pop(name)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    try:
        yield
    finally:
        reset_handler_caches()
        followup_clock.set_clock(saved_clock)
        os.environ.clear()
        os.environ.update(saved_environment)


@contextlib.contextmanager
def _function_logs_to(stream: TextIO, level: str | None) -> Iterator[None]:
    """The functions' Powertools logs go to `stream` (stdout carries only the result), then back where they were."""
    from followup.core.observability import logger as function_logger

    target = logging.getLogger(function_logger.name)
    handlers = [handler for handler in target.handlers if isinstance(handler, logging.StreamHandler)]
    saved_streams = [handler.stream for handler in handlers]
    saved_level = target.level
    # Assigned, not setStream(): that flushes the old stream, which a test runner may already have closed.
    for handler in handlers:
        handler.stream = stream
    if level:
        target.setLevel(level)
    try:
        yield
    finally:
        for handler, saved in zip(handlers, saved_streams, strict=True):
            handler.stream = saved
        target.setLevel(saved_level)


def invoke(
    logical_id: str,
    event_path: Path,
    *,
    seeds: Sequence[Path] = (),
    log_level: str | None = None,
    err: TextIO | None = None,
    state_file: Path | None = None,
    fresh: bool = False,
) -> InvokeResult:
    """Run `logical_id`'s handler on the event against the running local stack (its `state_file`, default
    `.local/stack.json`) or, when none runs or `fresh`, a fresh embedded AWS; progress notes go to `err`."""
    from followup_local.stackstate import find_running_stack
    from followup_local.template import load_template

    notes = err or sys.stderr
    template = load_template()
    functions = template.function_ids()
    if logical_id not in functions:
        raise InvokeError(f"unknown function {logical_id!r}: template.yaml defines {', '.join(sorted(functions))}")
    raw_event = load_event_file(event_path)
    seed_events = [(path, load_event_file(path)) for path in seeds]
    if not fresh:
        running, why_not = find_running_stack(state_file)
        if running is not None:
            print(
                f"against the running local stack {running.state.url} (its embedded AWS {running.state.aws_endpoint}, "
                f"clock {running.now.isoformat(timespec='seconds')}); --fresh for a fresh one",
                file=notes,
            )
            return _invoke_attached(running, logical_id, raw_event, seed_events, template, log_level, notes)
        if why_not:
            print(f"note: {why_not}; using a fresh embedded AWS", file=notes)
    return _invoke_fresh(logical_id, raw_event, seed_events, template, log_level, notes)


def _invoke_fresh(
    logical_id: str,
    raw_event: Any,
    seed_events: list[tuple[Path, Any]],
    template: Any,
    log_level: str | None,
    notes: TextIO,
) -> InvokeResult:
    """On a fresh embedded AWS (mock_aws) provisioned from the template."""
    import boto3
    from moto import mock_aws

    from followup_local.cloud import LocalCloud, VirtualClock, shared_botocore_data, with_endpoint
    from followup_local.functions import reset_handler_caches
    from followup_local.moto_imports import import_ssm_backend
    from followup_local.provision import provision

    functions = template.function_ids()
    import_ssm_backend()
    # One botocore data loader for every session: each service model is parsed once (provisioning, the handlers).
    with _isolated_process_state(), mock_aws(), shared_botocore_data():
        session = boto3.session.Session(region_name="us-east-1")
        given = {
            logical_id_: os.environ[variable]
            for logical_id_, variable in SECRET_ENVIRONMENT.items()
            if os.environ.get(variable)
        }
        # The template's LogLevel (INFO) unless asked: loggers keep the level they are created with.
        parameters = {"LogLevel": log_level} if log_level else {}
        provisioned = provision(session, template=template, parameters=parameters, secrets=given)
        # Powertools names its loggers after POWERTOOLS_SERVICE_NAME when a module is imported: set the functions'
        # environment before the shared modules load, as Lambda does, or their logs go nowhere.
        for function_id in functions:
            os.environ.update(with_endpoint(provisioned.function_environment(function_id), None))
        reset_handler_caches()
        cloud = LocalCloud(session, provisioned, template, VirtualClock())
        # Import the handler now, under its function's environment, so the functions' shared logger exists and can
        # be pointed at `notes` before anything runs (seeding included); the others load when an event reaches them.
        cloud.runtime.handler(logical_id)
        with _function_logs_to(notes, log_level):
            return _invoke_in(
                cloud, logical_id, raw_event, seed_events, template, notes, int(cloud.clock.now().timestamp())
            )


def _invoke_attached(
    running: Any,
    logical_id: str,
    raw_event: Any,
    seed_events: list[tuple[Path, Any]],
    template: Any,
    log_level: str | None,
    notes: TextIO,
) -> InvokeResult:
    """On the running stack's embedded AWS: nothing provisioned, its state and its clock."""
    import boto3

    from followup_local.cloud import LocalCloud, VirtualClock
    from followup_local.functions import reset_handler_caches
    from followup_local.server import measure_signatures_in_real_time, use_embedded_aws

    state = running.state
    functions = template.function_ids()
    missing = [function_id for function_id in functions if function_id not in state.functions]
    if missing:
        raise InvokeError(
            f"the running stack has no {', '.join(missing)} (template.yaml changed since it started): restart it, "
            "or pass --fresh"
        )
    # The template's LogLevel (INFO) unless asked, as on a fresh state: the stack itself runs quieter.
    level = (log_level or str(template.parameters.get("LogLevel", {}).get("Default", "INFO"))).upper()
    environments = {fid: {**state.functions[fid], "POWERTOOLS_LOG_LEVEL": level} for fid in functions}
    with _isolated_process_state():
        use_embedded_aws(state.aws_endpoint)
        for function_id in functions:
            os.environ.update(environments[function_id])
        reset_handler_caches()
        session = boto3.session.Session(region_name=state.region)
        cloud = LocalCloud(
            session,
            _provisioned_from(state, template),
            template,
            VirtualClock(running.now),
            endpoint_url=state.aws_endpoint,
            environments=environments,
            create_routing=False,
        )
        # The stack measures webhook signatures against real time (CONTRACT §2): so does this handler.
        undo_real_time = measure_signatures_in_real_time()
        try:
            cloud.runtime.handler(logical_id)  # see _invoke_fresh
            with _function_logs_to(notes, log_level):
                return _invoke_in(cloud, logical_id, raw_event, seed_events, template, notes, int(time.time()))
        finally:
            undo_real_time()


def _provisioned_from(state: Any, template: Any) -> Any:
    """The running stack's deployment, as `provision` described it when the stack started."""
    from followup_local.provision import Provisioned
    from followup_local.stackstate import SECRET_PARAMETERS

    return Provisioned(
        region=state.region,
        stack_name=state.stack_name,
        account_id=state.account_id,
        parameters=dict(state.parameters),
        physical=dict(state.physical),
        arns=dict(state.arns),
        secrets={parameter: state.secrets[name] for parameter, name in SECRET_PARAMETERS.items()},
        template=template,
        attributes={logical_id: {"Arn": arn} for logical_id, arn in state.arns.items()},
    )


def _invoke_in(
    cloud: Any,
    logical_id: str,
    raw_event: Any,
    seed_events: list[tuple[Path, Any]],
    template: Any,
    notes: TextIO,
    signing_time: int,
) -> InvokeResult:
    """Seed, substitute, invoke, then deliver what the function emitted; returns what the handler returned."""
    secrets = {"api_key": cloud.api_key, "form_key": cloud.form_key, "webhook_secret": cloud.webhook_secret}
    for path, seed in seed_events:
        _seed(cloud, seed, path, notes)
    event = substitute_placeholders(raw_event, secrets)
    event = sign_placeholder(event, cloud.webhook_secret, signing_time)
    _seed_referenced(cloud, event, template, notes)
    if not cloud.endpoint_url:
        _clock_to_due(cloud, event, notes)

    sent_before = len(cloud.outbox.messages)
    started = time.perf_counter()
    try:
        result = cloud.runtime.invoke(logical_id, event)
    except Exception as exc:  # a failed invocation: reported like Lambda's error payload
        return InvokeResult(error=exc)
    elapsed = (time.perf_counter() - started) * 1000
    print(f"{logical_id} returned in {elapsed:.0f} ms", file=notes)
    # What AWS does right after: bus events reach the functions whose rules match (e.g. the planner).
    delivered = cloud.pump_bus()
    if delivered:
        print(f"delivered {delivered} bus event(s) to the functions whose rules match", file=notes)
    for message in cloud.outbox.as_json()[sent_before:]:
        print(
            f"sent {message['tags'].get('kind', 'message')} to {', '.join(message['to'])}: {message['subject']!r}",
            file=notes,
        )
    return InvokeResult(result=result)


def _clock_to_due(cloud: Any, event: Any, notes: TextIO) -> None:
    """A fresh state's virtual clock moves to the due time of each follow-up a sender event names, when that is
    later: the event is what Scheduler delivers at that moment (the planner may have moved the time to the
    recipient's next working hours, so it depends on when the command runs). A running stack keeps its own clock."""
    from followup.adapters.dynamodb import FollowUpTable
    from followup.core.text import parse_instant

    wanted: list[tuple[str, str]] = []
    for record in (event.get("Records") or []) if isinstance(event, dict) else []:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            body = json.loads(record.get("body") or "")
            if isinstance(body, dict) and body.get("interview_id") and body.get("follow_up_id"):
                wanted.append((str(body["interview_id"]), str(body["follow_up_id"])))
    if not wanted:
        return
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    table = FollowUpTable(dynamodb, cloud.provisioned.physical["FollowUpTable"])
    for interview_id, follow_up_id in wanted:
        bundle = table.load_interview(interview_id)
        due = next((r.due_at for r in (bundle.follow_ups if bundle else []) if r.follow_up_id == follow_up_id), None)
        if due is not None and parse_instant(due) > cloud.clock.now():
            cloud.clock.move_to(parse_instant(due))
            print(f"clock moved to {due}, when Scheduler delivers {follow_up_id}", file=notes)


def _seed(cloud: Any, event: Any, path: Path, notes: TextIO) -> int:
    """Deliver a seed event: an EventBridge event goes through the bus to the functions whose rules match."""
    if not (isinstance(event, dict) and "detail-type" in event and "source" in event):
        raise InvokeError(f"--seed {path}: only EventBridge events (with source and detail-type) can seed")
    bus = cloud.provisioned.physical.get("EventBus", "default")
    entry = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event.get("detail", {})),
        "EventBusName": bus,
    }
    cloud.events.put_events(Entries=[entry])
    delivered = cloud.pump_bus()
    print(f"seeded from {path} ({delivered} delivery)", file=notes)
    return int(delivered)


def _seed_referenced(cloud: Any, event: Any, template: Any, notes: TextIO) -> None:
    """Create, from events/planner/, each interview the event names that this fresh state does not have."""
    from followup.adapters.dynamodb import FollowUpTable

    ids = referenced_interviews(event)
    if not ids:
        return
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    table = FollowUpTable(dynamodb, cloud.provisioned.physical["FollowUpTable"])
    known = planner_events(template.root / "events" / "planner")
    for interview_id in ids:
        if table.load_interview(interview_id) is not None:
            continue
        source = known.get(interview_id)
        if source is None:
            state = "the running stack's state" if cloud.endpoint_url else "this fresh local state"
            print(
                f"note: interview {interview_id} does not exist in {state}, so the handler will "
                "find nothing; create it first with --seed <planner event> (see events/planner/)",
                file=notes,
            )
            continue
        delivered = _seed(cloud, load_event_file(source), source.relative_to(template.root), notes)
        # On a running stack its own router may have taken the event off the bus first: wait for its planner.
        deadline = time.monotonic() + (SEED_WAIT_SECONDS if cloud.endpoint_url and not delivered else 0.0)
        while table.load_interview(interview_id) is None:
            if time.monotonic() >= deadline:
                print(
                    f"note: interview {interview_id} is still absent: the planner did not store it (see its log; "
                    "the same interview submitted earlier under another id stays one interview)",
                    file=notes,
                )
                break
            time.sleep(0.1)
