"""The HTTP API (CONTRACT §2) on Powertools' `APIGatewayHttpResolver` with pydantic validation.

Request order: size → authentication → content type → JSON syntax run *before* the resolver, so an unauthenticated
caller learns nothing about the schema and a rejected request never reaches code that writes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from followup.adapters.dynamodb import FollowUpTable, InterviewBundle
from followup.adapters.events import EventPublisher, PublishError
from followup.adapters.secrets import SecretStore
from followup.api.auth import AuthenticationError, authenticate
from followup.api.schemas import (
    ErrorBody,
    ErrorField,
    InterviewView,
    OutcomeResponse,
    PreviewResponse,
    ReplanResponse,
    SubmissionResponse,
    error_body,
)
from followup.core import aws, clock
from followup.core.config import ApiSettings, load_settings
from followup.domain.models import InterviewRequest
from followup.workflow.lifecycle import DecisionDateChange, OutcomeRequest

logger = Logger(child=True)

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
INTERVIEW_ID_PATTERN = re.compile(r"^[0-9a-f]{22}$")
JSON_ROUTES = ("/interviews", "/preview")
IN_PROGRESS_WAIT_SECONDS = 8.0


class ApiError(Exception):
    """An error with its HTTP status and the contract's error code."""

    def __init__(self, status: int, code: str, message: str, fields: list[ErrorField] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []

    def response(self) -> Response:
        return json_response(self.status, error_body(self.code, self.message, self.fields))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        # Sorted keys: a replayed idempotent response is byte-identical to the first one.
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=True),
        headers=headers,
    )


@dataclass
class ApiDependencies:
    """Everything the routes touch, built once per cold start from the environment."""

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

        return build_idempotent_submit(self)


_dependencies: ApiDependencies | None = None


def dependencies() -> ApiDependencies:
    global _dependencies
    if _dependencies is None:
        _dependencies = ApiDependencies(settings=load_settings(ApiSettings))
    return _dependencies


def reset_dependencies() -> None:
    """Forget cached clients and settings (tests, and the local stack after it rewrites the environment)."""
    global _dependencies
    _dependencies = None


app = APIGatewayHttpResolver(enable_validation=True)


# -- pre-resolver guards ----------------------------------------------------------------------------------------


def raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(400, "malformed_body", "body is not valid base64") from exc
    return body.encode("utf-8")


def _needs_credentials(method: str, path: str) -> bool:
    return any(path == route or path.startswith(route + "/") for route in JSON_ROUTES)


