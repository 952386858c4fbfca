"""Burst: N follow-ups due in the same minute, drained through the send queue by a simulated event source mapping
with MaximumConcurrency pollers, against a simulated SES that refuses above its sending rate.

How it is made honest and fast enough:
- The sender is the real handler (functions/sender/app.py, unchanged) on moto's DynamoDB and SES: every claim,
  render, SendEmail, mark-sent and release runs for real. Its follow-up items are clones of what the planner wrote
  for the reference interview (same size and document, renamed, all due in the same minute), written with the
  emulator's own client; going through thousands of API submissions adds nothing the burst is about.
- Time is virtual and discrete (no waiting in real time): each of the MaximumConcurrency pollers has its own
  virtual clock; the poller that is furthest behind takes the next batch. While a handler runs, every AWS call
  advances that poller's clock by an in-region latency (bench.prices.ASSUMED_CALL_LATENCY_MS) plus a per-record
  CPU allowance, and the handlers read that clock through followup.clock. So a 25-minute drain costs only the
  CPU of the calls, and the throttle binds because Lambda-like senders (I/O-bound on SES) offer more than SES
  accepts, not because this machine is slow.
- The queue follows SQS semantics in virtual time, with the template's figures: a received message is invisible
  for VisibilityTimeout; a record the handler reports failed is *not* deleted and returns when that expires; a
  receive beyond RedrivePolicy.maxReceiveCount moves the message to the DLQ. Deliveries include duplicates
  (Scheduler and SQS are at-least-once), shuffled.
- SES: a botocore `before-call` hook on the handlers' sesv2 client. Like SES it counts recipients (To + Cc + Bcc)
  and refuses, with `TooManyRequestsException` ("Maximum sending rate exceeded") as a ClientError, any send that
  would take a whole virtual second above SesMaxSendRate. Raised before the request, botocore's own retries never
  see it, as the brief asks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.e2e import ReferenceRun
from bench.harness import ByteCounter, captured_handler_output, cheap_moto_transactions, fresh_cloud, handler_clients
from bench.prices import ASSUMED_CALL_LATENCY_MS, DEFAULT_CALL_LATENCY_MS

BURST_MINUTE = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
# Virtual CPU per record and per invocation at 256 MB (render + bookkeeping), and SES's answer time when it refuses.
CPU_PER_RECORD_S = 0.020
INVOCATION_OVERHEAD_S = 0.010
REFUSAL_LATENCY_S = 0.015


def _pacing_interval(rate: float, concurrency: int) -> Callable[[int], float]:
    """The proposal: each of `concurrency` senders sends at most k = floor(rate / (concurrency x recipients))
    messages per second, 1/k s apart, so no one-second window (sliding or fixed) can hold more than the rate."""

    def interval(recipients: int) -> float:
        per_sender = max(1, math.floor(rate / (concurrency * max(1, recipients))))
        return 1.0 / per_sender + 0.001

    return interval


class VirtualTime:
    """The clock of the poller that is running now (the handlers read it through followup.clock)."""

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

    def next_visible_at(self) -> float | None:
        return min((m.visible_at for m in self.messages.values()), default=None)


def _clone_plan(
    reference: ReferenceRun, count: int, due_at: str, prefix: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Items for `count` interviews cloned from the planner's own writes (due at `due_at`), and the schedule
    inputs Scheduler would deliver for them."""
    store = next(c.params for c in reference.calls if c.operation == "TransactWriteItems")
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
    kwargs: dict[str, Any] = {"TableName": cloud.provisioned.physical["FollowUpTable"]}
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
    from followup import clock as followup_clock

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


@contextlib.contextmanager
def _paced_sender(time: VirtualTime, worker: list[int], interval_s: Callable[[int], float]) -> Iterator[None]:
    """The proposed sender change, simulated: each concurrent sender keeps its own sends `interval_s(recipients)`
    apart (SES_MAX_SEND_RATE shared by MaximumConcurrency senders), waiting in (virtual) time before SendEmail."""
    from followup.adapters import ses

    original = ses.EmailSender.send
    next_slot: dict[int, float] = {}

    def send(self: Any, email: Any) -> str:
        recipients = len(email.to) + len(email.cc) + len(email.bcc)
        slot = next_slot.get(worker[0], 0.0)
        time.seconds = max(time.seconds, slot)
        next_slot[worker[0]] = time.seconds + interval_s(recipients)
        return str(original(self, email))

    ses.EmailSender.send = send  # type: ignore[method-assign]
    try:
        yield
    finally:
        ses.EmailSender.send = original  # type: ignore[method-assign]


def run_burst(
    reference: ReferenceRun, *, due: int = 10_000, duplicate_share: float = 0.02, paced: bool = False, seed: int = 7
) -> dict[str, Any]:
    """The burst; returns the contract's `burst` figures plus how they were obtained."""
    import time as real_time

    started = real_time.perf_counter()
    per_interview = sum(1 for c in reference.calls if c.operation == "CreateSchedule")
    due_at = BURST_MINUTE.isoformat().replace("+00:00", "Z")
    with fresh_cloud(at=BURST_MINUTE) as cloud, cheap_moto_transactions():
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
        clients = handler_clients()
        ses = SimulatedSes(rate=rate, time=time)
        ses.attach(clients["sesv2"])
        pollers = [0.0] * concurrency
        worker = [0]
        invocations = failed_records = 0
        errors: list[str] = []
        recipients_per_message = sum(recipients_of(c.params) for c in reference.calls if c.operation == "SendEmail")
        recipients_per_message /= max(1, per_interview)
        pacing = (
            contextlib.nullcontext() if not paced else _paced_sender(time, worker, _pacing_interval(rate, concurrency))
        )
        try:
            with _virtual_time_for_handlers(time, clients), captured_handler_output(ByteCounter()), pacing:
                # When: the event source mapping drains the queue with MaximumConcurrency pollers
                while True:
                    worker[0] = min(range(concurrency), key=lambda i: pollers[i])
                    time.seconds = pollers[worker[0]]
                    batch = queue.receive(time.seconds, batch_size)
                    if not batch:
                        upcoming = queue.next_visible_at()
                        if upcoming is None:
                            break
                        pollers[worker[0]] = max(upcoming, time.seconds + 0.001)
                        continue
                    records = [_record(m, queue_arn) for m in batch]
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
                    pollers[worker[0]] = time.seconds
                    invocations += 1
                    failed_records += len(failed)
        finally:
            ses.detach(clients["sesv2"])

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
            "sender_pacing": "proposed (simulated)" if paced else "as built",
            "duplicate_deliveries": len(deliveries) - len(bodies),
            "sender_max_concurrency": concurrency,
            "batch_size": batch_size,
            "visibility_timeout_s": queue.visibility_timeout_s,
            "max_receive_count": queue.max_receive_count,
            "ses_throttled_attempts": ses.refused,
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
        "receiptHandle": message.message_id,
        "body": message.body,
        "attributes": {"ApproximateReceiveCount": str(message.receives)},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(message.body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }
