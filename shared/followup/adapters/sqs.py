"""SQS adapter: moving messages from a dead-letter queue back to the queue that does the work (a redrive).

SQS's own `StartMessageMoveTask` does the same on AWS; this portable loop also runs against moto and the local stack.
A message is deleted from the source only after it was sent to the target, so a crash mid-way can duplicate a message
(the sender's claim makes a duplicate delivery harmless) but never lose one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

__all__ = ["move_messages"]


def move_messages(client: SQSClient, source_url: str, target_url: str, *, limit: int = 100_000) -> int:
    """Move every message of `source_url` (up to `limit`) to `target_url`; the number moved."""
    moved = 0
    while moved < limit:
        batch = client.receive_message(
            QueueUrl=source_url,
            MaxNumberOfMessages=min(10, limit - moved),
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            attributes = message.get("MessageAttributes") or {}
            if attributes:
                client.send_message(QueueUrl=target_url, MessageBody=message["Body"], MessageAttributes=attributes)
            else:
                client.send_message(QueueUrl=target_url, MessageBody=message["Body"])
            client.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved
