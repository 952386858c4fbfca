"""Signed one-click links: HMAC-SHA256 tokens bound to one interview, one follow-up and one action, expiring.

A token is `<base64url(payload)>.<base64url(hmac)>`; the payload is compact JSON. Forged, altered or expired
tokens are refused; replays are refused by the caller through a use-once record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class LinkAction(StrEnum):
    APPROVE = "approve"
    SKIP = "skip"
    STOP = "stop"
    HEARD_BACK = "heard_back"
    DONE = "done"


ACTION_LABELS = {
    LinkAction.APPROVE: "Approve and send this message",
    LinkAction.SKIP: "Skip this message",
    LinkAction.STOP: "Stop all follow-ups for this interview",
    LinkAction.HEARD_BACK: "I heard back: stop the nudges",
    LinkAction.DONE: "Mark this task as done",
}

DEFAULT_LINK_LIFETIME = timedelta(days=30)
MAX_TOKEN_LENGTH = 600


class InvalidLink(Exception):
    """Forged, altered, malformed or expired. The message is safe to show."""


@dataclass(frozen=True)
class LinkClaim:
    interview_id: str
    follow_up_id: str
    action: LinkAction
    expires_at: datetime

    @property
    def use_key(self) -> str:
        """Identifies this action on this follow-up: one use, whatever token carried it."""
        return f"{self.follow_up_id}#{self.action}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), b"followup-link-v1." + payload, hashlib.sha256).digest()


def make_token(secret: str, claim: LinkClaim) -> str:
    payload = json.dumps(
        {
            "i": claim.interview_id,
            "f": claim.follow_up_id,
            "a": str(claim.action),
            "e": int(claim.expires_at.timestamp()),
        },
        separators=(",", ":"),
    ).encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def read_token(secret: str, token: str, *, now: datetime) -> LinkClaim:
    """Verify and decode a token; raise InvalidLink when it is not one we signed or it has expired."""
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidLink("this link is not valid")
    encoded_payload, encoded_mac = token.split(".")
    try:
        payload = _unb64(encoded_payload)
        mac = _unb64(encoded_mac)
    except (ValueError, TypeError) as exc:
        raise InvalidLink("this link is not valid") from exc
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise InvalidLink("this link is not valid")
    try:
        data = json.loads(payload)
        claim = LinkClaim(
            interview_id=str(data["i"]),
            follow_up_id=str(data["f"]),
            action=LinkAction(data["a"]),
            expires_at=datetime.fromtimestamp(int(data["e"]), tz=UTC),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidLink("this link is not valid") from exc
    if now >= claim.expires_at:
        raise InvalidLink("this link has expired")
    return claim


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/a/{token}"
