"""The pieces of AWS that moto does not run, wired around the unchanged handlers.

- an event router: the template's EventBridge rules are created in moto with an SQS target (moto cannot invoke
  Lambda targets), and the router delivers what lands there to the function, with EventBridge-like retries;
- a scheduler emulator: fires every one-time `at()` schedule that is due by the virtual clock, by sending its
  Input to its target queue, and deletes it when `ActionAfterCompletion=DELETE`; it reads `at()` in
  `ScheduleExpressionTimezone` as Scheduler does (a repeated local time fires once, at its first occurrence; a
  local time in a spring-forward gap never fires);
- a queue poller: feeds SQS batches to the consuming function like an event source mapping (partial batch
  failures, redrive to the DLQ through the queue's own RedrivePolicy);
- an outbox: every SES SendEmail request captured whole (moto drops headers and tags).

Used by the integration tests (in-process moto), the local stack (moto server) and the benchmark.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from followup.core import aws as followup_aws
from followup.core import clock as followup_clock
from followup_local.functions import FunctionRuntime
from followup_local.provision import Provisioned
from followup_local.template import SamTemplate

AT_EXPRESSION = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
ROUTER_ATTEMPTS = 3
# The receipt rule's targets (template.yaml InboundReplyRule: S3 action into the bucket, Lambda action to the function).
INBOUND_BUCKET = "InboundMailBucket"
INBOUND_FUNCTION = "FeedbackFunction"


class VirtualClock:
    """Real time plus an offset that only grows: `advance` moves it forward, never back."""

    def __init__(self, start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0) if start is None else start.astimezone(UTC) - datetime.now(UTC)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
            if self._frozen is not None:
                self._frozen += timedelta(seconds=seconds)
        return self.now()

    def move_to(self, instant: datetime) -> None:
        """Move forward to `instant` (no-op when it is in the past)."""
        delta = (instant - self.now()).total_seconds()
        if delta > 0:
            self.advance(delta)

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock (tests and benchmarks want repeatable times)."""
        with self._lock:
            current = datetime.now(UTC) + self._offset
            self._frozen = (at or current).astimezone(UTC)
            self._offset = self._frozen - datetime.now(UTC)


@dataclass
class OutboxMessage:
    message_id: str
    sent_at: str
    request: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        destination = self.request.get("Destination", {})
        simple = self.request.get("Content", {}).get("Simple", {})
        body = simple.get("Body", {})
        return {
            "message_id": self.message_id,
            "from": self.request.get("FromEmailAddress"),
            "to": destination.get("ToAddresses", []),
            "cc": destination.get("CcAddresses", []),
            "bcc": destination.get("BccAddresses", []),
            "reply_to": self.request.get("ReplyToAddresses", []),
            "subject": simple.get("Subject", {}).get("Data", ""),
            "text": body.get("Text", {}).get("Data", ""),
            "html": body.get("Html", {}).get("Data", ""),
            "headers": {h["Name"]: h["Value"] for h in simple.get("Headers", [])},
            "tags": {t["Name"]: t["Value"] for t in self.request.get("EmailTags", [])},
            "configuration_set": self.request.get("ConfigurationSetName"),
            "sent_at": self.sent_at,
        }


class Outbox:
    """Captures SendEmail requests from the handlers' own sesv2 client, as sent, with SES's MessageId."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.messages: list[OutboxMessage] = []
        self.listeners: list[Callable[[OutboxMessage], None]] = []

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build.sesv2.SendEmail", self._before, unique_id="followup-outbox-before")
        events.register("after-call.sesv2.SendEmail", self._after, unique_id="followup-outbox-after")

    def _before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["followup_outbox_request"] = json.loads(json.dumps(params, default=str))

    def _after(self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        request = context.get("followup_outbox_request")
        message_id = parsed.get("MessageId") if isinstance(parsed, dict) else None
        if request is None or not message_id or getattr(http_response, "status_code", 500) >= 300:
            return
        self.record(request, str(message_id))

    def record(self, request: dict[str, Any], message_id: str) -> OutboxMessage:
        """One SendEmail request SES accepted (the SendEmail parameters, and the MessageId SES answered)."""
        message = OutboxMessage(message_id=message_id, sent_at=_iso(self._clock()), request=request)
        with self._lock:
            self.messages.append(message)
        for listener in list(self.listeners):
            listener(message)
        return message

    def as_json(self) -> list[dict[str, Any]]:
        """Every message SES accepted, the candidate's copies included (what `GET /_local/outbox` lists)."""
        with self._lock:
            return [message.to_json() for message in self.messages]

    def follow_ups(self) -> list[dict[str, Any]]:
        """The messages themselves: to interviewers, reminders, drafts and notices, without the candidate's copies."""
        return [message for message in self.as_json() if not is_copy(message)]

    def copies(self) -> list[dict[str, Any]]:
        """The candidate's own copies of what went out in their name."""
        return [message for message in self.as_json() if is_copy(message)]


