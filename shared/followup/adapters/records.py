"""The follow-up table's item codec: keys, the records read back, and the conversion to and from DynamoDB's
attribute values. `followup.adapters.dynamodb` holds the operations.

One partition per interview (`pk = IV#<id>`) holds the interview item (`sk = #INTERVIEW`), one item per follow-up
(`FU#<follow-up id>`) and the timeline (`TL#…`); a sent message is indexed under `MSG#<SES MessageId>`.

Beside them, with their own key prefixes (hardening round two):
- `NK#<sha256 of the natural key>` — one interview per candidate + company + position + end instant: the API's
  claim (`pending`, with the interview id it chose) that the planner turns `stored` in its transaction;
- `INTAKE#<interview id>` — what the API accepted before the planner stored it: the document, the plan's
  follow-up ids, actions that arrived in that gap (outcome, decision date) and, after a DELETE, the tombstone;
- `SIG#<sha256 of t.v1>` — a webhook signature seen once, and the answer it got;
- `IV#<id>` / `USED#<follow-up>#<action>` — a one-click link's action done, and the page it answered with.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from followup.domain.candidates import DEFAULT_CANDIDATE
from followup.domain.kinds import FollowUpKind
from followup.domain.models import PlannedFollowUp

INTERVIEW_SK = "#INTERVIEW"
FOLLOW_UP_PREFIX = "FU#"
TIMELINE_PREFIX = "TL#"
NATURAL_KEY_SK = "#KEY"
INTAKE_SK = "#INTAKE"
SIGNATURE_SK = "#SIGNATURE"
LINK_USE_PREFIX = "USED#"

# Scheduler fires within about a minute of the due time; anything earlier than this is not that schedule's delivery.
EARLY_TOLERANCE = timedelta(minutes=5)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def interview_pk(interview_id: str) -> str:
    return f"IV#{interview_id}"


def message_pk(ses_message_id: str) -> str:
    return f"MSG#{ses_message_id}"


def natural_key_pk(natural_key: str) -> str:
    return f"NK#{natural_key}"


def intake_pk(interview_id: str) -> str:
    return f"INTAKE#{interview_id}"


def signature_pk(replay_key: str) -> str:
    return f"SIG#{replay_key}"


def _folded(text: Any) -> str:
    """Case, compatibility forms and runs of white space do not make another company or position."""
    return " ".join(unicodedata.normalize("NFKC", str(text or "")).casefold().split())


def natural_key(document: Mapping[str, Any], owner: str = DEFAULT_CANDIDATE) -> str:
    """What makes two submissions the same interview: the candidate's email, the company's name and the position's
    title (case-folded), and the end of the interview as a UTC instant — hashed, so the key holds no personal data.
    A created candidate's key also names the candidate (the default candidate's keys stay what they were)."""
    parts = [] if owner == DEFAULT_CANDIDATE else [f"owner:{owner}"]
    parts += [
        _folded(_section(document, "candidate").get("email")),
        _folded(_section(document, "company").get("name")),
        _folded(_section(document, "position").get("title")),
        _utc_instant(_section(document, "interview").get("ended_at")),
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _utc_instant(value: Any) -> str:
    """`2026-11-24T15:00:00-05:00` and `2026-11-24T20:00:00Z` are the same end."""
    text = str(value or "")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # a validated document always has an aware instant; never fail on one that has not
    if parsed.tzinfo is None:
        return text
    return parsed.astimezone(UTC).isoformat(timespec="seconds")


def _section(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = document.get(name)
    return section if isinstance(section, Mapping) else {}


def find_by_message_id_key(ses_message_id: str) -> dict[str, Any]:
    """Key of the index item written when a message is sent: its interview and follow-up."""
    return {"pk": {"S": message_pk(ses_message_id)}, "sk": {"S": INTERVIEW_SK}}


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


def failed_conditions(exc: Exception) -> set[int]:
    """Indexes of a cancelled transaction's items whose condition failed; empty when it failed for another reason."""
    response = getattr(exc, "response", {}) or {}
    if response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return set()
    reasons = response.get("CancellationReasons") or []
    return {index for index, reason in enumerate(reasons) if reason.get("Code") == "ConditionalCheckFailed"}


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    event: str
    detail: str = ""
    follow_up_id: str | None = None


@dataclass(frozen=True)
class FollowUpRecord:
    """A follow-up as stored: the plan plus its delivery state and the interview it belongs to."""

    interview_id: str
    follow_up_id: str
    kind: str
    to: str
    to_name: str
    timezone: str
    due_at: str
    status: str
    interviewer_index: int | None
    document: dict[str, Any]
    message_id: str | None = None
    claimed_at: str | None = None
    attempts: int = 0
    reason: str | None = None
    approved: bool = False
    hold_until: str | None = None
    # The candidate's own wording from the control panel, sent instead of the template's.
    edited_subject: str | None = None
    edited_text: str | None = None
    paused_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> FollowUpRecord:
        values = from_item(item)
        index = values.get("interviewer_index")
        return cls(
            interview_id=str(values["interview_id"]),
            follow_up_id=str(values["follow_up_id"]),
            kind=str(values["kind"]),
            to=str(values["to"]),
            to_name=str(values.get("to_name", "")),
            timezone=str(values["timezone"]),
            due_at=str(values["due_at"]),
            status=str(values["status"]),
            interviewer_index=None if index is None else int(index),
            document=json.loads(values["document"]) if "document" in values else {},
            message_id=values.get("message_id"),
            claimed_at=values.get("claimed_at"),
            attempts=int(values.get("attempts", 0)),
            reason=values.get("reason"),
            approved=bool(values.get("approved", False)),
            hold_until=values.get("hold_until"),
            edited_subject=values.get("edited_subject"),
            edited_text=values.get("edited_text"),
            paused_at=values.get("paused_at"),
            raw=values,
        )

    def planned(self) -> PlannedFollowUp:
        return PlannedFollowUp(
            id=self.follow_up_id,
            kind=FollowUpKind(self.kind),
            to=self.to,
            to_name=self.to_name,
            timezone=self.timezone,
            due_at=datetime.fromisoformat(self.due_at),
            interviewer_index=self.interviewer_index,
        )


