"""Subject lines: complete, at most 70 characters, never cut with an ellipsis, and different for each member of a
panel.

Built from the short names (`company.short_name`, else the name without its legal form; `position.short_title`,
else the title). When the whole does not fit, the company goes first, then the title is shortened at a word
boundary that leaves no dangling "of"/"and" — the subject always reads as a finished phrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from followup.domain.kinds import FollowUpKind, UnknownKindError

__all__ = ["SUBJECT_MAX", "fit_subject", "has_subject_rule", "subject_for"]

SUBJECT_MAX = 70
# Words a shortened title must not end on ("Director of", "Research and").
_DANGLING = frozenset(
    ["of", "and", "or", "for", "the", "a", "an", "to", "in", "at", "on", "with", "&", "–", "-", ",", "/", "by", "from"]
)
_SPACES = re.compile(r"\s+")

# A thank-you's opening words, one per panel position (per tone): a panel of six never shares a subject.
_THANK_YOU_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "warm": (
        "Thank you",
        "Thanks for your time",
        "Great to meet you",
        "Thank you for the conversation",
        "Thanks so much",
        "With thanks",
    ),
    "formal": (
        "Thank you",
        "With thanks",
        "Thank you for your time",
        "Following our meeting",
        "My thanks",
        "Thank you for meeting with me",
    ),
    "concise": (
        "Thanks",
        "Thank you",
        "Thanks for your time",
        "Thanks for meeting",
        "Great to meet you",
        "Many thanks",
    ),
}


def _shorten_words(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, without a dangling connective; '' if not even
    one word fits."""
    if len(text) <= limit:
        return text
    words = text.split(" ")
    while words and (len(" ".join(words)) > limit or words[-1].lower().strip(",") in _DANGLING):
        words.pop()
    return " ".join(words).rstrip(" ,;:–-/&")


_QUALIFIER = re.compile(r",\s|\s\(|\s[–-]\s|\s(?:in|of|for)\s")


def _head_of_title(role: str, limit: int) -> str:
    """The title without its qualifier when it must be shorter ("Assistant Professor in Mathematical Statistics"
    → "Assistant Professor", "Staff Data Engineer, Streaming" → "Staff Data Engineer"), else a word-boundary cut."""
    for match in _QUALIFIER.finditer(role):
        head = role[: match.start()].strip()
        if 0 < len(head) <= limit and len(head.split()) >= 2:
            best = head
            break
    else:
        best = ""
    return best or _shorten_words(role, limit)


_TITLE_DASH = re.compile(r"\s[–—-]\s")


def title_head(title: str) -> str:
    """A job title without the qualifier after its own dash ("Registered Nurse – Adult ICU" → "Registered Nurse",
    "Supervising Pharmacist - Cork branch" → "Supervising Pharmacist"): how the role is named in a sentence or a
    subject, where a second dash would read as a break."""
    own_dash = _TITLE_DASH.search(title)
    return title[: own_dash.start()].strip() if own_dash and title[: own_dash.start()].strip() else title


def fit_subject(prefix: str, role: str | None, company: str | None, *, joiner: str = " at ") -> str:
    """`prefix – role at company` in SUBJECT_MAX characters: drop the company, then shorten the role; never '…'."""
    prefix = _SPACES.sub(" ", prefix).strip()
    if not role and not company:
        return prefix[:SUBJECT_MAX]
    separator = " – "
    if role:
        role = title_head(role)  # a title with its own dash would give the subject two
    room = SUBJECT_MAX - len(prefix) - len(separator)
    if role and company and len(role) + len(joiner) + len(company) <= room:
        return f"{prefix}{separator}{role}{joiner}{company}"
    if role:
        short_role = role if len(role) <= room else _head_of_title(role, room)
        if short_role:
            return f"{prefix}{separator}{short_role}"
    if company:
        short_company = _shorten_words(company, room)
        if short_company:
            return f"{prefix}{separator}{short_company}"
    return _shorten_words(prefix, SUBJECT_MAX)


def _thank_you(context: Mapping[str, Any]) -> str:
    prefixes = _THANK_YOU_PREFIXES.get(str(context["tone"]), _THANK_YOU_PREFIXES["warm"])
    position = int(context["panel_position"])
    prefix = prefixes[(int(context["variant"])) % len(prefixes)]
    if position >= len(prefixes):
        # Beyond six, the subject names the meeting instead of the company, so it still differs.
        return fit_subject(prefix, f"{context['role']} {context['meeting_noun']}", None)
    return fit_subject(prefix, context["role"], context["company"])


def _check_in(context: Mapping[str, Any]) -> str:
    tone = context["tone"]
    if context["second"]:
        prefix = {"formal": "Following up again", "concise": "Checking in again"}.get(tone, "Checking in again")
    else:
        prefix = {"formal": "Following up", "concise": "Checking in"}.get(tone, "Following up")
    return fit_subject(prefix, context["role"], context["company"])


def _final(context: Mapping[str, Any]) -> str:
    prefix = {"formal": "With thanks again", "concise": "Thanks again"}.get(context["tone"], "Thank you again")
    return fit_subject(prefix, context["role"], context["company"])


# One subject rule per kind; a kind without one is an error, never a default subject.
_RULES: Mapping[FollowUpKind, Callable[[Mapping[str, Any]], str]] = {
    FollowUpKind.THANK_YOU: _thank_you,
    FollowUpKind.CHECK_IN: _check_in,
    FollowUpKind.FINAL: _final,
    FollowUpKind.REMINDER_HANDWRITTEN_NOTE: lambda c: fit_subject("Handwritten thank-you notes", None, c["company"]),
    FollowUpKind.REMINDER_LINKEDIN: lambda c: fit_subject("Connect on LinkedIn", None, c["company"]),
    FollowUpKind.REMINDER_WORK_SAMPLES: lambda c: fit_subject("Offer a work sample", None, c["company"]),
}


def has_subject_rule(kind: FollowUpKind) -> bool:
    return kind in _RULES


def subject_for(kind: FollowUpKind | str, context: Mapping[str, Any]) -> str:
    """The subject of a `kind` message from its template context."""
    try:
        rule = _RULES[FollowUpKind(kind)]
    except (KeyError, ValueError):
        raise UnknownKindError(f"no subject rule for follow-up kind {kind!r}") from None
    return rule(context)
