"""Burst: N follow-ups due in the same minute, drained through the send queue by a simulated event source mapping
with MaximumConcurrency pollers, against a simulated SES that refuses above its sending rate.

How it is made honest and fast enough:
- The sender is the real handler (functions/sender/app.py, unchanged) on moto's DynamoDB and SES: every claim,
  render, SendEmail, mark-sent, release and back-off runs for real, and so does its pacing: each concurrent sender
  (one Lambda instance per poller) gets its own `followup.core.pacing.SendPacer` at the handler's own rate
  (SES_MAX_SEND_RATE / SENDER_MAX_CONCURRENCY), with only its `monotonic`/`sleep` pointed at virtual time.
  Its follow-up items are clones of what the planner wrote for the reference interview (same size and document,
  renamed, all due in the same minute), written with the emulator's own client.
- Time is virtual and discrete (no waiting in real time): each of the MaximumConcurrency pollers has its own
  virtual clock; the poller that is furthest behind takes the next batch. While a handler runs, every AWS call
  advances that poller's clock by an in-region latency (bench.prices.ASSUMED_CALL_LATENCY_MS) plus a per-record
  CPU allowance, the pacer's sleeps advance it too, and the handlers read that clock through followup.core.clock.
- The queue follows SQS semantics in virtual time, with the template's figures: a received message is invisible
  for VisibilityTimeout; a record the handler reports failed is *not* deleted and returns when its visibility
  expires, which the handler's own `ChangeMessageVisibility` (its throttle back-off, intercepted by a botocore
  `before-call` hook on its sqs client) sets, with SQS's receipt-handle rule (only the latest receive's handle
  counts); a receive beyond RedrivePolicy.maxReceiveCount moves the message to the DLQ. Deliveries include
  duplicates (Scheduler and SQS are at-least-once), shuffled.
- SES: a botocore `before-call` hook on the handlers' sesv2 client. Like SES it counts recipients (To + Cc + Bcc)
  and refuses, with `TooManyRequestsException` ("Maximum sending rate exceeded") as a ClientError, any send that
  would take a whole virtual second above SesMaxSendRate. Raised before the request, botocore's own retries never
  see it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.e2e import ReferenceRun
from bench.harness import (
    ByteCounter,
    captured_handler_output,
    cheap_moto_requests,
    cheap_moto_transactions,
    fresh_cloud,
    handler_clients,
)
from bench.prices import ASSUMED_CALL_LATENCY_MS, DEFAULT_CALL_LATENCY_MS

BURST_MINUTE = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
# Virtual CPU per record and per invocation at 256 MB (render + bookkeeping), and SES's answer time when it refuses.
CPU_PER_RECORD_S = 0.020
INVOCATION_OVERHEAD_S = 0.010
REFUSAL_LATENCY_S = 0.015


class VirtualTime:
    """The clock of the poller that is running now (the handlers read it through followup.core.clock)."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.seconds = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.seconds)


@dataclass
class SimulatedSes:
    """SES's maximum sending rate: recipients accepted per whole virtual second."""

    rate: float
    time: VirtualTime
    accepted: list[tuple[float, int, str]] = field(default_factory=list)  # (virtual s, recipients, follow-up)
    refused: int = 0
    _per_second: Counter[int] = field(default_factory=Counter)

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build.sesv2.SendEmail", self._remember, unique_id="bench-ses-params")
        events.register("before-call.sesv2.SendEmail", self._admit, unique_id="bench-ses-limit")

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-parameter-build.sesv2.SendEmail", unique_id="bench-ses-params")
        client.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="bench-ses-limit")

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_recipients"] = recipients_of(params)
        tags = {t["Name"]: t["Value"] for t in params.get("EmailTags", [])}
        context["bench_follow_up"] = f"{tags.get('interview_id')}/{tags.get('follow_up_id')}"

    def _admit(self, context: dict[str, Any], **_: Any) -> None:
        from botocore.exceptions import ClientError

        recipients = int(context.get("bench_recipients", 1))
        second = math.floor(self.time.seconds)
        if self._per_second[second] + recipients > self.rate:
            self.refused += 1
            self.time.seconds += REFUSAL_LATENCY_S
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                "SendEmail",
            )
        self._per_second[second] += recipients
        self.accepted.append((self.time.seconds, recipients, str(context.get("bench_follow_up"))))

    def max_per_second(self, *, recipients: bool = True) -> float:
        buckets: Counter[int] = Counter()
        for at, count, _ in self.accepted:
            buckets[math.floor(at)] += count if recipients else 1
        return float(max(buckets.values(), default=0))