@dataclass(frozen=True)
class InterviewBundle:
    interview: dict[str, Any]
    follow_ups: list[FollowUpRecord]
    timeline: list[dict[str, Any]]

    @property
    def owner(self) -> str:
        """The candidate the interview belongs to (`default` for one stored before there were candidates)."""
        return str(self.interview.get("owner") or DEFAULT_CANDIDATE)


@dataclass(frozen=True)
class ClaimResult:
    """Outcome of a claim: the claimed record, or why nothing was claimed (the item as it was)."""

    record: FollowUpRecord | None
    current_status: str | None

    @property
    def claimed(self) -> bool:
        return self.record is not None


class ClaimState(StrEnum):
    PENDING = "pending"  # the API accepted it; the planner has not stored it yet
    STORED = "stored"  # the planner stored it
    DELETED = "deleted"  # deleted (intake only: the tombstone)


@dataclass(frozen=True)
class KeyClaim:
    """The natural key's owner: the interview id that holds it, and whether this call is the one that claimed it."""

    interview_id: str
    submitted_at: str
    state: str
    claimed: bool

    @classmethod
    def from_item(cls, item: Mapping[str, Any], *, claimed: bool = False) -> KeyClaim:
        values = from_item(item)
        return cls(
            interview_id=str(values["interview_id"]),
            submitted_at=str(values.get("submitted_at", "")),
            state=str(values.get("state", ClaimState.PENDING)),
            claimed=claimed,
        )


@dataclass(frozen=True)
class Intake:
    """An accepted interview as the API knows it before (and after) the planner stores it."""

    interview_id: str
    state: str
    version: int
    natural_key: str | None = None
    submitted_at: str | None = None
    document: dict[str, Any] | None = None
    plan: dict[str, str] = field(default_factory=dict)  # follow-up id → kind
    outcome: str | None = None
    outcome_note: str | None = None
    outcome_at: str | None = None
    decision_expected_by: str | None = None
    decision_changed_at: str | None = None
    deleted_follow_up_ids: list[str] = field(default_factory=list)
    owner: str = DEFAULT_CANDIDATE

    @property
    def deleted(self) -> bool:
        return self.state == ClaimState.DELETED

    @property
    def pending(self) -> bool:
        return self.state == ClaimState.PENDING

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Intake:
        values = from_item(item)
        document = values.get("document")
        return cls(
            interview_id=str(values["interview_id"]),
            state=str(values.get("state", ClaimState.PENDING)),
            version=int(values.get("version", 0)),
            natural_key=values.get("natural_key"),
            submitted_at=values.get("submitted_at"),
            document=json.loads(document) if document else None,
            plan={str(k): str(v) for k, v in json.loads(values.get("plan") or "{}").items()},
            outcome=values.get("outcome"),
            outcome_note=values.get("outcome_note"),
            outcome_at=values.get("outcome_at"),
            decision_expected_by=values.get("decision_expected_by"),
            decision_changed_at=values.get("decision_changed_at"),
            deleted_follow_up_ids=[str(v) for v in values.get("deleted_follow_up_ids") or []],
            owner=str(values.get("owner") or DEFAULT_CANDIDATE),
        )


class StoreOutcome(StrEnum):
    """What the planner's transaction did."""

    STORED = "stored"
    ALREADY_STORED = "already_stored"  # a redelivered event: nothing written twice
    KEY_TAKEN = "key_taken"  # another interview holds the natural key: this one is a duplicate, refused
    INTAKE_CHANGED = "intake_changed"  # an action arrived while the planner worked: read it and try again
    DELETED = "deleted"  # a tombstone: the interview was deleted before it was stored


@dataclass(frozen=True)
class SignatureUse:
    """A webhook signature's record: the request it authenticated and, once answered, the answer (status, body)."""

    started: bool  # True when this call recorded the first use
    request: str
    state: str
    status: int | None = None
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> SignatureUse:
        values = from_item(item)
        status = values.get("status")
        return cls(
            started=False,
            request=str(values.get("request", "")),
            state=str(values.get("state", "")),
            status=None if status is None else int(status),
            body=values.get("body"),
            headers={str(k): str(v) for k, v in json.loads(values.get("headers") or "{}").items()},
        )


@dataclass(frozen=True)
class LinkUse:
    """A one-click link's action, done: when, and the page it answered with (a repeat gets the same page)."""

    at: str
    title: str
    body_html: str
