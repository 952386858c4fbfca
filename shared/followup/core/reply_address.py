"""Per-interview reply addresses: `reply+<interview_id>.<tag>@<inbound domain>`.

The tag is the first 10 hex digits of HMAC-SHA256(link secret, interview id): a reply address cannot be guessed
from an interview id alone, so nobody can stop or postpone someone else's follow-ups by mailing a made-up address.
"""

from __future__ import annotations

import hashlib
import hmac
import re

LOCAL_PART_PREFIX = "reply+"
TAG_HEX_DIGITS = 10
# Interview ids are URL-safe tokens; the dot separates the id from its tag.
_LOCAL_PART = re.compile(r"^(?i:reply)\+(?P<interview_id>[A-Za-z0-9_-]{1,64})\.(?P<tag>[0-9A-Fa-f]{10})$")


def _tag(secret: str, interview_id: str) -> str:
    digest = hmac.new(secret.encode(), interview_id.encode(), hashlib.sha256).hexdigest()
    return digest[:TAG_HEX_DIGITS]


def reply_address(secret: str, interview_id: str, domain: str) -> str:
    """The address replies to this interview's follow-ups go to (next to the candidate's own address)."""
    if not secret:
        raise ValueError("a reply address needs the link secret")
    if not _LOCAL_PART.match(f"{LOCAL_PART_PREFIX}{interview_id}.{'0' * TAG_HEX_DIGITS}"):
        raise ValueError("interview id is not usable in a reply address")
    return f"{LOCAL_PART_PREFIX}{interview_id}.{_tag(secret, interview_id)}@{domain.lower()}"


def parse_reply_address(secret: str, address: str, domain: str) -> str | None:
    """The interview id of a genuine reply address at `domain`, else None (tag compared in constant time)."""
    local, at, address_domain = address.strip().rpartition("@")
    if not at or not secret or address_domain.lower() != domain.lower():
        return None
    match = _LOCAL_PART.match(local)
    if match is None:
        return None
    # Some mail systems change the case of a local part: the prefix and the hex tag are case-insensitive, and
    # interview ids are lower case (hex digits, a candidate id of lower-case letters and digits).
    interview_id = match.group("interview_id").lower()
    if not hmac.compare_digest(match.group("tag").lower(), _tag(secret, interview_id)):
        return None
    return interview_id
