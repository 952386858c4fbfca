"""How the pages (the plan page, the one-click pages) say what happened: in words, not status codes.

`cancelled` with reason `outcome: rejected` reads "Stopped: rejected"; `failed` with reason "not sent: …" reads
"Not sent: …". The JSON API keeps the codes (CONTRACT §4); only people's pages use these words.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from followup.domain.kinds import FollowUpKind
from followup.domain.models import FollowUpStatus

_PENDING_WORDS = {
    FollowUpStatus.SCHEDULED: "Scheduled",
    FollowUpStatus.AWAITING_APPROVAL: "Waiting for your approval",
    FollowUpStatus.SENDING: "Being sent",
    FollowUpStatus.SENT: "Sent",
}

# What an outcome is called after "Stopped: ".
OUTCOME_WORDS = {
    "offer": "offer received",
    "rejected": "rejected",
    "withdrawn": "you withdrew",
    "heard_back": "you heard back",
    "hired": "hired",
}

# Reasons the pipeline writes (workflow.lifecycle, api.link_actions, sender, feedback), as a person says them.
_REASON_WORDS = {
    "stopped by the candidate": "Stopped by you",
    "skipped by the candidate": "Skipped by you",
    "reply received": "Stopped: they replied",
    "not approved in time: the draft was not sent": "Not sent: not approved in time",
}

_KIND_WORDS = {
    FollowUpKind.THANK_YOU: "thank-you",
    FollowUpKind.CHECK_IN: "check-in",
    FollowUpKind.FINAL: "final check-in",
    FollowUpKind.REMINDER_HANDWRITTEN_NOTE: "reminder to send a handwritten note",
    FollowUpKind.REMINDER_LINKEDIN: "reminder to connect on LinkedIn",
    FollowUpKind.REMINDER_WORK_SAMPLES: "reminder to send work samples",
}


def status_words(status: str, reason: str | None = None) -> str:
    """A follow-up's state as a person reads it: "Scheduled", "Sent", "Stopped: rejected", "Skipped by you",
    "Not sent: the recipient's address bounced or complained"."""
    if status in _PENDING_WORDS:
        return _PENDING_WORDS[FollowUpStatus(status)]
    why = (reason or "").strip()
    if why in _REASON_WORDS:
        return _REASON_WORDS[why]
    if status == FollowUpStatus.CANCELLED:
        if why.startswith("outcome: "):
            outcome = why.removeprefix("outcome: ")
            return f"Stopped: {OUTCOME_WORDS.get(outcome, outcome.replace('_', ' '))}"
        return f"Stopped: {why}" if why else "Stopped"
    if status in (FollowUpStatus.FAILED, FollowUpStatus.SUPPRESSED):
        why = why.removeprefix("not sent: ")
        return f"Not sent: {why}" if why else "Not sent"
    return status.replace("_", " ").capitalize()


def outcome_words(outcome: str) -> str:
    return OUTCOME_WORDS.get(outcome, outcome.replace("_", " "))


def kind_words(kind: str) -> str:
    """A follow-up's kind inside a sentence: "thank-you", "reminder to connect on LinkedIn"."""
    try:
        return _KIND_WORDS[FollowUpKind(kind)]
    except ValueError:
        return kind.replace("_", " ")


def local_time(instant: datetime, zone: str) -> str:
    """`Wed 25 Nov 2026, 09:00 GMT` in `zone`: how a person reads a send time."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"
