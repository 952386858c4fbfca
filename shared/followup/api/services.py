"""ApiFunction's composition root: settings and adapters built once per cold start, forgotten by `reset()`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

from followup.adapters.candidates import CandidateTable
from followup.adapters.dynamodb import FollowUpTable
from followup.adapters.events import EventPublisher
from followup.adapters.secrets import SecretStore
from followup.core import aws
from followup.core.config import ApiSettings, load_settings

if TYPE_CHECKING:
    from followup.api.keyring import ApiKeyRing
    from followup.messages.render import TemplateSet


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
    def templates(self) -> TemplateSet | None:
        """The deployment's custom templates, read on the first message shown (not at cold start)."""
        if not self.settings.templates_uri.strip():
            return None
        from followup.messages.custom_templates import templates_from_uri

        return templates_from_uri(self.settings.templates_uri, lambda: aws.client("s3"))

    @cached_property
    def candidates(self) -> CandidateTable:
        return CandidateTable(aws.client("dynamodb"), self.settings.table_name)

    def keyring(self) -> ApiKeyRing:
        """A fresh key ring per request (it remembers the profiles it read for that request only)."""
        from followup.api.keyring import ApiKeyRing

        return ApiKeyRing(self.settings, self.secrets, self.candidates)

    @cached_property
    def submit_once(self) -> Callable[..., dict[str, Any]]:
        from followup.api.idempotency import build_idempotent_submit
        from followup.api.limits import daily_charge

        return build_idempotent_submit(
            self.settings.idempotency_table_name,
            self.publisher,
            self.table,
            charge_for=lambda owner: daily_charge(owner, self.candidates, self.settings),
            templates=lambda: self.templates,
        )


@cache
def services() -> ApiServices:
    return ApiServices(settings=load_settings(ApiSettings))


def reset() -> None:
    """Forget cached clients and settings (tests, and the local stack after it rewrites the environment)."""
    services.cache_clear()
