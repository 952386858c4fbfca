"""ApiFunction's resolver: Powertools' `APIGatewayHttpResolver` with pydantic validation, the guards before it, one
registry mapping exceptions to the contract's error shape, and the routers of `followup.api.routes`."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from followup.adapters.events import PublishError
from followup.api.errors import ApiError, json_response, lambda_error_response
from followup.api.guards import guard_request
from followup.api.principal import acting_as
from followup.api.routes import candidates, form, home, interviews, links, panel
from followup.api.schemas import ErrorField, error_body
from followup.api.services import services
from followup.workflow.lifecycle import ConcurrentChange

logger = Logger(child=True)

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(interviews.router)
app.include_router(candidates.router)
app.include_router(panel.router)
app.include_router(links.router)
app.include_router(form.router)
app.include_router(home.router)


def handle_request(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Entry point of ApiFunction: guards, then (a signature accepted once: `api.replay`) the resolver. Whatever
    happens, the answer is in the contract's shape: an unexpected error is logged and answered 500
    `internal_error`, never a traceback."""
    from followup.api.replay import once_per_signature

    try:
        # One key ring for the request: the guard and the profile defaults read a candidate's profile once.
        ring = services().keyring()
        try:
            credentials = guard_request(event, ring)
        except ApiError as exc:
            logger.info("request rejected", extra={"status": exc.status, "code": exc.code})
            return lambda_error_response(exc)
        try:
            if credentials is not None and not credentials.operator and _completes_from_profile(event):
                candidates.apply_profile_defaults(event, credentials.candidate_id, ring)
            with acting_as(credentials):
                return once_per_signature(event, credentials, lambda: app.resolve(event, context))
        except (ClientError, BotoCoreError) as exc:  # the signature record itself could not be read or written
            logger.exception("dependency failure", extra={"error": type(exc).__name__})
            return lambda_error_response(
                ApiError(503, "unavailable", "a dependency is unavailable; retry shortly"), {"Retry-After": "5"}
            )
    except Exception:
        logger.exception("unhandled error")
        return lambda_error_response(ApiError(500, "internal_error", "something went wrong on our side"))


def _completes_from_profile(event: dict[str, Any]) -> bool:
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    method = str(http.get("method", "") if isinstance(http, dict) else "").upper()
    return method == "POST" and event.get("rawPath") in ("/interviews", "/preview")


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


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def _invalid_fields(exc: RequestValidationError) -> Response[str]:
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


@app.exception_handler(RequestUnsupportedContentType)  # type: ignore[untyped-decorator]
def _unsupported_media_type(_: RequestUnsupportedContentType) -> Response[str]:
    # Powertools' own refusal (its body parser), answered in the contract's shape like the guard's.
    return json_response(415, error_body("unsupported_media_type", "Content-Type must be application/json"))


# Powertools' HTTP errors (BadRequestError, NotFoundError, ...) in the contract's shape.
_SERVICE_ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict"}


@app.exception_handler(ServiceError)  # type: ignore[untyped-decorator]
def _service_error(exc: ServiceError) -> Response[str]:
    status = int(exc.status_code)
    code = _SERVICE_ERROR_CODES.get(status, "internal_error" if status >= 500 else "bad_request")
    return json_response(status, error_body(code, str(exc.msg) or code.replace("_", " ")))


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def _api_error(exc: ApiError) -> Response[str]:
    return exc.response()


@app.exception_handler(ConcurrentChange)  # type: ignore[untyped-decorator]
def _concurrent_change(_: ConcurrentChange) -> Response[str]:
    return json_response(409, error_body("conflict", "the interview changed while this request was handled; retry"))


@app.exception_handler([ClientError, BotoCoreError, PublishError])  # type: ignore[untyped-decorator]
def _dependency_unavailable(exc: Exception) -> Response[str]:
    # An AWS dependency failed: nothing was accepted, the client may retry (with its Idempotency-Key).
    logger.exception("dependency failure", extra={"error": type(exc).__name__})
    return json_response(
        503, error_body("unavailable", "a dependency is unavailable; retry shortly"), headers={"Retry-After": "5"}
    )


# Every path this API serves and its methods: an unknown path is 404, a known one with another method 405.
ROUTE_METHODS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern), frozenset(methods))
    for pattern, methods in (
        (r"^/$", {"GET"}),
        (r"^/interviews$", {"GET", "POST"}),
        (r"^/candidates$", {"GET", "POST"}),
        (r"^/candidates/[^/]+$", {"GET", "PATCH", "DELETE"}),
        (r"^/candidates/[^/]+/keys$", {"POST"}),
        (r"^/interviews/[^/]+$", {"GET", "PATCH", "DELETE"}),
        (r"^/interviews/[^/]+/(outcome|pause|resume)$", {"POST"}),
        (r"^/preview$", {"POST"}),
        (r"^/openapi\.json$", {"GET"}),
        (r"^/form$", {"GET", "POST"}),
        (r"^/form/done/[^/]+$", {"GET"}),
        (r"^/a/[^/]+$", {"GET", "POST"}),
        (r"^/panel$", {"GET"}),
        (r"^/panel/sign-in$", {"POST"}),
        (r"^/panel/sign-out$", {"POST"}),
        (r"^/panel/in/[^/]+$", {"GET", "POST"}),
        (r"^/panel/m/[^/]+$", {"GET", "POST"}),
        (r"^/panel/settings$", {"GET", "POST"}),
        (r"^/panel/interviews/[^/]+$", {"GET"}),
        (r"^/panel/interviews/[^/]+/(outcome|decision-date)$", {"POST"}),
        (r"^/panel/interviews/[^/]+/messages/[^/]+$", {"GET", "POST"}),
        (r"^/panel/interviews/[^/]+/messages/[^/]+/(approve|skip)$", {"POST"}),
        (r"^/panel/interviews/[^/]+/(stop|pause|resume)$", {"POST"}),
    )
)


@app.not_found
def _not_found(_: Exception) -> Response[str]:
    path = app.current_event.path
    for pattern, methods in ROUTE_METHODS:
        if pattern.match(path):
            allowed = ", ".join(sorted(methods))
            return json_response(
                405, error_body("method_not_allowed", f"use {allowed} on this path"), headers={"Allow": allowed}
            )
    return json_response(404, error_body("not_found", "no such route"))


@app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
def openapi_document():  # type: ignore[no-untyped-def]
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(title="Interview follow-ups", version="1.0.0"),
    )
