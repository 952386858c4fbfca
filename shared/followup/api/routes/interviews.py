"""The JSON routes of the README's "The HTTP API": submit, read, outcome, re-plan, delete and preview an interview."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from followup.adapters.records import Intake, InterviewBundle
from followup.api import principal
from followup.api.errors import ERROR_RESPONSES, ApiError, json_response
from followup.api.schemas import (
    ErrorField,
    InterviewList,
    InterviewView,
    OutcomeResponse,
    PauseResponse,
    PreviewResponse,
    ReplanResponse,
    SubmissionResponse,
)
from followup.api.services import services
from followup.core import clock
from followup.domain.models import InterviewRequest
from followup.workflow.lifecycle import DecisionDateChange, OutcomeRequest

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")


def _fingerprint(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@router.post(
    "/interviews",
    summary="Submit an interview; its follow-ups are planned and scheduled",
    responses={
        202: {"description": "accepted", "content": {"application/json": {"model": SubmissionResponse}}},
        **ERROR_RESPONSES,
    },
)
def create_interview(interview: Annotated[InterviewRequest, Body()]):  # type: ignore[no-untyped-def]
    from followup.api.limits import check_timing, daily_charge
    from followup.workflow.submission import submit_interview

    owner = principal.candidate_id()
    check_timing(interview, clock.now())
    deps = services()
    key = router.current_event.headers.get("idempotency-key")
    if key is None:
        charge = daily_charge(owner, deps.candidates, deps.settings)
        result = submit_interview(
            interview, deps.publisher, deps.table, owner=owner, charge=charge, templates=deps.templates
        )
        return json_response(202, result.body())
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise ApiError(400, "bad_idempotency_key", "Idempotency-Key must be 1–255 visible ASCII characters")
    document = interview.to_document()
    body = deps.submit_once(
        key=key, fingerprint=_fingerprint(document), document=document, context=router.lambda_context, owner=owner
    )
    return json_response(202, body)


LIST_PAGE_SIZE = 20


@router.get(
    "/interviews",
    summary="The caller's own interviews, newest first (opaque cursor)",
    responses={
        200: {"description": "one page", "content": {"application/json": {"model": InterviewList}}},
        **ERROR_RESPONSES,
    },
)
def list_interviews():  # type: ignore[no-untyped-def]
    from followup.adapters.candidates import InvalidCursor

    owner = principal.candidate_id()
    event = router.current_event
    cursor = event.get_query_string_value("cursor") or None
    raw_limit = event.get_query_string_value("limit") or str(LIST_PAGE_SIZE)
    if not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        raise ApiError(
            422, "invalid_fields", "limit must be 1–100", [ErrorField(field="limit", message="must be 1–100")]
        )
    try:
        page = services().candidates.list_interviews(owner, limit=int(raw_limit), cursor=cursor)
    except InvalidCursor as exc:
        raise ApiError(
            400, "bad_cursor", f"{exc}: use next_cursor from the previous page, or leave it out for the first page"
        ) from None
    return json_response(
        200,
        {
            "interviews": [
                {
                    "interview_id": row.interview_id,
                    "company": row.company,
                    "position": row.position,
                    "status": row.status,
                    "outcome": row.outcome,
                    "next_due_at": row.next_due_at,
                }
                for row in page.interviews
            ],
            "next_cursor": page.next_cursor,
        },
    )


@router.get(
    "/interviews/<id>",
    summary="An interview with its follow-ups and timeline",
    responses={
        200: {"description": "the interview", "content": {"application/json": {"model": InterviewView}}},
        **ERROR_RESPONSES,
    },
)
def get_interview(id: str):  # type: ignore[no-untyped-def]
    from followup.api.views import interview_view

    principal.check_interview_id(id)
    bundle = services().table.load_interview(id)
    if bundle is None:
        raise ApiError(404, "not_found", "no interview with this id")
    principal.check_owner(bundle.owner)
    return json_response(200, interview_view(bundle))


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no interview with this id")


def _current(interview_id: str) -> InterviewBundle | Intake:
    """The stored interview, or its intake while the planner has not stored it yet (the 202 gap)."""
    from followup.workflow.lifecycle import current

    principal.check_interview_id(interview_id)
    found = current(services().table, interview_id)
    if found is None:
        raise _not_found()
    principal.check_owner(found.owner)
    return found


# An action racing the planner's store is redone on what it finds then; this bounds the rounds.
ACTION_ROUNDS = 5


def _until_settled(
    interview_id: str,
    on_stored: Callable[[InterviewBundle], dict[str, Any]],
    on_intake: Callable[[Intake], dict[str, Any] | None],
    what: str,
) -> Response[str]:
    """Apply an action to the stored interview, or to its intake before the planner stored it (the 202 gap), redone
    on what it finds when the two race; a 409 when the interview keeps changing."""
    for _ in range(ACTION_ROUNDS):
        found = _current(interview_id)
        if isinstance(found, InterviewBundle):
            return json_response(200, on_stored(found))
        result = on_intake(found)
        if result is not None:
            return json_response(200, result)
    raise ApiError(409, "conflict", f"the interview changed while {what}; retry")


@router.post(
    "/interviews/<id>/outcome",
    summary="Record the outcome; every pending follow-up it ends is cancelled and its schedule deleted",
    responses={
        200: {"description": "recorded", "content": {"application/json": {"model": OutcomeResponse}}},
        **ERROR_RESPONSES,
    },
)
def post_outcome(id: str, outcome: Annotated[OutcomeRequest, Body()]):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import record_early_outcome, record_outcome

    deps = services()
    return _until_settled(
        id,
        lambda bundle: record_outcome(deps.table, deps.publisher, bundle, outcome, clock.now()),
        lambda intake: record_early_outcome(deps.table, intake, outcome, clock.now()),
        "the outcome was being recorded",
    )


@router.patch(
    "/interviews/<id>",
    summary="Change the decision date; the pending check-in and final are re-planned from it",
    responses={
        200: {"description": "re-planned", "content": {"application/json": {"model": ReplanResponse}}},
        **ERROR_RESPONSES,
    },
)
def patch_interview(id: str, change: Annotated[DecisionDateChange, Body()]):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import change_decision_date, change_early_decision_date

    deps = services()
    return _until_settled(
        id,
        lambda bundle: change_decision_date(deps.table, deps.publisher, bundle, change, clock.now()),
        lambda intake: change_early_decision_date(deps.table, intake, change, clock.now()),
        "the decision date was recorded",
    )


def _stored(interview_id: str) -> InterviewBundle:
    found = _current(interview_id)
    if not isinstance(found, InterviewBundle):
        raise ApiError(409, "not_planned_yet", "the interview is still being planned; retry in a few seconds")
    return found


@router.post(
    "/interviews/<id>/pause",
    summary="Hold every scheduled follow-up until resumed (drafts awaiting approval stay as they are)",
    responses={
        200: {"description": "paused", "content": {"application/json": {"model": PauseResponse}}},
        **ERROR_RESPONSES,
    },
)
def pause_interview(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import pause

    paused = pause(services().table, _stored(id), clock.now())
    return json_response(200, {"interview_id": id, "follow_up_ids": paused})


@router.post(
    "/interviews/<id>/resume",
    summary="Schedule every paused follow-up again: at its time, or the next good time when that passed",
    responses={
        200: {"description": "resumed", "content": {"application/json": {"model": PauseResponse}}},
        **ERROR_RESPONSES,
    },
)
def resume_interview(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import resume

    deps = services()
    resumed = resume(deps.table, deps.publisher, _stored(id), clock.now())
    return json_response(200, {"interview_id": id, "follow_up_ids": resumed})


@router.delete(
    "/interviews/<id>",
    summary="Delete the interview, its follow-ups, timeline and schedules",
    responses={204: {"description": "deleted"}, **ERROR_RESPONSES},
)
def delete_interview(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import delete_anywhere

    deps = services()
    owner = principal.candidate_id()
    principal.check_interview_id(id)
    if not delete_anywhere(deps.table, deps.publisher, id, clock.now(), owner=owner):
        raise _not_found()
    return Response(status_code=204, content_type="application/json", body="")


@router.post(
    "/preview",
    summary="Plan and render every follow-up without storing or sending anything",
    responses={
        200: {"description": "the plan", "content": {"application/json": {"model": PreviewResponse}}},
        **ERROR_RESPONSES,
    },
)
def preview(interview: Annotated[InterviewRequest, Body()]):  # type: ignore[no-untyped-def]
    from followup.api.limits import check_timing
    from followup.api.views import preview_interview

    principal.candidate_id()  # the operator key does not preview
    now = clock.now()
    check_timing(interview, now)
    return json_response(200, preview_interview(interview, now, services().templates))