def recipients_of(params: dict[str, Any]) -> int:
    destination = params.get("Destination", {})
    return sum(len(destination.get(f, [])) for f in ("ToAddresses", "CcAddresses", "BccAddresses"))


@dataclass
class QueuedMessage:
    message_id: str
    body: str
    visible_at: float = 0.0
    receives: int = 0


@dataclass
class VirtualQueue:
    """SendQueue in virtual time: visibility timeout, receive counts, redrive to the DLQ."""

    visibility_timeout_s: float
    max_receive_count: int
    messages: dict[str, QueuedMessage] = field(default_factory=dict)
    dead_letters: list[QueuedMessage] = field(default_factory=list)
    visibility_changes: int = 0

    def send(self, body: str) -> None:
        message_id = f"m{len(self.messages) + len(self.dead_letters):06d}"
        while message_id in self.messages:
            message_id += "x"
        self.messages[message_id] = QueuedMessage(message_id, body)

    def receive(self, now: float, limit: int) -> list[QueuedMessage]:
        batch: list[QueuedMessage] = []
        for message in sorted(self.messages.values(), key=lambda m: (m.visible_at, m.message_id)):
            if message.visible_at > now or len(batch) == limit:
                break
            message.receives += 1
            if self.max_receive_count and message.receives > self.max_receive_count:
                self.dead_letters.append(self.messages.pop(message.message_id))
                continue
            message.visible_at = now + self.visibility_timeout_s
            batch.append(message)
        return batch

    def delete(self, message_id: str) -> None:
        self.messages.pop(message_id, None)

    @staticmethod
    def receipt_handle(message: QueuedMessage) -> str:
        return f"{message.message_id}:{message.receives}"

    def change_visibility(self, receipt_handle: str, now: float, timeout_s: float) -> bool:
        """ChangeMessageVisibility: honoured for the latest receive of a message still in the queue."""
        message_id, _, receives = receipt_handle.rpartition(":")
        message = self.messages.get(message_id)
        if message is None or str(message.receives) != receives:
            return False
        message.visible_at = now + timeout_s
        self.visibility_changes += 1
        return True

    def next_visible_at(self) -> float | None:
        return min((m.visible_at for m in self.messages.values()), default=None)


