"""boto3 client construction, in one place. Endpoints come from the standard AWS_ENDPOINT_URL variables, which is
how the local stack points unchanged handlers at its embedded AWS."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from botocore.config import Config

# Adaptive retries absorb throttling (SES "Maximum sending rate exceeded", DynamoDB, Scheduler) client-side first.
RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=20,
    tcp_keepalive=True,
)


_session_lock = threading.Lock()


@cache
def _session() -> Any:
    # One session for every client: each extra Session reloads botocore's data files (~45 ms at cold start).
    import boto3

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """One client per service per process, reused across invocations."""
    with _session_lock:  # botocore sessions are not thread-safe while creating clients
        return _session().client(service, config=RETRY_CONFIG)


def reset_clients() -> None:
    """Forget the session and every client (tests; the local stack after it changes endpoints)."""
    client.cache_clear()
    _session.cache_clear()
