"""The control panel's sign-in, session and CSRF (README "The control panel").

- **Sign-in link** (emailed, `purpose=sign-in`): the candidate id and a random nonce, 15 minutes; `POST` uses it once
  (a `SIGNIN#<nonce>` record), `GET` only shows the button (mail scanners prefetch links).
- **Session cookie** `fu_session` (`purpose=session`): the candidate id, a random session id and the expiry, sealed
  with the deployment's signing secret; HttpOnly, SameSite=Lax, Path=/panel, Secure on https, 12 hours.
- **CSRF**: every POST form carries HMAC(signing secret, "csrf:<session id>"), compared in constant time; a POST
  without it, or with another session's, changes nothing (403). SameSite=Lax already keeps the cookie off
  cross-site POSTs; the token also covers same-site attackers and old browsers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from followup.core.signed import MANAGE_PURPOSE, InvalidToken, seal, unseal
from followup.domain.candidates import CANDIDATE_ID_PATTERN, is_candidate_id

SESSION_COOKIE = "fu_session"
SESSION_LIFETIME = timedelta(hours=12)
SIGN_IN_LIFETIME = timedelta(minutes=15)
SIGN_IN_PURPOSE = "sign-in"
SESSION_PURPOSE = "session"


def read_manage(secret: str, token: str, *, now: datetime) -> str:
    """The interview id a genuine, unexpired manage link opens."""
    claims = unseal(secret, MANAGE_PURPOSE, token, now=now)
    interview_id = claims.get("i")
    if not isinstance(interview_id, str) or not interview_id:
        raise InvalidToken("this link is not valid")
    return interview_id


@dataclass(frozen=True)
class Session:
    candidate_id: str
    session_id: str


@dataclass(frozen=True)
class SignIn:
    candidate_id: str
    nonce: str
    expires_at: int


def sign_in_token(secret: str, candidate_id: str, *, now: datetime) -> str:
    return seal(
        secret, SIGN_IN_PURPOSE, {"c": candidate_id, "n": secrets.token_urlsafe(12)}, expires_at=now + SIGN_IN_LIFETIME
    )


def read_sign_in(secret: str, token: str, *, now: datetime) -> SignIn:
    claims = unseal(secret, SIGN_IN_PURPOSE, token, now=now)
    candidate_id, nonce = claims.get("c"), claims.get("n")
    if not isinstance(candidate_id, str) or not CANDIDATE_ID_PATTERN.match(candidate_id) or not isinstance(nonce, str):
        raise InvalidToken("this link is not valid")
    return SignIn(candidate_id=candidate_id, nonce=nonce, expires_at=int(claims["exp"]))


def session_cookie(secret: str, candidate_id: str, *, now: datetime, secure: bool) -> str:
    """The Set-Cookie value that opens a session."""
    value = seal(
        secret, SESSION_PURPOSE, {"c": candidate_id, "s": secrets.token_urlsafe(12)}, expires_at=now + SESSION_LIFETIME
    )
    attributes = [f"{SESSION_COOKIE}={value}", "Path=/panel", f"Max-Age={int(SESSION_LIFETIME.total_seconds())}"]
    attributes += ["HttpOnly", "SameSite=Lax"] + (["Secure"] if secure else [])
    return "; ".join(attributes)


def cleared_cookie(*, secure: bool) -> str:
    return "; ".join(
        [f"{SESSION_COOKIE}=", "Path=/panel", "Max-Age=0", "HttpOnly", "SameSite=Lax"] + (["Secure"] if secure else [])
    )


def session_from(secret: str, cookies: list[str] | None, *, now: datetime) -> Session | None:
    """The session a request's cookies carry, or None (no cookie, forged, expired)."""
    for cookie in cookies or []:
        name, _, value = cookie.strip().partition("=")
        if name != SESSION_COOKIE or not value:
            continue
        try:
            claims: dict[str, Any] = unseal(secret, SESSION_PURPOSE, value, now=now)
        except InvalidToken:
            return None
        candidate_id, session_id = claims.get("c"), claims.get("s")
        if isinstance(candidate_id, str) and isinstance(session_id, str) and is_candidate_id(candidate_id):
            return Session(candidate_id=candidate_id, session_id=session_id)
        return None
    return None


def csrf_token(secret: str, session: Session) -> str:
    return hmac.new(secret.encode(), f"csrf:{session.session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, session: Session, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(
        str(given).encode("utf-8", "surrogatepass"), csrf_token(secret, session).encode()
    )
