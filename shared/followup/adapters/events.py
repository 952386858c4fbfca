"""EventBridge adapter: publishes the pipeline's domain events to its bus."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from followup.domain.events import BusEvent

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient

SOURCE = "followup.api"


class PublishError(RuntimeError):
    """EventBridge accepted the call but not the entry."""


class EventPublisher:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, event: BusEvent) -> None:
        detail_type = event.DETAIL_TYPE
        response = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": detail_type,
                    "Detail": json.dumps(event.detail(), separators=(",", ":"), ensure_ascii=False),
                    "EventBusName": self._bus,
                }
            ]
        )
        if response.get("FailedEntryCount", 0):
            entry = response["Entries"][0]
            raise PublishError(f"{detail_type} not published: {entry.get('ErrorCode')}")
