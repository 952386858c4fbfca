"""Suppressed addresses: our own list in the follow-up table, and SES's account-level suppression list.

A suppression item is `pk = SUPPRESSED#<lower-cased address>`, `sk = #`: one item per address, outside every
interview partition. Like every item it carries a TTL (`expires_at`, the retention period after the last bounce or
complaint): an address is personal data. On AWS, SES's account-level suppression list keeps blocking it after that.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

SUPPRESSION_PREFIX = "SUPPRESSED#"
SUPPRESSION_SK = "#"
BATCH_GET_LIMIT = 100
_UNPROCESSED_RETRIES = 5

SuppressionReason = Literal["BOUNCE", "COMPLAINT"]

# What an endpoint without the SES v2 suppression API answers (moto server: a bare 404); real SES implements it.
_UNSUPPORTED_ERROR_CODES = frozenset({"404", "501", "NotImplemented", "UnknownOperationException", "InvalidAction"})

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client


def suppression_key(address: str) -> dict[str, Any]:
    return {"pk": {"S": f"{SUPPRESSION_PREFIX}{address.strip().lower()}"}, "sk": {"S": SUPPRESSION_SK}}


class SuppressionList:
    """Addresses that bounced permanently or complained; the planner drops follow-ups to them at store time."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def suppress(
        self, address: str, *, reason: SuppressionReason, at: datetime, message_id: str, expires_at: datetime
    ) -> None:
        """Record (or refresh) a suppression; the first time and the number of events are kept."""
        self._client.update_item(
            TableName=self._table,
            Key=suppression_key(address),
            UpdateExpression=(
                "SET email = :email, reason = :reason, last_at = :at, last_message_id = :mid,"
                " expires_at = :expires, first_at = if_not_exists(first_at, :at) ADD events :one"
            ),
            ExpressionAttributeValues={
                ":email": {"S": address.strip().lower()},
                ":reason": {"S": reason},
                ":at": {"S": at.isoformat(timespec="seconds").replace("+00:00", "Z")},
                ":mid": {"S": message_id},
                ":one": {"N": "1"},
                ":expires": {"N": str(int(expires_at.timestamp()))},
            },
        )

    def suppressed(self, addresses: Iterable[str]) -> set[str]:
        """The lower-cased addresses among `addresses` that are suppressed (BatchGetItem, 100 keys a call)."""
        wanted = sorted({address.strip().lower() for address in addresses if address and address.strip()})
        found: set[str] = set()
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys = [suppression_key(address) for address in wanted[start : start + BATCH_GET_LIMIT]]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ProjectionExpression": "pk"}}
            for attempt in range(_UNPROCESSED_RETRIES + 1):
                response = self._client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    found.add(item["pk"]["S"].removeprefix(SUPPRESSION_PREFIX))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            if request:
                raise RuntimeError("DynamoDB left suppression lookups unprocessed after retries")
        return found


def is_suppressed(table_client: DynamoDBClient, table_name: str, addresses: Iterable[str]) -> set[str]:
    """Which of `addresses` (lower-cased) must not be mailed: for the planner, before it stores follow-ups."""
    return SuppressionList(table_client, table_name).suppressed(addresses)


class AccountSuppression:
    """SES's account-level suppression list: SES itself then refuses to deliver to the address."""

    def __init__(self, sesv2_client: SESV2Client) -> None:
        self._client = sesv2_client

    def suppress(self, address: str, reason: SuppressionReason) -> bool:
        """True when SES recorded it; False when this endpoint has no suppression API (local emulators)."""
        try:
            self._client.put_suppressed_destination(EmailAddress=address.strip().lower(), Reason=reason)
        except NotImplementedError:  # in-process moto raises instead of answering
            return False
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in _UNSUPPORTED_ERROR_CODES:
                return False
            raise
        return True
