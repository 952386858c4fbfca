"""Candidates in the follow-up table, and each candidate's interviews by owner.

- `CAND#<candidate id>` / `#PROFILE`: the profile (name, email, defaults) and the version of each credential
  (`followup.core.credentials`: the credentials themselves are derived, never stored).
- `CEMAIL#<sha256 of the lower-cased email>` / `#CANDIDATE`: which candidate an address signs in as (one candidate
  per address), written in the same transaction as the profile.
- `SIGNIN#<nonce>` / `#USED`: a sign-in link used once (kept until it would have expired anyway).
- Listing: every interview's intake item (`INTAKE#<interview id>`, written when the API accepts it and kept for the
  interview's life) carries `owner` and `listed_at` (`<submitted at>#<interview id>`); the sparse `ByOwner` index
  on them lists a candidate's interviews newest first with one Query, no Scan. A deleted interview's tombstone
  drops `listed_at`, so it leaves the list.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from followup.adapters.records import (
    FOLLOW_UP_PREFIX,
    INTERVIEW_SK,
    TIMELINE_PREFIX,
    epoch,
    failed_conditions,
    from_item,
    interview_pk,
    to_item,
)
from followup.core.credentials import CredentialKind
from followup.core.text import iso_utc
from followup.domain.models import FollowUpStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

PROFILE_SK = "#PROFILE"
BY_OWNER_INDEX = "ByOwner"
OWNER = "owner"
LISTED_AT = "listed_at"
# The owner under which candidate profiles are listed for the operator ('#' is in no candidate id).
CANDIDATES_OWNER = "#CANDIDATES"
_VERSION_ATTRIBUTES = {kind: f"{kind}_version" for kind in CredentialKind}
_PENDING = frozenset({FollowUpStatus.SCHEDULED, FollowUpStatus.AWAITING_APPROVAL, FollowUpStatus.SENDING})


def candidate_pk(candidate_id: str) -> str:
    return f"CAND#{candidate_id}"


def email_pk(email: str) -> str:
    return f"CEMAIL#{hashlib.sha256(email.strip().lower().encode()).hexdigest()}"


EMAIL_SK = "#CANDIDATE"


class EmailTaken(Exception):
    """Another candidate signs in with this address."""


def new_candidate_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def listing_attributes(
    owner: str, interview_id: str, submitted_at: datetime, document: Mapping[str, Any]
) -> dict[str, str]:
    """What an intake item carries so its interview appears in its owner's list."""
    company = document.get("company") if isinstance(document.get("company"), dict) else {}
    position = document.get("position") if isinstance(document.get("position"), dict) else {}
    return {
        OWNER: owner,
        LISTED_AT: f"{iso_utc(submitted_at)}#{interview_id}",
        "company": str((company or {}).get("name", "")),
        "position": str((position or {}).get("title", "")),
    }


@dataclass(frozen=True)
class CandidateRecord:
    candidate_id: str
    profile: dict[str, Any]
    versions: dict[CredentialKind, int]
    created_at: str
    updated_at: str
    deleting: bool = False

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> CandidateRecord:
        values = from_item(item)
        return cls(
            candidate_id=str(values["candidate_id"]),
            profile=json.loads(values.get("profile") or "{}"),
            versions={kind: int(values.get(attribute, 1)) for kind, attribute in _VERSION_ATTRIBUTES.items()},
            created_at=str(values.get("created_at", "")),
            updated_at=str(values.get("updated_at", "")),
            deleting=bool(values.get("deleting_since")),
        )


@dataclass(frozen=True)
class ListedInterview:
    interview_id: str
    company: str
    position: str
    status: str
    next_due_at: str | None
    outcome: str | None = None
    # The candidate's own zone as the interview gave it (None for interviews stored before it was kept).
    candidate_timezone: str | None = None


@dataclass(frozen=True)
class InterviewPage:
    interviews: list[ListedInterview] = field(default_factory=list)
    next_cursor: str | None = None


