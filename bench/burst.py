"""Burst: 10,000 follow-ups due in the same minute, drained through SendQueue by a simulated event source mapping
with MaximumConcurrency threads, against a simulated SES that refuses above its sending rate.

- Items and messages: the follow-up items are clones of the ones the planner wrote for the reference interview
  (same size, same document, renamed per interview, all due at the same minute), written with the emulator's
  own client; the messages are what Scheduler would deliver, plus a few duplicate deliveries (SQS and Scheduler
  are at-least-once), shuffled. Going through 2,500 API submissions would add nothing the burst is about.
- SES: a sliding-window limiter in a botocore `before-call` hook on the handlers' sesv2 client. Like SES it counts
  recipients (To + Cc + Bcc), and above SesMaxSendRate per second it raises `TooManyRequestsException`
  ("Maximum sending rate exceeded") as a ClientError, before the request (so botocore's own retries do not see it).
- Time: at 14 recipients/s the drain takes tens of virtual minutes, so time runs faster: virtual time =
  real time x `speed`, read by the handlers (through followup.clock), the SES limiter and the event source mapping
  (a failed record is invisible for the queue's VisibilityTimeout / speed real seconds). `speed` is calibrated so
  the unthrottled senders could offer `overdrive` times the SES rate: the limit binds, and whatever holds the rate
  is the pipeline's concurrency cap and retries, not a slow machine. Redrive to the DLQ after maxReceiveCount is
  moto's own, from the template's RedrivePolicy.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.e2e import ReferenceRun
from bench.harness import (
    ByteCounter,
    captured_handler_output,
    cheap_moto_transactions,
    fresh_cloud,
    handler_clients,
    serialized_moto,
)

BURST_MINUTE = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


class ScaledClock:
    """Virtual time that runs `speed` times faster than real time from `start`."""

    def __init__(self, start: datetime, speed: float = 1.0) -> None:
        self.start = start
        self.speed = speed
        self._origin = time.perf_counter()

    def restart(self, speed: float) -> None:
        self.start = self.now()
        self.speed = speed
        self._origin = time.perf_counter()

    def elapsed(self) -> float:
        """Virtual seconds since the last (re)start."""
        return (time.perf_counter() - self._origin) * self.speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed())


@dataclass
class SimulatedSes:
    """SES's sending rate, in recipients per virtual second over any sliding second."""

    rate: float
    clock: ScaledClock
    limited: bool = True
    accepted: list[tuple[float, int, str]] = field(default_factory=list)  # (virtual s, recipients, follow-up)
    refused: int = 0
    _window: list[tuple[float, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build.sesv2.SendEmail", self._remember, unique_id="bench-ses-params")
        events.register("before-call.sesv2.SendEmail", self._admit, unique_id="bench-ses-limit")

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-parameter-build.sesv2.SendEmail", unique_id="bench-ses-params")
        client.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="bench-ses-limit")

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        destination = params.get("Destination", {})
        context["bench_recipients"] = sum(
            len(destination.get(f, [])) for f in ("ToAddresses", "CcAddresses", "BccAddresses")
        )
        tags = {t["Name"]: t["Value"] for t in params.get("EmailTags", [])}
        context["bench_follow_up"] = f"{tags.get('interview_id')}/{tags.get('follow_up_id')}"

    def _admit(self, context: dict[str, Any], **_: Any) -> None:
        from botocore.exceptions import ClientError

        recipients = int(context.get("bench_recipients", 1))
        with self._lock:
            now = self.clock.elapsed()
            self._window = [(t, n) for t, n in self._window if t > now - 1.0]
            if self.limited and sum(n for _, n in self._window) + recipients > self.rate:
                self.refused += 1
                raise ClientError(
                    {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}},
                    "SendEmail",
                )
            self._window.append((now, recipients))
            self.accepted.append((now, recipients, str(context.get("bench_follow_up"))))

    def max_per_second(self, *, recipients: bool = True) -> float:
        """The most accepted in any whole virtual second (fixed 1 s windows)."""
        buckets: Counter[int] = Counter()
        for at, count, _ in self.accepted:
            buckets[math.floor(at)] += count if recipients else 1
        return float(max(buckets.values(), default=0))


