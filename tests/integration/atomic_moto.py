"""DynamoDB applies each write (and each transaction) atomically; in-process moto runs it in the caller's thread
with no lock, so two threads can both pass the same condition. Concurrency tests patch that in, making moto's
DynamoDB as atomic as DynamoDB is — without it a test of "N concurrent attempts → 1 interview" measures moto's
race, not ours."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.responses import DynamoHandler

_LOCK = threading.RLock()


@contextmanager
def atomic_dynamodb() -> Iterator[None]:
    original = DynamoHandler.call_action

    def serialised(self: Any) -> Any:
        with _LOCK:
            return original(self)

    DynamoHandler.call_action = serialised  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.call_action = original  # type: ignore[method-assign]
