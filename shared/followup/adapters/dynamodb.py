"""DynamoDB adapter: the only code that reads or writes the follow-up table (item codec: `records`).

One partition per interview (`pk = IV#<id>`) holds the interview item, one item per follow-up and the timeline,
so `GET /interviews/{id}` is a single Query and nothing on a request path scans.

Why one module of this length: every conditional write of the follow-up state machine (claim, mark sent, cancel,
reschedule, approve) sits side by side, so the transitions and their conditions can be reviewed together.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from followup.adapters.candidates import LISTED_AT, listing_attributes
from followup.adapters.records import (
    EARLY_TOLERANCE,
    FOLLOW_UP_PREFIX,
    INTAKE_SK,
    INTERVIEW_SK,
    LINK_USE_PREFIX,
    NATURAL_KEY_SK,
    SIGNATURE_SK,
    TIMELINE_PREFIX,
    ClaimResult,
    ClaimState,
    FollowUpRecord,
    Intake,
    InterviewBundle,
    KeyClaim,
    LinkUse,
    SignatureUse,
    StoreOutcome,
    TimelineEntry,
    epoch,
    failed_conditions,
    find_by_message_id_key,
    from_item,
    intake_pk,
    interview_pk,
    message_pk,
    natural_key_pk,
    signature_pk,
    to_item,
)
from followup.core.text import iso_utc
from followup.domain.candidates import DEFAULT_CANDIDATE
from followup.domain.models import FollowUpStatus, PlannedFollowUp

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateItemInputTypeDef, UpdateTypeDef


def _is_condition_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


# The sparse index of follow-ups that may still be sent, by recipient (template.yaml: FollowUpTable's GSI). Only a
# follow-up that is scheduled, awaiting approval or mid-send carries `pending_to`; every transition to a final status
# removes it, so a bounce or complaint finds what is left to stop with one Query per address and no Scan.
PENDING_BY_RECIPIENT_INDEX = "PendingByRecipient"
PENDING_TO = "pending_to"
_MAY_STILL_SEND = frozenset({FollowUpStatus.SCHEDULED, FollowUpStatus.AWAITING_APPROVAL, FollowUpStatus.SENDING})


def recipient_key(address: str) -> str:
    """The normalised recipient the index is keyed on (and bounce events are matched with)."""
    return address.strip().lower()


_failed_conditions = failed_conditions


SIGNATURE_IN_PROGRESS = "in_progress"
SIGNATURE_DONE = "done"


class FollowUpTable:
    """Reads and writes interviews, follow-ups and timeline entries."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # -- writes -----------------------------------------------------------------------------------------------

    def _timeline_put(
        self, interview_id: str, entry: TimelineEntry, seq: int, expires_at: datetime
    ) -> TransactWriteItemTypeDef:
        # The sequence keeps entries written in one call distinct and in order.
        sk = f"{TIMELINE_PREFIX}{iso_utc(entry.at)}#{seq:03d}#{entry.event}#{entry.follow_up_id or ''}"
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": interview_pk(interview_id),
                        "sk": sk,
                        "at": iso_utc(entry.at),
                        "event": entry.event,
                        "detail": entry.detail,
                        "follow_up_id": entry.follow_up_id,
                        "expires_at": epoch(expires_at),
                    }
                ),
            }
        }

    def store_interview(
        self,
        *,
        interview_id: str,
        submitted_at: datetime,
        document: Mapping[str, Any],
        follow_ups: Sequence[PlannedFollowUp],
        timeline: Sequence[TimelineEntry],
        expires_at: datetime,
        initial_status: FollowUpStatus = FollowUpStatus.SCHEDULED,
        status_overrides: Mapping[str, FollowUpStatus] | None = None,
        reasons: Mapping[str, str] | None = None,
        attributes: Mapping[str, Any] | None = None,
        natural_key: str | None = None,
        intake: Intake | None = None,
        guard_intake: bool = False,
        now: datetime | None = None,
        owner: str = DEFAULT_CANDIDATE,
    ) -> StoreOutcome:
        """The planner's one transaction: the interview, its follow-ups and timeline, and — with `natural_key` and
        `guard_intake` — the natural key turned `stored` for this interview (refused when another holds it) and the
        intake as it was read (`intake`, None when there was none), so an action that reached the API meanwhile
        makes the whole write fail and be redone with it."""
        pk = interview_pk(interview_id)
        document_json = json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        candidate = document.get("candidate", {})
        items: list[TransactWriteItemTypeDef] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        {
                            "status": "active",
                            **(attributes or {}),
                            "pk": pk,
                            "sk": INTERVIEW_SK,
                            "interview_id": interview_id,
                            "submitted_at": iso_utc(submitted_at),
                            "document": document_json,
                            "candidate_email": str(candidate.get("email", "")).lower(),
                            # The zone the candidate reads times in (the list of their interviews shows it).
                            "candidate_timezone": str(
                                candidate.get("timezone") or document.get("company", {}).get("timezone") or "UTC"
                            ),
                            "owner": owner,
                            "natural_key": natural_key,
                            "expires_at": epoch(expires_at),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        ]
        key_index = intake_index = -1
        if natural_key is not None:
            key_index = len(items)
            items.append(self._natural_key_store(natural_key, interview_id, submitted_at, expires_at, now))
        if guard_intake:
            intake_index = len(items)
            listing = listing_attributes(owner, interview_id, submitted_at, document)
            items.append(self._intake_store(interview_id, natural_key, submitted_at, expires_at, intake, listing))
        for follow_up in follow_ups:
            item = self._follow_up_item(
                interview_id,
                follow_up,
                document_json,
                expires_at,
                (status_overrides or {}).get(follow_up.id, initial_status),
            )
            reason = (reasons or {}).get(follow_up.id)
            if reason:
                item["reason"] = {"S": reason}
            items.append({"Put": {"TableName": self._table, "Item": item}})
        items.extend(self._timeline_put(interview_id, entry, seq, expires_at) for seq, entry in enumerate(timeline))
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            failed = _failed_conditions(exc)
            if 0 in failed:
                return StoreOutcome.ALREADY_STORED
            if intake_index in failed:
                return StoreOutcome.INTAKE_CHANGED
            if key_index in failed:
                return StoreOutcome.KEY_TAKEN
            raise
        return StoreOutcome.STORED

    def _natural_key_store(
        self, natural_key: str, interview_id: str, submitted_at: datetime, expires_at: datetime, now: datetime | None
    ) -> TransactWriteItemTypeDef:
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_item({"pk": natural_key_pk(natural_key), "sk": NATURAL_KEY_SK}),
                "UpdateExpression": "SET interview_id = :id, #state = :stored, expires_at = :expires, "
                "submitted_at = if_not_exists(submitted_at, :submitted)",
                # Free, ours, or left over from an interview whose retention ended (TTL deletes lazily).
                "ConditionExpression": "attribute_not_exists(pk) OR interview_id = :id OR expires_at < :now",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":id": interview_id,
                        ":stored": ClaimState.STORED,
                        ":expires": epoch(expires_at),
                        ":submitted": iso_utc(submitted_at),
                        ":now": epoch(now or submitted_at),
                    }
                ),
            }
        }

    def _intake_store(
        self,
        interview_id: str,
        natural_key: str | None,
        submitted_at: datetime,
        expires_at: datetime,
        intake: Intake | None,
        listing: Mapping[str, Any],
    ) -> TransactWriteItemTypeDef:
        key = to_item({"pk": intake_pk(interview_id), "sk": INTAKE_SK})
        if intake is None:
            # No intake (an event from another path): record the stored interview, so a later DELETE tombstones it.
            return {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **key,
                        **to_item(
                            {
                                "interview_id": interview_id,
                                "natural_key": natural_key,
                                "submitted_at": iso_utc(submitted_at),
                                "state": ClaimState.STORED,
                                "version": 0,
                                "expires_at": epoch(expires_at),
                                **listing,
                            }
                        ),
                    },
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
        # The document was only kept for the gap: the interview item holds it now.
        return {
            "Update": {
                "TableName": self._table,
                "Key": key,
                "UpdateExpression": "SET #state = :stored, expires_at = :expires REMOVE document",
                "ConditionExpression": "version = :version AND #state = :pending",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_item(
                    {
                        ":stored": ClaimState.STORED,
                        ":pending": ClaimState.PENDING,
                        ":expires": epoch(expires_at),
                        ":version": intake.version,
                    }
                ),
            }
        }

    def _follow_up_item(
        self,
        interview_id: str,
        follow_up: PlannedFollowUp,
        document_json: str,
        expires_at: datetime,
        status: FollowUpStatus,
    ) -> dict[str, Any]:
        # The interview document rides on each follow-up so a send needs no second read (claim returns it all).
        return to_item(
            {
                "pk": interview_pk(interview_id),
                "sk": f"{FOLLOW_UP_PREFIX}{follow_up.id}",
                "interview_id": interview_id,
                "follow_up_id": follow_up.id,
                "kind": str(follow_up.kind),
                "to": follow_up.to,
                "to_name": follow_up.to_name,
                "timezone": follow_up.timezone,
                "due_at": iso_utc(follow_up.due_at),
                "interviewer_index": follow_up.interviewer_index,
                "status": str(status),
                "attempts": 0,
                "document": document_json,
                "expires_at": epoch(expires_at),
                PENDING_TO: recipient_key(follow_up.to) if status in _MAY_STILL_SEND else None,
            }
        )

    def claim_follow_up(
        self,
        interview_id: str,
        follow_up_id: str,
        *,
        now: datetime,
        claim_token: str | None = None,
        early_tolerance: timedelta = EARLY_TOLERANCE,
    ) -> ClaimResult:
        """Move a due follow-up `scheduled → sending` in one conditional write and return it whole.

        A cancelled, sent, suppressed, already-claimed or not-yet-due follow-up (a stale message for a re-planned
        one) fails the condition; the item as it was comes back with the failure, so the caller knows why.
        "Due" compares instants: `due_at` and the horizon (`now` + `early_tolerance`) are both `iso_utc` strings
        (fixed-width UTC), whose order is the order of the instants; no local wall time is involved, and the schedule
        that delivers it names the same UTC instant (`adapters.scheduler.at_expression`).
        The claim token makes the write safe to retry: when a retried attempt meets its own earlier success
        (the first answer was lost on the way back), the item carries our token and the claim is ours.
        """
        token = claim_token or uuid.uuid4().hex
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": interview_pk(interview_id), "sk": f"{FOLLOW_UP_PREFIX}{follow_up_id}"}),
                UpdateExpression="SET #status = :sending, claimed_at = :now, claim_token = :token ADD attempts :one",
                # A paused follow-up is not sent when its schedule fires; resuming schedules it again.
                ConditionExpression="#status = :scheduled AND due_at <= :horizon AND attribute_not_exists(paused_at)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":sending": FollowUpStatus.SENDING,
                        ":scheduled": FollowUpStatus.SCHEDULED,
                        ":now": iso_utc(now),
                        ":horizon": iso_utc(now + early_tolerance),
                        ":token": token,
                        ":one": 1,
                    }
                ),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise
            old: Any = exc.response.get("Item") or self._get_follow_up_item(interview_id, follow_up_id)
            if not old:
                return ClaimResult(record=None, current_status=None)
            values = from_item(old)
            status = values.get("status")
            if status == FollowUpStatus.SENDING and values.get("claim_token") == token:
                return ClaimResult(record=FollowUpRecord.from_item(old), current_status=FollowUpStatus.SENDING)
            if status == "scheduled":
                status = "not_due"
            return ClaimResult(record=None, current_status=status)
        return ClaimResult(
            record=FollowUpRecord.from_item(response["Attributes"]), current_status=FollowUpStatus.SENDING
        )

    def _get_follow_up_item(self, interview_id: str, follow_up_id: str) -> dict[str, Any] | None:
        # Only on a failed claim whose failure carried no item: the follow-up is gone (its interview was deleted after
        # its schedule fired), or an emulator that does not return the item.
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": interview_pk(interview_id), "sk": f"{FOLLOW_UP_PREFIX}{follow_up_id}"}),
            ConsistentRead=True,
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _transition(
        self,
        interview_id: str,
        follow_up_id: str,
        *,
        from_statuses: Iterable[str],
        to_status: str,
        extra: Mapping[str, Any] | None = None,
        timeline: TimelineEntry | None = None,
        expires_at: datetime | None = None,
        extra_puts: Sequence[TransactWriteItemTypeDef] | None = None,
    ) -> bool:
        names = {"#status": "status"}
        values: dict[str, Any] = {":to": to_status}
        sets = ["#status = :to"]
        for index, (attribute, value) in enumerate((extra or {}).items()):
            names[f"#a{index}"] = attribute
            values[f":v{index}"] = value
            sets.append(f"#a{index} = :v{index}")
        allowed = []
        for index, status in enumerate(from_statuses):
            values[f":from{index}"] = status
            allowed.append(f":from{index}")
        expression = "SET " + ", ".join(sets)
        if to_status not in _MAY_STILL_SEND:
            # A final status leaves the recipient index (sparse: only what may still be sent is in it).
            names["#pending_to"] = PENDING_TO
            expression += " REMOVE #pending_to"
        update: UpdateTypeDef = {
            "TableName": self._table,
            "Key": to_item({"pk": interview_pk(interview_id), "sk": f"{FOLLOW_UP_PREFIX}{follow_up_id}"}),
            "UpdateExpression": expression,
            "ConditionExpression": f"#status IN ({', '.join(allowed)})",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        }
        try:
            if timeline is None:
                self._client.update_item(**cast("UpdateItemInputTypeDef", update))
            else:
                assert expires_at is not None
                # One transaction: the state change and its timeline entry land together or not at all.
                self._client.transact_write_items(
                    TransactItems=[
                        {"Update": update},
                        self._timeline_put(interview_id, timeline, 0, expires_at),
                        *(extra_puts or []),
                    ]
                )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            if _failed_conditions(exc):
                return False
            raise
        return True

    def mark_sent(
        self, record: FollowUpRecord, *, message_id: str, now: datetime, expires_at: datetime, detail: str
    ) -> bool:
        """`sending → sent` with the SES MessageId and a timeline entry, in one transaction.

        The same transaction indexes the MessageId (`MSG#<id>`) so a reply's In-Reply-To finds its interview.
        """
        message_index: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": message_pk(message_id),
                        "sk": INTERVIEW_SK,
                        "interview_id": record.interview_id,
                        "follow_up_id": record.follow_up_id,
                        "expires_at": epoch(expires_at),
                    }
                ),
            }
        }
        return self._transition(
            record.interview_id,
            record.follow_up_id,
            from_statuses=[FollowUpStatus.SENDING],
            to_status=FollowUpStatus.SENT,
            extra={"message_id": message_id, "sent_at": iso_utc(now)},
            timeline=TimelineEntry(at=now, event="sent", detail=detail, follow_up_id=record.follow_up_id),
            expires_at=expires_at,
            extra_puts=[message_index],
        )

    def release_claim(self, record: FollowUpRecord) -> bool:
        """`sending → scheduled`: nothing was sent (e.g. SES throttled), so the queue may retry the record."""
        return self._transition(
            record.interview_id,
            record.follow_up_id,
            from_statuses=[FollowUpStatus.SENDING],
            to_status=FollowUpStatus.SCHEDULED,
        )

    def mark_failed(
        self,
        interview_id: str,
        follow_up_id: str,
        *,
        from_statuses: Iterable[str],
        reason: str,
        now: datetime,
        expires_at: datetime,
        status: FollowUpStatus = FollowUpStatus.FAILED,
    ) -> bool:
        return self._transition(
            interview_id,
            follow_up_id,
            from_statuses=from_statuses,
            to_status=str(status),
            extra={"reason": reason},
            timeline=TimelineEntry(at=now, event=str(status), detail=reason, follow_up_id=follow_up_id),
            expires_at=expires_at,
        )

    def cancel_follow_up(
        self,
        interview_id: str,
        follow_up_id: str,
        *,
        reason: str,
        now: datetime,
        status: FollowUpStatus = FollowUpStatus.CANCELLED,
    ) -> bool:
        """Stop one pending follow-up (`scheduled`/`awaiting_approval` → `cancelled` or `suppressed`).

        After this write succeeds no claim can succeed (the claim needs `scheduled`); a send already past its
        claim is not touched and completes as `sent`.
        """
        return self._transition(
            interview_id,
            follow_up_id,
            from_statuses=[FollowUpStatus.SCHEDULED, FollowUpStatus.AWAITING_APPROVAL],
            to_status=str(status),
            extra={"reason": reason, "stopped_at": iso_utc(now)},
        )

    def await_approval(self, record: FollowUpRecord, *, hold_until: datetime, now: datetime) -> bool:
        """Review mode: the draft went to the candidate; `sending → awaiting_approval` until `hold_until`."""
        return self._transition(
            record.interview_id,
            record.follow_up_id,
            from_statuses=[FollowUpStatus.SENDING],
            to_status=str(FollowUpStatus.AWAITING_APPROVAL),
            extra={"hold_until": iso_utc(hold_until), "draft_sent_at": iso_utc(now)},
            timeline=TimelineEntry(
                at=now, event="draft_sent", detail=f"{record.kind} awaits approval", follow_up_id=record.follow_up_id
            ),
            expires_at=datetime.fromtimestamp(int(record.raw.get("expires_at", 0)), tz=now.tzinfo),
        )

    def approve(self, interview_id: str, follow_up_id: str, *, now: datetime) -> bool:
        """`awaiting_approval → scheduled`, approved and due now: the next delivery sends it for real."""
        return self._transition(
            interview_id,
            follow_up_id,
            from_statuses=[FollowUpStatus.AWAITING_APPROVAL],
            to_status=str(FollowUpStatus.SCHEDULED),
            extra={"approved": True, "approved_at": iso_utc(now), "due_at": iso_utc(now)},
        )

    def edit_message(
        self, record: FollowUpRecord, *, subject: str, text: str, now: datetime, expires_at: datetime
    ) -> bool:
        """The candidate's own wording for a follow-up still waiting (scheduled, or a draft awaiting approval); the
        sender sends it instead of the template's. False when it is no longer waiting."""
        for status in (FollowUpStatus.SCHEDULED, FollowUpStatus.AWAITING_APPROVAL):
            if self._transition(
                record.interview_id,
                record.follow_up_id,
                from_statuses=[status],
                to_status=str(status),
                extra={"edited_subject": subject, "edited_text": text, "edited_at": iso_utc(now)},
                timeline=TimelineEntry(
                    at=now,
                    event="edited",
                    detail=f"{record.follow_up_id}: the candidate changed the wording",
                    follow_up_id=record.follow_up_id,
                ),
                expires_at=expires_at,
            ):
                return True
        return False

    def set_paused(self, record: FollowUpRecord, *, paused: bool, now: datetime) -> bool:
        """Pause a scheduled follow-up (its schedule may still fire: the claim then refuses it) or resume a paused
        one; False when it is no longer scheduled, or already in the state asked for."""
        values: dict[str, Any] = {":scheduled": FollowUpStatus.SCHEDULED}
        if paused:
            values[":now"] = iso_utc(now)
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item(
                    {"pk": interview_pk(record.interview_id), "sk": f"{FOLLOW_UP_PREFIX}{record.follow_up_id}"}
                ),
                UpdateExpression="SET paused_at = :now" if paused else "REMOVE paused_at",
                ConditionExpression="#status = :scheduled AND "
                + ("attribute_not_exists(paused_at)" if paused else "attribute_exists(paused_at)"),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def reschedule(self, interview_id: str, follow_up: PlannedFollowUp, *, document: Mapping[str, Any]) -> bool:
        """Move a still-scheduled follow-up to a new time (decision date changed); False when no longer pending."""
        return self._transition(
            interview_id,
            follow_up.id,
            from_statuses=[FollowUpStatus.SCHEDULED],
            to_status=str(FollowUpStatus.SCHEDULED),
            extra={
                "due_at": iso_utc(follow_up.due_at),
                "timezone": follow_up.timezone,
                "document": json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
            },
        )

    def update_interview(
        self,
        interview_id: str,
        *,
        attributes: Mapping[str, Any],
        timeline: Sequence[TimelineEntry],
        expires_at: datetime,
    ) -> bool:
        """Set attributes on an existing interview item and append timeline entries, in one transaction."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        sets = []
        for index, (attribute, value) in enumerate(attributes.items()):
            names[f"#a{index}"] = attribute
            values[f":v{index}"] = (
                json.dumps(value, sort_keys=True, ensure_ascii=False) if attribute == "document" else value
            )
            sets.append(f"#a{index} = :v{index}")
        update: TransactWriteItemTypeDef = {
            "Update": {
                "TableName": self._table,
                "Key": to_item({"pk": interview_pk(interview_id), "sk": INTERVIEW_SK}),
                "UpdateExpression": "SET " + ", ".join(sets),
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
            }
        }
        items = [update] + [
            self._timeline_put(interview_id, entry, seq, expires_at) for seq, entry in enumerate(timeline)
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def append_timeline(self, interview_id: str, entries: Sequence[TimelineEntry], expires_at: datetime) -> None:
        for seq, entry in enumerate(entries):
            self._client.put_item(**self._timeline_put(interview_id, entry, seq, expires_at)["Put"])

    def use_once(self, interview_id: str, key: str, *, now: datetime, expires_at: datetime) -> bool:
        """Record that a one-time action happened; False when it already had (a replayed link)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": interview_pk(interview_id),
                        "sk": f"USED#{key}",
                        "at": iso_utc(now),
                        "expires_at": epoch(expires_at),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def link_use(self, interview_id: str, key: str) -> LinkUse | None:
        """The recorded use of a one-click link's action, if it was done."""
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": interview_pk(interview_id), "sk": f"{LINK_USE_PREFIX}{key}"}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        values = from_item(item)
        return LinkUse(
            at=str(values.get("at", "")), title=str(values.get("title", "")), body_html=str(values.get("body_html", ""))
        )

    def record_link_use(
        self, interview_id: str, key: str, *, title: str, body_html: str, now: datetime, expires_at: datetime
    ) -> LinkUse:
        """Record, after the work, that a link's action was done and what it answered; when it already was (a double
        click done twice), the first record wins and is returned."""
        use = LinkUse(at=iso_utc(now), title=title, body_html=body_html)
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": interview_pk(interview_id),
                        "sk": f"{LINK_USE_PREFIX}{key}",
                        "at": use.at,
                        "title": title,
                        "body_html": body_html,
                        "expires_at": epoch(expires_at),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise
            return self.link_use(interview_id, key) or use
        return use

    # -- one interview per natural key: the API's claim and intake, the planner's store above --------------------

    def claim_natural_key(
        self,
        *,
        natural_key: str,
        interview_id: str,
        submitted_at: datetime,
        document: Mapping[str, Any],
        plan: Mapping[str, str],
        now: datetime,
        expires_at: datetime,
        owner: str = DEFAULT_CANDIDATE,
    ) -> KeyClaim:
        """Claim the natural key for a new interview id and record its intake, in one transaction; when another
        interview holds the key, return that one (`claimed` False)."""
        claim: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": natural_key_pk(natural_key),
                        "sk": NATURAL_KEY_SK,
                        "interview_id": interview_id,
                        "submitted_at": iso_utc(submitted_at),
                        "state": ClaimState.PENDING,
                        "expires_at": epoch(expires_at),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                "ExpressionAttributeValues": to_item({":now": epoch(now)}),
            }
        }
        intake: TransactWriteItemTypeDef = {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "pk": intake_pk(interview_id),
                        "sk": INTAKE_SK,
                        "interview_id": interview_id,
                        "natural_key": natural_key,
                        "submitted_at": iso_utc(submitted_at),
                        "state": ClaimState.PENDING,
                        "version": 0,
                        "document": json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False),
                        "plan": json.dumps(dict(plan), separators=(",", ":"), sort_keys=True),
                        "expires_at": epoch(expires_at),
                        **listing_attributes(owner, interview_id, submitted_at, document),
                    }
                ),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        for _ in range(3):
            try:
                self._client.transact_write_items(TransactItems=[claim, intake])
            except ClientError as exc:
                if 0 not in _failed_conditions(exc):
                    raise
            else:
                return KeyClaim(
                    interview_id=interview_id,
                    submitted_at=iso_utc(submitted_at),
                    state=ClaimState.PENDING,
                    claimed=True,
                )
            holder = self.natural_key_holder(natural_key)
            if holder is not None:
                return holder
        raise RuntimeError("the natural key claim did not settle")

    def natural_key_holder(self, natural_key: str) -> KeyClaim | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=to_item({"pk": natural_key_pk(natural_key), "sk": NATURAL_KEY_SK}),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return KeyClaim.from_item(item) if item else None

    def release_natural_key(self, natural_key: str, interview_id: str) -> bool:
        """Free the key of a deleted (or stale) interview, so the same interview can be submitted anew."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=to_item({"pk": natural_key_pk(natural_key), "sk": NATURAL_KEY_SK}),
                ConditionExpression="interview_id = :id",
                ExpressionAttributeValues=to_item({":id": interview_id}),
            )
        except ClientError as exc:
            if _is_condition_failure(exc):
                return False
            raise
        return True

    def abandon_claim(self, natural_key: str, interview_id: str) -> bool:
        """Undo a claim whose InterviewSubmitted could not be published (the request answers 503 and wrote nothing);
        a claim something else already used (a duplicate republished it, an action reached its intake) stays."""
        pending = to_item({":id": interview_id, ":pending": ClaimState.PENDING, ":zero": 0})
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": to_item({"pk": natural_key_pk(natural_key), "sk": NATURAL_KEY_SK}),
                            "ConditionExpression": "interview_id = :id AND #state = :pending",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {k: pending[k] for k in (":id", ":pending")},
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": to_item({"pk": intake_pk(interview_id), "sk": INTAKE_SK}),
                            "ConditionExpression": "#state = :pending AND version = :zero",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {k: pending[k] for k in (":pending", ":zero")},
                        }
                    },
                ]
            )
        except ClientError as exc:
            if _failed_conditions(exc):
                return False
            raise
        return True

    def load_intake(self, interview_id: str) -> Intake | None:
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": intake_pk(interview_id), "sk": INTAKE_SK}), ConsistentRead=True
        )
        item = response.get("Item")
        return Intake.from_item(item) if item else None

    def record_early_action(
        self,
        intake: Intake,
        *,
        attributes: Mapping[str, Any],
        remove: Sequence[str] = (),
        expires_at: datetime | None = None,
    ) -> bool:
        """Record an action on an interview the planner has not stored yet: on its intake, only while the interview
        item does not exist and nobody changed the intake since it was read. False: read again and redo."""
        names = {"#state": "state"}
        values: dict[str, Any] = {":version": intake.version, ":next": intake.version + 1, ":pending": "pending"}
        sets = ["version = :next"]
        for index, (attribute, value) in enumerate(attributes.items()):
            name = "#state" if attribute == "state" else f"#a{index}"
            names[name] = attribute
            values[f":v{index}"] = value
            sets.append(f"{name} = :v{index}")
        if expires_at is not None:
            values[":expires"] = epoch(expires_at)
            sets.append("expires_at = :expires")
        removes = []
        for index, attribute in enumerate(remove):
            names[f"#r{index}"] = attribute
            removes.append(f"#r{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self._table,
                            "Key": to_item({"pk": interview_pk(intake.interview_id), "sk": INTERVIEW_SK}),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item({"pk": intake_pk(intake.interview_id), "sk": INTAKE_SK}),
                            "UpdateExpression": expression,
                            "ConditionExpression": "version = :version AND #state = :pending",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": to_item(values),
                        }
                    },
                ]
            )
        except ClientError as exc:
            if _failed_conditions(exc):
                return False
            raise
        return True

    def tombstone(
        self,
        interview_id: str,
        *,
        follow_up_ids: Sequence[str],
        natural_key: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Mark a stored interview deleted before its items go: a redelivered or republished InterviewSubmitted then
        finds the tombstone and stores nothing, and a retried DELETE knows which schedules to have deleted."""
        values: dict[str, Any] = {
            ":deleted": ClaimState.DELETED,
            ":id": interview_id,
            ":at": iso_utc(now),
            ":ids": list(follow_up_ids) or None,
            ":expires": epoch(expires_at),
            ":zero": 0,
            ":one": 1,
        }
        sets = [
            "#state = :deleted",
            "interview_id = :id",
            "deleted_at = :at",
            "expires_at = :expires",
            "version = if_not_exists(version, :zero) + :one",
        ]
        if follow_up_ids:
            sets.append("deleted_follow_up_ids = :ids")
        else:
            values.pop(":ids")
        if natural_key:
            values[":key"] = natural_key
            sets.append("natural_key = :key")
        self._client.update_item(
            TableName=self._table,
            Key=to_item({"pk": intake_pk(interview_id), "sk": INTAKE_SK}),
            # Nothing of the interview stays on its tombstone: not the document, not the company or position, and
            # without `listed_at` it leaves its owner's list (the ByOwner index is sparse).
            UpdateExpression="SET " + ", ".join(sets) + f" REMOVE document, company, #position, {LISTED_AT}",
            ExpressionAttributeNames={"#state": "state", "#position": "position"},
            ExpressionAttributeValues=to_item(values),
        )

    # -- webhook signatures: each accepted once -------------------------------------------------------------------

    def begin_signature_use(
        self, replay_key: str, *, request: str, now: datetime, lease_until: datetime, expires_at: datetime
    ) -> SignatureUse:
        """Record the first use of a signature (conditional put, kept past the signature window by its TTL); when it
        was used before, return that use. An attempt that died mid-request is taken over after its lease."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": signature_pk(replay_key),
                        "sk": SIGNATURE_SK,
                        "request": request,
                        "state": SIGNATURE_IN_PROGRESS,
                        "lease_until": epoch(lease_until),
                        "expires_at": epoch(expires_at),
                    }
                ),
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR "
                "(#state = :in_progress AND lease_until < :now AND #request = :request)",
                ExpressionAttributeNames={"#state": "state", "#request": "request"},
                ExpressionAttributeValues=to_item(
                    {":now": epoch(now), ":in_progress": SIGNATURE_IN_PROGRESS, ":request": request}
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise
            old: Any = exc.response.get("Item") or self._client.get_item(
                TableName=self._table,
                Key=to_item({"pk": signature_pk(replay_key), "sk": SIGNATURE_SK}),
                ConsistentRead=True,
            ).get("Item")
            if not old:  # gone meanwhile (its first request failed): a new first use
                return self.begin_signature_use(
                    replay_key, request=request, now=now, lease_until=lease_until, expires_at=expires_at
                )
            return SignatureUse.from_item(old)
        return SignatureUse(started=True, request=request, state=SIGNATURE_IN_PROGRESS)

    def finish_signature_use(
        self, replay_key: str, *, status: int, body: str | None, headers: Mapping[str, str]
    ) -> None:
        """Keep the answer of a signature's one accepted request: a replay of it gets the same answer."""
        values: dict[str, Any] = {":done": SIGNATURE_DONE, ":status": status, ":headers": json.dumps(dict(headers))}
        sets = ["#state = :done", "#status = :status", "headers = :headers"]
        if body is not None:
            values[":body"] = body
            sets.append("body = :body")
        self._client.update_item(
            TableName=self._table,
            Key=to_item({"pk": signature_pk(replay_key), "sk": SIGNATURE_SK}),
            UpdateExpression="SET " + ", ".join(sets),
            ExpressionAttributeNames={"#state": "state", "#status": "status"},
            ExpressionAttributeValues=to_item(values),
        )

    def forget_signature_use(self, replay_key: str) -> None:
        """The signed request was refused or failed: forget it, so a rejected request leaves nothing and a retry of
        the same signed request (after a 503) is accepted."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=to_item({"pk": signature_pk(replay_key), "sk": SIGNATURE_SK}),
                ConditionExpression="#state = :in_progress",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=to_item({":in_progress": SIGNATURE_IN_PROGRESS}),
            )
        except ClientError as exc:
            if not _is_condition_failure(exc):
                raise

    def delete_interview(self, interview_id: str) -> int:
        """Delete every item of the interview's partition (interview, follow-ups, timeline). Returns the count."""
        keys: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": interview_pk(interview_id)}},
            "ProjectionExpression": "pk, sk",
            "ConsistentRead": True,
        }
        while True:
            page = self._client.query(**kwargs)
            keys.extend({"pk": raw["pk"], "sk": raw["sk"]} for raw in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        # Follow-ups first: once they are gone, a schedule still firing finds nothing to claim.
        keys.sort(key=lambda key: 0 if key["sk"]["S"].startswith(FOLLOW_UP_PREFIX) else 1)
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
            pending: dict[str, Any] = {self._table: requests}
            for _ in range(8):
                response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    break
            if pending:
                raise RuntimeError("DynamoDB left deletes unprocessed after retries")
        return len(keys)

    def find_sent_message(self, ses_message_id: str) -> tuple[str, str] | None:
        """(interview_id, follow_up_id) of a message we sent, by its SES MessageId."""
        response = self._client.get_item(TableName=self._table, Key=find_by_message_id_key(ses_message_id))
        item = response.get("Item")
        if not item:
            return None
        values = from_item(item)
        return str(values["interview_id"]), str(values["follow_up_id"])

    # -- reads ------------------------------------------------------------------------------------------------

    def pending_follow_ups_to(self, address: str) -> list[tuple[str, str]]:
        """(interview_id, follow_up_id) of every follow-up to `address` that may still be sent, in any interview.

        One Query on the sparse recipient index (eventually consistent, like every GSI read): the caller re-reads
        each interview before it stops anything, and the sender checks the suppression list again at send time.
        """
        found: list[tuple[str, str]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": PENDING_BY_RECIPIENT_INDEX,
            "KeyConditionExpression": "#to = :to",
            "ExpressionAttributeNames": {"#to": PENDING_TO},
            "ExpressionAttributeValues": {":to": {"S": recipient_key(address)}},
        }
        while True:
            page = self._client.query(**kwargs)
            for raw in page.get("Items", []):
                pk, sk = raw["pk"]["S"], raw["sk"]["S"]
                if pk.startswith(interview_pk("")) and sk.startswith(FOLLOW_UP_PREFIX):
                    found.append((pk.removeprefix(interview_pk("")), sk.removeprefix(FOLLOW_UP_PREFIX)))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def load_interview(self, interview_id: str) -> InterviewBundle | None:
        """The interview, its follow-ups and timeline from one partition (Query, paginated)."""
        interview: dict[str, Any] | None = None
        follow_ups: list[FollowUpRecord] = []
        timeline: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": interview_pk(interview_id)}},
            "ConsistentRead": True,
        }
        while True:
            page = self._client.query(**kwargs)
            for raw in page.get("Items", []):
                sk = raw["sk"]["S"]
                if sk == INTERVIEW_SK:
                    interview = from_item(raw)
                elif sk.startswith(FOLLOW_UP_PREFIX):
                    follow_ups.append(FollowUpRecord.from_item(raw))
                elif sk.startswith(TIMELINE_PREFIX):
                    values = from_item(raw)
                    timeline.append(
                        {
                            "at": values["at"],
                            "event": values["event"],
                            "detail": values.get("detail", ""),
                            "follow_up_id": values.get("follow_up_id"),
                        }
                    )
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        if interview is None:
            return None
        interview["document"] = json.loads(interview["document"])
        follow_ups.sort(key=lambda record: (record.due_at, record.follow_up_id))
        return InterviewBundle(interview=interview, follow_ups=follow_ups, timeline=timeline)
