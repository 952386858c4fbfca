"""In-process moto harness shared by the end-to-end, call-count and burst measurements.

- `fresh_cloud`: the template provisioned into `mock_aws` and a `LocalCloud` around the unchanged handlers.
- `CallRecorder`: every call the handlers' own clients make (`followup.core.aws.client`), by botocore event hooks,
  with its parameters, parsed answer and time; the emulator's clients are other objects and are not counted.
- `HandlerTimer`: wall time inside each handler invocation, the AWS-call time inside it, and the bytes the
  handler wrote to stdout (logs and EMF metrics: what CloudWatch Logs would ingest).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

HANDLER_SERVICES = ("dynamodb", "events", "scheduler", "sesv2", "ssm", "sqs")
# The contract's sample interview ended 2026-11-24 15:00 New York time; submitted an hour later.
SUBMITTED_AT = datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def use_fake_aws_environment() -> None:
    """Never real AWS: fake credentials and no endpoint override before any client exists."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            # As on Lambda, where they are set before any import: child loggers take their name from the service,
            # and Metrics() reads its namespace once, when followup.core.observability is first imported.
            "POWERTOOLS_SERVICE_NAME": "followup",
            "POWERTOOLS_METRICS_NAMESPACE": "InterviewFollowup",
        }
    )


@dataclass
class PacerWaits:
    """What the sender's pacer waited, in all the bench's clouds (the burst replaces the pacer with its own)."""

    seconds: float = 0.0
    waits: int = 0


PACER_WAITS = PacerWaits()


@contextlib.contextmanager
def waits_not_slept() -> Iterator[None]:
    """The handler's own SendPacer, built by its own factory, except that its waits are counted, not slept.

    The sender paces itself to its share of the SES rate; the end-to-end run sends 20 interviews' follow-ups due at
    the same instant, so a real pacer would spend most of the run asleep (time nobody computes, and which the floor
    does not pace). The pacer's clock is real time plus what it has "slept", so it paces exactly as it would."""
    import time as real_time

    from followup.core import pacing
    from followup.sender import services as sender_services

    real = sender_services.SendPacer

    def monotonic() -> float:
        return real_time.monotonic() + PACER_WAITS.seconds

    def sleep(seconds: float) -> None:
        PACER_WAITS.seconds += max(0.0, seconds)
        PACER_WAITS.waits += 1

    def build(rate: float) -> pacing.SendPacer:
        return real(rate, monotonic=monotonic, sleep=sleep)

    sender_services.SendPacer = build  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        sender_services.SendPacer = real  # type: ignore[misc]


@contextlib.contextmanager
def fresh_cloud(at: datetime = SUBMITTED_AT) -> Iterator[Any]:
    """A LocalCloud on a fresh in-process moto, its clock frozen at `at`; handler caches reset around it; the
    sender's pacing waits counted in PACER_WAITS instead of slept (see `waits_not_slept`)."""
    from followup_local.cloud import in_process_cloud

    with waits_not_slept(), in_process_cloud(at) as cloud:
        yield cloud


def handler_clients() -> dict[str, Any]:
    """The cached clients the handlers use (created now if they do not exist yet)."""
    from followup.core import aws

    return {service: aws.client(service) for service in HANDLER_SERVICES}


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    parsed: dict[str, Any] | None
    seconds: float
    thread: int


class CallRecorder:
    """Records every call made through the clients it is attached to."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def attach(self, clients: dict[str, Any]) -> CallRecorder:
        for client in clients.values():
            events = client.meta.events
            events.register("before-parameter-build", self._params, unique_id=f"bench-params-{id(self)}")
            events.register("before-call", self._before, unique_id=f"bench-before-{id(self)}")
            events.register("after-call", self._after, unique_id=f"bench-after-{id(self)}")
        return self

    def detach(self, clients: dict[str, Any]) -> None:
        for client in clients.values():
            events = client.meta.events
            events.unregister("before-parameter-build", unique_id=f"bench-params-{id(self)}")
            events.unregister("before-call", unique_id=f"bench-before-{id(self)}")
            events.unregister("after-call", unique_id=f"bench-after-{id(self)}")

    def _params(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = json.loads(json.dumps(params, default=str))

    def _before(self, context: dict[str, Any], **_: Any) -> None:
        context["bench_started"] = time.perf_counter()

    def _after(self, event_name: str, parsed: Any, context: dict[str, Any], **_: Any) -> None:
        started = context.get("bench_started")
        if started is None:
            return
        elapsed = time.perf_counter() - started
        _, service, operation = event_name.split(".", 2)
        call = Call(
            service=service,
            operation=operation,
            params=context.get("bench_params", {}),
            parsed=json.loads(json.dumps(parsed, default=str)) if isinstance(parsed, dict) else None,
            seconds=elapsed,
            thread=threading.get_ident(),
        )
        with self._lock:
            self.calls.append(call)
        self._local.in_calls = getattr(self._local, "in_calls", 0.0) + elapsed
        counts: Counter[str] = getattr(self._local, "by_service", Counter())
        counts[service] += 1
        self._local.by_service = counts

    def thread_totals(self) -> tuple[float, Counter[str]]:
        """Seconds spent in AWS calls and calls by service, so far, on this thread."""
        return getattr(self._local, "in_calls", 0.0), Counter(getattr(self._local, "by_service", Counter()))

    def by_operation(self) -> dict[str, int]:
        counts = Counter(call.operation for call in self.calls)
        return dict(sorted(counts.items()))


class ByteCounter(io.TextIOBase):
    """A write-only text stream that counts UTF-8 bytes (and keeps nothing)."""

    def __init__(self) -> None:
        self.bytes = 0
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self.bytes += len(text.encode())
        return len(text)


@contextlib.contextmanager
def captured_handler_output(sink: ByteCounter) -> Iterator[None]:
    """Route the handlers' log handlers and stdout (EMF metrics are printed) into `sink`."""
    streams: list[tuple[logging.StreamHandler[Any], Any]] = []
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if not isinstance(logger, logging.Logger):
            continue
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler):
                streams.append((handler, handler.setStream(sink)))
    try:
        with contextlib.redirect_stdout(sink):
            yield
    finally:
        for handler, previous in streams:
            handler.setStream(previous)


