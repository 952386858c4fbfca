"""In-process moto harness shared by the end-to-end, call-count and burst measurements.

- `fresh_cloud`: the template provisioned into `mock_aws` and a `LocalCloud` around the unchanged handlers.
- `CallRecorder`: every call the handlers' own clients make (`followup.aws.client`), by botocore event hooks,
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
            # As on Lambda, where it is set before any import: child loggers take their name from it at import.
            "POWERTOOLS_SERVICE_NAME": "followup",
        }
    )


@contextlib.contextmanager
def fresh_cloud(at: datetime = SUBMITTED_AT) -> Iterator[Any]:
    """A LocalCloud on a fresh in-process moto, its clock frozen at `at`; handler caches reset around it."""
    import boto3
    from moto import mock_aws

    from followup import clock as followup_clock
    from followup_local.cloud import LocalCloud, VirtualClock
    from followup_local.functions import reset_handler_caches
    from followup_local.provision import provision
    from followup_local.template import load_template

    with mock_aws():
        reset_handler_caches()
        session = boto3.session.Session(region_name="us-east-1")
        template = load_template()
        provisioned = provision(session, template=template)
        clock = VirtualClock()
        clock.freeze(at)
        previous = followup_clock.get_clock()
        try:
            yield LocalCloud(session, provisioned, template, clock)
        finally:
            followup_clock.set_clock(previous)
            reset_handler_caches()


def handler_clients() -> dict[str, Any]:
    """The cached clients the handlers use (created now if they do not exist yet)."""
    from followup import aws

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


class _CheapTableSnapshot:
    """Stands in for the `copy` module inside moto's DynamoDB backend.

    moto snapshots the *whole table* with `copy.deepcopy` once per item of every TransactWriteItems, for a
    rollback that real DynamoDB does not need a copy for: O(table) per transaction, which buries the pipeline's
    own cost under the emulator's as the table grows (and makes a 10,000-follow-up burst take hours). The
    snapshot here copies the table's key index only. That rollback is exact for transactions that can fail only
    before they change anything (every transaction on the measured paths has its one condition on its first
    item), and it is applied alike to the pipeline and to its floor."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def deepcopy(self, obj: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if isinstance(obj, Table):
            snapshot = self._real.copy(obj)
            snapshot.items = self._real.copy(obj.items)
            for hash_key, value in obj.items.items():
                if isinstance(value, dict):
                    snapshot.items[hash_key] = dict(value)
            return snapshot
        return self._real.deepcopy(obj, memo)


@contextlib.contextmanager
def cheap_moto_transactions() -> Iterator[None]:
    import moto.dynamodb.models as dynamodb_models

    real = dynamodb_models.copy
    dynamodb_models.copy = _CheapTableSnapshot(real)  # type: ignore[assignment]
    try:
        yield
    finally:
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
