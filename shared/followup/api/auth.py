"""Request authentication: a Bearer API key, or an HMAC-SHA256 webhook signature over the raw body, and who the
request acts for (README "Many candidates"): the operator (operator key), a created candidate (their API key, or a
signature naming them with `k=<candidate id>`), or the default candidate (the deployment's own key and secret).

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
from typing import Protocol

from followup.core.credentials import api_key_candidate, matches
from followup.domain.candidates import CANDIDATE_ID_PATTERN, DEFAULT_CANDIDATE, is_default

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
    timestamp, digests, _ = parse_signature_header(value)
    return timestamp, digests


def parse_signature_header(value: str) -> tuple[int, list[str], str]:
    """(t, every v1, the candidate id `k` names — `default` when absent)."""
    timestamp: int | None = None
    digests: list[str] = []
    key_id = DEFAULT_CANDIDATE
    if len(value) > MAX_SIGNATURE_HEADER_LENGTH:
        raise AuthenticationError("X-Followup-Signature header is too long")
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and _TIMESTAMP.fullmatch(item):
            timestamp = int(item)
        elif key == "v1" and _HEX_DIGEST.fullmatch(item):
            digests.append(item.lower())
        elif key == "k":
            if not CANDIDATE_ID_PATTERN.fullmatch(item) and not is_default(item):
                raise AuthenticationError("k= in X-Followup-Signature must be a candidate id")
            key_id = item
    if timestamp is None or not digests:
        raise AuthenticationError("malformed X-Followup-Signature header; expected t=<unix seconds>,v1=<hex>")
    return timestamp, digests, key_id


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
    timestamp, digests, _ = parse_signature_header(header)
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


def _bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization must be 'Bearer <api key>'")
    return token.strip()


def verify_bearer(header: str, api_key: str) -> None:
    if not matches(_bearer_token(header), api_key):
        raise AuthenticationError("invalid API key")


@dataclass(frozen=True)
class Credentials:
    """What a request proved: which credential it used, who it acts for, and its signature when it was signed."""

    kind: str  # "api_key", "signature" or "operator"
    signature: VerifiedSignature | None = None
    candidate_id: str = DEFAULT_CANDIDATE

    @property
    def operator(self) -> bool:
        return self.kind == "operator"


class KeyRing(Protocol):
    """Where the secrets a request may prove come from (SSM and the candidate table in the API)."""

    def default_api_key(self) -> str: ...

    def default_webhook_secret(self) -> str: ...

    def operator_key(self) -> str | None: ...

    def candidate_api_key(self, candidate_id: str) -> str | None: ...

    def candidate_webhook_secret(self, candidate_id: str) -> str | None: ...


@dataclass(frozen=True)
class StaticKeyRing:
    """The default candidate's key and secret only (no operator, no other candidates)."""

    api_key: str
    webhook_secret: str

    def default_api_key(self) -> str:
        return self.api_key

    def default_webhook_secret(self) -> str:
        return self.webhook_secret

    def operator_key(self) -> str | None:
        return None

    def candidate_api_key(self, candidate_id: str) -> str | None:
        return None

    def candidate_webhook_secret(self, candidate_id: str) -> str | None:
        return None


def _bearer_principal(header: str, ring: KeyRing) -> tuple[str, str]:
    """(kind, candidate id) the Bearer token proves. Every candidate comparison runs in constant time."""
    token = _bearer_token(header)
    if matches(token, ring.default_api_key()):
        return "api_key", DEFAULT_CANDIDATE
    candidate_id = api_key_candidate(token)
    if candidate_id:
        expected = ring.candidate_api_key(candidate_id)
        if expected and matches(token, expected):
            return "api_key", candidate_id
        raise AuthenticationError("invalid API key")
    operator_key = ring.operator_key()
    if operator_key and matches(token, operator_key):
        return "operator", ""
    raise AuthenticationError("invalid API key")


def identify(headers: Mapping[str, str], body: bytes, ring: KeyRing, *, now: datetime) -> Credentials:
    """Who the request acts for, proven by every credential it presents (headers lower-cased, HTTP API v2)."""
    authorization = headers.get("authorization")
    signature = headers.get(SIGNATURE_HEADER)
    if not authorization and not signature:
        raise AuthenticationError("missing credentials: send 'Authorization: Bearer <api key>' or X-Followup-Signature")
    # Every credential presented must be valid: a forged signature beside a good key is still a forgery.
    kind, candidate_id = _bearer_principal(authorization, ring) if authorization else ("signature", "")
    verified = None
    if signature:
        _, _, key_id = parse_signature_header(signature)
        secret = ring.default_webhook_secret() if is_default(key_id) else ring.candidate_webhook_secret(key_id)
        if secret is None:
            raise AuthenticationError("signature does not match")
        verified = verify_signature(signature, body, secret, now=now)
        if authorization and not hmac.compare_digest(key_id, candidate_id):
            raise AuthenticationError("the API key and the signature belong to different candidates")
        candidate_id = key_id
    return Credentials(kind=kind, signature=verified, candidate_id=candidate_id)


def authenticate_request(
    headers: Mapping[str, str], body: bytes, *, api_key: str, webhook_secret: str, now: datetime
) -> Credentials:
    """Accept either of the default candidate's credentials. Headers are lower-cased (HTTP API v2)."""
    return identify(headers, body, StaticKeyRing(api_key, webhook_secret), now=now)


def authenticate(headers: Mapping[str, str], body: bytes, *, api_key: str, webhook_secret: str, now: datetime) -> str:
    """Accept either credential; returns which one ("api_key" or "signature"). Headers are lower-cased (HTTP API v2)."""
    return authenticate_request(headers, body, api_key=api_key, webhook_secret=webhook_secret, now=now).kind