@dataclass
class Invocation:
    function: str
    seconds: float
    aws_seconds: float
    calls_by_service: Counter[str]
    records: int
    log_bytes: int


@dataclass
class HandlerTimer:
    """Wraps `cloud.runtime.handler` so every invocation is timed from the handler's first to its last line."""

    recorder: CallRecorder
    sink: ByteCounter
    invocations: list[Invocation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, runtime: Any) -> None:
        original: Callable[[str], Callable[[Any, Any], Any]] = runtime.handler

        def timed_handler(logical_id: str) -> Callable[[Any, Any], Any]:
            handler = original(logical_id)  # loading the module is cold start, not this invocation

            def run(event: Any, context: Any) -> Any:
                aws_before, calls_before = self.recorder.thread_totals()
                bytes_before = self.sink.bytes
                started = time.perf_counter()
                try:
                    return handler(event, context)
                finally:
                    elapsed = time.perf_counter() - started
                    aws_after, calls_after = self.recorder.thread_totals()
                    records = len(event.get("Records", [])) if isinstance(event, dict) else 0
                    invocation = Invocation(
                        function=logical_id,
                        seconds=elapsed,
                        aws_seconds=aws_after - aws_before,
                        calls_by_service=calls_after - calls_before,
                        records=records,
                        log_bytes=self.sink.bytes - bytes_before,
                    )
                    with self._lock:
                        self.invocations.append(invocation)

            return run

        runtime.handler = timed_handler

    def seconds(self) -> float:
        return sum(invocation.seconds for invocation in self.invocations)


class _TablesNotCopied:
    """Stands in for the `copy` module inside moto's DynamoDB backend while a transaction runs: moto snapshots the
    *whole table* with `copy.deepcopy` for each item of every TransactWriteItems (O(table) per transaction, which
    buries the pipeline's own cost under the emulator's as the table grows, and makes a 10,000-follow-up burst take
    hours). `cheap_moto_transactions` snapshots only the items the transaction touches instead."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return obj if isinstance(obj, Table) else self._real.deepcopy(obj, memo)


@contextlib.contextmanager
def cheap_moto_transactions() -> Iterator[None]:
    """TransactWriteItems with an exact rollback of the items it names (copied before it runs), instead of moto's
    copy of every table it touches. Applied alike to the pipeline and to its floor."""
    import copy

    import moto.dynamodb.models as dynamodb_models

    backend_class = dynamodb_models.DynamoDBBackend
    original = backend_class.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            op = next(iter(entry.values()), {})
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            attributes = op.get("Item") or op.get("Key") or {}
            if table.hash_key_attr not in attributes or (table.range_key_attr or table.hash_key_attr) not in attributes:
                continue  # moto refuses it below, before anything changes
            hash_key, range_key = self.get_keys_value(table, attributes)
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_key, range_key, item in reversed(saved):
                if item is None:
                    table.delete_item(hash_key, range_key)
                elif range_key is not None:
                    table.items[hash_key][range_key] = item
                else:
                    table.items[hash_key] = item
            raise

    real = dynamodb_models.copy
    dynamodb_models.copy = _TablesNotCopied(real)  # type: ignore[assignment]
    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        backend_class.transact_write_items = original  # type: ignore[method-assign]
        dynamodb_models.copy = real


@contextlib.contextmanager
def serialized_moto() -> Iterator[None]:
    """One moto request at a time, as a real service makes each request atomic (moto's backends are not
    thread-safe: two threads could both pass one conditional update)."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def process_request(self: Any, request: Any) -> Any:
        with lock:
            return original(self, request)

    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.process_request = original  # type: ignore[method-assign]


_ITEM_OPERATIONS = frozenset(
    {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem"}
    | {"TransactGetItems", "TransactWriteItems"}
)


@contextlib.contextmanager
def cheap_moto_requests() -> Iterator[None]:
    """moto's DynamoDB answers to item operations as plain JSON (the burst only).

    moto builds every answer through its generic shape-walking serializer, which costs more than the operation
    itself for an item the size of a follow-up (its interview document rides along). For item operations moto's
    result is already DynamoDB's wire JSON, so it is written as is (top-level nulls dropped, as the serializer
    does). The pipeline's and the floor's timings never run under this: it changes the emulator's cost per call,
    which is what the end-to-end ratio compares against."""
    import json

    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    original = DynamoHandler.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        plain = type(action_result) in (ActionResult, DynamoResult) and isinstance(result, dict)
        if plain and self._get_action() in _ITEM_OPERATIONS:
            headers = {"Content-Type": "application/x-amz-json-1.0", **self.response_headers}
            return 200, headers, json.dumps({k: v for k, v in result.items() if v is not None})
        return original(self, action_result)

    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.serialized = original  # type: ignore[method-assign]