_failed = failed_conditions


class InvalidCursor(ValueError):
    """A cursor this listing did not hand out (or handed to another candidate)."""


def _encode_cursor(key: Mapping[str, Any]) -> str:
    plain = {name: value["S"] for name, value in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, owner: str) -> dict[str, Any]:
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not one this list handed out") from exc
    names = {"pk", "sk", OWNER, LISTED_AT}
    if not isinstance(plain, dict) or set(plain) != names or not all(isinstance(v, str) for v in plain.values()):
        raise InvalidCursor("cursor is not one this list handed out")
    if plain[OWNER] != owner:
        raise InvalidCursor("cursor belongs to another list")
    return {name: {"S": value} for name, value in plain.items()}


class CandidateTable:
    """Profiles and the per-candidate listing, in the follow-up table."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, candidate_id: str) -> dict[str, Any]:
        return to_item({"pk": candidate_pk(candidate_id), "sk": PROFILE_SK})

    def create(self, profile: Mapping[str, Any], *, now: datetime) -> CandidateRecord:
        for _ in range(5):
            candidate_id = new_candidate_id()
            item = {
                "pk": candidate_pk(candidate_id),
                "sk": PROFILE_SK,
                "candidate_id": candidate_id,
                "profile": json.dumps(dict(profile), sort_keys=True, ensure_ascii=False),
                "created_at": iso_utc(now),
                "updated_at": iso_utc(now),
                **dict.fromkeys(_VERSION_ATTRIBUTES.values(), 1),
                # The operator's list of candidates: the same sparse index, under an owner no candidate id can be.
                OWNER: CANDIDATES_OWNER,
                LISTED_AT: f"{iso_utc(now)}#{candidate_id}",
                "display_name": str(profile.get("name", "")),
            }
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": to_item(item),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        self._email_put(str(profile["email"]), candidate_id),
                    ]
                )
            except ClientError as exc:
                failed = _failed(exc)
                if 1 in failed:
                    raise EmailTaken(str(profile["email"])) from None
                if 0 in failed:
                    continue
                raise
            return CandidateRecord.from_item(to_item(item))
        raise RuntimeError("could not find a free candidate id")

    def _email_put(self, email: str, candidate_id: str) -> Any:
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item({"pk": email_pk(email), "sk": EMAIL_SK, "candidate_id": candidate_id}),
                "ConditionExpression": "attribute_not_exists(pk) OR candidate_id = :id",
                "ExpressionAttributeValues": to_item({":id": candidate_id}),
            }
        }

    def _email_delete(self, email: str, candidate_id: str) -> Any:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": to_item({"pk": email_pk(email), "sk": EMAIL_SK}),
                "ConditionExpression": "attribute_not_exists(pk) OR candidate_id = :id",
                "ExpressionAttributeValues": to_item({":id": candidate_id}),
            }
        }

    def by_email(self, email: str) -> str | None:
        """The candidate who signs in with this address, if any."""
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": email_pk(email), "sk": EMAIL_SK}), ConsistentRead=True
        )
        item = response.get("Item")
        return str(item["candidate_id"]["S"]) if item else None

    def use_sign_in(self, nonce: str, *, now: datetime, expires_at: datetime) -> bool:
        """Mark a sign-in link used; False when it was used before."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {"pk": f"SIGNIN#{nonce}", "sk": "#USED", "used_at": iso_utc(now), "expires_at": epoch(expires_at)}
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def sign_in_used(self, nonce: str) -> bool:
        response = self._client.get_item(
            TableName=self._table, Key=to_item({"pk": f"SIGNIN#{nonce}", "sk": "#USED"}), ConsistentRead=True
        )
        return "Item" in response

    def spend_daily(
        self,
        candidate_id: str,
        *,
        day: str,
        interviews: int,
        emails: int,
        max_interviews: int,
        max_emails: int,
        expires_at: datetime,
    ) -> bool:
        """Count one more interview and its planned emails against the candidate's day; False (nothing counted)
        when either would go past its limit."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": f"LIMIT#{candidate_id}", "sk": f"DAY#{day}"}),
                UpdateExpression="ADD interviews :interviews, emails :emails SET expires_at = :expires",
                ConditionExpression="(attribute_not_exists(interviews) OR interviews <= :room_interviews) "
                "AND (attribute_not_exists(emails) OR emails <= :room_emails)",
                ExpressionAttributeValues=to_item(
                    {
                        ":interviews": interviews,
                        ":emails": emails,
                        ":room_interviews": max_interviews - interviews,
                        ":room_emails": max_emails - emails,
                        ":expires": epoch(expires_at),
                    }
                ),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def count_sign_in(self, candidate_id: str, *, day: str, most: int, now: datetime) -> bool:
        """Count one more sign-in link for the candidate's day; False (not counted) past `most`."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=to_item({"pk": f"LIMIT#{candidate_id}", "sk": f"DAY#{day}"}),
                UpdateExpression="ADD sign_ins :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(sign_ins) OR sign_ins < :most",
                ExpressionAttributeValues=to_item(
                    {":one": 1, ":most": most, ":expires": epoch(now + timedelta(days=2))}
                ),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, candidate_id: str) -> CandidateRecord | None:
        response = self._client.get_item(TableName=self._table, Key=self._key(candidate_id), ConsistentRead=True)
        item = response.get("Item")
        return CandidateRecord.from_item(item) if item else None

    def update_profile(
        self, candidate_id: str, profile: Mapping[str, Any], *, previous_email: str, now: datetime
    ) -> bool:
        """Replace the profile (and move the sign-in address when the email changed); False when the candidate is
        gone. EmailTaken when another candidate signs in with the new address."""
        items: list[Any] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(candidate_id),
                    "UpdateExpression": "SET #profile = :profile, updated_at = :now, display_name = :name",
                    "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(deleting_since)",
                    "ExpressionAttributeNames": {"#profile": "profile"},
                    "ExpressionAttributeValues": to_item(
                        {
                            ":profile": json.dumps(dict(profile), sort_keys=True, ensure_ascii=False),
                            ":now": iso_utc(now),
                            ":name": str(profile.get("name", "")),
                        }
                    ),
                }
            }
        ]
        email = str(profile["email"])
        if email.strip().lower() != previous_email.strip().lower():
            items += [self._email_put(email, candidate_id), self._email_delete(previous_email, candidate_id)]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            failed = _failed(exc)
            if 1 in failed:
                raise EmailTaken(email) from None
            if 0 in failed:
                return False
            raise
        return True

    def rotate(self, candidate_id: str, kinds: set[CredentialKind], *, now: datetime) -> CandidateRecord | None:
        """Bump the version of each credential named: the old value stops working at once."""
        names = {f"#v{index}": _VERSION_ATTRIBUTES[kind] for index, kind in enumerate(sorted(kinds))}
        additions = ", ".join(f"{name} :one" for name in names)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(candidate_id),
                UpdateExpression=f"SET updated_at = :now ADD {additions}",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item({":one": 1, ":now": iso_utc(now)}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return CandidateRecord.from_item(response["Attributes"])

    def begin_delete(self, candidate_id: str, *, now: datetime) -> bool:
        """Mark the candidate as being deleted (their credentials stop working at once); False when absent. A
        deletion already under way is continued."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(candidate_id),
                # Out of the operator's list at once (the index is sparse).
                UpdateExpression=f"SET deleting_since = if_not_exists(deleting_since, :now) REMOVE {LISTED_AT}",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=to_item({":now": iso_utc(now)}),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def delete(self, record: CandidateRecord) -> None:
        """The profile and its sign-in address (the last step of deleting a candidate)."""
        items: list[Any] = [{"Delete": {"TableName": self._table, "Key": self._key(record.candidate_id)}}]
        if record.profile.get("email"):
            items.append(self._email_delete(str(record.profile["email"]), record.candidate_id))
        self._client.transact_write_items(TransactItems=items)

    # -- the candidate's interviews ---------------------------------------------------------------------------

    def interview_ids(self, owner: str) -> Iterator[str]:
        """Every listed interview of the owner (newest first), page by page."""
        kwargs: dict[str, Any] = self._listing_query(owner, limit=None)
        while True:
            page = self._client.query(**kwargs)
            for raw in page.get("Items", []):
                yield str(raw["interview_id"]["S"])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _listing_query(self, owner: str, *, limit: int | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_OWNER_INDEX,
            "KeyConditionExpression": "#owner = :owner",
            "ExpressionAttributeNames": {"#owner": OWNER},
            "ExpressionAttributeValues": {":owner": {"S": owner}},
            "ScanIndexForward": False,
        }
        if limit is not None:
            kwargs["Limit"] = limit
        return kwargs

    def list_candidates(self, *, limit: int, cursor: str | None) -> tuple[list[dict[str, str]], str | None]:
        """One page of the deployment's candidates, newest first (id, name, created), and the next page's cursor."""
        kwargs = self._listing_query(CANDIDATES_OWNER, limit=limit)
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, CANDIDATES_OWNER)
        page = self._client.query(**kwargs)
        rows = [
            {
                "candidate_id": str(values.get("candidate_id", "")),
                "name": str(values.get("display_name", "")),
                "created_at": str(values.get(LISTED_AT, "")).split("#", 1)[0],
            }
            for values in (from_item(raw) for raw in page.get("Items", []))
        ]
        last = page.get("LastEvaluatedKey")
        return rows, (_encode_cursor(last) if last else None)

    def list_interviews(self, owner: str, *, limit: int, cursor: str | None) -> InterviewPage:
        """One page of the owner's interviews, newest first, each with its status and next due time."""
        kwargs = self._listing_query(owner, limit=limit)
        if cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(cursor, owner)
        page = self._client.query(**kwargs)
        rows = [self._row(from_item(raw)) for raw in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return InterviewPage(
            interviews=[row for row in rows if row is not None],
            next_cursor=_encode_cursor(last) if last else None,
        )

    def _row(self, listed: Mapping[str, Any]) -> ListedInterview | None:
        interview_id = str(listed["interview_id"])
        # The interview item and its follow-ups only: their keys sort before the timeline's (`#` < `FU#` < `TL#`).
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk < :timeline",
            ExpressionAttributeValues={":pk": {"S": interview_pk(interview_id)}, ":timeline": {"S": TIMELINE_PREFIX}},
            ProjectionExpression="sk, #status, due_at, outcome, paused_at, candidate_timezone",
            ExpressionAttributeNames={"#status": "status"},
        )
        items = [from_item(raw) for raw in response.get("Items", [])]
        interview = next((item for item in items if item["sk"] == INTERVIEW_SK), None)
        pending_due = sorted(
            str(item["due_at"])
            for item in items
            if str(item["sk"]).startswith(FOLLOW_UP_PREFIX) and item.get("status") in _PENDING
        )
        if interview is None:
            # Accepted, not stored by the planner yet (the 202 gap): it is being planned.
            status = "planning" if listed.get("state") == "pending" else "active"
            return ListedInterview(
                interview_id, str(listed.get("company", "")), str(listed.get("position", "")), status, None
            )
        status = str(interview.get("status", "active"))
        paused = any(
            str(item["sk"]).startswith(FOLLOW_UP_PREFIX) and item.get("status") == "scheduled" and item.get("paused_at")
            for item in items
        )
        return ListedInterview(
            interview_id=interview_id,
            company=str(listed.get("company", "")),
            position=str(listed.get("position", "")),
            status="paused" if status == "active" and paused else status,
            next_due_at=pending_due[0] if pending_due else None,
            outcome=interview.get("outcome"),
            candidate_timezone=interview.get("candidate_timezone"),
        )
