"""boto3 client construction, in one place. Endpoints come from the standard AWS_ENDPOINT_URL variables, which is
how the local stack points unchanged handlers at its embedded AWS."""

from __future__ import annotations

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


@cache
def client(service: str) -> Any:
    """One client per service per process, reused across invocations."""
    import boto3

    return boto3.session.Session().client(service, config=RETRY_CONFIG)  # type: ignore[call-overload]
