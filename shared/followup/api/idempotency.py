"""`Idempotency-Key` on `POST /interviews`, through Powertools idempotency on its own DynamoDB table.

Same key and same body → the stored response; same key and another body → 409; a concurrent duplicate waits
for the first answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

from followup.api.errors import ApiError
from followup.core import aws
from followup.domain.candidates import DEFAULT_CANDIDATE
from followup.domain.models import InterviewRequest, Plan
from followup.workflow.submission import submit_interview

if TYPE_CHECKING:
    from followup.adapters.dynamodb import FollowUpTable
    from followup.adapters.events import EventPublisher
    from followup.messages.render import TemplateSet

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
IN_PROGRESS_WAIT_SECONDS = 8.0


def build_idempotent_submit(
    idempotency_table_name: str,
    publisher: EventPublisher,
    table: FollowUpTable | None = None,
    charge_for: Callable[[str], Callable[[Plan, datetime], None] | None] | None = None,
    templates: Callable[[], TemplateSet | None] | None = None,
) -> Callable[..., dict[str, Any]]:
    """`submit_once(key=, fingerprint=, document=, context=)`: the submission, at most once per key."""
    store = DynamoDBPersistenceLayer(table_name=idempotency_table_name, boto3_client=aws.client("dynamodb"))
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="fingerprint",
        expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
        raise_on_no_idempotency_key=True,
    )

    @idempotent_function(data_keyword_argument="submission", persistence_store=store, config=config)  # type: ignore[untyped-decorator]
    def submit(submission: dict[str, Any]) -> dict[str, Any]:
        request = InterviewRequest.model_validate(submission["document"])
        owner = str(submission.get("owner") or DEFAULT_CANDIDATE)
        charge = charge_for(owner) if charge_for is not None else None
        custom = templates() if templates is not None else None
        return submit_interview(request, publisher, table, owner=owner, charge=charge, templates=custom).body()

    def submit_once(
        *, key: str, fingerprint: str, document: dict[str, Any], context: Any, owner: str = DEFAULT_CANDIDATE
    ) -> dict[str, Any]:
        if context is not None:
            config.register_lambda_context(context)
        # Keys are each candidate's own: the default candidate's keep their old form (records in flight stay valid).
        scoped = key if owner == DEFAULT_CANDIDATE else f"{owner} {key}"
        submission = {"key": scoped, "fingerprint": fingerprint, "document": document, "owner": owner}
        try:
            return wait_for_in_progress(lambda: submit(submission=submission))
        except IdempotencyValidationError:
            raise ApiError(
                409, "idempotency_key_reused", "this Idempotency-Key was already used with a different body"
            ) from None

    return submit_once


def wait_for_in_progress(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Concurrent duplicates wait for the first request's answer instead of failing (bounded)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    deadline = time.monotonic() + IN_PROGRESS_WAIT_SECONDS
    while True:
        try:
            return call()
        except IdempotencyAlreadyInProgressError:
            if time.monotonic() > deadline:
                raise ApiError(409, "in_progress", "a request with this Idempotency-Key is still in progress") from None
            time.sleep(0.1)