def is_copy(message: dict[str, Any]) -> bool:
    """A candidate's copy of a message sent in their name (tagged `kind=copy`), as `Outbox.as_json` lists it."""
    return message.get("tags", {}).get("kind") == "copy"


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# When a schedule Scheduler would never fire is due: after every real instant (sorted last, never reached).
NEVER = datetime.max.replace(tzinfo=UTC)


class SkippedLocalTime(ValueError):
    """An `at()` wall time that does not exist in its timezone (a spring-forward gap): Scheduler skips it."""


def parse_at_expression(expression: str, timezone: str | None = "UTC") -> datetime:
    """The instant an `at(yyyy-mm-ddThh:mm:ss)` expression names in `ScheduleExpressionTimezone`, as Scheduler reads
    it (AWS: "When the time shifts back in the Fall, your schedule runs only once"; "When the time shifts forward in
    Spring, your schedule invocation gets skipped" if it falls on a non-existent time):
    - UTC (or no timezone): exactly that instant;
    - a wall time that happens twice (DST fall-back): its first occurrence, once;
    - a wall time that never happens (spring-forward gap): `SkippedLocalTime`, the schedule never fires.
    """
    match = AT_EXPRESSION.match(expression.strip())
    if not match:
        raise ValueError(f"not a one-time at() expression: {expression!r}")
    wall = datetime.fromisoformat(match.group(1))
    zone = ZoneInfo(timezone or "UTC")
    first = wall.replace(tzinfo=zone, fold=0)
    instant = first.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        raise SkippedLocalTime(f"{expression} does not exist in {timezone}: Scheduler skips it")
    return instant