def guard_request(event: dict[str, Any]) -> None:
    """Reject oversized, wrongly typed, malformed or unauthenticated requests before any route runs."""
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "GET")).upper()
    path = str(event.get("rawPath") or "/")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    body = raw_body(event)
    if len(body) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"body exceeds {MAX_BODY_BYTES} bytes")
    if not _needs_credentials(method, path):
        return
    deps = dependencies()
    try:
        authenticate(
            headers,
            body,
            api_key=deps.secrets.get(deps.settings.api_key_parameter),
            webhook_secret=deps.secrets.get(deps.settings.webhook_secret_parameter),
            now=clock.now(),
        )
    except AuthenticationError as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    if method in {"POST", "PATCH", "PUT"} and body:
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "application/json":
            raise ApiError(415, "unsupported_media_type", "Content-Type must be application/json")
    if method in {"POST", "PATCH", "PUT"} and _expects_json_body(method, path):
        if not body.strip():
            raise ApiError(400, "malformed_body", "request body is empty; send a JSON object")
        if json_depth(body) > MAX_JSON_DEPTH:
            raise ApiError(400, "malformed_json", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            json.loads(body)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, >4300-digit integers
            raise ApiError(400, "malformed_json", f"body is not valid JSON: {str(exc)[:200]}") from None
        if method in {"POST", "PATCH"} and not body.lstrip().startswith(b"{"):
            raise ApiError(
                422, "invalid_fields", "body must be a JSON object", [ErrorField(field="", message="must be an object")]
            )


def json_depth(body: bytes) -> int:
    """Deepest nesting of brackets outside strings, counted without recursion (so hostile depth cannot crash)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _expects_json_body(method: str, path: str) -> bool:
    if path in ("/interviews", "/preview"):
        return method == "POST"
    return path.endswith("/outcome") or method == "PATCH"


def handle_request(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point of ApiFunction: guards, then the resolver."""
    try:
        guard_request(event)
    except ApiError as exc:
        logger.info("request rejected", extra={"status": exc.status, "code": exc.code})
        return {
            "statusCode": exc.status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(error_body(exc.code, exc.message, exc.fields), separators=(",", ":")),
            "isBase64Encoded": False,
        }
    return app.resolve(event, context)


# -- error mapping: one registry, by exception type -------------------------------------------------------------


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc[1:] if loc and loc[0] == "body" else loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _clean_message(message: str) -> str:
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


@app.exception_handler(RequestValidationError)
def _invalid_fields(exc: RequestValidationError) -> Response:
    fields = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        elif error.get("type") == "missing":
            message = "is required"
        else:
            message = _clean_message(str(error.get("msg", "is invalid")))
        fields.append(ErrorField(field=_field_path(loc), message=message))
    return json_response(422, error_body("invalid_fields", "some fields are invalid", fields))


@app.exception_handler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return exc.response()


@app.exception_handler([ClientError, BotoCoreError, PublishError])
def _dependency_unavailable(exc: Exception) -> Response:
    # An AWS dependency failed: nothing was accepted, the client may retry (with its Idempotency-Key).
    logger.exception("dependency failure", extra={"error": type(exc).__name__})
    return json_response(
        503, error_body("unavailable", "a dependency is unavailable; retry shortly"), headers={"Retry-After": "5"}
    )


# Every path this API serves and its methods: an unknown path is 404, a known one with another method 405.
ROUTE_METHODS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern), frozenset(methods))
    for pattern, methods in (
        (r"^/interviews$", {"POST"}),
        (r"^/interviews/[^/]+$", {"GET", "PATCH", "DELETE"}),
        (r"^/interviews/[^/]+/outcome$", {"POST"}),
        (r"^/preview$", {"POST"}),
        (r"^/openapi\.json$", {"GET"}),
        (r"^/form$", {"GET", "POST"}),
        (r"^/form/done/[^/]+$", {"GET"}),
        (r"^/a/[^/]+$", {"GET", "POST"}),
    )
)


@app.not_found
def _not_found(_: Exception) -> Response:
    path = app.current_event.path
    for pattern, methods in ROUTE_METHODS:
        if pattern.match(path):
            allowed = ", ".join(sorted(methods))
            return json_response(
                405, error_body("method_not_allowed", f"use {allowed} on this path"), headers={"Allow": allowed}
            )
    return json_response(404, error_body("not_found", "no such route"))


# -- routes -----------------------------------------------------------------------------------------------------

_ERRORS: dict[int, Any] = {
    status: {"description": text, "content": {"application/json": {"model": ErrorBody}}}
    for status, text in {
        400: "malformed request",
        401: "missing or invalid credentials",
        404: "not found",
        409: "conflict",
        413: "body larger than 256 KiB",
        415: "unsupported content type",
        422: "invalid fields",
    }.items()
}


