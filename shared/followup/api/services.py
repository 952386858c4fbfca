"""ApiFunction's composition root: settings and adapters built once per cold start, forgotten by `reset()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.events import EventPublisher
from followup.adapters.secrets import SecretStore
from followup.core import aws
from followup.core.config import ApiSettings, load_settings


@dataclass
class ApiServices:
    """Everything the routes touch; each adapter is created on first use."""

    settings: ApiSettings

    @cached_property
    def table(self) -> FollowUpTable:
        return FollowUpTable(aws.client("dynamodb"), self.settings.table_name)

    @cached_property
    def publisher(self) -> EventPublisher:
        return EventPublisher(aws.client("events"), self.settings.event_bus_name)

    @cached_property
    def secrets(self) -> SecretStore:
        return SecretStore(aws.client("ssm"))

    @cached_property
    def submit_once(self) -> Callable[..., dict[str, Any]]:
        from followup.api.idempotency import build_idempotent_submit

        return build_idempotent_submit(self.settings.idempotency_table_name, self.publisher, self.table)


@cache
def services() -> ApiServices:
    return ApiServices(settings=load_settings(ApiSettings))


def reset() -> None:
    """Forget cached clients and settings (tests, and the local stack after it rewrites the environment)."""
    services.cache_clear()
