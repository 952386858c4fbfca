"""Request authentication: a Bearer API key, or an HMAC-SHA256 webhook signature over the raw body.

Every comparison is constant-time; a signature older or newer than the tolerance is refused (replay window).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

SIGNATURE_HEADER = "x-followup-signature"
SIGNATURE_TOLERANCE_SECONDS = 300


class AuthenticationError(Exception):
    """The request did not prove it comes from the key or secret holder. The message is safe to return."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value an integration sends: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _parse_signature(value: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    digests: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit() and len(item) <= 12:
            timestamp = int(item)
        elif key == "v1" and item:
            digests.append(item.lower())
    if timestamp is None or not digests:
        raise AuthenticationError("malformed X-Followup-Signature header; expected t=<unix seconds>,v1=<hex>")
    return timestamp, digests


def verify_signature(header: str, body: bytes, secret: str, *, now: datetime) -> None:
    timestamp, digests = _parse_signature(header)
    if abs(now.timestamp() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise AuthenticationError("signature timestamp is outside the 300 second window")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    # Compare against every v1 given (secret rotation) without stopping early.
    matched = False
    for digest in digests:
        matched |= hmac.compare_digest(expected, digest)
    if not matched:
        raise AuthenticationError("signature does not match")


def verify_bearer(header: str, api_key: str) -> None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Authorization must be 'Bearer <api key>'")
    if not hmac.compare_digest(token.strip().encode(), api_key.encode()):
        raise AuthenticationError("invalid API key")


def authenticate(headers: Mapping[str, str], body: bytes, *, api_key: str, webhook_secret: str, now: datetime) -> str:
    """Accept either credential; returns which one ("api_key" or "signature"). Headers are lower-cased (HTTP API v2)."""
    authorization = headers.get("authorization")
    signature = headers.get(SIGNATURE_HEADER)
    if not authorization and not signature:
        raise AuthenticationError("missing credentials: send 'Authorization: Bearer <api key>' or X-Followup-Signature")
    # Every credential presented must be valid: a forged signature beside a good key is still a forgery.
    if authorization:
        verify_bearer(authorization, api_key)
    if signature:
        verify_signature(signature, body, webhook_secret, now=now)
    return "api_key" if authorization else "signature"