def _fingerprint(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@app.post(
    "/interviews",
    summary="Submit an interview; its follow-ups are planned and scheduled",
    responses={
        202: {"description": "accepted", "content": {"application/json": {"model": SubmissionResponse}}},
        **_ERRORS,
    },
)
def create_interview(interview: Annotated[InterviewRequest, Body()]):
    from followup.workflow.submission import submit_interview

    deps = dependencies()
    key = app.current_event.headers.get("idempotency-key")
    if key is None:
        return json_response(202, submit_interview(interview, deps.publisher).body())
    if not IDEMPOTENCY_KEY_PATTERN.match(key):
        raise ApiError(400, "bad_idempotency_key", "Idempotency-Key must be 1–255 visible ASCII characters")
    document = interview.to_document()
    body = deps.submit_once(key=key, fingerprint=_fingerprint(document), document=document, context=app.lambda_context)
    return json_response(202, body)


@app.get(
    "/interviews/<id>",
    summary="An interview with its follow-ups and timeline",
    responses={
        200: {"description": "the interview", "content": {"application/json": {"model": InterviewView}}},
        **_ERRORS,
    },
)
def get_interview(id: str):
    from followup.api.views import interview_view

    if not INTERVIEW_ID_PATTERN.match(id):
        raise ApiError(404, "not_found", "no interview with this id")
    bundle = dependencies().table.load_interview(id)
    if bundle is None:
        raise ApiError(404, "not_found", "no interview with this id")
    return json_response(200, interview_view(bundle))


def _load(interview_id: str) -> InterviewBundle:
    if not INTERVIEW_ID_PATTERN.match(interview_id):
        raise ApiError(404, "not_found", "no interview with this id")
    bundle = dependencies().table.load_interview(interview_id)
    if bundle is None:
        raise ApiError(404, "not_found", "no interview with this id")
    return bundle


@app.post(
    "/interviews/<id>/outcome",
    summary="Record the outcome; every pending follow-up it ends is cancelled and its schedule deleted",
    responses={
        200: {"description": "recorded", "content": {"application/json": {"model": OutcomeResponse}}},
        **_ERRORS,
    },
)
def post_outcome(id: str, outcome: Annotated[OutcomeRequest, Body()]):
    from followup.workflow.lifecycle import record_outcome

    deps = dependencies()
    bundle = _load(id)
    return json_response(200, record_outcome(deps.table, deps.publisher, bundle, outcome, clock.now()))


@app.patch(
    "/interviews/<id>",
    summary="Change the decision date; the pending check-in and final are re-planned from it",
    responses={
        200: {"description": "re-planned", "content": {"application/json": {"model": ReplanResponse}}},
        **_ERRORS,
    },
)
def patch_interview(id: str, change: Annotated[DecisionDateChange, Body()]):
    from followup.workflow.lifecycle import change_decision_date

    deps = dependencies()
    bundle = _load(id)
    return json_response(200, change_decision_date(deps.table, deps.publisher, bundle, change, clock.now()))


@app.delete(
    "/interviews/<id>",
    summary="Delete the interview, its follow-ups, timeline and schedules",
    responses={204: {"description": "deleted"}, **_ERRORS},
)
def delete_interview(id: str):
    from followup.workflow.lifecycle import delete_interview as remove

    deps = dependencies()
    remove(deps.table, deps.publisher, _load(id))
    return Response(status_code=204, content_type="application/json", body="")


def _link_page(token: str, act: bool) -> Response:
    from followup.api.link_actions import PAGE_HEADERS, confirmation_page, invalid_page, perform, verify
    from followup.core.links import InvalidLink

    deps = dependencies()
    now = clock.now()
    try:
        claim = verify(deps.secrets.get(deps.settings.link_secret_parameter), token, now)
    except InvalidLink as exc:
        page = invalid_page(exc)
    else:
        bundle = deps.table.load_interview(claim.interview_id)
        if act and bundle is not None:
            page = perform(deps.table, deps.publisher, bundle, claim, now)
        else:
            page = confirmation_page(bundle, claim, token)
    return Response(
        status_code=page.status, content_type="text/html; charset=utf-8", body=page.render(), headers=PAGE_HEADERS
    )


@app.get("/a/<token>", summary="Confirmation page of a one-click link (changes nothing)", include_in_schema=False)
def get_link(token: str):
    return _link_page(token, act=False)


@app.post("/a/<token>", summary="Perform a one-click link's action, once", include_in_schema=False)
def post_link(token: str):
    return _link_page(token, act=True)


@app.post(
    "/preview",
    summary="Plan and render every follow-up without storing or sending anything",
    responses={
        200: {"description": "the plan", "content": {"application/json": {"model": PreviewResponse}}},
        **_ERRORS,
    },
)
def preview(interview: Annotated[InterviewRequest, Body()]):
    from followup.api.views import preview_interview

    return json_response(200, preview_interview(interview, clock.now()))


@app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi_document():
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(title="Interview follow-ups", version="1.0.0"),
    )


def _include_routers() -> None:
    from followup.api.routes.form import router as form_router

    app.include_router(form_router)


_include_routers()


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
