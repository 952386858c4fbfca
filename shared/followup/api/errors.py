"""The contract's error shape (README "The HTTP API") and the exception every API layer raises to produce it."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from followup.api.schemas import ErrorBody, ErrorField, error_body

__all__ = ["ERROR_RESPONSES", "ApiError", "json_response", "lambda_error_response"]


class ApiError(Exception):
    """An error with its HTTP status and the contract's error code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[ErrorField] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}

    def response(self) -> Response[str]:
        return json_response(
            self.status, error_body(self.code, self.message, self.fields), headers=self.headers or None
        )


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        # Sorted keys: a replayed idempotent response is byte-identical to the first one.
        body=json.dumps(body, separators=(",", ":"), ensure_ascii=False, sort_keys=True),
        headers=headers,
    )


def lambda_error_response(exc: ApiError, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The raw Lambda proxy response for an error raised before the resolver runs."""
    return {
        "statusCode": exc.status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(error_body(exc.code, exc.message, exc.fields), separators=(",", ":")),
        "isBase64Encoded": False,
    }


# The error responses every JSON route documents in the OpenAPI document.
ERROR_RESPONSES: dict[int, Any] = {
    status: {"description": text, "content": {"application/json": {"model": ErrorBody}}}
    for status, text in {
        400: "malformed request",
        401: "missing or invalid credentials",
        403: "not for this credential: the operator key manages candidates, a candidate key acts for them",
        404: "not found",
        409: "conflict",
        413: "body larger than 256 KiB",
        415: "unsupported content type",
        422: "invalid fields",
        429: "a candidate's daily limit is reached (Retry-After says when it resets)",
    }.items()
}
