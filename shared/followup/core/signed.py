"""Sealed tokens: compact JSON claims with an expiry, HMAC-SHA256-signed with the deployment's signing secret under a
purpose (a sign-in link can never pass for a session cookie, nor either for a one-click link).

A token is `<base64url(claims)>.<base64url(mac)>`; the mac covers the purpose and the encoded claims.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

MAX_TOKEN_LENGTH = 1000
# The control panel's "manage" links: the sender seals them into every draft and reminder, the API opens them.
MANAGE_PURPOSE = "manage"


class InvalidToken(Exception):
    """Forged, altered, malformed, for another purpose, or expired. The message is safe to show."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), f"{purpose}.{body}".encode(), hashlib.sha256).digest())


def seal(secret: str, purpose: str, claims: dict[str, Any], *, expires_at: datetime) -> str:
    body = _b64(json.dumps({**claims, "exp": int(expires_at.timestamp())}, separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, purpose, body)}"


def unseal(secret: str, purpose: str, token: str, *, now: datetime) -> dict[str, Any]:
    """The claims of a genuine, unexpired token of this purpose; InvalidToken otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidToken("this link is not valid")
    body, mac = token.split(".")
    if not hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), _mac(secret, purpose, body).encode()):
        raise InvalidToken("this link is not valid")
    try:
        claims = json.loads(_unb64(body))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("this link is not valid") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise InvalidToken("this link is not valid")
    if claims["exp"] < now.timestamp():
        raise InvalidToken("this link has expired")
    return claims
