"""A created candidate's credentials, derived from the deployment's signing secret and never stored.

Each is HMAC-SHA256(signing secret, "<purpose>:<candidate id>:<version>"), so the table holds no secret at all
(only the version of each), a rotation is one version bump (the old value stops working at once), and deleting the
candidate ends every one of them. Rotating the deployment's signing secret (the link secret, README "Operations")
therefore also replaces every candidate's credentials and signed links.

- API key:        `fu_<candidate id>_<43 base64url chars>`; the id in it finds the profile, the rest proves it;
- webhook secret: `whsec_<43 base64url chars>`; a signature names its candidate with `k=<candidate id>`;
- form key:       `<candidate id>.<43 base64url chars>` (`GET /form?key=…`).
The deployment's own credentials (SSM) stay the default candidate's and look like whatever the operator chose.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from enum import StrEnum


class CredentialKind(StrEnum):
    API_KEY = "api_key"
    WEBHOOK_SECRET = "webhook_secret"  # noqa: S105 - the name of a kind, not a secret
    FORM_KEY = "form_key"


_API_KEY = re.compile(r"^fu_([a-z0-9]{12})_[A-Za-z0-9_-]{43}$")
_FORM_KEY = re.compile(r"^([a-z0-9]{12})\.[A-Za-z0-9_-]{43}$")


def _mac(secret: str, purpose: str, candidate_id: str, version: int) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{candidate_id}:{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def derive(secret: str, kind: CredentialKind, candidate_id: str, version: int) -> str:
    """The credential of `kind` for a candidate at a version, as the candidate uses it."""
    mac = _mac(secret, f"candidate-{kind}", candidate_id, version)
    if kind is CredentialKind.API_KEY:
        return f"fu_{candidate_id}_{mac}"
    if kind is CredentialKind.WEBHOOK_SECRET:
        return f"whsec_{mac}"
    return f"{candidate_id}.{mac}"


def api_key_candidate(token: str) -> str | None:
    """The candidate id an API key names (not yet proven), or None when it is not a candidate's key."""
    found = _API_KEY.match(token)
    return found.group(1) if found else None


def form_key_candidate(key: str) -> str | None:
    found = _FORM_KEY.match(key)
    return found.group(1) if found else None


def matches(presented: str, expected: str) -> bool:
    """Constant-time comparison; a lone surrogate in a decoded value is a mismatch, not a crash."""
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode())