def schedule_fires_at(schedule: Mapping[str, Any]) -> datetime:
    """When the emulator fires a schedule, as Scheduler would: `NEVER` for a skipped local time."""
    try:
        return parse_at_expression(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone") or "UTC")
    except SkippedLocalTime:
        return NEVER


ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL"


def with_endpoint(environment: Mapping[str, str], endpoint_url: str | None) -> dict[str, str]:
    """A function's environment as this process runs it: `AWS_ENDPOINT_URL` is the embedded AWS's endpoint when it
    has one, and absent in-process (mock_aws answers the real endpoints). The template declares the variable empty
    (boto3 ignores an empty endpoint) so that `sam local invoke --env-vars` may set it: SAM only sets declared ones."""
    result = {name: value for name, value in environment.items() if not name.startswith(ENDPOINT_VARIABLE)}
    if endpoint_url:
        result[ENDPOINT_VARIABLE] = endpoint_url
    return result


def queue_url_from_arn(arn: str, endpoint: str | None, sqs_client: Any) -> str:
    name = arn.rsplit(":", 1)[-1]
    return str(sqs_client.get_queue_url(QueueName=name)["QueueUrl"])


def http_event(
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    route_key: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    now: datetime | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as HttpApi delivers it to the function."""
    raw_path, _, raw_query = path.partition("?")
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    instant = now or datetime.now(UTC)
    is_text = _is_text(lowered.get("content-type", ""), body)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method.upper()} {raw_path}",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": lowered.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method.upper(),
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key or f"{method.upper()} {raw_path}",
            "stage": "$default",
            "time": instant.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(instant.timestamp() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if raw_query:
        event["queryStringParameters"] = dict(parse_qsl(raw_query, keep_blank_values=True))
    if "cookie" in lowered:
        # HTTP API v2 moves the Cookie header into `cookies`, one entry per cookie.
        event["cookies"] = [part.strip() for part in lowered.pop("cookie").split(";") if part.strip()]
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if body:
        event["body"] = body.decode("utf-8") if is_text else base64.b64encode(body).decode()
    return event


def _is_text(content_type: str, body: bytes) -> bool:
    if not body:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.startswith("text/") or kind in {"application/json", "application/x-www-form-urlencoded", ""}:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    return False


@dataclass
class RouteMatch:
    function: str
    route_key: str
    path_parameters: dict[str, str] = field(default_factory=dict)


def match_route(routes: Iterable[tuple[str, str, str]], method: str, path: str) -> RouteMatch | None:
    """Match a request against the template's HttpApi routes (`{name}` segments become path parameters)."""
    segments = path.split("?", 1)[0].rstrip("/").split("/") or [""]
    for route_method, route_path, function in routes:
        if route_path == "$default":
            continue
        if route_method not in (method.upper(), "ANY"):
            continue
        pattern = route_path.rstrip("/").split("/")
        if len(pattern) != len(segments):
            continue
        params: dict[str, str] = {}
        for expected, actual in zip(pattern, segments, strict=True):
            if expected.startswith("{") and expected.endswith("}"):
                if not actual:
                    break
                params[expected[1:-1]] = actual
            elif expected != actual:
                break
        else:
            return RouteMatch(function=function, route_key=f"{route_method} {route_path}", path_parameters=params)
    # API Gateway's catch-all: what no other route matches goes to the `$default` route's function.
    for _, route_path, function in routes:
        if route_path == "$default":
            return RouteMatch(function=function, route_key="$default")
    return None


class LocalCloud:
    """The whole pipeline on moto: handlers plus the emulated glue, driven by one virtual clock."""

    def __init__(
        self,
        session: Any,
        provisioned: Provisioned,
        template: SamTemplate,
        clock: VirtualClock,
        *,
        endpoint_url: str | None = None,
        environments: Mapping[str, Mapping[str, str]] | None = None,
        create_routing: bool = True,
        capture_outbox: bool = True,
    ) -> None:
        """`environments`: the functions' environment (default: evaluated from the template); `create_routing`:
        create the router's rules and queues (False: find the ones an already running stack created);
        `capture_outbox`: capture SendEmail from this process's handler client (False: the caller feeds
        `outbox.record`, e.g. from the moto server's side)."""
        self.session = session
        self.provisioned = provisioned
        self.template = template
        self.clock = clock
        self.endpoint_url = endpoint_url
        self._client_kwargs: dict[str, Any] = {"region_name": provisioned.region}
        if endpoint_url:
            self._client_kwargs["endpoint_url"] = endpoint_url
        self.sqs = session.client("sqs", **self._client_kwargs)
        self.events = session.client("events", **self._client_kwargs)
        self.scheduler = session.client("scheduler", **self._client_kwargs)
        if environments is None:
            environments = {fid: provisioned.function_environment(fid) for fid in template.function_ids()}
        # What each function sees here (the state file hands it to `followup invoke` and `followup sam-env`).
        self.environments = {fid: with_endpoint(env, endpoint_url) for fid, env in environments.items()}
        self.runtime = FunctionRuntime(template, self.environments)
        self.outbox = Outbox(clock.now)
        self.routes = [(r.method, r.path, r.function) for r in template.http_routes()]
        self._router_queues: list[tuple[str, str, str | None]] = []  # (function, queue url, dlq arn)
        self._router_attempts: dict[str, int] = {}
        self._work_lock = threading.RLock()
        # Every schedule fired so far, however it was fired (ticker, advance, run_until_idle): advance reports these.
        self.schedules_fired = 0
        self.dead_letters: list[dict[str, Any]] = []
        # Told of every bus event a function handled: (function, event, what it returned).
        self.bus_listeners: list[Callable[[str, dict[str, Any], Any], None]] = []
        followup_clock.set_clock(clock)
        if create_routing:
            self._setup_routing()
        else:
            self._find_routing()
        for function_id in template.function_ids():
            self.runtime._apply_environment(function_id)
        if capture_outbox:
            # The handlers' own sesv2 client (one per process, cached by followup.core.aws): capture what they send.
            self.outbox.attach(followup_aws.client("sesv2"))

    # -- event router ---------------------------------------------------------------------------------------

    def _router_queue_name(self, rule: Any) -> str:
        return f"{self.provisioned.stack_name}-route-{rule.rule_name}"[:80]

    def _rule_dlq_arn(self, rule: Any) -> str | None:
        dlq = rule.properties.get("DeadLetterConfig", {})
        return str(self.provisioned.resolve(dlq["Arn"])) if dlq.get("Arn") else None

    def _find_routing(self) -> None:
        """The router queues a running stack created (moto cannot invoke Lambda: each rule targets one of them)."""
        for rule in self.template.event_rules():
            try:
                url = self.sqs.get_queue_url(QueueName=self._router_queue_name(rule))["QueueUrl"]
            except self.sqs.exceptions.QueueDoesNotExist:
                continue
            self._router_queues.append((rule.function, url, self._rule_dlq_arn(rule)))

    def _setup_routing(self) -> None:
        for rule in self.template.event_rules():
            bus = "default" if rule.bus == "default" else self.provisioned.physical[rule.bus]
            queue_name = self._router_queue_name(rule)
            url = self.sqs.create_queue(QueueName=queue_name)["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            name = f"{self.provisioned.stack_name}-{rule.rule_name}"[:64]
            self.events.put_rule(
                Name=name,
                EventBusName=bus,
                EventPattern=json.dumps(self.provisioned.resolve(rule.pattern)),
                State="ENABLED",
            )
            self.events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "router", "Arn": arn}])
            self._router_queues.append((rule.function, url, self._rule_dlq_arn(rule)))

    def pump_bus(self) -> int:
        """Deliver every routed bus event to its function; a failure is retried, then dead-lettered."""
        delivered = 0
        for function, url, dlq_arn in self._router_queues:
            while True:
                messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                    "Messages", []
                )
                if not messages:
                    break
                for message in messages:
                    event = json.loads(message["Body"])
                    # EventBridge always names the account; moto's delivery leaves it out.
                    event.setdefault("account", self.provisioned.account_id)
                    try:
                        result = self.runtime.invoke(function, event)
                    except Exception:  # an async Lambda invocation that failed: EventBridge retries it
                        attempts = self._router_attempts.get(message["MessageId"], 0) + 1
                        self._router_attempts[message["MessageId"]] = attempts
                        if attempts < ROUTER_ATTEMPTS:
                            self.sqs.change_message_visibility(
                                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                            )
                            continue
                        self._dead_letter(dlq_arn, message["Body"])
                    else:
                        for listener in list(self.bus_listeners):
                            listener(function, event, result)
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    delivered += 1
        return delivered

    def _dead_letter(self, dlq_arn: str | None, body: str) -> None:
        self.dead_letters.append(json.loads(body))
        if dlq_arn:
            url = queue_url_from_arn(dlq_arn, self.endpoint_url, self.sqs)
            self.sqs.send_message(QueueUrl=url, MessageBody=body)

    # -- scheduler emulator ---------------------------------------------------------------------------------

    def pending_schedules(self) -> list[dict[str, Any]]:
        """Every schedule in the deployment's group, as GetSchedule returns it, soonest first."""
        group = self.provisioned.physical["ScheduleGroup"]
        schedules = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"GroupName": group, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            page = self.scheduler.list_schedules(**kwargs)
            for summary in page.get("Schedules", []):
                schedule = self.scheduler.get_schedule(Name=summary["Name"], GroupName=group)
                schedule.pop("ResponseMetadata", None)
                schedules.append(schedule)
            token = page.get("NextToken")
            if not token:
                break
        schedules.sort(key=self._due_at)
        return schedules

    @staticmethod
    def _due_at(schedule: Mapping[str, Any]) -> datetime:
        return schedule_fires_at(schedule)

    def fire_schedule(self, schedule: Mapping[str, Any]) -> None:
        """What Scheduler does at the due time: send the target its Input, then delete a spent one-time schedule."""
        target = schedule["Target"]
        url = queue_url_from_arn(target["Arn"], self.endpoint_url, self.sqs)
        self.sqs.send_message(QueueUrl=url, MessageBody=target.get("Input", "{}"))
        self.schedules_fired += 1
        if schedule.get("ActionAfterCompletion") == "DELETE":
            # The planner may have cancelled it while it fired.
            with contextlib.suppress(self.scheduler.exceptions.ResourceNotFoundException):
                self.scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])

    def fire_due_schedules(self) -> int:
        fired = 0
        for schedule in self.pending_schedules():
            if self._due_at(schedule) > self.clock.now():
                break
            self.fire_schedule(schedule)
            fired += 1
        return fired

    # -- queue poller (event source mapping) ----------------------------------------------------------------

    def drain_queues(self, max_rounds: int = 50) -> int:
        """Feed every SQS-triggered function until its queue is empty (or `max_rounds` batches)."""
        processed = 0
        for source in self.template.sqs_sources():
            url = self.provisioned.physical[source.queue]
            arn = self.provisioned.arns[source.queue]
            batch_size = int(source.properties.get("BatchSize", 10))
            for _ in range(max_rounds):
                response = self.sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=min(batch_size, 10),
                    WaitTimeSeconds=0,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
                messages = response.get("Messages", [])
                if not messages:
                    break
                processed += self._deliver_batch(source.function, url, arn, messages)
        return processed

    def _deliver_batch(self, function: str, url: str, arn: str, messages: list[dict[str, Any]]) -> int:
        records = [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": hashlib.md5(message["Body"].encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": self.provisioned.region,
            }
            for message in messages
        ]
        try:
            response = self.runtime.invoke(function, {"Records": records}) or {}
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        except Exception:  # the whole batch failed: every record returns to the queue
            failed = {record["messageId"] for record in records}
        for message in messages:
            if message["MessageId"] in failed:
                # Visible again at once: locally the retry is immediate; the queue's RedrivePolicy still counts it.
                self.sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages) - len(failed)

    # -- driving ----------------------------------------------------------------------------------------------

    def run_until_idle(self, max_rounds: int = 100) -> None:
        """Route events, fire due schedules and drain queues until nothing moves."""
        with self._work_lock:
            for _ in range(max_rounds):
                moved = self.pump_bus() + self.fire_due_schedules() + self.drain_queues()
                if not moved:
                    return

    def advance(self, seconds: float) -> int:
        """Move the clock forward, firing every schedule due on the way at its own due time, in due order."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._work_lock:
            target = self.clock.now() + timedelta(seconds=seconds)
            fired_before = self.schedules_fired
            self.run_until_idle()
            while True:
                due = [s for s in self.pending_schedules() if self._due_at(s) <= target]
                if not due:
                    break
                schedule = due[0]
                self.clock.move_to(self._due_at(schedule))
                self.fire_schedule(schedule)
                self.run_until_idle()
            self.clock.move_to(target)
            self.run_until_idle()
            return self.schedules_fired - fired_before

    # -- SES feedback ---------------------------------------------------------------------------------------------

    def deliver_ses_event(self, detail_type: str, detail: Mapping[str, Any]) -> list[Any]:
        """Put an SES sending event on the default bus, as SES event publishing does, and route it at once through
        the template's rules; returns what the functions that received it returned (none: no rule matched)."""
        results: list[Any] = []

        def collect(function: str, event: dict[str, Any], result: Any) -> None:
            if event.get("source") == "aws.ses":
                results.append(result)

        with self._work_lock:
            self.bus_listeners.append(collect)
            try:
                self.events.put_events(
                    Entries=[
                        {
                            "Source": "aws.ses",
                            "DetailType": detail_type,
                            "Detail": json.dumps(detail),
                            "EventBusName": "default",
                            "Time": self.clock.now(),
                        }
                    ]
                )
                self.run_until_idle()
            finally:
                self.bus_listeners.remove(collect)
        return results

    def deliver_inbound_mail(self, raw: bytes, ses_message_id: str, event: Mapping[str, Any]) -> Any:
        """What the receipt rule does with a received message: its S3 action stores it under the inbound prefix, its
        Lambda action invokes FeedbackFunction with the receipt event. Returns the function's result."""
        bucket = self.provisioned.physical.get(INBOUND_BUCKET)
        if bucket is None:
            raise LookupError("replies are off: the stack has no InboundDomain, so no inbound bucket")
        prefix = self.provisioned.function_environment(INBOUND_FUNCTION).get("INBOUND_PREFIX", "")
        s3 = self.session.client("s3", **self._client_kwargs)
        with self._work_lock:
            s3.put_object(Bucket=bucket, Key=f"{prefix}{ses_message_id}", Body=raw)
            result = self.runtime.invoke(INBOUND_FUNCTION, dict(event))
            self.run_until_idle()
        return result

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def http(
        self, method: str, path: str, *, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request through ApiFunction as HttpApi would deliver it; bus events are routed right after."""
        match = match_route(self.routes, method, path)
        if match is None:
            payload = json.dumps({"error": {"code": "not_found", "message": "no such route", "fields": []}})
            return 404, {"content-type": "application/json"}, payload.encode()
        event = http_event(
            method,
            path,
            body=body,
            headers=headers,
            route_key=match.route_key,
            path_parameters=match.path_parameters,
            now=self.clock.now(),
        )
        with self._work_lock:
            response = self.runtime.invoke(match.function, event)
            self.run_until_idle()
        status = int(response.get("statusCode", 200))
        response_headers = {str(k).lower(): str(v) for k, v in (response.get("headers") or {}).items()}
        for key, values in (response.get("multiValueHeaders") or {}).items():
            response_headers[str(key).lower()] = ", ".join(str(v) for v in values)
        cookies = [str(cookie) for cookie in response.get("cookies") or []]
        if cookies:
            # HTTP API v2 sends each as its own Set-Cookie header; this header map holds one value per name, and
            # no page of ours sets more than one cookie per response.
            response_headers["set-cookie"] = cookies[-1]
        raw = response.get("body") or ""
        data = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
        return status, response_headers, data

    def api(
        self, method: str, path: str, payload: Any = None, *, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Any]:
        """JSON convenience over `http`, authenticated with the API key unless headers say otherwise."""
        all_headers = {"authorization": f"Bearer {self.api_key}"}
        body = b""
        if payload is not None:
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            all_headers["content-type"] = "application/json"
        all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        status, _, data = self.http(method, path, body=body, headers=all_headers)
        return status, (json.loads(data) if data else None)

    @property
    def api_key(self) -> str:
        return self.provisioned.secrets["ApiKeyParameterName"]

    @property
    def webhook_secret(self) -> str:
        return self.provisioned.secrets["WebhookSecretParameterName"]

    @property
    def form_key(self) -> str:
        return self.provisioned.secrets["FormKeyParameterName"]

    @property
    def operator_key(self) -> str:
        return self.provisioned.secrets["OperatorKeyParameterName"]


def form_encode(fields: Mapping[str, str] | Iterable[tuple[str, str]]) -> bytes:
    return urlencode(list(fields.items()) if isinstance(fields, Mapping) else list(fields)).encode()


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@functools.cache
def _data_loader(data_path: str | None) -> Any:
    from botocore.loaders import create_loader

    return create_loader(data_path)


@functools.cache
def _moto_loader() -> Any:
    from moto.core.loaders import create_loader

    return create_loader()


@contextlib.contextmanager
def shared_botocore_data() -> Iterator[None]:
    """Every botocore session created inside shares one data loader: the service models and endpoint data are read
    and parsed once per process instead of once per session (a deployment per test made two sessions, and parsing
    botocore's JSON was half of provisioning it). Sessions, clients and their state stay per deployment. moto's own
    model loader (botocore's plus moto's extras, one new loader per service it loads, each listing every service
    on disk first) is kept once per process too."""
    import botocore.session
    import moto.core.utils

    real = botocore.session.create_loader
    real_moto = moto.core.utils.create_loader
    botocore.session.create_loader = _data_loader
    moto.core.utils.create_loader = _moto_loader
    try:
        yield
    finally:
        botocore.session.create_loader = real
        moto.core.utils.create_loader = real_moto


@contextlib.contextmanager
def in_process_cloud(at: datetime, *, parameters: Mapping[str, str] | None = None) -> Iterator[LocalCloud]:
    """The whole pipeline on in-process moto (`mock_aws`), provisioned from template.yaml, clock frozen at `at`.

    Used by the integration tests and the benchmark; handler caches are reset on the way in and out, so each
    deployment starts cold.
    """
    import boto3
    from moto import mock_aws

    from followup_local.functions import reset_handler_caches
    from followup_local.moto_imports import import_ssm_backend
    from followup_local.provision import provision
    from followup_local.template import load_template

    import_ssm_backend()
    with mock_aws(), shared_botocore_data():
        reset_handler_caches()
        session = boto3.session.Session(region_name="us-east-1")
        template = load_template()
        provisioned = provision(session, template=template, parameters=dict(parameters or {}))
        clock = VirtualClock()
        clock.freeze(at)
        previous = followup_clock.get_clock()
        try:
            yield LocalCloud(session, provisioned, template, clock)
        finally:
            followup_clock.set_clock(previous)
            reset_handler_caches()