@dataclass
class EventSourceMapping:
    """SQS → SenderFunction like Lambda's poller: up to `concurrency` invocations at once, batches of
    `batch_size`, partial batch failures left invisible for the visibility timeout, the rest deleted."""

    cloud: Any
    queue_url: str
    queue_arn: str
    concurrency: int
    batch_size: int
    visibility_timeout_s: float
    clock: ScaledClock
    deadline_s: float = 600.0
    invocations: int = 0
    failed_records: int = 0
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _queue_is_empty(self) -> bool:
        attributes = self.cloud.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"]) == 0

    def _poll(self, stop_at: float) -> None:
        sqs = self.cloud.sqs
        while time.perf_counter() < stop_at:
            messages = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size, WaitTimeSeconds=0, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                if self._queue_is_empty():
                    return
                time.sleep(0.02)
                continue
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": hashlib.md5(m["Body"].encode(), usedforsecurity=False).hexdigest(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": "us-east-1",
                }
                for m in messages
            ]
            try:
                response = self.cloud.runtime.invoke("SenderFunction", {"Records": records}) or {}
                failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
            except Exception as exc:  # a failed invocation: the whole batch comes back
                failed = {r["messageId"] for r in records}
                with self._lock:
                    self.errors.append(repr(exc))
            hidden = max(0, round(self.visibility_timeout_s / self.clock.speed))
            done = []
            for message in messages:
                if message["MessageId"] in failed:
                    sqs.change_message_visibility(
                        QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=hidden
                    )
                else:
                    done.append({"Id": str(len(done)), "ReceiptHandle": message["ReceiptHandle"]})
            if done:
                sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)
            with self._lock:
                self.invocations += 1
                self.failed_records += len(failed)

    def drain(self) -> float:
        """Run the pollers until the queue is empty (or the deadline); returns real seconds."""
        started = time.perf_counter()
        stop_at = started + self.deadline_s
        threads = [threading.Thread(target=self._poll, args=(stop_at,), daemon=True) for _ in range(self.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def _clone_plan(reference: ReferenceRun, count: int, due_at: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Items for `count` interviews cloned from the planner's own writes (due at `due_at`), and the schedule
    inputs Scheduler would deliver for them."""
    store = next(c.params for c in reference.calls if c.operation == "TransactWriteItems")
    puts = [entry["Put"]["Item"] for entry in store["TransactItems"] if "Put" in entry]
    inputs = [c.params["Target"]["Input"] for c in reference.calls if c.operation == "CreateSchedule"]
    template = json.dumps({"items": puts, "inputs": inputs})
    items: list[dict[str, Any]] = []
    bodies: list[str] = []
    for i in range(count):
        new_id = f"b{i:05x}{reference.interview_id[6:]}"
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


def _enqueue(cloud: Any, url: str, bodies: list[str]) -> None:
    for start in range(0, len(bodies), 10):
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(bodies[start : start + 10])]
        cloud.sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _statuses(cloud: Any, prefix: str) -> Counter[str]:
    dynamodb = cloud.session.client("dynamodb", region_name=cloud.provisioned.region)
    kwargs: dict[str, Any] = {"TableName": cloud.provisioned.physical["FollowUpTable"]}
    counts: Counter[str] = Counter()
    while True:
        page = dynamodb.scan(**kwargs)
        for item in page.get("Items", []):
            if "follow_up_id" in item and item.get("interview_id", {}).get("S", "").startswith(prefix):
                counts[item["status"]["S"]] += 1
        if "LastEvaluatedKey" not in page:
            return counts
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


@contextlib.contextmanager
def _installed_clock(clock: ScaledClock) -> Iterator[None]:
    from followup import clock as followup_clock

    previous = followup_clock.set_clock(clock)
    try:
        yield
    finally:
        followup_clock.set_clock(previous)


def run_burst(
    reference: ReferenceRun,
    *,
    due: int = 10_000,
    duplicates: int = 200,
    overdrive: float = 2.0,
    calibration: int = 200,
    seed: int = 7,
) -> dict[str, Any]:
    """The burst; returns the contract's `burst` figures plus how they were obtained."""
    per_interview = sum(1 for c in reference.calls if c.operation == "CreateSchedule")
    interviews = math.ceil(due / per_interview)
    calibration_interviews = math.ceil(calibration / per_interview)
    due_at = BURST_MINUTE.isoformat().replace("+00:00", "Z")
    with fresh_cloud(at=BURST_MINUTE) as cloud, cheap_moto_transactions(), serialized_moto():
        parameters = cloud.provisioned.parameters
        rate = float(parameters.get("SesMaxSendRate", 14))
        concurrency = int(parameters.get("SenderMaxConcurrency", 2))
        source = next(s for s in cloud.template.sqs_sources() if s.function == "SenderFunction")
        queue_url = cloud.provisioned.physical[source.queue]
        queue_arn = cloud.provisioned.arns[source.queue]
        queue_props = cloud.template.resources()[source.queue]["Properties"]
        visibility = float(queue_props.get("VisibilityTimeout", 30))
        max_receives = int(queue_props.get("RedrivePolicy", {}).get("maxReceiveCount", 0))
        dlq_arn = cloud.provisioned.resolve(queue_props.get("RedrivePolicy", {}).get("deadLetterTargetArn"))
        batch_size = int(source.properties.get("BatchSize", 10))

        # Given: the follow-ups (and a calibration set) stored, all due in the same minute
        items, bodies = _clone_plan(reference, interviews, due_at)
        bodies = bodies[:due]
        calibration_items, calibration_bodies = _clone_plan(reference, calibration_interviews, due_at)
        _write_items(cloud, items)
        calibration_items, calibration_bodies = _relabel(calibration_items, calibration_bodies)
        _write_items(cloud, calibration_items)

        clock = ScaledClock(BURST_MINUTE)
        ses = SimulatedSes(rate=rate, clock=clock, limited=False)
        ses_client = handler_clients()["sesv2"]
        ses.attach(ses_client)
        esm = EventSourceMapping(cloud, queue_url, queue_arn, concurrency, batch_size, visibility, clock)
        sink = ByteCounter()
        try:
            with _installed_clock(clock), captured_handler_output(sink):
                # Calibration: how fast the senders go with SES unlimited
                _enqueue(cloud, queue_url, calibration_bodies)
                calibration_s = esm.drain()
                offered_per_s = len(calibration_bodies) / calibration_s
                recipients_per_message = sum(n for _, n, _ in ses.accepted) / max(1, len(ses.accepted))
                speed = max(1.0, offered_per_s * recipients_per_message / (overdrive * rate))

                # When: every follow-up's message arrives at once (plus duplicate deliveries), SES limited
                rng = random.Random(seed)
                deliveries = bodies + rng.sample(bodies, duplicates)
                rng.shuffle(deliveries)
                _enqueue(cloud, queue_url, deliveries)
                ses.accepted.clear()
                ses.limited = True
                esm.invocations = esm.failed_records = 0
                clock.restart(speed)
                esm.deadline_s = 900.0
                real_s = esm.drain()
                drain_virtual_s = clock.elapsed()
        finally:
            ses.detach(ses_client)

        # Then: each follow-up sent once, none lost, the rate never above the limit
        sends = Counter(tag for _, _, tag in ses.accepted)
        expected = {f"{json.loads(b)['interview_id']}/{json.loads(b)['follow_up_id']}" for b in bodies}
        sent_once = sum(1 for key in expected if sends.get(key) == 1)
        duplicated = sum(count - 1 for key, count in sends.items() if key in expected and count > 1)
        never_sent = sum(1 for key in expected if key not in sends)
        dlq_url = cloud.sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[-1])["QueueUrl"]
        in_dlq = int(
            cloud.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        statuses = _statuses(cloud, "b")
        last_send = max((at for at, _, _ in ses.accepted), default=0.0)
        return {
            "due": len(expected),
            "sent_once": sent_once,
            "lost": never_sent,
            "duplicates": duplicated,
            "max_rate_per_s": ses.max_per_second(recipients=True),
            "max_messages_per_s": ses.max_per_second(recipients=False),
            "rate_limit_recipients_per_s": rate,
            "recipients_per_message": round(recipients_per_message, 2),
            "duplicate_deliveries_injected": duplicates,
            "sender_max_concurrency": concurrency,
            "batch_size": batch_size,
            "visibility_timeout_s": visibility,
            "max_receive_count": max_receives,
            "ses_throttled_attempts": ses.refused,
            "sender_invocations": esm.invocations,
            "failed_records": esm.failed_records,
            "messages_in_dlq": in_dlq,
            "follow_up_statuses": dict(statuses),
            "drain_virtual_s": round(drain_virtual_s, 1),
            "last_send_virtual_s": round(last_send, 1),
            "ideal_drain_virtual_s": round(len(expected) * recipients_per_message / rate, 1),
            "drain_real_s": round(real_s, 1),
            "time_speed": round(speed, 2),
            "unthrottled_offered_messages_per_real_s": round(offered_per_s, 1),
            "overdrive": overdrive,
            "handler_errors": esm.errors[:5],
        }


def _relabel(items: list[dict[str, Any]], bodies: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Calibration interviews get their own id prefix ("c"), apart from the burst's ("b")."""
    text = json.dumps({"items": items, "bodies": bodies})
    relabelled = defaultdict(str)
    for body in bodies:
        old = json.loads(body)["interview_id"]
        relabelled[old] = "c" + old[1:]
    for old, new in relabelled.items():
        text = text.replace(old, new)
    data = json.loads(text)
    return data["items"], data["bodies"]