def _clone_plan(
    reference: ReferenceRun, count: int, due_at: str, prefix: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Items for `count` interviews cloned from the planner's own writes (due at `due_at`), and the schedule
    inputs Scheduler would deliver for them."""
    # The planner's store (the transaction that puts the interview item; the API's natural-key claim is another).
    store = next(
        c.params
        for c in reference.calls
        if c.operation == "TransactWriteItems" and '"#INTERVIEW"' in json.dumps(c.params)
    )
    puts = [entry["Put"]["Item"] for entry in store["TransactItems"] if "Put" in entry]
    inputs = [c.params["Target"]["Input"] for c in reference.calls if c.operation == "CreateSchedule"]
    template = json.dumps({"items": puts, "inputs": inputs})
    items: list[dict[str, Any]] = []
    bodies: list[str] = []
    for i in range(count):
        new_id = f"{prefix}{i:05x}{reference.interview_id[6:]}"
        data = json.loads(template.replace(reference.interview_id, new_id))
        for item in data["items"]:
            if "follow_up_id" in item and "due_at" in item:
                item["due_at"] = {"S": due_at}
            items.append(item)
        bodies.extend(data["inputs"])
    return items, bodies


def _write_items(cloud: Any, items: list[dict[str, Any]]) -> None:
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    table = cloud.provisioned.physical["FollowUpTable"]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        dynamodb.batch_write_item(RequestItems={table: batch})


def _statuses(cloud: Any, prefix: str) -> Counter[str]:
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    kwargs: dict[str, Any] = {
        "TableName": cloud.provisioned.physical["FollowUpTable"],
        "ProjectionExpression": "interview_id, #kind, #status",
        "ExpressionAttributeNames": {"#kind": "kind", "#status": "status"},
    }
    counts: Counter[str] = Counter()
    while True:
        page = dynamodb.scan(**kwargs)
        for item in page.get("Items", []):
            is_follow_up = "kind" in item and "status" in item
            if is_follow_up and item.get("interview_id", {}).get("S", "").startswith(prefix):
                counts[item["status"]["S"]] += 1
        if "LastEvaluatedKey" not in page:
            return counts
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@contextlib.contextmanager
def _virtual_time_for_handlers(time: VirtualTime, clients: dict[str, Any]) -> Iterator[None]:
    """Install the virtual clock and make every AWS call take its in-region latency in virtual time."""
    from followup.core import clock as followup_clock

    def advance(event_name: str, **_: Any) -> None:
        service = event_name.split(".")[1]
        time.seconds += ASSUMED_CALL_LATENCY_MS.get(service, DEFAULT_CALL_LATENCY_MS) / 1000

    for client in clients.values():
        client.meta.events.register("after-call", advance, unique_id="bench-burst-latency")
    previous = followup_clock.set_clock(time)
    try:
        yield
    finally:
        followup_clock.set_clock(previous)
        for client in clients.values():
            client.meta.events.unregister("after-call", unique_id="bench-burst-latency")


class _AcceptedHttp:
    status_code = 200
    headers: dict[str, str] = {}


@contextlib.contextmanager
def _queue_visibility(sqs: Any, queue: VirtualQueue, time: VirtualTime) -> Iterator[None]:
    """The handler's ChangeMessageVisibility calls land on the virtual queue, in virtual time (a botocore
    `before-call` hook that answers in SQS's place, so `after-call` hooks, latency included, still run)."""

    def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_visibility"] = (str(params["ReceiptHandle"]), float(params["VisibilityTimeout"]))

    def change(context: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        receipt_handle, timeout_s = context["bench_visibility"]
        queue.change_visibility(receipt_handle, time.seconds, timeout_s)
        return _AcceptedHttp(), {}

    operation = "sqs.ChangeMessageVisibility"
    events = sqs.meta.events
    events.register(f"before-parameter-build.{operation}", remember, unique_id="bench-burst-visibility-params")
    events.register(f"before-call.{operation}", change, unique_id="bench-burst-visibility")
    try:
        yield
    finally:
        events.unregister(f"before-parameter-build.{operation}", unique_id="bench-burst-visibility-params")
        events.unregister(f"before-call.{operation}", unique_id="bench-burst-visibility")


def _virtual_pacers(time: VirtualTime, rate: float, concurrency: int, paced: bool) -> list[Any]:
    """One real SendPacer per concurrent sender (each Lambda instance has its own), on virtual time."""
    from followup.core.pacing import SendPacer

    def sleep(seconds: float) -> None:
        time.seconds += max(0.0, seconds)

    if not paced:
        return [None] * concurrency
    return [SendPacer(rate, monotonic=lambda: time.seconds, sleep=sleep) for _ in range(concurrency)]


def run_burst(
    reference: ReferenceRun, *, due: int = 10_000, duplicate_share: float = 0.02, paced: bool = True, seed: int = 7
) -> dict[str, Any]:
    """The burst; returns the contract's `burst` figures plus how they were obtained. `paced=False` takes the
    pacer out of the real sender (the comparison: what the queue's concurrency cap and back-off do alone)."""
    import time as real_time

    from followup.sender import services as sender_services

    started = real_time.perf_counter()
    random.seed(seed)  # the handler's back-off jitter, reproducible
    per_interview = sum(1 for c in reference.calls if c.operation == "CreateSchedule")
    due_at = BURST_MINUTE.isoformat().replace("+00:00", "Z")
    with fresh_cloud(at=BURST_MINUTE) as cloud, cheap_moto_transactions(), cheap_moto_requests():
        parameters = cloud.provisioned.parameters
        rate = float(parameters.get("SesMaxSendRate", 14))
        concurrency = int(parameters.get("SenderMaxConcurrency", 2))
        source = next(s for s in cloud.template.sqs_sources() if s.function == "SenderFunction")
        queue_props = cloud.template.resources()[source.queue]["Properties"]
        queue = VirtualQueue(
            visibility_timeout_s=float(queue_props.get("VisibilityTimeout", 30)),
            max_receive_count=int(queue_props.get("RedrivePolicy", {}).get("maxReceiveCount", 0)),
        )
        batch_size = int(source.properties.get("BatchSize", 10))
        queue_arn = cloud.provisioned.arns[source.queue]

        # Given: the follow-ups stored, all due in the same minute, and their deliveries queued (some twice)
        items, bodies = _clone_plan(reference, math.ceil(due / per_interview), due_at, "b")
        bodies = bodies[:due]
        _write_items(cloud, items)
        rng = random.Random(seed)
        deliveries = bodies + rng.sample(bodies, round(due * duplicate_share))
        rng.shuffle(deliveries)
        for body in deliveries:
            queue.send(body)

        time = VirtualTime(BURST_MINUTE)
        cloud.runtime.handler("SenderFunction")  # the module loaded with its environment, as at cold start
        cloud.runtime._apply_environment("SenderFunction")
        clients = handler_clients()
        mailer = sender_services.services()._mailer  # the real EmailSender, built by the handler's own factory
        built_pacer = mailer._pacer
        per_sender_rate = float(built_pacer.rate) if built_pacer is not None else rate / concurrency
        pacers = _virtual_pacers(time, per_sender_rate, concurrency, paced)
        ses = SimulatedSes(rate=rate, time=time)
        ses.attach(clients["sesv2"])
        pollers = [0.0] * concurrency
        invocations = failed_records = 0
        errors: list[str] = []
        recipients_per_message = sum(recipients_of(c.params) for c in reference.calls if c.operation == "SendEmail")
        recipients_per_message /= max(1, per_interview)
        try:
            with (
                _virtual_time_for_handlers(time, clients),
                _queue_visibility(clients["sqs"], queue, time),
                captured_handler_output(ByteCounter()),
            ):
                # When: the event source mapping drains the queue with MaximumConcurrency pollers
                while True:
                    worker = min(range(concurrency), key=lambda i: pollers[i])
                    time.seconds = pollers[worker]
                    batch = queue.receive(time.seconds, batch_size)
                    if not batch:
                        upcoming = queue.next_visible_at()
                        if upcoming is None:
                            break
                        pollers[worker] = max(upcoming, time.seconds + 0.001)
                        continue
                    records = [_record(m, queue_arn) for m in batch]
                    mailer._pacer = pacers[worker]  # this poller's Lambda instance
                    try:
                        response = cloud.runtime.invoke("SenderFunction", {"Records": records}) or {}
                        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
                    except Exception as exc:  # the whole batch comes back after the visibility timeout
                        failed = {m.message_id for m in batch}
                        errors.append(repr(exc)[:200])
                    time.seconds += INVOCATION_OVERHEAD_S + CPU_PER_RECORD_S * len(batch)
                    for message in batch:
                        if message.message_id not in failed:
                            queue.delete(message.message_id)
                    pollers[worker] = time.seconds
                    invocations += 1
                    failed_records += len(failed)
        finally:
            ses.detach(clients["sesv2"])
            mailer._pacer = built_pacer

        # Then: each follow-up sent once, none lost, the rate never above the limit
        sends = Counter(tag for _, _, tag in ses.accepted)
        expected = {f"{json.loads(b)['interview_id']}/{json.loads(b)['follow_up_id']}" for b in bodies}
        last_send = max((at for at, _, _ in ses.accepted), default=0.0)
        return {
            "due": len(expected),
            "sent_once": sum(1 for key in expected if sends.get(key) == 1),
            "lost": sum(1 for key in expected if key not in sends),
            "duplicates": sum(count - 1 for key, count in sends.items() if key in expected and count > 1),
            "max_rate_per_s": ses.max_per_second(recipients=True),
            "max_messages_per_s": ses.max_per_second(recipients=False),
            "rate_limit_recipients_per_s": rate,
            "recipients_per_message": round(recipients_per_message, 2),
            "sender_pacing": (
                f"real SendPacer, {per_sender_rate:g} recipients/s per sender" if paced else "none (pacer removed)"
            ),
            "duplicate_deliveries": len(deliveries) - len(bodies),
            "sender_max_concurrency": concurrency,
            "batch_size": batch_size,
            "visibility_timeout_s": queue.visibility_timeout_s,
            "max_receive_count": queue.max_receive_count,
            "ses_throttled_attempts": ses.refused,
            "visibility_changes": queue.visibility_changes,
            "sender_invocations": invocations,
            "failed_records": failed_records,
            "messages_in_dlq": len(queue.dead_letters),
            "follow_up_statuses": dict(_statuses(cloud, "b")),
            "drain_virtual_s": round(max(pollers), 1),
            "last_send_virtual_s": round(last_send, 1),
            "ideal_drain_virtual_s": round(len(expected) * recipients_per_message / rate, 1),
            "bench_real_s": round(real_time.perf_counter() - started, 1),
            "handler_errors": errors[:3],
        }


def _record(message: QueuedMessage, arn: str) -> dict[str, Any]:
    return {
        "messageId": message.message_id,
        "receiptHandle": VirtualQueue.receipt_handle(message),
        "body": message.body,
        "attributes": {"ApproximateReceiveCount": str(message.receives)},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(message.body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }
