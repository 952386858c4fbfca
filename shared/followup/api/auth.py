"""Request authentication: a Bearer API key, or an HMAC-SHA256 webhook signature over the raw body.

Every comparison is constant-time; a signature older or newer than the tolerance is refused (replay window), and
within the window a signature is accepted once (`followup.api.replay`, keyed by `VerifiedSignature.replay_key`).
The header is parsed strictly: ASCII decimal digits for `t`, ASCII hex for `v1`, anything else is a 401.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

SIGNATURE_HEADER = "x-followup-signature"
SIGNATURE_TOLERANCE_SECONDS = 300
MAX_SIGNATURE_HEADER_LENGTH = 2048

# ASCII only: `str.isdigit` also accepts "²" and "١٢٣", which `int()` then refuses or reads differently.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{1,128}")


class AuthenticationError(Exception):
    """The request did not prove it comes from the key or secret holder. The message is safe to return."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The header value an integration sends: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _parse_signature(value: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    digests: list[str] = []
    if len(value) > MAX_SIGNATURE_HEADER_LENGTH:
        raise AuthenticationError("X-Followup-Signature header is too long")
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and _TIMESTAMP.fullmatch(item):
            timestamp = int(item)
        elif key == "v1" and _HEX_DIGEST.fullmatch(item):
            digests.append(item.lower())
    if timestamp is None or not digests:
        raise AuthenticationError("malformed X-Followup-Signature header; expected t=<unix seconds>,v1=<hex>")
    return timestamp, digests


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified: its timestamp and the digest that matched (what a replay would present again)."""

    timestamp: int
    digest: str

    @property
    def replay_key(self) -> str:
        """Identifies this signature whatever else the header carried (extra v1 values, spaces, hex case)."""
        return hashlib.sha256(f"{self.timestamp}.{self.digest}".encode()).hexdigest()


def verify_signature(header: str, body: bytes, secret: str, *, now: datetime) -> VerifiedSignature:
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
    return VerifiedSignature(timestamp=timestamp, digest=expected)


def verify_bearer(header: str, api_key: str) -> None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Authorization must be 'Bearer <api key>'")
    # surrogatepass: a lone surrogate in a decoded header is a wrong key, not a crash.
    if not hmac.compare_digest(token.strip().encode("utf-8", "surrogatepass"), api_key.encode()):
        raise AuthenticationError("invalid API key")


@dataclass(frozen=True)
class Credentials:
    """What a request proved: which credential it used, and its signature when it was signed."""

    kind: str  # "api_key" or "signature"
    signature: VerifiedSignature | None = None


def authenticate_request(
    headers: Mapping[str, str], body: bytes, *, api_key: str, webhook_secret: str, now: datetime
) -> Credentials:
    """Accept either credential. Headers are lower-cased (HTTP API v2)."""
    authorization = headers.get("authorization")
    signature = headers.get(SIGNATURE_HEADER)
    if not authorization and not signature:
        raise AuthenticationError("missing credentials: send 'Authorization: Bearer <api key>' or X-Followup-Signature")
    # Every credential presented must be valid: a forged signature beside a good key is still a forgery.
    if authorization:
        verify_bearer(authorization, api_key)
    verified = verify_signature(signature, body, webhook_secret, now=now) if signature else None
    return Credentials(kind="api_key" if authorization else "signature", signature=verified)


def authenticate(headers: Mapping[str, str], body: bytes, *, api_key: str, webhook_secret: str, now: datetime) -> str:
    """Accept either credential; returns which one ("api_key" or "signature"). Headers are lower-cased (HTTP API v2)."""
    return authenticate_request(headers, body, api_key=api_key, webhook_secret=webhook_secret, now=now).kind
