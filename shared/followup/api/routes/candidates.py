"""The operator's routes (README "Many candidates"): create, read, change and delete candidates, and rotate a
candidate's credentials. A candidate may read and change their own profile and rotate their own keys; another
candidate's id is `404` to them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from followup.adapters.candidates import CandidateRecord, EmailTaken
from followup.api import principal
from followup.api.errors import ERROR_RESPONSES, ApiError, json_response
from followup.api.schemas import CandidateCreated, CandidateCredentials, CandidateList, CandidateView, ErrorField
from followup.api.services import services
from followup.core import clock
from followup.core.credentials import CredentialKind
from followup.domain.candidates import (
    CANDIDATE_ID_PATTERN,
    DEFAULT_CANDIDATE,
    CandidatePatch,
    CandidateProfile,
    with_profile_defaults,
)

if TYPE_CHECKING:
    from followup.api.keyring import ApiKeyRing

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

# Deleting stops here and answers 202 when less than this is left of the invocation; DELETE again continues.
DELETE_TIME_RESERVE_MS = 5000


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no candidate with this id")


def _email_taken() -> ApiError:
    return ApiError(
        409,
        "email_taken",
        "another candidate signs in with this email: each address signs in as one candidate",
        [ErrorField(field="email", message="is another candidate's")],
    )


def _record(candidate_id: str) -> CandidateRecord:
    principal.require_operator_or(candidate_id)
    if not CANDIDATE_ID_PATTERN.match(candidate_id):
        raise _not_found()
    record = services().candidates.get(candidate_id)
    if record is None or record.deleting:
        raise _not_found()
    return record


def base_url() -> str:
    """Where people open this deployment: PublicBaseUrl, else the host the request came to."""
    configured = services().settings.public_base_url.rstrip("/")
    if configured:
        return configured
    event = router.current_event
    host = str(event.request_context.domain_name or event.headers.get("host") or "")
    proto = event.headers.get("x-forwarded-proto", "https")
    return f"{proto}://{host}"


def _credentials(record: CandidateRecord) -> dict[str, Any]:
    ring = services().keyring()
    values = {kind: ring.credential(record.candidate_id, kind) or "" for kind in CredentialKind}
    return {
        "candidate_id": record.candidate_id,
        "api_key": values[CredentialKind.API_KEY],
        "webhook_secret": values[CredentialKind.WEBHOOK_SECRET],
        "form_url": f"{base_url()}/form?key={quote(values[CredentialKind.FORM_KEY], safe='')}",
    }


def _view(record: CandidateRecord) -> dict[str, Any]:
    return {
        "candidate_id": record.candidate_id,
        "profile": record.profile,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }


@router.post(
    "/candidates",
    summary="Create a candidate (operator key); their credentials are shown once",
    responses={
        201: {"description": "created", "content": {"application/json": {"model": CandidateCreated}}},
        **ERROR_RESPONSES,
    },
)
def create_candidate(profile: Annotated[CandidateProfile, Body()]):  # type: ignore[no-untyped-def]
    principal.require_operator()
    try:
        record = services().candidates.create(profile.model_dump(mode="json", exclude_none=True), now=clock.now())
    except EmailTaken:
        raise _email_taken() from None
    body = {**_credentials(record), "profile": record.profile}
    return json_response(201, body, headers={"Cache-Control": "no-store"})


@router.get(
    "/candidates",
    summary="The deployment's candidates, newest first (operator key; opaque cursor)",
    responses={
        200: {"description": "one page", "content": {"application/json": {"model": CandidateList}}},
        **ERROR_RESPONSES,
    },
)
def list_candidates():  # type: ignore[no-untyped-def]
    from followup.adapters.candidates import InvalidCursor

    principal.require_operator()
    cursor = router.current_event.get_query_string_value("cursor") or None
    try:
        rows, next_cursor = services().candidates.list_candidates(limit=50, cursor=cursor)
    except InvalidCursor as exc:
        raise ApiError(400, "bad_cursor", f"{exc}: use next_cursor from the previous page") from None
    return json_response(200, {"candidates": rows, "next_cursor": next_cursor})


@router.get(
    "/candidates/<id>",
    summary="A candidate's profile (never their credentials)",
    responses={
        200: {"description": "the profile", "content": {"application/json": {"model": CandidateView}}},
        **ERROR_RESPONSES,
    },
)
def get_candidate(id: str):  # type: ignore[no-untyped-def]
    return json_response(200, _view(_record(id)))


@router.patch(
    "/candidates/<id>",
    summary="Change a candidate's profile: the fields given replace the stored ones, null clears one",
    responses={
        200: {"description": "the profile", "content": {"application/json": {"model": CandidateView}}},
        **ERROR_RESPONSES,
    },
)
def patch_candidate(id: str, change: Annotated[CandidatePatch, Body()]):  # type: ignore[no-untyped-def]
    record = _record(id)
    merged = {**record.profile, **change.changes()}
    try:
        profile = CandidateProfile.model_validate({k: v for k, v in merged.items() if v is not None})
    except ValidationError as exc:
        fields = [
            ErrorField(field=".".join(str(part) for part in error["loc"]) or "", message=str(error["msg"]))
            for error in exc.errors()
        ]
        raise ApiError(422, "invalid_fields", "some fields are invalid", fields) from None
    deps = services()
    try:
        changed = deps.candidates.update_profile(
            id,
            profile.model_dump(mode="json", exclude_none=True),
            previous_email=str(record.profile.get("email", "")),
            now=clock.now(),
        )
    except EmailTaken:
        raise _email_taken() from None
    if not changed:
        raise _not_found()
    updated = deps.candidates.get(id)
    if updated is None:
        raise _not_found()
    return json_response(200, _view(updated))


@router.post(
    "/candidates/<id>/keys",
    summary='Rotate a candidate\'s credentials (all, or those named in {"rotate": [...]}); shown once',
    responses={
        200: {"description": "the new credentials", "content": {"application/json": {"model": CandidateCredentials}}},
        **ERROR_RESPONSES,
    },
)
def rotate_keys(id: str):  # type: ignore[no-untyped-def]
    _record(id)
    kinds = _kinds_to_rotate(router.current_event.body or "")
    record = services().candidates.rotate(id, kinds, now=clock.now())
    if record is None:
        raise _not_found()
    return json_response(200, _credentials(record), headers={"Cache-Control": "no-store"})


def _kinds_to_rotate(body: str) -> set[CredentialKind]:
    if not body.strip():
        return set(CredentialKind)
    names = sorted(kind.value for kind in CredentialKind)
    problem = ApiError(
        422,
        "invalid_fields",
        "rotate must list credentials",
        [ErrorField(field="rotate", message=f"must be a non-empty list of {', '.join(names)}")],
    )
    try:
        parsed = json.loads(body)
    except ValueError:
        raise ApiError(400, "malformed_json", "body is not valid JSON") from None
    if not isinstance(parsed, dict) or set(parsed) - {"rotate"}:
        raise problem
    wanted = parsed.get("rotate", names)
    if not isinstance(wanted, list) or not wanted or not all(isinstance(item, str) for item in wanted):
        raise problem
    if set(wanted) - set(names):
        raise problem
    return {CredentialKind(item) for item in wanted}


@router.delete(
    "/candidates/<id>",
    summary="Delete a candidate: their keys stop at once, then every interview, follow-up and schedule goes",
    responses={
        202: {"description": "deleting: call DELETE again to finish"},
        204: {"description": "deleted"},
        **ERROR_RESPONSES,
    },
)
def delete_candidate(id: str):  # type: ignore[no-untyped-def]
    from followup.workflow.lifecycle import delete_anywhere

    principal.require_operator()
    if not CANDIDATE_ID_PATTERN.match(id):
        raise _not_found()
    deps = services()
    if not deps.candidates.begin_delete(id, now=clock.now()):
        raise _not_found()
    context = router.lambda_context
    remaining = 0
    for interview_id in list(deps.candidates.interview_ids(id)):
        time_left = context.get_remaining_time_in_millis() if context is not None else None
        if remaining or (time_left is not None and time_left < DELETE_TIME_RESERVE_MS):
            remaining += 1
            continue
        delete_anywhere(deps.table, deps.publisher, interview_id, clock.now())
    if remaining:
        return json_response(202, {"candidate_id": id, "status": "deleting", "interviews_remaining": remaining})
    record = deps.candidates.get(id)
    if record is not None:
        deps.candidates.delete(record)
    return Response(status_code=204, content_type="application/json", body="")


def apply_profile_defaults(event: dict[str, Any], candidate_id: str, ring: ApiKeyRing) -> None:
    """A created candidate's `POST /interviews` and `POST /preview` leave out what their profile knows: the body is
    completed from it before validation (the signature was checked on the raw body already)."""
    if candidate_id == DEFAULT_CANDIDATE:
        return
    from followup.api.guards import raw_body

    record = ring.candidate(candidate_id)
    if record is None:
        return
    try:
        document = json.loads(raw_body(event))
    except ValueError:  # the guard already refused malformed JSON; nothing to complete
        return
    if isinstance(document, dict):
        event["body"] = json.dumps(with_profile_defaults(document, record.profile), ensure_ascii=False)
        event["isBase64Encoded"] = False
