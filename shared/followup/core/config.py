"""Configuration: one pydantic model per function, read from the environment once at cold start.

A missing variable fails at start with the variable's name, never a silent default pointing at the wrong table.
"""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigurationError(RuntimeError):
    """The function's environment is incomplete or invalid."""


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    retention_days: int = Field(alias="RETENTION_DAYS", default=180, ge=1, le=3650)


class ApiSettings(_Settings):
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    api_key_parameter: str = Field(alias="API_KEY_PARAMETER", min_length=1)
    webhook_secret_parameter: str = Field(alias="WEBHOOK_SECRET_PARAMETER", min_length=1)
    form_key_parameter: str = Field(alias="FORM_KEY_PARAMETER", min_length=1)
    link_secret_parameter: str = Field(alias="LINK_SECRET_PARAMETER", min_length=1)
    public_base_url: str = Field(alias="PUBLIC_BASE_URL", default="")
    # Empty: no operator, so no candidates beyond the default one (single-candidate mode).
    operator_key_parameter: str = Field(alias="OPERATOR_KEY_PARAMETER", default="")
    # The control panel's sign-in links go out from the deployment's sender address.
    sender_email: str = Field(alias="SENDER_EMAIL", default="")
    sender_name: str = Field(alias="SENDER_NAME", default="Interview Follow-ups")
    ses_configuration_set: str = Field(alias="SES_CONFIGURATION_SET", default="")
    # Per created candidate and UTC day (the default candidate, the deployment's own, is not limited).
    candidate_daily_interviews: int = Field(alias="CANDIDATE_DAILY_INTERVIEWS", default=20, ge=1)
    candidate_daily_emails: int = Field(alias="CANDIDATE_DAILY_EMAILS", default=200, ge=1)
    send_from_candidates: bool = Field(alias="SEND_FROM_CANDIDATES", default=True)
    # The sender's custom templates: previews, the panel and the link pages show the wording that will go.
    templates_uri: str = Field(alias="TEMPLATES_URI", default="")


class PlannerSettings(_Settings):
    schedule_group_name: str = Field(alias="SCHEDULE_GROUP_NAME", min_length=1)
    scheduler_role_arn: str = Field(alias="SCHEDULER_ROLE_ARN", min_length=1)
    send_queue_arn: str = Field(alias="SEND_QUEUE_ARN", min_length=1)
    scheduler_dlq_arn: str = Field(alias="SCHEDULER_DLQ_ARN", min_length=1)


class SenderSettings(_Settings):
    sender_email: str = Field(alias="SENDER_EMAIL", min_length=3)
    ses_max_send_rate: float = Field(alias="SES_MAX_SEND_RATE", gt=0)
    sender_max_concurrency: int = Field(alias="SENDER_MAX_CONCURRENCY", ge=1)
    inbound_domain: str = Field(alias="INBOUND_DOMAIN", default="")
    sender_name: str = Field(alias="SENDER_NAME", default="Interview Follow-ups")
    send_from_candidates: bool = Field(alias="SEND_FROM_CANDIDATES", default=True)
    # Custom message templates (docs/templates.md): a folder, or s3://bucket/prefix; empty = the built-in ones.
    templates_uri: str = Field(alias="TEMPLATES_URI", default="")
    ses_configuration_set: str = Field(alias="SES_CONFIGURATION_SET", min_length=1)
    link_secret_parameter: str = Field(alias="LINK_SECRET_PARAMETER", min_length=1)
    public_base_url: str = Field(alias="PUBLIC_BASE_URL", default="")


class FeedbackSettings(_Settings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    ses_configuration_set: str = Field(alias="SES_CONFIGURATION_SET", min_length=1)
    link_secret_parameter: str = Field(alias="LINK_SECRET_PARAMETER", min_length=1)
    # Replies are on when both are set (template parameter InboundDomain).
    inbound_domain: str = Field(alias="INBOUND_DOMAIN", default="")
    inbound_bucket: str = Field(alias="INBOUND_BUCKET", default="")
    inbound_prefix: str = Field(alias="INBOUND_PREFIX", default="inbound/")


S = TypeVar("S", bound=_Settings)


def load_settings(model: type[S], environ: dict[str, str] | None = None) -> S:
    """Validate the environment into `model`; raise ConfigurationError naming every missing or bad variable."""
    source = dict(os.environ if environ is None else environ)
    try:
        return model.model_validate(source)
    except ValidationError as exc:
        problems = ", ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors())
        raise ConfigurationError(f"{model.__name__} is not configured: {problems}") from exc
